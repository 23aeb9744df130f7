"""Each phase of the Trainer's loop alone (genvision.train.phases, genvision.train.outputs), on a linear model or
the tiny classifier run: budget, optimizer step + NaN policy, per-sample draws, EMA, cadence, signals, logs,
previews and the export record."""

import json
import os
import signal

import pytest
import torch
import torch.nn as nn

from genvision.errors import GenvisionError
from genvision.seeding import SampleRandom, draw_normal
from genvision.train.checkpoints import list_checkpoints
from genvision.train.ema import EMA
from genvision.train.families import get_family, load_run_config
from genvision.train.init_from import bundle_totals
from genvision.train.outputs import RunLog, StepLog, export_nets, training_record, write_preview
from genvision.train.phases import (
    Budget,
    Cadence,
    NanPolicy,
    OptimizerStep,
    StopSignals,
    TrainingInterrupted,
    sample_draws,
    update_ema,
)
from genvision.train.recipe import Recipe
from genvision.train.trainer import Trainer
from tests.reliability.tiny_runs import CONFIG, TINY


class Line(Recipe):
    """y ≈ w·(x + 0.1 ε) + b with per-sample noise ε; a NaN loss at the steps in `bad`."""

    per_sample_draws = True

    def __init__(self, bad=()):
        super().__init__(None, None, torch.device("cpu"))
        self.bad = set(bad)

    def build(self):
        torch.manual_seed(0)
        return {"net": nn.Linear(3, 1)}

    def loss(self, phase, batch, nets, gen, step):
        x = batch["image"] + 0.1 * draw_normal(batch["image"].shape, gen, "cpu")
        loss = (nets["net"](x).squeeze(1) - batch["label"]).pow(2).mean()
        return loss * float("nan") if step in self.bad else loss, {"x_mean": float(x.mean())}

    def preview(self, nets, n, seed):
        return torch.linspace(-1, 1, n * 3 * 4 * 4).reshape(n, 3, 4, 4)


def stepper(recipe, grad_accum=1):
    recipe.nets = recipe.build()
    opt = torch.optim.SGD(recipe.nets["net"].parameters(), lr=0.1)
    params = {"main": list(recipe.nets["net"].parameters())}
    scaler = torch.amp.GradScaler("cpu", enabled=False)
    return OptimizerStep(recipe, recipe.nets, {"main": opt}, params, scaler, grad_accum)


def batch(n=8):
    g = torch.Generator().manual_seed(1)
    return {"image": torch.randn(n, 3, generator=g), "label": torch.randn(n, generator=g)}


def test_budget_stops_at_max_steps_or_max_seconds():
    assert Budget(3).stop(2) is None and Budget(3).stop(3) == "steps"
    assert Budget(10, max_seconds=5.0, started=0.0).time_spent(now=5.5)
    spent = Budget(10, max_seconds=0.0, started=0.0)
    asked = []
    assert spent.stop(4, any_rank=lambda flag: asked.append(flag) or flag) == "time" and asked == [True]
    # a process whose own clock is within budget still stops when another rank's is spent
    assert Budget(10, max_seconds=1e9).stop(4, any_rank=lambda flag: True) == "time"


def test_nan_policy_skips_up_to_the_limit_then_stops_naming_the_checkpoint():
    policy = NanPolicy(max_skips=2)
    policy.skipped(5, None)
    policy.skipped(6, "runs/x/step_00000004.safetensors")
    with pytest.raises(GenvisionError, match=r"stopped at step 7: 3 non-finite .*is runs/x/step_00000004"):
        policy.skipped(7, "runs/x/step_00000004.safetensors")
    with pytest.raises(GenvisionError, match="no checkpoint was saved"):
        NanPolicy(max_skips=0).skipped(0, None)


def test_a_non_finite_loss_skips_the_step_and_leaves_the_weights():
    step = stepper(Line(bad={1}))
    before = [p.detach().clone() for p in step.recipe.nets["net"].parameters()]
    logs = StepLog()
    gen = sample_draws(0, 1, "main", 0, 8, torch.device("cpu"))
    assert step("main", batch(), gen, 1, logs.values) is False
    after = list(step.recipe.nets["net"].parameters())
    assert all(torch.equal(a, b) and a.grad is None for a, b in zip(after, before))
    assert step("main", batch(), sample_draws(0, 2, "main", 0, 8, torch.device("cpu")), 2, logs.values)
    assert not torch.equal(after[0], before[0]) and len(logs.values["main/loss"]) == 1


def test_gradient_accumulation_and_per_sample_draws_give_the_full_batch_step():
    weights = []
    for accum in (1, 2, 4):
        step = stepper(Line(), grad_accum=accum)
        assert step(
            "main", batch(), sample_draws(3, 7, "main", 0, 8, torch.device("cpu")), 7, StepLog().values
        )
        weights.append(torch.cat([p.detach().flatten() for p in step.recipe.nets["net"].parameters()]))
    torch.testing.assert_close(weights[1], weights[0], rtol=0, atol=1e-6)
    torch.testing.assert_close(weights[2], weights[0], rtol=0, atol=1e-6)
    with pytest.raises(GenvisionError, match="not divisible by grad_accum=3"):
        stepper(Line(), grad_accum=3)("main", batch(), sample_draws(3, 7, "main", 0, 8, "cpu"), 7, {})


