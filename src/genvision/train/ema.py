"""Exponential moving average of weights: θ_ema ← d·θ_ema + (1 − d)·θ, with warm-up d_n = min(d, (1+n)/(10+n))."""

from __future__ import annotations

import copy

import torch
import torch.nn as nn


class EMA:
    """An fp32 shadow copy of a network, updated with fused foreach ops; buffers are copied."""

    def __init__(self, net: nn.Module, decay: float = 0.999, warmup: bool = True):
        self.decay, self.warmup = decay, warmup
        self.model = copy.deepcopy(net).eval().requires_grad_(False)
        self.num_updates = 0

    def current_decay(self) -> float:
        if not self.warmup:
            return self.decay
        return min(self.decay, (1 + self.num_updates) / (10 + self.num_updates))

    @torch.no_grad()
    def update(self, net: nn.Module) -> None:
        decay = self.current_decay()
        ema_params = [p for p in self.model.parameters()]
        params = [p.detach() for p in net.parameters()]
        float_pairs = [(e, p) for e, p in zip(ema_params, params) if e.is_floating_point()]
        if float_pairs:
            torch._foreach_lerp_([e for e, _ in float_pairs], [p for _, p in float_pairs], 1.0 - decay)
        for e_buf, buf in zip(self.model.buffers(), net.buffers()):
            e_buf.copy_(buf)
        self.num_updates += 1

    def state_dict(self) -> dict:
        return {"model": self.model.state_dict(), "num_updates": self.num_updates}

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.num_updates = int(state["num_updates"])
