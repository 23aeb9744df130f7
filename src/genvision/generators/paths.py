"""Paths through a latent space between two codes, for interpolation figures.

    z(t) = (1 − t) z_a + t z_b                                                  (linear)
    z(t) = sin((1 − t)Ω)/sin Ω · z_a + sin(tΩ)/sin Ω · z_b,  cos Ω = ẑ_a·ẑ_b       (slerp)
for t = 0, 1/(steps − 1), …, 1. Four-corner bilinear grids (GANs) blend corners z₀₀, z₀₁, z₁₀, z₁₁ with
u = column / (steps − 1), v = row / (steps − 1):  (1 − u)(1 − v) z₀₀ + u (1 − v) z₀₁ + (1 − u) v z₁₀ + u v z₁₁.
"""

from __future__ import annotations

import numpy as np
import torch

from genvision.errors import GenvisionError


def lerp(z_a: torch.Tensor, z_b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """(1 − t) z_a + t z_b for each t → [len(t), *z_a.shape]."""
    t = t.view(-1, *([1] * z_a.dim())).to(z_a)
    return (1 - t) * z_a + t * z_b


def slerp(z_a: torch.Tensor, z_b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation on the flattened latents (falls back to lerp for (anti)parallel vectors)."""
    a, b = z_a.flatten().double(), z_b.flatten().double()
    cos = torch.dot(a, b) / (a.norm() * b.norm()).clamp_min(1e-12)
    omega = torch.arccos(cos.clamp(-1.0, 1.0))
    if omega.abs() < 1e-4 or (np.pi - omega).abs() < 1e-4:
        return lerp(z_a, z_b, t)
    t = t.double().view(-1, 1)
    path = (torch.sin((1 - t) * omega) * a + torch.sin(t * omega) * b) / torch.sin(omega)
    return path.view(len(t), *z_a.shape).to(z_a.dtype)


PATHS = {"linear": lerp, "slerp": slerp}


def latent_path(z_a: torch.Tensor, z_b: torch.Tensor, steps: int, method: str = "linear") -> torch.Tensor:
    """`steps` points from z_a to z_b (both included) → [steps, *z_a.shape]."""
    if method not in PATHS:
        raise GenvisionError(f"unknown interpolation method {method!r}; choose one of {', '.join(PATHS)}")
    if steps < 2:
        raise GenvisionError(f"--steps must be at least 2, got {steps}")
    return PATHS[method](z_a, z_b, torch.linspace(0.0, 1.0, steps))


def bilinear_weights(steps: int) -> torch.Tensor:
    """[steps, steps, 4] weights of the corners (z₀₀, z₀₁, z₁₀, z₁₁) at each grid cell; each cell sums to 1."""
    if steps < 2:
        raise GenvisionError(f"--steps must be at least 2, got {steps}")
    t = torch.linspace(0.0, 1.0, steps, dtype=torch.float64)
    v, u = torch.meshgrid(t, t, indexing="ij")  # v: row, u: column
    return torch.stack([(1 - u) * (1 - v), u * (1 - v), (1 - u) * v, u * v], dim=-1)


def blend_corners(corners: torch.Tensor, steps: int) -> torch.Tensor:
    """Bilinear grid between 4 corner vectors [4, D] → [steps², D] in row-major order (2 corners: a line)."""
    if corners.shape[0] == 2:
        return latent_path(corners[0], corners[1], steps)
    if corners.shape[0] != 4:
        raise GenvisionError(f"--corners must be 2 or 4, got {corners.shape[0]}")
    w = bilinear_weights(steps).reshape(-1, 4)
    return (w @ corners.double().flatten(1)).to(corners.dtype)
