"""The "distill" family: one round of progressive distillation (Salimans & Ho 2022) of a diffusion bundle.

A student initialised as a copy of the teacher's UNet (or of `model.init`'s) learns to take k ≥ 2 of the
teacher's deterministic DDIM steps (kN-step trailing grid, `recipe.teacher_steps`, default k = 2; guidance w
folded into the teacher) in one (N-step grid):

    i ~ U{0, …, N−1},  (t, t_1, …, t_k = t'') = the i-th student step through the teacher's k − 1 points
    z_t = α_t z_0 + σ_t ε,   z_t'' = DDIM_w(… DDIM_w(z_t, t → t_1) …, t_{k−1} → t''),   x̃ = diffusion.distill
    L = E ‖f_θ(z_t, t, c) − f*(x̃)‖²    (f* the output of the student's prediction type whose x̂_0 is x̃)

Conditions are kept per sample with `class_keep` / `text_keep` (dropped ones at their null value), so the
student learns class-only, text-only, both and unconditional sampling; an unconditional sample's teacher is the
unguided one. The student's bundle is the teacher's kind ("ldm" or pixel "ddpm"), its default sampling DDIM
with N steps, η 0 and guidance 1 (one UNet call per step), and its `distillation` block records the prediction
type, the steps, the distilled guidance scale, the teacher and the figure of the first teacher of the chain.
Rounds (16 → 8 → 4 …) are chained by `genvision distill` (genvision.train.distill_rounds).
"""

from __future__ import annotations

import copy
import dataclasses
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Literal

import torch
import torch.nn as nn

import genvision
from genvision.conditioning.unet_inputs import Condition
from genvision.data.captions import caption_indices, caption_set
from genvision.diffusion.distill import (
    distillation_loss,
    distillation_rows,
    landing_loss,
    landing_x0_target,
    teacher_substeps,
)
from genvision.diffusion.guidance import classifier_free_guidance
from genvision.errors import BundleError, ConfigError, GenvisionError
from genvision.generators import DiffusionModel
from genvision.io.tensorfile import load_tensors
from genvision.models.bundle import WEIGHTS_NAME, BundleParts, load_bundle
from genvision.models.bundle_config import DIFFUSION_KINDS, SamplingDefaults
from genvision.nn.modes import evaluating
from genvision.train.evaluation import conditional_accuracy, eval_images, export_classifier, feature_fid
from genvision.train.recipe import Recipe

DISTILLATION_KEY = "distillation"


@dataclass
class DistillModel:
    teacher: str = "fashion-ldm"  # a diffusion bundle (shipped name or folder), or an earlier round's student
    init: str | None = None  # a bundle with the teacher's UNet to start the student from (None: the teacher)


@dataclass
class DistillRecipe:
    method: Literal["progressive", "reflow"] = "progressive"  # reflow: genvision.train.recipes.reflow
    student_steps: int = 8
    teacher_steps: int | None = None  # a multiple k·student_steps (k >= 2); None: 2·student_steps
    guidance: float | None = None  # folded into the teacher; None: the teacher's default (1 for a student)
    prediction: Literal["eps", "x0", "v"] | None = None  # the student's output; None: the teacher's
    loss: Literal["output", "landing"] = "output"  # MSE in the output space, or where one step lands
    class_keep: float = 0.5  # probability that a training sample keeps its class (else the null class)
    text_keep: float = 0.5  # probability that it keeps a caption of its class (text models)
    eval_classifier: str | None = None  # at export: FID and class accuracy with this classifier bundle
    eval_n: int = 0  # samples measured at export (0: none)
    pairs: int = 10_000  # reflow: (noise, teacher sample) pairs drawn once per run
    pair_batch: int = 250  # reflow: pairs per chunk of the cache
    reflow_timesteps: Literal["all", "grid"] = (
        "all"  # reflow: t ~ U{0..T-1}, or the student's own N timesteps
    )


