"""GAN generators ("dcgan", "cgan" bundles): sampling, four-corner interpolation, 2-D slices of z.

    g = genvision.load("fashion-cgan")
    g.sample(16, seed=0, label="bag").images       # image k uses z from the generator of (seed, k)
    g.sample(4, generator=torch.Generator().manual_seed(0), label=["bag", "coat", 1, 2])   # see generators.noise
    g.interpolate(steps=8).images                  # a strip between noise samples 0 and 1 of the seed
    g.interpolate(z_a, z_b, steps=8).images        # … between two given z [z_dim]
    g.interpolate(corners=4, steps=8).images       # 8 × 8 bilinear grid between 4 noise samples

For a conditional GAN without a fixed class, image k gets class k mod C; interpolation corners get classes
0, 1, 2, 3 and their label embeddings are blended with the same weights, so the grid morphs between classes.
"""

from __future__ import annotations

from typing import Any, cast

import torch
import torch.nn as nn

from genvision.errors import GenvisionError
from genvision.generators.base import Generated, LoadedModel, batch_ranges, check_count, joined
from genvision.generators.noise import GeneratorArg, resolve_noise
from genvision.generators.paths import blend_corners, latent_path
from genvision.generators.saving import component_parts
from genvision.models.bundle import Bundle, BundleParts
from genvision.models.bundle_config import GAN_KINDS, DataSpec, GanConfig
from genvision.runtime import sampling_dtype
from genvision.seeding import PerImageRNG


