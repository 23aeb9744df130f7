"""Nearest-code vector quantiser with a straight-through gradient (van den Oord et al., 2017).

    k(x) = argmin_j ‖z_e(x) − e_j‖²,    z_q = e_k,    forward value z_q, gradient ∂L/∂z_e := ∂L/∂z_q

Distances use ‖z − e‖² = ‖z‖² − 2 z·e + ‖e‖² in row chunks, so 8192+ codes never build an [N, K, D] tensor
(‖z‖² is the same for every code of a row and is left out of the argmin).

Optional EMA codebook (van den Oord et al., appendix A.1), with n_j the batch counts of code j:
    N_j ← γ N_j + (1 − γ) n_j,    m_j ← γ m_j + (1 − γ) Σ_{i: k_i = j} z_i,
    Ñ_j = (N_j + ε) / (Σ N + K ε) · Σ N   (Laplace smoothing),    e_j = m_j / Ñ_j
The EMA counts N_j are kept in both modes; codes whose N_j falls below `dead_threshold` are restarted from random
encoder outputs of the current batch every `restart_every` training steps.

The EMA codebook starts as if each initial code had been seen once, N_j = 1 and m_j = e_j (as a restarted code does).
Starting from N_j = 0 with m_j = e_j instead makes every code that the first batches do not choose jump to
γ e_j / ε, 10⁵ times its size with ε = 1e-5, where it stays dead. Without EMA, N_j starts at 0 ("never used").
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F

DISTANCE_BUDGET = 1 << 24  # distance entries per chunk (64 MB in fp32)


def nearest_code(flat: torch.Tensor, codebook: torch.Tensor, chunk_rows: int | None = None) -> torch.Tensor:
    """argmin_j ‖z_i − e_j‖² for each row of `flat` [N, D] against `codebook` [K, D] → indices [N]."""
    flat, codebook = flat.float(), codebook.float()
    code_sq = codebook.pow(2).sum(1)
    rows = chunk_rows or max(1, DISTANCE_BUDGET // codebook.shape[0])

    def nearest(
        chunk: torch.Tensor,
    ) -> torch.Tensor:  # ‖e‖² − 2 z·e (the row constant ‖z‖² does not change it)
        return torch.addmm(code_sq, chunk, codebook.t(), alpha=-2.0).argmin(1)

    if (
        flat.shape[0] <= rows
    ):  # one chunk; also keeps an ONNX trace free of a Split sized by the example batch
        return nearest(flat)
    return torch.cat([nearest(chunk) for chunk in flat.split(rows)])


def code_statistics(indices: torch.Tensor, num_codes: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(perplexity exp(−Σ p log p), fraction of codes used) of the code frequencies p in a batch."""
    counts = torch.bincount(indices.flatten(), minlength=num_codes).float()
    p = counts / counts.sum().clamp_min(1.0)
    entropy = -(p * torch.log(p.clamp_min(1e-12))).sum()
    return entropy.exp(), (counts > 0).float().mean()


@dataclass
class Quantized:
    """Quantiser outputs; `z_q` carries the straight-through gradient, `codes` the codebook gradient."""

    z_q: torch.Tensor  # [B, D, ...] value e_k, gradient → z_e
    codes: torch.Tensor  # [B, D, ...] e_k (differentiable w.r.t. a non-EMA codebook)
    indices: torch.Tensor  # [B, ...]
    perplexity: torch.Tensor
    usage: torch.Tensor  # fraction of the codebook used by this batch