def distillation_info(model: DiffusionModel) -> dict | None:
    """The `distillation` block of a student bundle (None for a model trained from data)."""
    return model.spec.extra.get(DISTILLATION_KEY)


def teacher_guidance(model: DiffusionModel, requested: float | None) -> tuple[float, float]:
    """(scale folded into this round's teacher, guidance the student then carries in total)."""
    info = distillation_info(model)
    if info is not None:  # a student: its guidance is in its weights already
        if requested not in (None, 1.0):
            raise ConfigError(
                f"recipe.guidance: the teacher is a distilled student (guidance {info['guidance']} built in); "
                "leave recipe.guidance unset"
            )
        return 1.0, float(info["guidance"])
    scale = float(model.spec.sampling.guidance if requested is None else requested)
    if scale < 0:
        raise ConfigError(f"recipe.guidance must be >= 0, got {scale}")
    return scale, scale


def open_teacher(ref: str, device: torch.device) -> DiffusionModel:
    """The teacher bundle as a DiffusionModel in fp32; any other kind is a one-line error."""
    try:
        bundle = load_bundle(ref)
    except BundleError as exc:
        raise ConfigError(f"distillation teacher: {exc}") from exc
    if bundle.kind not in DIFFUSION_KINDS:
        raise ConfigError(
            f"distillation teacher {ref} is a {bundle.kind!r} bundle; distillation takes a diffusion "
            f"bundle ({', '.join(DIFFUSION_KINDS)})"
        )
    return genvision.load(bundle, device=device, precision="fp32")


def init_unet(student: nn.Module, ref: str) -> None:
    """Load the UNet of bundle `ref` into `student` (a copy of the teacher's); another architecture is an error."""
    model = open_teacher(ref, torch.device("cpu"))
    try:
        student.load_state_dict(model.unet.float().state_dict())
    except RuntimeError as exc:
        raise ConfigError(f"model.init {ref}: its UNet is not the teacher's architecture") from exc


def teacher_steps_of(model: DiffusionModel) -> int | None:
    """The step count a teacher is bound to: a student's own steps (None: any, a model trained from data)."""
    info = distillation_info(model)
    return int(info["steps"]) if info is not None else None


