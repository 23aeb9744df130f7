"""`recipe.method: reflow` of the "distill" family: one round of reflow (Liu et al. 2022; Lee et al. 2024).

The teacher draws pairs once per run with its DEFAULT sampling (sampler, steps, guidance w folded in):

    ε ~ N(0, I),  c ~ as progressive's (class_keep / text_keep),  x = teacher_sampler_w(ε, c)

kept in the run folder (genvision.train.reflow_pairs; their CPU time is recorded in the bundle), and a student
initialised from the teacher is trained with the diffusion loss on the coupled pairs (genvision.diffusion.reflow):

    (x, ε, c) ~ pairs,  t ~ U{0, …, T−1},  z_t = α_t x + σ_t ε,  L = ‖f_θ(z_t, t, c) − f*(x, ε, t)‖²

so its DDIM path from ε goes straight to the teacher's sample: it samples at any step count, its bundle's default
is DDIM at `recipe.student_steps`.
"""

from __future__ import annotations

import dataclasses
import logging

import torch

from genvision.conditioning.unet_inputs import Condition
from genvision.diffusion.losses import sample_timesteps
from genvision.diffusion.reflow import reflow_loss
from genvision.diffusion.timesteps import sampling_timesteps
from genvision.errors import ConfigError
from genvision.seeding import image_seed
from genvision.train.recipes.distill import DISTILLATION_KEY, DistillTraining
from genvision.train.reflow_pairs import Pairs, pair_cache

log = logging.getLogger(__name__)


class ReflowTraining(DistillTraining):
    pairs: Pairs | None = None

    def __init__(self, cfg, info, device):
        super().__init__(cfg, info, device)
        if self.cfg.recipe.loss != "output":
            raise ConfigError(
                "recipe.loss: reflow trains on the diffusion loss; leave recipe.loss at 'output'"
            )
        self.caption_ids = {c: i for i, c in enumerate(self.captions or [])}

    def teacher_sampling(self) -> dict:
        s = self.teacher.spec.sampling
        return {"sampler": s.sampler, "steps": s.steps, "guidance": self.scale}

    def build(self):
        nets = super().build()
        if self.run_dir is None:
            raise ConfigError("reflow needs a run folder for its pairs (run it through the Trainer)")
        r = self.cfg.recipe
        settings = {"teacher": self.cfg.model.teacher, "seed": self.cfg.train.seed, **self.teacher_sampling()}
        self.pairs = pair_cache(
            self.run_dir / "pairs", settings, r.pairs, r.pair_batch, self.draw_chunk, log.info
        )
        return nets

    @torch.no_grad()
    def draw_chunk(self, j: int) -> dict[str, torch.Tensor]:
        """Chunk j of the pairs: noise and conditions from the generator of (seed, j), then the teacher's sample."""
        t, n = self.teacher, self.cfg.recipe.pair_batch
        seed = image_seed(self.cfg.train.seed, j)
        g = torch.Generator().manual_seed(seed)
        labels = torch.randint(0, max(1, t.num_classes), (n,), generator=g)
        conditions = self.conditions(labels, g)
        noise = torch.randn((n, *t.latent_shape), generator=g)
        guided = any(not c.empty for c in conditions)
        data = t.generate(
            conditions,
            latents=noise,
            seed=seed,
            guidance=self.scale if guided else None,
            batch_size=n,
            decode=False,
        ).images
        return {
            "noise": noise,
            "data": data.float().cpu(),
            "label": torch.tensor([-1 if c.class_label is None else c.class_label for c in conditions]),
            "caption": torch.tensor(
                [-1 if c.prompt is None else self.caption_ids[c.prompt] for c in conditions]
            ),
        }

    def pair_conditions(self, idx: torch.Tensor) -> list[Condition]:
        assert self.pairs is not None
        return [
            Condition(class_label=None if y < 0 else y, prompt=None if c < 0 else self.captions[c])
            for y, c in zip(self.pairs.label[idx].tolist(), self.pairs.caption[idx].tolist())
        ]

    def loss(self, phase, batch, nets, gen, step):
        pairs, teacher = self.pairs, self.teacher
        assert pairs is not None
        n = batch["image"].shape[0]
        idx = torch.randint(0, len(pairs), (n,), generator=gen, device=gen.device).cpu()
        x, eps = pairs.data[idx].to(self.device), pairs.noise[idx].to(self.device)
        t = self.timesteps(n, gen)
        cond, _ = teacher.branch_inputs(self.pair_conditions(idx))
        per_sample = reflow_loss(
            lambda z, tt: nets["unet"](z, tt, **cond), teacher.schedule, x, eps, t, self.prediction
        )
        return per_sample.mean(), {}

    def timesteps(self, n: int, gen: torch.Generator) -> torch.Tensor:
        """t of each row: uniform over the schedule, or (`reflow_timesteps: grid`) over the N timesteps the
        student samples at (trailing spacing), where a fixed-step student is used."""
        if self.cfg.recipe.reflow_timesteps == "all":
            return sample_timesteps(self.teacher.schedule, n, gen, self.device)
        grid = torch.tensor(
            sampling_timesteps(self.teacher.schedule.num_timesteps, self.cfg.recipe.student_steps)
        )
        pick = torch.randint(0, len(grid), (n,), generator=gen, device=gen.device).cpu()
        return grid[pick].to(self.device)

    def student_spec(self, metrics: dict[str, float] | None = None):
        spec = super().student_spec(metrics)
        record = {k: v for k, v in spec.extra[DISTILLATION_KEY].items() if k != "teacher_steps"}
        record["method"] = "reflow (Liu et al. 2022), one round"
        record["teacher_sampling"] = self.teacher_sampling()
        record["timesteps"] = self.cfg.recipe.reflow_timesteps
        if self.pairs is not None:
            record["pairs"] = len(self.pairs)
            record["pair_cpu_seconds"] = round(self.pairs.cpu_seconds, 1)
        return dataclasses.replace(spec, extra={**spec.extra, DISTILLATION_KEY: record})


def distill_training(cfg, info, device) -> DistillTraining:
    """The "distill" family's recipe: progressive distillation, or reflow for `recipe.method: reflow`."""
    return (ReflowTraining if cfg.recipe.method == "reflow" else DistillTraining)(cfg, info, device)
