"""Where a run's randomness comes from: `seed=`, `generator=` or given `latents=`, the same rule for every model.

    m.sample(4, seed=7)                                          # image k: the generator of (7, start + k)
    m.sample(4, generator=torch.Generator().manual_seed(7))      # one generator: all initial noise, in order
    m.sample(4, generator=[torch.Generator().manual_seed(i) for i in range(4)])   # one generator per image
    m.sample(4, latents=z)                                       # z [4, *m.latent_shape]: the initial noise itself

The rules (initial noise: x_T of a diffusion model, z of a GAN, VAE or StyleGAN):
    seed=s                  image k draws everything from the generator of (s, start + k) (genvision.seeding), so
                            image k never depends on n or the batch size; the default is seed 0
    generator=[g_0 … g_N-1] image k draws everything from g_k (CPU generators): the seed rule with your generators
    generator=g             the initial noise of all N images is ONE draw torch.randn([N, *shape], generator=g) made
                            before the first batch (diffusers' rule); a stochastic sampler's later noise is then
                            drawn from g batch by batch, so those images depend on the batch size
    latents=z               z [N, *shape] is the initial noise (moved to the model's device as float32); later noise
                            comes from `seed` or `generator` as above
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from genvision.errors import GenvisionError
from genvision.seeding import PerImageRNG, image_seed

GeneratorArg = torch.Generator | Sequence[torch.Generator] | None
BatchRNG = PerImageRNG | torch.Generator  # what the samplers' `noise=` takes (diffusion.samplers.base)


@dataclass
class Noise:
    """The resolved randomness of a run of n images whose initial noise has shape [n, *shape]."""

    n: int
    shape: tuple[int, ...]
    seed: int = 0
    start: int = 0
    generators: list[torch.Generator] | None = None  # one per image
    shared: torch.Generator | None = None  # one for the whole run
    latents: torch.Tensor | None = None  # [n, *shape] on the CPU: given, or drawn up front from `shared`

    def rng(self, lo: int, hi: int, device: torch.device, stream: int | None = None) -> BatchRNG:
        """The generator(s) of images lo … hi-1; `stream` derives a second independent seed (seed rule only)."""
        if self.shared is not None:
            return self.shared
        if self.generators is not None:
            return PerImageRNG.from_generators(self.generators[lo:hi], device)
        seed = self.seed if stream is None else image_seed(self.seed, stream)
        return PerImageRNG(seed, range(self.start + lo, self.start + hi), device)

    def batch(self, lo: int, hi: int, device: torch.device) -> tuple[torch.Tensor, BatchRNG]:
        """(initial noise [hi - lo, *shape] on `device`, the generator(s) for the batch's later draws)."""
        rng = self.rng(lo, hi, device)
        if self.latents is not None:
            return self.latents[lo:hi].to(device), rng
        assert isinstance(rng, PerImageRNG)  # a shared generator always has its latents drawn up front
        return rng.randn(*self.shape), rng

    def initial(self, device: torch.device | str = "cpu") -> torch.Tensor:
        """The initial noise of all n images [n, *shape] (for models that draw nothing else)."""
        return self.batch(0, self.n, torch.device(device))[0]


def resolve_noise(
    n: int,
    shape: Sequence[int],
    *,
    seed: int | None = None,
    generator: GeneratorArg = None,
    latents: torch.Tensor | None = None,
    start: int = 0,
) -> Noise:
    """Check `seed` / `generator` / `latents` for a run of n images with initial noise [n, *shape]; see the rules
    in the module docstring. Bad types or shapes are one-line GenvisionErrors."""
    shape = tuple(int(s) for s in shape)
    if seed is not None and generator is not None:
        raise GenvisionError("give seed= or generator=, not both")
    seed = 0 if seed is None else seed
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise GenvisionError(f"seed must be an integer, got {seed!r}")
    if isinstance(start, bool) or not isinstance(start, int) or start < 0:
        raise GenvisionError(f"start must be an integer >= 0, got {start!r}")
    noise = Noise(n, shape, seed=seed, start=start, latents=check_latents(latents, n, shape))
    if generator is None:
        return noise
    if isinstance(generator, torch.Generator):
        noise.shared = generator
        if noise.latents is None:
            noise.latents = torch.randn((n, *shape), generator=generator, device=generator.device).cpu()
        return noise
    if isinstance(generator, (list, tuple)) and all(isinstance(g, torch.Generator) for g in generator):
        if len(generator) != n:
            raise GenvisionError(f"{len(generator)} generators for {n} images: give one, or one per image")
        if any(g.device.type != "cpu" for g in generator):
            raise GenvisionError("per-image generators must be CPU generators (torch.Generator())")
        noise.generators = list(generator)
        return noise
    raise GenvisionError(
        f"generator must be a torch.Generator or a list of them (one per image), got {type(generator).__name__}"
    )


def check_latents(latents: object, n: int, shape: tuple[int, ...]) -> torch.Tensor | None:
    """Given initial noise as float32 on the CPU, [n, *shape] exactly (None stays None)."""
    if latents is None:
        return None
    want = f"[{', '.join(map(str, (n, *shape)))}]"
    if not isinstance(latents, torch.Tensor):
        raise GenvisionError(f"latents must be a float tensor {want}, got {type(latents).__name__}")
    if tuple(latents.shape) != (n, *shape):
        raise GenvisionError(f"latents must be {want} (one per image), got {list(latents.shape)}")
    if not latents.is_floating_point():
        raise GenvisionError(f"latents must be float noise, got {str(latents.dtype).replace('torch.', '')}")
    if not torch.isfinite(latents).all():
        raise GenvisionError("latents contain NaN or infinite values")
    return latents.detach().float().cpu()
