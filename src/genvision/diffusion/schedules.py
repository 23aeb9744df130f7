"""Noise schedules β_t and every quantity derived from them.

Timesteps are 0-indexed: t ∈ {0, …, T-1} is the paper's t+1, and t = -1 stands for clean data (ᾱ = 1).
Everything is computed in float64 and stored in float32:

    α_t = 1 - β_t,   ᾱ_t = ∏_{s≤t} α_s
    β̃_t = β_t (1 - ᾱ_{t-1}) / (1 - ᾱ_t)                          (posterior variance, 0 at t = 0)
    μ̃_t(x_t, x_0) = c0_t x_0 + ct_t x_t,
        c0_t = β_t √ᾱ_{t-1} / (1 - ᾱ_t),  ct_t = √α_t (1 - ᾱ_{t-1}) / (1 - ᾱ_t)
    log β̃_t is clipped at t = 0 to log β̃_1 (as in DDPM / improved DDPM, where β̃_0 = 0).

Lookups take an int64 tensor t [B] on the schedule's device and never leave it (no host syncs).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch

from genvision.errors import GenvisionError

SCHEDULES = ("linear", "scaled_linear", "cosine")


@dataclass(frozen=True)
class ScheduleConfig:
    """All settings of a schedule; stored as `schedule` in a DDPM bundle's config."""

    name: str = "linear"
    num_timesteps: int = 1000
    beta_start: float = 1e-4
    beta_end: float = 0.02
    cosine_s: float = 0.008
    max_beta: float = 0.999

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ScheduleConfig:
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise GenvisionError(
                f"unknown schedule setting {sorted(unknown)[0]!r}; "
                f"valid: {', '.join(cls.__dataclass_fields__)}"
            )
        return cls(**data)


def make_betas(cfg: ScheduleConfig) -> torch.Tensor:
    """β_1..β_T in float64.

    linear:        β linearly from beta_start·k to beta_end·k, k = 1000/T (DDPM: 1e-4 → 0.02 at T = 1000;
                   improved DDPM's rescaling keeps ᾱ_{T-1} ≈ 4e-5 — pure noise — for any T), β ≤ max_beta
    scaled_linear: √β linearly from √beta_start to √beta_end (Stable Diffusion's schedule)
    cosine:        ᾱ(t) = f(t)/f(0), f(t) = cos²(((t/T + s)/(1 + s)) π/2); β_t = min(1 - ᾱ_t/ᾱ_{t-1}, max_beta)
    """
    T = cfg.num_timesteps
    if T < 1:
        raise GenvisionError(f"schedule num_timesteps must be >= 1, got {T}")
    if cfg.name == "linear":
        k = 1000 / T
        return torch.linspace(cfg.beta_start * k, cfg.beta_end * k, T, dtype=torch.float64).clamp(
            max=cfg.max_beta
        )
    if cfg.name == "scaled_linear":
        return torch.linspace(cfg.beta_start**0.5, cfg.beta_end**0.5, T, dtype=torch.float64) ** 2
    if cfg.name == "cosine":
        steps = torch.arange(T + 1, dtype=torch.float64) / T
        f = torch.cos((steps + cfg.cosine_s) / (1 + cfg.cosine_s) * math.pi / 2) ** 2
        alpha_bar = f / f[0]
        return (1 - alpha_bar[1:] / alpha_bar[:-1]).clamp(max=cfg.max_beta)
    raise GenvisionError(f"unknown noise schedule {cfg.name!r}: choose one of {', '.join(SCHEDULES)}")


