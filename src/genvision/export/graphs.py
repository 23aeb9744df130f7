"""The networks of a bundle as exportable graphs: fixed positional inputs with stated names, batch axis free.

    graphs = bundle_graphs(bundle)          # [Graph("unet", module, inputs, outputs), Graph("decoder", ...)]

Every input and output has batch as its first axis ("batch" in the ONNX file), and example inputs use a batch of
2, so no size is traced in as a constant (tests run the exported graphs at batch 1 and 5).

kind          graph       inputs → outputs
ddpm, ldm     unet        x [B, *latent], t int64 [B], class_labels int64 [B] (class models; the null class is
                          num_classes), context [B, L, D] + context_mask bool [B, L] (text models),
                          pooled [B, D] (pooled text), extra [B, parts, h, w] (label-map models) → prediction
ldm           encoder     images [B, C, H, W] → latents (unscaled);  decoder  latents (unscaled) → images
autoencoder   encoder / decoder as for ldm (VQ latents are snapped to their nearest codes in the decoder)
vae           encoder     images (, class_labels) → latents (posterior mean);  decoder  latents (, class_labels)
dcgan         generator   z [B, z_dim] → images;   cgan: z, label_embedding [B, E] → images
stylegan      mapping     z (, class_labels) → w [B, w_dim];  synthesis  ws [B, num_ws, w_dim] → images
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn as nn

from genvision.errors import GenvisionError
from genvision.export.attention import channels_first_attention
from genvision.export.exact_layers import dense_first_layers, phase_pairs
from genvision.models.bundle import Bundle
from genvision.models.bundle_config import DiffusionConfig

EXAMPLE_BATCH = 2
UNET_CONDITIONS = ("class_labels", "context", "context_mask", "pooled", "extra")


@dataclass
class Graph:
    """One network to export: a module called with the inputs in order, and the output name."""

    name: str
    module: nn.Module
    inputs: dict[str, torch.Tensor]  # name → example (batch EXAMPLE_BATCH)
    output: str


class Call(nn.Module):
    """`fn(*inputs)` as a module, holding the networks it calls so their weights are exported."""

    def __init__(self, fn: Callable[..., torch.Tensor], *nets: nn.Module) -> None:
        super().__init__()
        self.nets = nn.ModuleList(nets)
        self.fn = fn

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        return self.fn(*inputs)


def _labels(num_classes: int, null: bool = False) -> torch.Tensor:
    """Example labels that include the last class (and the null class when `null`)."""
    top = num_classes + (1 if null else 0)
    return torch.arange(EXAMPLE_BATCH, dtype=torch.int64) % top + (top - EXAMPLE_BATCH) % top


def unet_graph(unet: nn.Module, spec: DiffusionConfig) -> Graph:
    """The UNet with the conditioning inputs the bundle uses, all required (null values: docs/onnx.md); its
    attention channels-first (export.attention)."""
    unet = channels_first_attention(unet)
    c = spec.conditioning
    latent = tuple(spec.latent_shape or spec.data.shape)
    b = EXAMPLE_BATCH
    inputs = {"x": torch.randn(b, *latent), "t": torch.tensor([999, 0], dtype=torch.int64)[:b]}
    if c.num_classes:
        inputs["class_labels"] = _labels(int(c.num_classes), null=True)
    if c.text_encoder:
        inputs["context"] = torch.randn(b, c.text_max_length, int(unet.context_dim))
        mask = torch.ones(b, c.text_max_length, dtype=torch.bool)
        mask[0, c.text_max_length // 2 :] = False
        inputs["context_mask"] = mask
        if c.text_pooled:
            inputs["pooled"] = torch.randn(b, int(unet.pooled_dim))
    if c.mask_parts:
        inputs["extra"] = torch.zeros(b, c.mask_parts, *latent[1:])
    names = [k for k in UNET_CONDITIONS if k in inputs]

    def run(x: torch.Tensor, t: torch.Tensor, *conditions: torch.Tensor) -> torch.Tensor:
        return unet(x, t, **dict(zip(names, conditions, strict=True)))

    return Graph("unet", Call(run, unet), inputs, "prediction")


def autoencoder_graphs(net: nn.Module, kind: str, image_shape: tuple, quantize: bool = True) -> list[Graph]:
    """encoder (images → latents) and decoder (latents → images) of a VAE, VQ-VAE or VQ/KL autoencoder (its
    attention channels-first: export.attention)."""
    net = channels_first_attention(net)
    b = EXAMPLE_BATCH
    images = torch.rand(b, *image_shape) * 2 - 1
    classes = int(getattr(net, "num_classes", 0) or 0) if kind == "vae" else 0
    if kind == "vae":
        latent = (int(net.latent_dim),)
        enc = (lambda x, y: net.encode(x, y).mean) if classes else (lambda x: net.encode(x).mean)
        dec = net.decode
    else:
        latent = tuple(net.latent_shape)
        enc = net.encode

        def dec(z: torch.Tensor) -> torch.Tensor:
            return net.decode(z, quantize=quantize)

    extra = {"class_labels": _labels(classes)} if classes else {}
    return [
        Graph("encoder", Call(enc, net), {"images": images, **extra}, "latents"),
        Graph("decoder", Call(dec, net), {"latents": torch.randn(b, *latent), **extra}, "images"),
    ]


def gan_graphs(generator: nn.Module, kind: str, z_dim: int) -> list[Graph]:
    """The generator (its first layer as a matrix product, its stride-2 upsamplings in pairs as convolutions:
    exact_layers); a cGAN's takes its label embedding (the table is exported as an array)."""
    inputs = {"z": torch.randn(EXAMPLE_BATCH, z_dim)}
    if kind != "dcgan":
        inputs["label_embedding"] = generator.embed(_labels(int(generator.num_classes))).detach()

    def forward(g: nn.Module) -> Callable[..., torch.Tensor]:
        return g if kind == "dcgan" else g.from_embedding

    generator = phase_pairs(dense_first_layers(generator), lambda g: forward(g)(*inputs.values()))
    return [Graph("generator", Call(forward(generator), generator), inputs, "images")]


