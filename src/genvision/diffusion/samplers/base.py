"""What every sampler shares: the model-function type, noise sources and the loop over (t, t_prev) pairs.

A sampler receives `model_fn(x_t, t) -> output` (t an int64 tensor [B]), a NoiseSchedule, the prediction
type the model was trained with (eps | x0 | v) and the initial noise x_T. Stochastic steps draw from a noise
source: a `genvision.seeding.PerImageRNG` (one generator per image, batch-size independent), a
`torch.Generator`, or None (torch's global RNG).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from genvision.diffusion.timesteps import pairs_tensor
from genvision.seeding import PerImageRNG

ModelFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
NoiseSource = PerImageRNG | torch.Generator | None
# update(i, x_t, t, t_prev, model_out) -> x_{t_prev}; i indexes the python-side pairs list
Update = Callable[[int, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]
# step(x_t, t, t_prev, model_out, final) -> x_{t_prev}; `final`: the step ends at x_0 (t_prev = -1), so no noise
StepUpdate = Callable[[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, bool], torch.Tensor]
# callback(i, t_prev, x) -> a replacement for x (e.g. inpainting's known-region paste) or None
Callback = Callable[[int, torch.Tensor, torch.Tensor], torch.Tensor | None]


def draw_noise(source: NoiseSource, like: torch.Tensor) -> torch.Tensor:
    """Standard normal noise shaped like `like` (dtype and device of `like`)."""
    if isinstance(source, PerImageRNG):
        if len(source) != like.shape[0]:
            raise ValueError(f"PerImageRNG holds {len(source)} generators for a batch of {like.shape[0]}")
        return source.randn(*like.shape[1:]).to(device=like.device, dtype=like.dtype)
    if isinstance(source, torch.Generator):
        noise = torch.randn(like.shape, generator=source, device=source.device, dtype=like.dtype)
        return noise.to(like.device)
    return torch.randn_like(like)


def over_pairs(step: StepUpdate, pairs: list[tuple[int, int]]) -> Update:
    """The run_loop update of a step function: pair i is final when it goes to t_prev = -1."""
    return lambda i, x, t, t_prev, out: step(x, t, t_prev, out, pairs[i][1] < 0)


def run_loop(
    model_fn: ModelFn,
    x_T: torch.Tensor,
    pairs: list[tuple[int, int]],
    update: Update,
    callback: Callback | None = None,
    return_trajectory: bool = False,
) -> torch.Tensor | tuple[torch.Tensor, list[torch.Tensor]]:
    """x ← update(x, t, t_prev, model_fn(x, t)) for each pair; timesteps stay on the device.

    With `return_trajectory`, also returns [x_T, x after step 1, …, x_0] (each a detached tensor).
    """
    batch = x_T.shape[0]
    steps = pairs_tensor(pairs, x_T.device)
    x = x_T
    trajectory = [x_T] if return_trajectory else None
    for i in range(len(pairs)):
        t, t_prev = steps[i, 0].expand(batch), steps[i, 1].expand(batch)
        x = update(i, x, t, t_prev, model_fn(x, t))
        if callback is not None:
            replaced = callback(i, t_prev, x)
            x = x if replaced is None else replaced
        if trajectory is not None:
            trajectory.append(x.detach())
    return (x, trajectory) if trajectory is not None else x
