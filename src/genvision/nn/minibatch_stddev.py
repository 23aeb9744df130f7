"""Minibatch standard deviation (Karras et al. 2018, ProGAN): a discriminator feature that sees diversity.

For groups of g samples, the std of every feature across the group, averaged over features and positions,
is appended as one more constant channel. A generator that collapses to a few modes gives a visibly smaller
std than real batches, so D can penalise the lack of variety that a per-image D cannot see.
"""

from __future__ import annotations

import torch


def minibatch_stddev(x: torch.Tensor, group_size: int = 4, num_channels: int = 1) -> torch.Tensor:
    """[N, C, H, W] → [N, C + num_channels, H, W]; channel f holds mean_{c,h,w} sqrt(Var_group(x) + 1e-8).

    The group is the largest size ≤ group_size that divides the batch, so any batch size works.
    """
    n, c, h, w = x.shape
    g = max(d for d in range(1, min(group_size, n) + 1) if n % d == 0)
    f = num_channels
    y = x.reshape(g, n // g, f, c // f, h, w).float()
    y = (y - y.mean(dim=0)).pow(2).mean(dim=0).add(1e-8).sqrt()  # [n/g, f, c/f, h, w]
    y = y.mean(dim=(2, 3, 4)).reshape(n // g, f, 1, 1).to(x.dtype)  # [n/g, f, 1, 1]
    y = y.repeat(g, 1, h, w)
    return torch.cat([x, y], dim=1)
