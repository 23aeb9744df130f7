"""Using a trained autoencoding model ("vae", "vqvae" or "autoencoder" bundle): encode, decode, reconstruct, score.

One wrapper gives the three kinds the same contract:
    encode(x) → latent   VAE: the posterior mean μ(x); VQ-VAE and VQ autoencoder: the pre-quantisation latent;
                         KL autoencoder: the posterior mean
    decode(z) → image    in [-1, 1] (VQ latents are snapped to their nearest codes first)
Latent diffusion works on `latent_scale · encode(x)` (latent_scale = 1 / std of latents, stored in the bundle).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from genvision.errors import GenvisionError
from genvision.models.bundle import Bundle, load_bundle

AUTOENCODING_KINDS = ("vae", "vqvae", "autoencoder")
SSIM_MIN_SIZE = 11


@dataclass
class AutoencodingModel:
    """A loaded VAE / VQ-VAE / autoencoder and what is needed to drive it."""

    net: nn.Module
    kind: str
    shape: tuple[int, int, int]
    latent_shape: tuple[int, ...]
    latent_scale: float
    class_names: list[str] | None
    device: torch.device

    @property
    def conditional(self) -> bool:
        return self.kind == "vae" and getattr(self.net, "num_classes", 0) > 0

    def _labels(self, labels: torch.Tensor | None, n: int) -> torch.Tensor | None:
        if not self.conditional:
            return None
        if labels is None or (labels < 0).any():
            raise GenvisionError("this is a conditional VAE: it needs class labels (use a labelled data reference)")
        return labels[:n].to(self.device)

    @torch.no_grad()
    def encode(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        x = x.to(self.device)
        if self.kind == "vae":
            return self.net.encode(x, self._labels(labels, len(x))).mean.float()
        return self.net.encode(x).float()

    @torch.no_grad()
    def decode(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        z = z.to(self.device)
        if self.kind == "vae":
            return self.net.decode(z, self._labels(labels, len(z))).float().clamp(-1, 1)
        return self.net.decode(z, quantize=True).float().clamp(-1, 1)

    def reconstruct(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.decode(self.encode(x, labels), labels)


def wrap_net(net: nn.Module, kind: str, shape: tuple[int, int, int], latent_scale: float = 1.0,
             class_names: list[str] | None = None) -> AutoencodingModel:
    """Wrap an in-memory network (e.g. during training) with the pipeline contract; puts it in eval mode."""
    device = next(net.parameters()).device
    latent_shape = tuple(net.latent_shape) if hasattr(net, "latent_shape") else (net.latent_dim,)
    return AutoencodingModel(net.eval(), kind, tuple(shape), latent_shape, latent_scale, class_names, device)


def load_autoencoding(ref: str | Path | Bundle, device: torch.device | str = "cpu") -> AutoencodingModel:
    """Open a "vae", "vqvae" or "autoencoder" bundle (folder or shipped name)."""
    bundle = ref if isinstance(ref, Bundle) else load_bundle(ref, kinds=AUTOENCODING_KINDS)
    if bundle.kind not in AUTOENCODING_KINDS:
        raise GenvisionError(f"{bundle.path} is a {bundle.kind!r} bundle; expected one of "
                             f"{', '.join(AUTOENCODING_KINDS)}")
    device = torch.device(device)
    net = bundle.component(bundle.kind, device)
    data = bundle.config.get("data", {})
    shape = tuple(data.get("shape") or (net.in_channels, net.image_size, net.image_size))
    model = wrap_net(net, bundle.kind, shape, float(bundle.config.get("latent_scale", 1.0)), data.get("class_names"))
    model.device = device
    return model


def in_batches(fn, x: torch.Tensor, labels: torch.Tensor | None = None, batch_size: int = 256) -> torch.Tensor:
    """fn(x[i:j], labels[i:j]) over batches, concatenated on the CPU."""
    out = [fn(x[i:i + batch_size], None if labels is None else labels[i:i + batch_size]).cpu()
           for i in range(0, len(x), batch_size)]
    return torch.cat(out)


def reconstruct(model: AutoencodingModel, images: torch.Tensor, labels: torch.Tensor | None = None,
                batch_size: int = 256) -> torch.Tensor:
    """decode(encode(x)) for images [N, C, H, W] in [-1, 1] → [N, C, H, W] in [-1, 1]."""
    check_shape(model, images)
    return in_batches(model.reconstruct, images, labels, batch_size)


def check_shape(model: AutoencodingModel, images: torch.Tensor) -> None:
    if tuple(images.shape[1:]) != tuple(model.shape):
        raise GenvisionError(f"this model takes images of shape {list(model.shape)} (C, H, W); got "
                             f"{list(images.shape[1:])}")


def reconstruction_metrics(originals: torch.Tensor, recons: torch.Tensor) -> dict[str, float]:
    """Mean PSNR (dB) and SSIM (images of at least 11x11) of reconstructions on [0, 1] images."""
    from genvision.metrics.image_quality import psnr, ssim

    p = psnr(originals, recons)
    finite = p[np.isfinite(p)]
    out = {"psnr": float(finite.mean()) if len(finite) else float("inf")}
    if min(originals.shape[-2:]) >= SSIM_MIN_SIZE:  # SSIM's 11x11 Gaussian window must fit in the image
        out["ssim"] = float(ssim(originals, recons).mean())
    return out


def codebook_metrics(model: AutoencodingModel, images: torch.Tensor, batch_size: int = 256) -> dict[str, float]:
    """Over a whole image set: the fraction of codes used and the perplexity exp(H) of code frequencies."""
    from genvision.models.quantizer import code_statistics, nearest_code

    quantizer = getattr(model.net, "quantizer", None)
    if quantizer is None:
        return {}
    latents = in_batches(lambda x, _: model.encode(x), images, None, batch_size)
    flat = latents.movedim(1, -1).reshape(-1, quantizer.code_dim)
    indices = nearest_code(flat, quantizer.codebook.detach().float().cpu())
    perplexity, usage = code_statistics(indices, quantizer.num_codes)
    return {"codebook_usage": float(usage), "codebook_perplexity": float(perplexity),
            "codebook_size": int(quantizer.num_codes)}


def load_eval_images(name: str, split: str, n: int, data_dir: str | None = None, image_size: int | None = None,
                     channels: int | None = None) -> tuple[torch.Tensor, torch.Tensor, str]:
    """The first `n` images (and labels) of `name:split`, falling back to the training split when the dataset has
    no such split; returns (images, labels, the reference actually used)."""
    from genvision.data import load_dataset
    from genvision.data.base import ArrayDataset

    for candidate in (split, "train"):
        try:
            ds = load_dataset(name, candidate, data_dir, image_size, channels, limit=n)
        except GenvisionError:
            continue
        if isinstance(ds, ArrayDataset):
            t = ds.tensors()
            return t["image_uint8"].float().div(127.5).sub(1.0), t["label"], f"{name}:{candidate}:0-{len(ds)}"
        items = [ds[i] for i in range(len(ds))]
        return (torch.stack([it["image"] for it in items]), torch.stack([it["label"] for it in items]),
                f"{name}:{candidate}:0-{len(ds)}")
    raise GenvisionError(f"no evaluation images: {name} has neither a {split!r} nor a 'train' split here")


def evaluate_autoencoding(model: AutoencodingModel, images: torch.Tensor, labels: torch.Tensor | None = None,
                          batch_size: int = 256) -> dict[str, float]:
    """PSNR/SSIM of reconstructions, codebook usage/perplexity (VQ) and the latent scale 1 / std(encode(x))."""
    recons = reconstruct(model, images, labels, batch_size)
    metrics = reconstruction_metrics(images, recons)
    metrics.update(codebook_metrics(model, images, batch_size))
    from genvision.pipelines.latents import compute_latent_scale

    metrics["latent_scale"] = compute_latent_scale(model, images, labels, batch_size)
    return metrics
