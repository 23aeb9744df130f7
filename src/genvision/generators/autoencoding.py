"""Autoencoding models ("vae", "vqvae", "autoencoder" bundles) behind one contract:

    ae = genvision.load("fashion-autoencoder")
    z = ae.encode(x)          # VAE: the posterior mean μ(x); VQ models: the pre-quantisation latent
    x2 = ae.decode(z)         # in [-1, 1]; VQ latents are snapped to their nearest codes first
    strip = ae.interpolate(x[0], x[1], steps=8, method="slerp")     # images [8, C, H, W]
    vae.interpolate(steps=8, seed=0)                                 # VAEs: between prior samples 0 and 1

Latent diffusion works on latent_scale · encode(x), with latent_scale = 1 / std(encode(x)) stored in the bundle.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import torch
import torch.nn as nn

from genvision.errors import GenvisionError
from genvision.generators.base import Generated, LoadedModel, batch_ranges, check_count, joined
from genvision.generators.guards import check_finite
from genvision.generators.noise import GeneratorArg, resolve_noise
from genvision.generators.paths import latent_path
from genvision.generators.saving import component_parts
from genvision.models.bundle import Bundle, BundleParts
from genvision.models.bundle_config import AUTOENCODING_KINDS, AutoencodingConfig, DataSpec
from genvision.models.quantizer import code_statistics, nearest_code
from genvision.runtime import sampling_dtype


class Autoencoder(LoadedModel):
    """A VAE, VQ-VAE or VQ/KL autoencoder with encode / decode / reconstruct / interpolate."""

    def __init__(self, spec: AutoencodingConfig, net: nn.Module, bundle: Bundle | None = None) -> None:
        super().__init__(spec, next(net.parameters()).device, bundle)
        self.spec: AutoencodingConfig = spec
        self.net: Any = net.eval()  # a registered VAE / VQ-VAE / autoencoder (encode, decode, latent_shape)

    def networks(self) -> dict[str, nn.Module]:
        return {self.kind: self.net}

    def bundle_parts(self) -> BundleParts:
        return BundleParts(self.spec, component_parts(self, self.networks()))

    @classmethod
    def wrap(
        cls,
        net: nn.Module,
        kind: str,
        shape: tuple[int, int, int],
        class_names: list[str] | None = None,
        latent_scale: float = 1.0,
    ) -> Autoencoder:
        """A network in memory (e.g. during training) with the same contract; puts it in eval mode."""
        module: Any = net
        latent = list(module.latent_shape) if hasattr(module, "latent_shape") else [module.latent_dim]
        spec = AutoencodingConfig(
            kind=kind,
            components=[kind],
            latent_shape=latent,
            latent_scale=latent_scale,
            data=DataSpec(shape=(shape[0], shape[1], shape[2]), class_names=class_names),
        )
        return cls(spec, net)

    @property
    def latent_shape(self) -> tuple[int, ...]:
        if self.spec.latent_shape:
            return tuple(self.spec.latent_shape)
        return tuple(self.net.latent_shape) if hasattr(self.net, "latent_shape") else (self.net.latent_dim,)

    @property
    def latent_scale(self) -> float:
        return float(self.spec.latent_scale)

    @property
    def num_classes(self) -> int:
        return int(getattr(self.net, "num_classes", 0) or 0) if self.kind == "vae" else 0

    @property
    def conditional(self) -> bool:
        return self.num_classes > 0

    def _labels(self, labels: torch.Tensor | None, n: int) -> torch.Tensor | None:
        if not self.conditional:
            return None
        if labels is None or (labels < 0).any():
            raise GenvisionError(
                "this is a conditional VAE: it needs class labels (use a labelled data reference)"
            )
        return labels[:n].to(self.device)

    @torch.no_grad()
    def encode(
        self, x: torch.Tensor, labels: torch.Tensor | None = None, batch_size: int = 256
    ) -> torch.Tensor:
        """Latents of images [N, C, H, W] in [-1, 1], in batches, on the CPU."""
        x = self.check_images(x)
        out = []
        for lo, hi in batch_ranges(len(x), batch_size):
            y = None if labels is None else labels[lo:hi]
            with self.autocast():
                if self.kind == "vae":
                    out.append(self.net.encode(x[lo:hi], self._labels(y, hi - lo)).mean.float().cpu())
                else:
                    out.append(self.net.encode(x[lo:hi]).float().cpu())
        return joined(out)

    @torch.no_grad()
    def decode(
        self, z: torch.Tensor, labels: torch.Tensor | None = None, batch_size: int = 256
    ) -> torch.Tensor:
        """Images in [-1, 1] (CPU) of latents [N, *latent_shape], in batches."""
        if not isinstance(z, torch.Tensor) or tuple(z.shape[1:]) != self.latent_shape:
            raise GenvisionError(
                f"latents must be [N, {', '.join(map(str, self.latent_shape))}]; got {list(z.shape)}"
            )
        check_finite("latents", z)
        out = []
        for lo, hi in batch_ranges(len(z), batch_size):
            zb = z[lo:hi].to(self.device).float()
            with self.autocast():
                if self.kind == "vae":
                    y = None if labels is None else labels[lo:hi]
                    out.append(self.net.decode(zb, self._labels(y, hi - lo)).float().clamp(-1, 1).cpu())
                else:
                    out.append(self.net.decode(zb, quantize=True).float().clamp(-1, 1).cpu())
        return joined(out)

    def reconstruct(
        self, x: torch.Tensor, labels: torch.Tensor | None = None, batch_size: int = 256
    ) -> Generated:
        """decode(encode(x)) for images [N, C, H, W] in [-1, 1]."""
        images = self.decode(self.encode(x, labels, batch_size), labels, batch_size)
        return Generated(images, info={"kind": self.kind, "latent": "x".join(map(str, self.latent_shape))})

    def sample(
        self,
        n: int,
        *,
        seed: int | None = None,
        generator: GeneratorArg = None,
        latents: torch.Tensor | None = None,
        label: int | str | list[int | str] | None = None,
        start: int = 0,
    ) -> Generated:
        """VAEs: decoded draws from the prior z ~ N(0, I); image k uses the generator of (seed, start + k), or
        `generator` / `latents` [n, *latent_shape] (genvision.generators.noise). A conditional VAE decodes class
        `label` (one for all, or a list of one per image), or class k mod C."""
        if self.kind != "vae":
            raise GenvisionError(
                f"{self.name} is a {self.kind!r} model without a prior to sample; sample a VAE, or "
                "a latent diffusion model trained on this autoencoder"
            )
        noise = resolve_noise(
            check_count(n), self.latent_shape, seed=seed, generator=generator, latents=latents, start=start
        )
        if not self.conditional and label is not None:
            raise GenvisionError(f"{self.name} is not class-conditional: drop the class")
        labels = self.labels_of(label, range(start, start + n)) if self.conditional else None
        return Generated(self.decode(noise.initial(), labels), info={"kind": self.kind, "prior": "N(0, I)"})

    def interpolate(
        self,
        a: torch.Tensor | None = None,
        b: torch.Tensor | None = None,
        *,
        steps: int = 8,
        method: str = "linear",
        seed: int = 0,
        label: int | str | torch.Tensor | None = None,
    ) -> Generated:
        """Decoded points [steps, C, H, W] of the latent path between the encodings of images a and b ([C, H, W]
        or [1, C, H, W]); a VAE given neither goes between its prior samples 0 and 1 of `seed`. A conditional VAE
        decodes class `label` (an index, a name or a one-element tensor)."""
        if isinstance(label, (int, str)):
            label = torch.tensor([self.label_index(label)])
        labels = None if label is None else label.reshape(1).repeat(steps)
        if a is None and b is None and self.kind == "vae":
            z_a, z_b = resolve_noise(2, self.latent_shape, seed=seed).initial()
        elif a is None or b is None:
            raise GenvisionError(f"{self.name} interpolates between two images: give both a and b")
        else:
            a, b = (v if v.ndim == 4 else v[None] for v in (a, b))
            first = None if labels is None else labels[:1]
            z_a, z_b = self.encode(a, first)[0], self.encode(b, first)[0]
        path = latent_path(z_a, z_b, steps, method)
        return Generated(self.decode(path, labels), info={"method": method, "steps": steps})

    def codebook_metrics(self, images: torch.Tensor, batch_size: int = 256) -> dict[str, float]:
        """Over an image set: the fraction of codes used and the perplexity exp(H) of code frequencies (VQ)."""
        quantizer = getattr(self.net, "quantizer", None)
        if quantizer is None:
            return {}
        latents = self.encode(images, batch_size=batch_size)
        flat = latents.movedim(1, -1).reshape(-1, quantizer.code_dim)
        indices = nearest_code(flat, quantizer.codebook.detach().float().cpu())
        perplexity, usage = code_statistics(indices, quantizer.num_codes)
        return {
            "codebook_usage": float(usage),
            "codebook_perplexity": float(perplexity),
            "codebook_size": int(quantizer.num_codes),
        }

    def latent_scale_of(self, images: torch.Tensor, labels: torch.Tensor | None = None) -> float:
        """s = 1 / std(encode(x)) over a data sample (Rombach et al. 2022, §G)."""
        std = float(self.encode(images, labels).double().std())
        if not np.isfinite(std) or std <= 0:
            raise GenvisionError(
                f"latents have std {std}; cannot compute a latent scale (is the model trained?)"
            )
        return 1.0 / std


def load_autoencoder(
    bundle: Bundle, device: torch.device | str = "cpu", precision: str = "auto"
) -> Autoencoder:
    """Open a "vae", "vqvae" or "autoencoder" bundle."""
    if bundle.kind not in AUTOENCODING_KINDS:
        raise GenvisionError(
            f"{bundle.path} is a {bundle.kind!r} bundle; expected one of {', '.join(AUTOENCODING_KINDS)}"
        )
    model = Autoencoder(cast(AutoencodingConfig, bundle.spec), bundle.component(bundle.kind, device), bundle)
    model.autocast_dtype = sampling_dtype(precision, torch.device(device))
    return model