class NoiseSchedule:
    """Precomputed schedule tensors (float32) with batched lookups by integer timestep.

    `alpha_bar(t)` accepts t ∈ {-1, …, T-1}; t = -1 gives ᾱ = 1 (clean data), which samplers use as the
    target of their final step.
    """

    def __init__(self, cfg: ScheduleConfig | None = None, device: torch.device | str = "cpu", **settings):
        self.config = cfg if cfg is not None else ScheduleConfig(**settings)
        betas = make_betas(self.config)
        alphas = 1 - betas
        alpha_bar = torch.cumprod(alphas, 0)
        alpha_bar_prev = torch.cat([torch.ones(1, dtype=torch.float64), alpha_bar[:-1]])
        post_var = betas * (1 - alpha_bar_prev) / (1 - alpha_bar)
        post_var_clipped = torch.cat([post_var[1:2], post_var[1:]]) if len(post_var) > 1 else post_var
        tensors = {
            "betas": betas,
            "alphas": alphas,
            "alpha_bar": alpha_bar,
            # index t + 1 holds ᾱ_t, index 0 holds ᾱ_{-1} = 1
            "alpha_bar_ext": torch.cat([torch.ones(1, dtype=torch.float64), alpha_bar]),
            "posterior_variance": post_var,
            "posterior_log_variance_clipped": torch.log(post_var_clipped),
            "posterior_mean_coef_x0": betas * alpha_bar_prev.sqrt() / (1 - alpha_bar),
            "posterior_mean_coef_xt": alphas.sqrt() * (1 - alpha_bar_prev) / (1 - alpha_bar),
        }
        self.device = torch.device(device)
        for name, value in tensors.items():
            setattr(self, name, value.to(device=self.device, dtype=torch.float32))
        # samplers form step coefficients such as 1 - ᾱ_t/ᾱ_s in float64, where float32 would cancel
        self.alpha_bar_ext64 = tensors["alpha_bar_ext"].to(self.device)

    @property
    def num_timesteps(self) -> int:
        return self.config.num_timesteps

    @classmethod
    def from_dict(cls, data: dict, device: torch.device | str = "cpu") -> NoiseSchedule:
        return cls(ScheduleConfig.from_dict(data), device=device)

    def to_dict(self) -> dict:
        return self.config.to_dict()

    def to(self, device: torch.device | str) -> NoiseSchedule:
        """This schedule with its tensors on `device` (self when already there)."""
        device = torch.device(device)
        return self if device == self.device else NoiseSchedule(self.config, device=device)

    # --- lookups: t is an int64 tensor [B]; results are shaped [B, 1, ..., 1] to broadcast against x -----
    @staticmethod
    def _gather(values: torch.Tensor, index: torch.Tensor, ndim: int) -> torch.Tensor:
        return values.index_select(0, index.reshape(-1)).reshape(-1, *([1] * (ndim - 1)))

    def lookup(self, name: str, t: torch.Tensor, ndim: int = 4) -> torch.Tensor:
        """`getattr(self, name)[t]` reshaped to broadcast against an ndim-dimensional batch."""
        return self._gather(getattr(self, name), t, ndim)

    def alpha_bar_at(self, t: torch.Tensor, ndim: int = 4, float64: bool = False) -> torch.Tensor:
        """ᾱ_t for t ∈ {-1, …, T-1} (ᾱ_{-1} = 1); `float64` for sampler coefficients."""
        return self._gather(self.alpha_bar_ext64 if float64 else self.alpha_bar_ext, t + 1, ndim)

    def snr(self, t: torch.Tensor) -> torch.Tensor:
        """Signal-to-noise ratio ᾱ_t / (1 - ᾱ_t), shape [B] (formed in float64: 1 - ᾱ cancels near t = 0)."""
        a = self.alpha_bar_ext64.index_select(0, t.reshape(-1) + 1)
        return (a / (1 - a)).float()

    def validate_timesteps(self, t: torch.Tensor) -> None:
        """Raise if any t lies outside {0, …, T-1} (a host sync: for inputs, not inner loops)."""
        if t.dtype != torch.int64:
            raise GenvisionError(f"timesteps must be int64, got {t.dtype}")
        if t.numel() and (int(t.min()) < 0 or int(t.max()) >= self.num_timesteps):
            raise GenvisionError(f"timesteps must lie in [0, {self.num_timesteps - 1}]")

    def __repr__(self) -> str:
        c = self.config
        return f"NoiseSchedule({c.name}, T={c.num_timesteps}, device={self.device})"


def as_timesteps(t: int | torch.Tensor, batch: int, device: torch.device) -> torch.Tensor:
    """An int64 tensor [batch] from an int or a tensor (broadcast when it has one element)."""
    if isinstance(t, torch.Tensor):
        t = t.to(device=device, dtype=torch.int64).reshape(-1)
        return t.expand(batch) if t.numel() == 1 else t
    return torch.full((batch,), int(t), dtype=torch.int64, device=device)