def check_student_steps(model: DiffusionModel, steps: int, teacher_steps: int | None = None) -> int:
    """The teacher substeps k per student step: `teacher_steps` (default 2·steps) must be k·steps, k >= 2, the
    teacher's own step count for a student, on a trailing grid that nests the student's."""
    for name, n in (("student steps", steps), ("teacher steps", teacher_steps)):
        if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
            raise ConfigError(f"{name} must be an integer >= 1, got {n!r}")
    bound = teacher_steps_of(model)
    if bound is not None and teacher_steps not in (None, bound):
        raise ConfigError(
            f"the teacher is a {bound}-step student: teacher steps must be {bound}, not {teacher_steps}"
        )
    m = teacher_steps or bound or 2 * steps
    if m % steps or m // steps < 2:
        raise ConfigError(
            f"the teacher's {m} steps must be a multiple k >= 2 of the student's steps; {steps} is not "
            f"(e.g. {', '.join(str(m // k) for k in (2, 4, 8) if m % k == 0)})"
        )
    try:
        distillation_rows(model.schedule.num_timesteps, steps, m // steps)
    except GenvisionError as exc:
        raise ConfigError(str(exc)) from exc
    return m // steps


class DistillTraining(Recipe):
    ema_modules = ("unet",)

    def __init__(self, cfg, info, device):
        super().__init__(cfg, info, device)
        r = cfg.recipe
        self.teacher = open_teacher(cfg.model.teacher, device)
        self.substeps = check_student_steps(self.teacher, r.student_steps, r.teacher_steps)
        if info.shape != tuple(self.teacher.image_shape):
            raise ConfigError(
                f"the teacher makes images {list(self.teacher.image_shape)}, the data is {list(info.shape)}: "
                "use the teacher's dataset"
            )
        self.scale, self.total_guidance = teacher_guidance(self.teacher, r.guidance)
        self.prediction = r.prediction or self.teacher.prediction
        num_timesteps = self.teacher.schedule.num_timesteps
        self.rows = distillation_rows(num_timesteps, r.student_steps, self.substeps).to(device)
        for name, p in (("class_keep", r.class_keep), ("text_keep", r.text_keep)):
            if not 0 <= p <= 1:
                raise ConfigError(f"recipe.{name} must lie in [0, 1], got {p}")
        self.captions = None
        if self.teacher.takes_text:
            names = self.teacher.class_names
            self.captions = caption_set(self.teacher.spec.data.dataset, "train", names)
            self.per_class = len(self.captions) // max(1, len(names or []))
        self.teacher.unet.requires_grad_(False).eval()

    def build(self) -> dict[str, nn.Module]:
        student = copy.deepcopy(self.teacher.unet).float()
        if self.cfg.model.init is not None:
            init_unet(student, self.cfg.model.init)
        return {"unet": student.requires_grad_(True).train()}

    # --- training ----------------------------------------------------------------------------------------
    def conditions(self, labels: torch.Tensor, gen: torch.Generator) -> list[Condition]:
        """Each sample's class kept w.p. class_keep and a caption of its class w.p. text_keep."""
        r, n = self.cfg.recipe, labels.shape[0]
        draws = torch.rand((n, 2), generator=gen, device=gen.device).cpu()
        keep_class = (draws[:, 0] < r.class_keep) & bool(self.teacher.num_classes)
        prompts: list[str | None] = [None] * n
        if self.captions is not None:
            idx = caption_indices(labels.cpu(), self.per_class, len(self.teacher.class_names), gen).cpu()
            prompts = [self.captions[int(i)] if k else None for i, k in zip(idx, draws[:, 1] < r.text_keep)]
        return [
            Condition(class_label=int(y) if kc else None, prompt=p)
            for y, kc, p in zip(labels.tolist(), keep_class.tolist(), prompts)
        ]

    def loss(self, phase, batch, nets, gen, step):
        teacher = self.teacher
        z0 = teacher.encode(batch["image"]).float()
        n = z0.shape[0]
        labels = batch.get("label", torch.zeros(n, dtype=torch.int64))
        conditions = self.conditions(labels, gen)
        pick = torch.randint(0, len(self.rows), (n,), generator=gen, device=gen.device).to(self.device)
        row = self.rows[pick]
        t = row[:, 0]
        noise = torch.randn(z0.shape, generator=gen, device=gen.device).to(z0.device)
        ab = teacher.schedule.alpha_bar_at(t, z0.ndim)
        z_t = ab.sqrt() * z0 + (1 - ab).sqrt() * noise
        cond, null = teacher.branch_inputs(conditions)  # the student takes the same inputs as the teacher
        scale = 1.0 if all(c.empty for c in conditions) else self.scale
        with torch.no_grad():
            guided = classifier_free_guidance(teacher.network, cond, null, scale)
            z_next = teacher_substeps(guided, teacher.schedule, z_t, row, teacher.prediction, teacher.clip_x0)
            target = landing_x0_target(teacher.schedule, z_t, z_next, t, row[:, -1])
        out = nets["unet"](z_t, t, **cond)
        if self.cfg.recipe.loss == "landing":
            per_sample = landing_loss(teacher.schedule, out, z_t, row, z_next, self.prediction)
        else:
            per_sample = distillation_loss(teacher.schedule, out, z_t, t, target, self.prediction)
        return per_sample.mean(), {"target_std": float(target.std())}

    # --- inference and export ----------------------------------------------------------------------------
    def student_spec(self, metrics: dict[str, float] | None = None):
        """The teacher's config with the student's prediction, sampling defaults and distillation record."""
        t, r = self.teacher, self.cfg.recipe
        before = distillation_info(t)
        first = (before or {}).get("first_teacher") or {
            "name": self.cfg.model.teacher,
            "metrics": dict(t.spec.metrics),
            "sampling": t.spec.sampling.to_json(),
        }
        record = {
            "method": "progressive (Salimans & Ho 2022)",
            "prediction": self.prediction,
            "steps": r.student_steps,
            "teacher_steps": self.substeps * r.student_steps,
            "guidance": self.total_guidance,
            "teacher": self.cfg.model.teacher,
            **({"init": self.cfg.model.init} if self.cfg.model.init else {}),
            "first_teacher": first,
        }
        extra = {k: v for k, v in t.spec.extra.items() if k not in ("measured", "metrics_data")}
        sampling = SamplingDefaults(
            sampler="ddim",
            steps=r.student_steps,
            spacing="trailing",
            eta=0.0,
            guidance=1.0,
            grounding=t.spec.sampling.grounding,
        )
        return dataclasses.replace(
            t.spec,
            prediction=self.prediction,
            clip_x0=t.spec.clip_x0,
            sampling=sampling,
            metrics=metrics or {},
            training={},
            extra={**extra, DISTILLATION_KEY: record},
        )

    def inference_model(self, unet: nn.Module) -> DiffusionModel:
        t = self.teacher
        text = t.text_encoder() if t.takes_text else None
        return DiffusionModel(
            self.student_spec(), unet, t.schedule, t.autoencoder, precision="fp32", text=text
        )

    def preview(self, nets, n, seed):
        if n <= 0:
            return None
        unet = nets["unet"]
        c = self.teacher.num_classes
        conditions = [Condition(class_label=k % c) if c else Condition() for k in range(n)]
        with evaluating(unet):
            return self.inference_model(unet).generate(conditions, seed=seed).images.to(self.device)

    def bundle(self, nets, folder: Path) -> BundleParts:
        unet = nets["unet"]
        r = self.cfg.recipe
        metrics = self.evaluate(unet) if r.eval_classifier and r.eval_n > 0 else {}
        source = self.teacher.bundle
        components: dict = {}
        for name in source.config.get("components") or ["unet"]:
            components[name] = unet if name == "unet" else source.sub_bundle(name)
        files = {
            p.name: (lambda dest, p=p: shutil.copyfile(p, dest))
            for p in source.path.iterdir()
            if p.is_file() and p.name != "config.json"
        }
        stored = load_tensors(source.path / "unet" / WEIGHTS_NAME).values()
        dtype = next(v.dtype for v in stored if v.is_floating_point())  # as the teacher stores it (fp16)
        return BundleParts(self.student_spec(metrics), components, dtype=dtype, files=files)

    @torch.no_grad()
    def evaluate(self, unet: nn.Module) -> dict[str, float]:
        """Classifier FID of eval_n unconditional samples against the test split, and class accuracy."""
        r = self.cfg.recipe
        classifier = export_classifier(r.eval_classifier, self.device)
        if classifier is None:
            return {}
        with evaluating(unet):
            model = self.inference_model(unet)
            start = time.perf_counter()
            images, _, _ = eval_images(self.cfg.data, "test", r.eval_n)
            real = classifier.features(images).double().numpy()
            fake = model.generate([Condition()] * len(images), seed=0).images
            results = {"classifier_fid": feature_fid(classifier, real, fake)}
            if model.num_classes:
                results.update(
                    conditional_accuracy(
                        model,
                        classifier,
                        self.info.dataset,
                        n=r.eval_n,
                        guidance=1.0,
                        steps=r.student_steps,
                        captions=SimpleNamespace(num_classes=model.num_classes) if model.takes_text else None,
                        paraphrases=False,
                    )
                )
            results["eval_seconds"] = time.perf_counter() - start
        return results