def test_rank_halves_of_the_draws_are_the_single_process_draws():
    one = sample_draws(9, 4, "main", 0, 8, torch.device("cpu")).randn(2, 3)
    ranks = [sample_draws(9, 4, "main", r * 4, 4, torch.device("cpu")).randn(2, 3) for r in (0, 1)]
    assert torch.equal(one, torch.cat(ranks))
    other_phase = sample_draws(9, 4, "generator", 0, 8, torch.device("cpu")).randn(2, 3)
    assert isinstance(ranks[0], torch.Tensor) and not torch.equal(one, other_phase)
    assert isinstance(sample_draws(9, 4, "main", 0, 8, torch.device("cpu")), SampleRandom)


def test_ema_update_moves_each_copy_towards_its_network():
    net = nn.Linear(2, 1)
    ema = {"net": EMA(net, decay=0.5, warmup=False)}
    target = [p.detach().clone() for p in net.parameters()]
    with torch.no_grad():
        for p in net.parameters():
            p.add_(1.0)
    update_ema(ema, {"net": net})
    for e, t in zip(ema["net"].model.parameters(), target):
        torch.testing.assert_close(e, t + 0.5)  # 0.5·θ_ema + 0.5·(θ_ema + 1)
    assert export_nets(ema, {"net": net, "other": nn.Identity()})["net"] is ema["net"].model


def test_cadence_of_logs_previews_evaluations_and_checkpoints():
    c = Cadence(steps=10, log_every=4, preview_every=5, evaluate_every=5, checkpoint_every=3)
    steps = range(1, 11)
    assert [s for s in steps if c.log(s)] == [4, 8, 10]  # and the final step
    assert [s for s in steps if c.preview(s)] == [5]  # the final preview comes with the export
    assert [s for s in steps if c.evaluate(s)] == [5, 10]
    assert [s for s in steps if c.checkpoint(s)] == [3, 6, 9]  # the final checkpoint comes with the export
    assert not any(Cadence(10, 1).preview(s) or Cadence(10, 1).evaluate(s) for s in steps)


def test_stop_signals_set_a_flag_then_raise_during_the_export_and_restore():
    before = signal.getsignal(signal.SIGTERM)
    signals = StopSignals().install()
    try:
        os.kill(os.getpid(), signal.SIGTERM)  # handled, not fatal
        assert signals.received == signal.SIGTERM
        signals.raise_from_now("interrupted during the bundle export")
        with pytest.raises(TrainingInterrupted, match="during the bundle export"):
            os.kill(os.getpid(), signal.SIGINT)
    finally:
        signals.restore()
    assert signal.getsignal(signal.SIGTERM) is before


def test_sigterm_mid_run_checkpoints_and_stops_cleanly_then_resume_finishes(tmp_path, monkeypatch):
    recipe_cls = get_family("classifier").recipe
    original = recipe_cls.loss

    def loss(self, phase, batch, nets, gen, step):
        if step == 1:
            os.kill(os.getpid(), signal.SIGTERM)
        return original(self, phase, batch, nets, gen, step)

    monkeypatch.setattr(recipe_cls, "loss", loss)
    cfg = load_run_config(CONFIG, TINY + ["train.steps=6", "train.checkpoint_every=100"])
    with pytest.raises(
        TrainingInterrupted, match=r"interrupted at step 2; checkpoint saved to .*step_00000002"
    ):
        Trainer(cfg, tmp_path, quiet=True).run()
    assert [p.name for p in list_checkpoints(tmp_path / "checkpoints")] == ["step_00000002.safetensors"]
    assert not (tmp_path / "bundle").exists()
    monkeypatch.undo()
    assert (Trainer(cfg, tmp_path, resume=True, quiet=True).run() / "config.json").is_file()


def test_step_log_averages_and_run_log_writes_records_and_previews(tmp_path):
    logs = StepLog()
    logs.add({"a": 1.0})
    logs.add({"a": 3.0, "b": 2})
    logs.images = 32
    record = logs.record(step=4, lrs={"main": 0.1}, wait=0.0, nan_skips=1)
    assert record["a"] == 2.0 and record["b"] == 2.0 and record["nan_skips_total"] == 1
    assert record["lr"] == 0.1 and "lr/main" not in record  # one optimizer: one rate
    assert logs.record(step=5, lrs={"g": 0.2, "d": 0.3}, wait=0.0, nan_skips=0) | {"images_per_s": 0} == {
        "step": 5,
        "lr": 0.2,
        "lr/g": 0.2,
        "lr/d": 0.3,
        "images_per_s": 0,
        "data_wait_s": 0.0,
        "data_wait_frac": 0.0,
        "nan_skips_total": 0,
    }
    assert record["images_per_s"] > 0 and not logs.values and logs.images == 0
    run_log = RunLog(tmp_path)
    run_log.write(record)
    assert json.loads((tmp_path / "metrics.jsonl").read_text())["a"] == 2.0
    path = write_preview(Line(), {}, 4, 0, tmp_path / "samples" / "step.png", run_log, 4)
    assert path.stat().st_size > 0


def test_training_record_counts_what_the_run_did():
    before = bundle_totals({"steps": 5, "images_seen": 40, "seconds_this_run": 3600.0})
    record = training_record("ldm", 10, 8, 3.04, 2.0, before, None, torch.device("cpu"), 2, torch.bfloat16)
    assert record["images_seen"] == 80 and record["seconds_this_run"] == 5.0 and record["processes"] == 2
    assert record["precision"] == "bfloat16" and record["seconds_this_session"] == 3.0
    assert record["totals"] == {"steps": 15, "images": 120, "hours": round(1 + 5.04 / 3600, 6), "runs": 2}