class GAN(LoadedModel):
    """A loaded (conditional) GAN generator."""

    def __init__(self, spec: GanConfig, generator: nn.Module, bundle: Bundle | None = None) -> None:
        super().__init__(spec, next(generator.parameters()).device, bundle)
        self.spec: GanConfig = spec
        self.generator: Any = generator.eval()  # a registered generator (embed, from_embedding for a cGAN)

    def networks(self) -> dict[str, nn.Module]:
        return {"generator": self.generator}

    def bundle_parts(self) -> BundleParts:
        return BundleParts(self.spec, component_parts(self, self.networks(), stored=("discriminator",)))

    @classmethod
    def wrap(
        cls,
        generator: nn.Module,
        kind: str,
        z_dim: int,
        shape: tuple[int, int, int],
        class_names: list[str] | None = None,
    ) -> GAN:
        """A generator in memory (e.g. during training) with the same contract."""
        spec = GanConfig(
            kind=kind,
            components=["generator"],
            z_dim=z_dim,
            data=DataSpec(shape=(shape[0], shape[1], shape[2]), class_names=class_names),
        )
        return cls(spec, generator)

    @property
    def conditional(self) -> bool:
        return self.kind == "cgan"

    @property
    def num_classes(self) -> int:
        return int(getattr(self.generator, "num_classes", 0)) if self.conditional else 0

    @property
    def z_dim(self) -> int:
        return int(self.spec.z_dim)

    def noise(self, seed: int, indices: range | list[int]) -> torch.Tensor:
        """z for each image index: [len(indices), z_dim], one generator per image."""
        return PerImageRNG(seed, list(indices), "cpu").randn(self.z_dim)

    @torch.no_grad()
    def generate(
        self,
        z: torch.Tensor,
        labels: torch.Tensor | None = None,
        label_embedding: torch.Tensor | None = None,
        batch_size: int = 256,
    ) -> torch.Tensor:
        """G(z), G(z, y) or G([z; e]) in [-1, 1] on the CPU, in batches."""
        if self.conditional and labels is None and label_embedding is None:
            raise GenvisionError("this conditional GAN needs class labels")
        out = []
        for lo, hi in batch_ranges(len(z), batch_size):
            zb = z[lo:hi].to(self.device)
            with self.autocast():
                if not self.conditional:
                    x = self.generator(zb)
                elif label_embedding is not None:
                    x = self.generator.from_embedding(zb, label_embedding[lo:hi].to(self.device))
                else:
                    assert labels is not None
                    x = self.generator(zb, labels[lo:hi].to(self.device))
            out.append(x.float().clamp(-1, 1).cpu())
        return joined(out)

    def sample(
        self,
        n: int,
        *,
        seed: int | None = None,
        generator: GeneratorArg = None,
        latents: torch.Tensor | None = None,
        label: int | str | list[int | str] | None = None,
        start: int = 0,
        batch_size: int = 256,
    ) -> Generated:
        """n images; image k uses noise (seed, start + k), or `generator` / `latents` z [n, z_dim] (the rules:
        genvision.generators.noise). `label`: one class for all, a list of one per image, or None (class k mod C)."""
        noise = resolve_noise(
            check_count(n), (self.z_dim,), seed=seed, generator=generator, latents=latents, start=start
        )
        labels = self.labels_of(label, range(start, start + n))
        images = self.generate(noise.initial(), labels, batch_size=batch_size)
        info: dict[str, object] = {"kind": self.kind}
        if label is not None and not isinstance(label, list):
            info["class"] = self.label_index(label)
        return Generated(images, info=info)

    def interpolate(
        self,
        a: torch.Tensor | None = None,
        b: torch.Tensor | None = None,
        *,
        steps: int = 8,
        method: str = "linear",
        seed: int = 0,
        label: int | str | None = None,
        corners: int = 2,
    ) -> Generated:
        """Images along the path from z `a` to z `b` ([z_dim] each; default: noise samples 0 and 1 of `seed`):
        `steps` images [steps, C, H, W]. `corners=4`: a steps × steps bilinear grid between noise samples
        0 … 3 [steps², C, H, W]. A conditional GAN without `label` blends the class embeddings of classes 0, 1
        (2, 3) with the same weights."""
        if corners not in (2, 4):
            raise GenvisionError(f"--corners must be 2 or 4, got {corners}")
        if corners == 4 and method != "linear":
            raise GenvisionError(
                f"--corners 4 blends bilinearly; --method {method} applies only to --corners 2"
            )
        class_index = self.label_index(label)
        corner_z = self.noise(seed, range(corners))
        if a is not None or b is not None:
            if corners != 2 or a is None or b is None:
                raise GenvisionError("give both ends a and b (z vectors), and no corners=4, or neither")
            corner_z = torch.stack([self._z_vector(a), self._z_vector(b)])
        z = (
            latent_path(corner_z[0], corner_z[1], steps, method)
            if corners == 2
            else blend_corners(corner_z, steps)
        )
        if not self.conditional:
            images = self.generate(z)
        elif class_index is not None:
            images = self.generate(z, labels=torch.full((len(z),), class_index, dtype=torch.int64))
        else:
            corner_labels = torch.arange(corners) % self.num_classes
            embeddings = self.generator.embed(corner_labels.to(self.device)).detach().cpu()
            path = (
                latent_path(embeddings[0], embeddings[1], steps, method)
                if corners == 2
                else blend_corners(embeddings, steps)
            )
            images = self.generate(z, label_embedding=path)
        return Generated(images, info={"corners": corners, "steps": steps, "nrow": steps})

    def _z_vector(self, z: torch.Tensor) -> torch.Tensor:
        if not isinstance(z, torch.Tensor) or z.reshape(-1).shape != (self.z_dim,):
            shown = list(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
            raise GenvisionError(
                f"an end of the path is a z vector [{self.z_dim}], got {shown} (corners= and steps= are keywords)"
            )
        return z.reshape(-1).float().cpu()

    def z_slice(
        self,
        steps: int = 8,
        seed: int = 0,
        dims: tuple[int, int] | None = None,
        extent: float | None = None,
        label: int | str | None = None,
    ) -> torch.Tensor:
        """G over a 2-D slice of z, [steps², C, H, W] (rows: first coordinate, columns: second).

        Default: the plane through the origin spanned by noise samples z₁, z₂ (images 0 and 1 of `seed`),
        z(a, b) = a z₁ + b z₂ with a, b ∈ [−extent, extent] (extent 1). With `dims`: z₁ with coordinates
        dims[0], dims[1] set on [−extent, extent]² (extent 2.5)."""
        t = torch.linspace(-1.0, 1.0, steps)
        rows, cols = (m.flatten() for m in torch.meshgrid(t, t, indexing="ij"))
        if dims is None:
            z1, z2 = self.noise(seed, range(2))
            e = 1.0 if extent is None else extent
            z = e * (rows[:, None] * z1 + cols[:, None] * z2)
        else:
            if any(not 0 <= d < self.z_dim for d in dims) or dims[0] == dims[1]:
                raise GenvisionError(f"slice dims {dims} must be two different indices in [0, {self.z_dim})")
            e = 2.5 if extent is None else extent
            z = self.noise(seed, [0]).repeat(steps * steps, 1)
            z[:, dims[0]], z[:, dims[1]] = e * rows, e * cols
        class_index = self.label_index(label)
        labels = None
        if self.conditional:
            labels = torch.full((len(z),), class_index if class_index is not None else 0, dtype=torch.int64)
        return self.generate(z, labels)


def load_gan(bundle: Bundle, device: torch.device | str = "cpu", precision: str = "auto") -> GAN:
    """Open a "dcgan" or "cgan" bundle."""
    if bundle.kind not in GAN_KINDS:
        raise GenvisionError(
            f"{bundle.path} is a {bundle.kind!r} bundle; expected one of {', '.join(GAN_KINDS)}"
        )
    model = GAN(cast(GanConfig, bundle.spec), bundle.component("generator", device), bundle)
    model.autocast_dtype = sampling_dtype(precision, torch.device(device))
    return model