def stylegan_graphs(generator: nn.Module) -> list[Graph]:
    """mapping z (, class labels) → w (untruncated) and synthesis W+ → images with the fixed noise maps."""
    b, classes = EXAMPLE_BATCH, int(generator.num_classes or 0)
    mapping_inputs = {"z": torch.randn(b, generator.z_dim)}
    if classes:
        mapping_inputs["class_labels"] = _labels(classes)

    def mapping(z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return generator.mapping(z, labels, track_w_avg=False)

    def synthesis(ws: torch.Tensor) -> torch.Tensor:
        return generator.synthesis(ws, noise_mode="const")

    ws = torch.randn(b, generator.num_ws, generator.w_dim)
    return [
        Graph("mapping", Call(mapping, generator), mapping_inputs, "w"),
        Graph("synthesis", Call(synthesis, generator), {"ws": ws}, "images"),
    ]


def bundle_graphs(bundle: Bundle) -> list[Graph]:
    """The graphs of a bundle's generating networks (fp32, eval mode)."""
    kind, spec = bundle.kind, bundle.spec
    shape = tuple(spec.data.shape)
    if kind in ("ddpm", "ldm"):
        graphs = [unet_graph(bundle.component("unet"), spec)]
        if kind == "ldm":
            sub = bundle.sub_bundle("autoencoder")
            net = sub.component(sub.config["components"][0])
            graphs += autoencoder_graphs(net, sub.kind, shape, quantize=bool(spec.decode_quantize))
        return graphs
    if kind in ("vae", "vqvae", "autoencoder"):
        return autoencoder_graphs(bundle.component(kind), kind, shape)
    if kind in ("dcgan", "cgan"):
        return gan_graphs(bundle.component("generator"), kind, int(spec.z_dim))
    if kind == "stylegan":
        return stylegan_graphs(bundle.component("generator"))
    raise GenvisionError(
        f"{bundle.name} is a {kind!r} bundle, which generates nothing to export: export a ddpm, ldm, vae, "
        "vqvae, autoencoder, dcgan, cgan or stylegan bundle"
    )
