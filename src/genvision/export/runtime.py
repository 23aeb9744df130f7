"""onnxruntime sessions behind the torch call signatures the samplers and loaded models already use.

    unet = OnnxUNet(folder, manifest)       # unet(x_t, t, class_labels=…, context=…) → torch tensor
    DiffusionModel(spec, unet, schedule, OnnxAutoencoder(...))   # the same sampler loops, no copies of them

Each stand-in is an nn.Module without weights (a zero-size `anchor` parameter tells callers its device, the
CPU) that converts torch tensors to numpy, runs the session and returns torch tensors. onnx and onnxruntime are
optional ("onnx" extra) and imported on first use.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn as nn

from genvision.errors import GenvisionError
from genvision.export.batch_split import BatchSplit
from genvision.export.manifest import read_array
from genvision.models.stylegan import StyleGANGenerator

INSTALL = "pip install 'genvision[onnx]'"


def import_onnx():
    try:
        import onnx  # noqa: PLC0415 (optional: the "onnx" extra)
    except ImportError as exc:
        raise GenvisionError(f"ONNX export needs the onnx package: {INSTALL}") from exc
    return onnx


def import_ort():
    try:
        import onnxruntime  # noqa: PLC0415 (optional: the "onnx" extra)
    except ImportError as exc:
        raise GenvisionError(
            f"the onnx backend needs onnxruntime: {INSTALL}, or use --backend torch"
        ) from exc
    return onnxruntime


def session(path: str | Path, threads: int | None = None):
    """A CPU inference session with all graph optimisations, `threads` intra-op threads (torch's count); its
    threads spin while idle unless OMP_WAIT_POLICY=PASSIVE (spinning threads slow everything on shared cores)."""
    ort = import_ort()
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or torch.get_num_threads()
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    if (
        os.environ.get("OMP_WAIT_POLICY", "").upper() == "PASSIVE"
    ):  # as torch's OpenMP threads: no spin-waiting
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class OnnxGraph:
    """One exported graph: call it with torch tensors in the manifest's input order, get a torch tensor.
    `split`: batches of SPLIT_BATCH or more run one slice per thread (batch_split: UNets, autoencoders, StyleGAN
    synthesis, DCGAN / cGAN generators)."""

    def __init__(self, folder: Path, entry: dict[str, Any], split: bool = False) -> None:
        path = folder / entry["file"]
        if not path.is_file():
            raise GenvisionError(f"export {folder} is missing {entry['file']}; export the bundle again")
        self.session = session(path)
        self.names = [i["name"] for i in entry["inputs"]]
        self.split = BatchSplit(lambda: session(path, threads=1), torch.get_num_threads() if split else 1)

    def __call__(self, *inputs: torch.Tensor) -> torch.Tensor:
        feeds = {name: x.detach().cpu().numpy() for name, x in zip(self.names, inputs, strict=True)}
        if self.split.worthwhile(len(inputs[0])):
            return torch.from_numpy(self.split.run(feeds)[0])
        return torch.from_numpy(self.session.run(None, feeds)[0])


class OnnxNetwork(nn.Module):
    """Base of the stand-ins: no weights, on the CPU."""

    def __init__(self, folder: Path, manifest: dict[str, Any]) -> None:
        super().__init__()
        self.anchor = nn.Parameter(torch.zeros(0), requires_grad=False)
        self.folder, self.manifest = Path(folder), manifest

    def graph(self, name: str, split: bool = False) -> OnnxGraph:
        return OnnxGraph(self.folder, self.manifest["graphs"][name], split)

    def array(self, section: dict[str, Any], name: str) -> torch.Tensor:
        return torch.from_numpy(np.array(read_array(self.folder, section["arrays"][name])))


class OnnxUNet(OnnxNetwork):
    """unet(x, t, class_labels=None, context=None, context_mask=None, extra=None, pooled=None), missing
    conditions at their null values, as UNet.forward."""

    def __init__(self, folder: Path, manifest: dict[str, Any]) -> None:
        super().__init__(folder, manifest)
        section = manifest["diffusion"]
        self.run = self.graph("unet", split=True)
        self.num_classes = section["conditioning"]["num_classes"] or None
        self.context_dim = self.pooled_dim = None
        if section["conditioning"]["text"]:
            self.null_context = self.array(section, "null_context")[:1]  # one token: the rows are equal
            self.context_dim = self.null_context.shape[-1]
            if "null_pooled" in section["arrays"]:
                self.null_pooled = self.array(section, "null_pooled")[None]
                self.pooled_dim = self.null_pooled.shape[-1]
        self.max_length = section["conditioning"]["text"]["max_length"] if self.context_dim else 0

    def null_context_like(self, batch: int, length: int = 1) -> torch.Tensor:
        return self.null_context.expand(batch, length, -1)

    def null_pooled_like(self, batch: int) -> torch.Tensor:
        return self.null_pooled.expand(batch, -1)

    def forward(
        self,
        x: torch.Tensor,
        t: torch.Tensor,
        class_labels: torch.Tensor | None = None,
        context: torch.Tensor | None = None,
        context_mask: torch.Tensor | None = None,
        extra: torch.Tensor | None = None,
        pooled: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """x [B, C, H, W], t int64 [B] → prediction [B, C, H, W]."""
        b = x.shape[0]
        inputs = [x.float(), t.long()]
        if self.num_classes:
            inputs.append(torch.full((b,), self.num_classes) if class_labels is None else class_labels.long())
        if self.context_dim:
            if context is None:
                context = self.null_context_like(b, self.max_length)
            if context_mask is None:
                context_mask = torch.ones(b, context.shape[1], dtype=torch.bool)
            inputs += [context.float(), context_mask.bool()]
            if self.pooled_dim:
                inputs.append(self.null_pooled_like(b) if pooled is None else pooled.float())
        if "extra" in self.run.names:
            if extra is None:
                raise ValueError("this UNet needs `extra` label-map planes")
            inputs.append(extra.float())
        return self.run(*inputs)


@dataclass
class Posterior:
    """What a VAE's encode returns here: the posterior mean only (the exported encoder's output)."""

    mean: torch.Tensor


class OnnxAutoencoder(OnnxNetwork):
    """encode / decode of a VAE, VQ-VAE, VQ/KL autoencoder (or an LDM's), as the torch networks."""

    quantizer = None  # the decoder graph snaps VQ latents itself (manifest: decoder_quantizes)

    def __init__(self, folder: Path, manifest: dict[str, Any], kind: str, num_classes: int = 0) -> None:
        super().__init__(folder, manifest)
        self.kind, self.num_classes = kind, num_classes
        # split: fashion-vae's decoder at batch 64 ran in 2.9 ms against 6.1 ms as one two-thread session
        self.encoder, self.decoder = self.graph("encoder", split=True), self.graph("decoder", split=True)
        self.latent_dim = manifest["graphs"]["decoder"]["inputs"][0]["shape"][1]

    def _with(self, x: torch.Tensor, labels: torch.Tensor | None) -> list[torch.Tensor]:
        if self.num_classes and labels is None:
            raise ValueError("this is a conditional VAE: pass class labels")
        return [x.float()] + ([labels.long()] if self.num_classes else [])

    def encode(self, x: torch.Tensor, labels: torch.Tensor | None = None):
        z = self.encoder(*self._with(x, labels))
        return Posterior(z) if self.kind == "vae" else z

    def decode(
        self, z: torch.Tensor, labels: torch.Tensor | None = None, quantize: bool = True
    ) -> torch.Tensor:
        if not quantize:
            raise GenvisionError("the exported decoder snaps latents to their codes; use --backend torch")
        return self.decoder(*self._with(z, labels))


class OnnxGenerator(OnnxNetwork):
    """A DCGAN G(z) or a conditional G(z, y) = G([z; table[y]]) with the label-embedding table."""

    def __init__(self, folder: Path, manifest: dict[str, Any]) -> None:
        super().__init__(folder, manifest)
        section = manifest["gan"]
        # split: sample(64) on a quiet 2-core Xeon ran 1.47-2.04x torch's speed, against 0.97-1.36x whole
        self.run = self.graph("generator", split=True)
        self.z_dim, self.num_classes = section["z_dim"], section["num_classes"]
        self.table = self.array(section, "label_embeddings") if self.num_classes else None

    def embed(self, labels: torch.Tensor) -> torch.Tensor:
        return self.table[labels.long().cpu()]

    def from_embedding(self, z: torch.Tensor, label_embedding: torch.Tensor) -> torch.Tensor:
        return self.run(z.float(), label_embedding.float())

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if self.table is None:
            return self.run(z.float())
        return self.from_embedding(z, self.embed(labels))


class OnnxStyleGenerator(OnnxNetwork):
    """StyleGAN mapping and synthesis graphs; truncation and W+ broadcasting are the torch generator's own
    methods (`map`, `truncate`), run on this object's w̄."""

    map = StyleGANGenerator.map
    truncate = StyleGANGenerator.truncate

    def __init__(self, folder: Path, manifest: dict[str, Any]) -> None:
        super().__init__(folder, manifest)
        section = manifest["stylegan"]
        self.z_dim, self.w_dim, self.num_ws = section["z_dim"], section["w_dim"], section["num_ws"]
        self.num_classes = section["num_classes"]
        self.register_buffer("w_avg", self.array(section, "w_avg"))
        self._mapping, self._synthesis = self.graph("mapping"), self.graph("synthesis", split=True)

    def mapping(self, z: torch.Tensor, labels: torch.Tensor | None = None, track_w_avg: bool | None = None):
        return self._mapping(z.float(), *([labels.long()] if self.num_classes else []))

    def synthesis(
        self, ws: torch.Tensor, noise: list | None = None, noise_mode: str = "const", generator: Any = None
    ) -> torch.Tensor:
        """W+ codes → images with the fixed noise maps (the only noise the exported graph has)."""
        if noise is not None or noise_mode != "const":
            raise GenvisionError("the exported StyleGAN uses its fixed noise maps only; use --backend torch")
        return self._synthesis(ws.float())
