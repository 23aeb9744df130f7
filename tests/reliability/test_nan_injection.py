"""NaN drill on real Trainer runs: non-finite losses (and finite losses with non-finite gradients) are skipped and
counted, leave the weights untouched, stop the run past train.max_nan_skips, and the last good checkpoint loads."""

import json

import pytest
import torch

from genvision.errors import GenvisionError
from genvision.io.tensorfile import load_state
from genvision.train.checkpoints import checkpoint_path, list_checkpoints, load_latest
from genvision.train.families import get_family, load_run_config
from genvision.train.trainer import Trainer
from tests.reliability.tiny_runs import CONFIG, TINY


def config(*extra):
    return load_run_config(CONFIG, TINY + ["train.keep_checkpoints=100", "train.checkpoint_every=1", *extra])


def inject(monkeypatch, bad_steps, kind="loss"):
    """Make the recipe's loss non-finite (kind="loss") or its gradient non-finite (kind="grad") at `bad_steps`."""
    recipe_cls = get_family("classifier").recipe
    original = recipe_cls.loss

    def loss(self, phase, batch, nets, gen, step):
        value, logs = original(self, phase, batch, nets, gen, step)
        if step in bad_steps:
            if kind == "loss":
                value = value * float("nan")
            else:  # forward value unchanged, but d/dp sqrt(-|p| - 1) = NaN reaches every weight
                p = torch.cat([q.flatten() for q in nets["classifier"].parameters()])
                value = value + torch.where(
                    torch.zeros((), dtype=torch.bool), torch.sqrt(-p.abs() - 1).sum(), 0.0
                )
        return value, logs

    monkeypatch.setattr(recipe_cls, "loss", loss)


def nets(run_dir, step):
    return load_state(checkpoint_path(run_dir / "checkpoints", step))["nets"]["classifier"]


@pytest.mark.parametrize("kind", ["loss", "grad"])
def test_bad_steps_are_skipped_counted_and_leave_the_weights_alone(tmp_path, monkeypatch, kind):
    inject(monkeypatch, {3, 4}, kind)
    Trainer(
        config("train.steps=7", "train.max_nan_skips=5", "train.grad_clip=null"), tmp_path, quiet=True
    ).run()
    final = load_state(list_checkpoints(tmp_path / "checkpoints")[-1])
    assert final["step"] == 7 and final["nan_skips"] == 2
    after_3, after_5, after_6 = nets(tmp_path, 3), nets(tmp_path, 5), nets(tmp_path, 6)
    for k in after_3:
        assert torch.isfinite(final["nets"]["classifier"][k]).all()
        if after_3[k].is_floating_point() and "running" not in k:
            assert torch.equal(after_3[k], after_5[k]), f"{k} moved during a skipped step"
    assert any(not torch.equal(after_5[k], after_6[k]) for k in after_5), (
        "training resumed after the bad steps"
    )
    records = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r.get("nan_skips_total") for r in records if "lr" in r] == [0, 0, 0, 1, 2, 2, 2]


def test_too_many_bad_steps_stop_the_run_and_the_last_good_checkpoint_loads(tmp_path, monkeypatch):
    inject(monkeypatch, set(range(5, 100)))
    cfg = config("train.steps=50", "train.max_nan_skips=3", "train.checkpoint_every=2")
    with pytest.raises(
        GenvisionError,
        match=r"stopped at step 8: 4 non-finite losses or gradients \(limit "
        r"train.max_nan_skips=3\); the last checkpoint is .*step_00000008",
    ):
        Trainer(cfg, tmp_path, quiet=True).run()
    path, state = load_latest(tmp_path / "checkpoints")
    assert path.name == "step_00000008.safetensors" and state["step"] == 8 and state["nan_skips"] == 3
    weights = state["nets"]["classifier"]
    assert all(torch.isfinite(v).all() for v in weights.values())
    # steps 5-7 were skipped: the checkpoints after them hold the weights trained up to step 5
    assert all(torch.equal(weights[k], nets(tmp_path, 6)[k]) for k in weights if "running" not in k)
    # the user fixes the cause (here: the injection goes) and resumes from it
    monkeypatch.undo()
    Trainer(config("train.steps=10", "train.checkpoint_every=2"), tmp_path, resume=True, quiet=True).run()
    assert load_state(list_checkpoints(tmp_path / "checkpoints")[-1])["step"] == 10
