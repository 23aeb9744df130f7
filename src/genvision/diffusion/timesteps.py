"""Which timesteps a sampler visits: descending t_0 > t_1 > … > t_{n-1}, then clean data (t = -1).

For T training steps and n sampling steps (Lin et al. 2024, "Common Diffusion Noise Schedules and Sample
Steps are Flawed", table 2):
    leading:  t_i = (n-1-i) ⌊T/n⌋                 (DDIM paper; never visits T-1)
    trailing: t_i = round(T - i T/n) - 1          (starts at T-1; the default)
    linspace: t_i = round((T-1)(1 - i/(n-1)))      (starts at T-1, ends at 0)
Each step goes from t_i to t_{i+1}, read from this list — never t_i - ⌊T/n⌋, which for trailing and linspace
spacing lands on timesteps the sequence never visits — and the last step goes to t = -1, ᾱ = 1: x_0 itself.
"""

from __future__ import annotations

import torch

from genvision.errors import GenvisionError

SPACINGS = ("leading", "trailing", "linspace")


def check_steps(steps: int, num_timesteps: int) -> int:
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= num_timesteps:
        raise GenvisionError(
            f"steps must be an integer in [1, {num_timesteps}] for this schedule, got {steps!r}"
        )
    return steps


def sampling_timesteps(num_timesteps: int, steps: int, spacing: str = "trailing") -> list[int]:
    """The descending timesteps a `steps`-step sampler visits (without the final -1)."""
    T = num_timesteps
    check_steps(steps, T)
    if spacing == "leading":
        ts = [(steps - 1 - i) * (T // steps) for i in range(steps)]
    elif spacing == "trailing":
        ts = [round(T - i * T / steps) - 1 for i in range(steps)]
    elif spacing == "linspace":
        ts = [T - 1] if steps == 1 else [round((T - 1) * (1 - i / (steps - 1))) for i in range(steps)]
    else:
        raise GenvisionError(f"unknown timestep spacing {spacing!r}: choose one of {', '.join(SPACINGS)}")
    assert all(a > b for a, b in zip(ts, ts[1:])) and 0 <= ts[-1] and ts[0] <= T - 1, ts
    return ts


def timestep_pairs(num_timesteps: int, steps: int, spacing: str = "trailing") -> list[tuple[int, int]]:
    """(t, t_prev) for every step; the last pair ends at t_prev = -1 (clean data)."""
    ts = sampling_timesteps(num_timesteps, steps, spacing)
    return list(zip(ts, ts[1:] + [-1]))


def pairs_tensor(pairs: list[tuple[int, int]], device: torch.device | str) -> torch.Tensor:
    """The pairs as one int64 tensor [n, 2] on `device`, so a loop can index it without host syncs."""
    return torch.tensor(pairs, dtype=torch.int64, device=device).reshape(-1, 2)
