"""A toy bundle kind "toy", its training family and a sampler, registered with genvision by entry points only.

Image k of a run seeded with s is a fixed function of the seed:  x_k = clamp(ℓ + σ ε_k, −1, 1),  ε_k ~ N(0, I)
from the generator of (s, k) (genvision.seeding.PerImageRNG), with one learnt parameter ℓ per channel and the
bundle's σ. Training fits ℓ by L = mean((ℓ − x)²) over real images x, whose minimiser is the data's mean pixel.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import torch
import torch.nn as nn

from genvision.diffusion.samplers import Sampler, ddim_sample
from genvision.generators import Generated, LoadedModel
from genvision.models.bundle import Bundle, BundleParts
from genvision.models.bundle_config import BundleConfig, DataSpec
from genvision.models.kinds import ModelKind
from genvision.models.registry import register_model
from genvision.seeding import PerImageRNG
from genvision.train.families import Family
from genvision.train.recipe import Recipe


@register_model
class ToyNet(nn.Module):
    """x = clamp(ℓ + σ ε): the learnt level ℓ [C] plus the given noise σ ε [N, C, H, W]."""

    def __init__(self, channels: int = 1):
        super().__init__()
        self.level = nn.Parameter(torch.zeros(channels))

    def forward(self, noise: torch.Tensor) -> torch.Tensor:
        return (self.level.view(1, -1, 1, 1) + noise).clamp(-1, 1)


@dataclass
class ToyConfig(BundleConfig):
    """config.json of a "toy" bundle: the common keys and the noise scale σ."""

    KINDS: ClassVar[tuple[str, ...]] = ("toy",)
    sigma: float = 0.1


class Toy(LoadedModel):
    """A loaded "toy" bundle."""

    def __init__(self, spec: ToyConfig, net: nn.Module, bundle: Bundle | None = None) -> None:
        super().__init__(spec, next(net.parameters()).device, bundle)
        self.spec: ToyConfig = spec
        self.net = net.eval()

    @torch.no_grad()
    def sample(
        self, n: int, *, seed: int = 0, label: int | str | None = None, batch_size: int = 256
    ) -> Generated:
        """n images; image k = clamp(ℓ + σ ε) with ε from the generator of (seed, k); `label` is ignored."""
        eps = PerImageRNG(seed, range(n), self.device).randn(*self.image_shape)
        return Generated(self.net(self.spec.sigma * eps).float().cpu(), info={"kind": "toy", "seed": seed})


def load_toy(bundle: Bundle, device: torch.device | str = "cpu", precision: str = "fp32") -> Toy:
    return Toy(bundle.spec, bundle.component("toy", device), bundle)


@dataclass
class ToyModelConfig:
    """The `model:` section: nothing to choose."""


@dataclass
class ToyRecipeConfig:
    """The `recipe:` section."""

    sigma: float = 0.1  # σ written to the bundle


class ToyTraining(Recipe):
    ema_modules = ()  # the exported ℓ is the trained one

    def build(self) -> dict[str, nn.Module]:
        return {"toy": ToyNet(channels=self.info.shape[0])}

    def loss(self, phase, batch, nets, gen, step):
        x = batch["image"]
        loss = (nets["toy"](torch.zeros_like(x)) - x).pow(2).mean()
        return loss, {}

    def preview(self, nets, n, seed):
        eps = PerImageRNG(seed, range(n), self.device).randn(*self.info.shape)
        return nets["toy"](self.cfg.recipe.sigma * eps)

    def bundle(self, nets: dict[str, nn.Module], folder: Path) -> BundleParts:
        level = nets["toy"].level.detach()
        config = ToyConfig(
            kind="toy",
            data=DataSpec.from_json(self.info.to_json()),
            metrics={"level": level.tolist()},
            sigma=self.cfg.recipe.sigma,
        )
        return BundleParts(config, {"toy": nets["toy"]})


def _toy_ddim(model_fn, schedule, x_T, *, prediction="eps", steps=10, **options):
    """Deterministic DDIM (η = 0) under another name: a sampler that comes from another package."""
    return ddim_sample(model_fn, schedule, x_T, prediction=prediction, steps=steps, eta=0.0, **options)


# what the `genvision.samplers` entry point names: one row of genvision's sampler table
toy_ddim = Sampler(
    name="toy-ddim", sample=_toy_ddim, default_steps=10, description="DDIM (eta 0), from a plugin"
)


KIND = ModelKind("toy", loader=load_toy, networks=(ToyNet,), config=ToyConfig)
FAMILY = Family("toy", ToyTraining, ToyModelConfig, ToyRecipeConfig)