class VectorQuantizer(nn.Module):
    """Quantise channel vectors of [B, D, *spatial] tensors to the nearest of `num_codes` D-dim codes."""

    def __init__(
        self,
        num_codes: int,
        code_dim: int,
        ema: bool = False,
        decay: float = 0.99,
        eps: float = 1e-5,
        dead_threshold: float = 0.0,
        restart_every: int = 100,
        chunk_rows: int | None = None,
    ):
        super().__init__()
        self.num_codes, self.code_dim = num_codes, code_dim
        self.ema, self.decay, self.eps = ema, decay, eps
        self.dead_threshold, self.restart_every, self.chunk_rows = dead_threshold, restart_every, chunk_rows
        init = torch.empty(num_codes, code_dim).uniform_(-1.0 / num_codes, 1.0 / num_codes)
        if ema:
            # one pseudo-observation of each initial code (N_j = 1, m_j = e_j), so e_j = m_j / N_j from the start and
            # a code no batch has chosen yet keeps its initial value; the same state a restarted code gets
            self.register_buffer("codebook", init)
            self.register_buffer("embed_sum", init.clone())
            self.register_buffer("cluster_size", torch.ones(num_codes))
        else:
            self.codebook = nn.Parameter(init)
            self.register_buffer("cluster_size", torch.zeros(num_codes))
        self.register_buffer("steps", torch.zeros((), dtype=torch.long))

    def forward(self, z_e: torch.Tensor, gen: torch.Generator | None = None) -> Quantized:
        flat = z_e.movedim(1, -1).reshape(-1, self.code_dim)
        indices = nearest_code(flat.detach(), self.codebook, self.chunk_rows)
        codes = self.lookup(indices.view(z_e.shape[0], *z_e.shape[2:])).to(z_e.dtype)
        if self.training:
            self._update(flat.detach().float(), indices, gen)
        perplexity, usage = code_statistics(indices, self.num_codes)
        z_q = z_e + (codes - z_e).detach()
        return Quantized(
            z_q=z_q,
            codes=codes,
            indices=indices.view(codes.shape[0], *codes.shape[2:]),
            perplexity=perplexity,
            usage=usage,
        )

    def snap(self, z_e: torch.Tensor) -> torch.Tensor:
        """Nearest codes for z_e (straight-through), without touching statistics: for decoding at inference."""
        flat = z_e.movedim(1, -1).reshape(-1, self.code_dim)
        indices = nearest_code(flat.detach(), self.codebook, self.chunk_rows)
        codes = self.lookup(indices.view(z_e.shape[0], *z_e.shape[2:])).to(z_e.dtype)
        return z_e + (codes - z_e).detach()

    def lookup(self, indices: torch.Tensor) -> torch.Tensor:
        """Codes e_k for integer indices [B, *spatial] → [B, D, *spatial]."""
        codes = F.embedding(indices, self.codebook)
        return codes.movedim(codes.ndim - 1, 1)  # a positive axis: ONNX's Transpose takes no negative perm

    @torch.no_grad()
    def _update(self, flat: torch.Tensor, indices: torch.Tensor, gen: torch.Generator | None) -> None:
        onehot = F.one_hot(indices, self.num_codes).float()  # [N, K]
        counts, sums = onehot.sum(0), onehot.t() @ flat  # n_j, Σ z_i
        if dist.is_available() and dist.is_initialized():
            dist.all_reduce(counts)
            dist.all_reduce(sums)
        self.cluster_size.mul_(self.decay).add_(counts, alpha=1.0 - self.decay)
        if self.ema:
            self.embed_sum.mul_(self.decay).add_(sums, alpha=1.0 - self.decay)
            total = self.cluster_size.sum()
            smoothed = (self.cluster_size + self.eps) / (total + self.num_codes * self.eps) * total
            self.codebook.copy_(self.embed_sum / smoothed.unsqueeze(1))
        self.steps += 1
        if self.dead_threshold > 0 and self.restart_every > 0 and int(self.steps) % self.restart_every == 0:
            self.restart_dead_codes(flat, gen)

    @torch.no_grad()
    def restart_dead_codes(self, flat: torch.Tensor, gen: torch.Generator | None = None) -> int:
        """Replace codes with EMA count N_j < dead_threshold by random rows of `flat` [N, D]; returns how many."""
        dead = (self.cluster_size < self.dead_threshold).nonzero().flatten()
        if dead.numel() == 0:
            return 0
        pick = torch.randint(flat.shape[0], (dead.numel(),), generator=gen, device=flat.device)
        fresh = flat[pick].to(self.codebook.dtype)
        restarted_count = max(1.0, self.dead_threshold)  # counts as alive until the next check
        self.codebook.data[dead] = fresh
        self.cluster_size[dead] = restarted_count
        if self.ema:
            self.embed_sum[dead] = fresh * restarted_count
        if dist.is_available() and dist.is_initialized():  # every rank keeps rank 0's codebook
            for tensor in (self.codebook.data, self.cluster_size, *((self.embed_sum,) if self.ema else ())):
                dist.broadcast(tensor, src=0)
        return int(dead.numel())
