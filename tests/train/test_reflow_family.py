"""`recipe.method: reflow` of the "distill" family (genvision distill --method reflow) on a tiny class-conditional
pixel DDPM: the student's bundle and its record, the pair cache (deterministic, reused on resume) and bad input."""

from __future__ import annotations

import json

import pytest
import torch

import genvision
from genvision.cli.main import main
from genvision.io.tensorfile import load_tensors
from genvision.train.distill_rounds import distill_rounds
from genvision.train.families import load_run_config
from genvision.train.reflow_pairs import KEYS
from genvision.train.trainer import Trainer
from tests.conftest import REPO
from tests.train.test_distill_family import TINY
from tests.workflows.ddpm_fixtures import random_ddpm_bundle

PAIRS = ["recipe.pairs=12", "recipe.pair_batch=5", "recipe.guidance=2.0", "train.preview_n=0"]


@pytest.fixture(scope="module")
def reflowed(tmp_path_factory):
    """A 3-step reflow of a random class-conditional teacher whose default sampling is DPM-Solver++ 4 steps."""
    root = tmp_path_factory.mktemp("reflow")
    teacher = random_ddpm_bundle(root / "teacher", num_classes=3)
    config = json.loads((teacher / "config.json").read_text())
    config["sampling"] = {"sampler": "dpmpp", "steps": 4, "guidance": 3.0}
    (teacher / "config.json").write_text(json.dumps(config))
    over = [*TINY, *PAIRS, "train.steps=3"]
    bundles = distill_rounds(str(teacher), 2, root / "r", method="reflow", overrides=over, quiet=True)
    return teacher, bundles


def test_one_round_exports_a_student_recording_reflow_its_pairs_and_the_teacher_sampling(reflowed):
    teacher, bundles = reflowed
    assert [b.parent.name for b in bundles] == ["round-02"]
    config = json.loads((bundles[0] / "config.json").read_text())
    assert config["sampling"]["sampler"] == "ddim" and config["sampling"]["steps"] == 2
    record = config["distillation"]
    assert record["method"].startswith("reflow") and record["pairs"] == 12 and "teacher_steps" not in record
    assert record["teacher_sampling"] == {"sampler": "dpmpp", "steps": 4, "guidance": 2.0}
    assert record["pair_cpu_seconds"] > 0
    images = genvision.load(bundles[0], device="cpu").sample(2, label=1).images
    assert images.shape[0] == 2 and torch.isfinite(images).all()


def chunks(folder):
    return {p.name: load_tensors(p) for p in sorted((folder / "pairs").glob("chunk_*.safetensors"))}


def test_pairs_are_drawn_once_from_the_seed_and_a_resumed_run_reads_them_and_ends_exactly(reflowed, tmp_path):
    """The fixture's run went 3 steps straight; here 2 steps, then --resume to 3: the same pairs (drawn from the
    seed, with conditions, not drawn again on resume) and the same weights."""
    teacher, bundles = reflowed
    first = chunks(bundles[0].parent)
    assert list(first) == [f"chunk_0000{j}.safetensors" for j in range(3)]  # 12 pairs in chunks of 5
    labels = torch.cat([c["label"] for c in first.values()])
    assert set(labels.tolist()) <= {-1, 0, 1, 2} and (labels == -1).any() and (labels >= 0).any()
    c = first["chunk_00000.safetensors"]
    assert c["data"].shape == c["noise"].shape and not torch.equal(c["noise"], c["data"])

    def run(steps, resume=False):
        cfg = load_run_config(bundles[0].parent / "distill.yaml", [*TINY, *PAIRS, f"train.steps={steps}"])
        return Trainer(cfg, tmp_path, resume=resume, quiet=True).run()

    run(2)
    again = chunks(tmp_path)
    assert all(torch.equal(first[n][k], again[n][k]) for n in first for k in KEYS)
    stamps = {p: p.stat().st_mtime_ns for p in (tmp_path / "pairs").glob("chunk_*")}
    resumed = genvision.load(run(3, True), device="cpu", precision="fp32").unet.state_dict()
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps  # read, not drawn again
    straight = genvision.load(bundles[0], device="cpu", precision="fp32").unet.state_dict()
    assert all(torch.equal(straight[k], resumed[k]) for k in straight)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["recipe.pair_batch=4"], "drawn with other settings (chunk)"),
        (["recipe.pairs=0"], "recipe.pairs and recipe.pair_batch must be >= 1"),
        (["recipe.loss=landing"], "reflow trains on the diffusion loss"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(reflowed, extra, message, capsys):
    teacher, bundles = reflowed
    folder = bundles[0].parent
    args = [
        "train",
        str(folder / "distill.yaml"),
        *TINY,
        *PAIRS,
        *extra,
        "train.steps=4",
        "--out",
        f"{folder}",
    ]
    with pytest.raises(SystemExit) as exc:
        main([*args, "--resume"])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err.startswith("error: ") and err.count("\n") == 1, err
    assert message in err
    assert not (folder / "checkpoints" / "step_00000004.safetensors").exists()


def test_an_unknown_method_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["distill", "fashion-ddpm", "--steps", "4", "--method", "consistency", "--out", f"{tmp_path}/o"])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "--method must be one of progressive, reflow" in err
    assert not (tmp_path / "o").exists()


def test_grid_timesteps_draw_only_the_students_own_timesteps():
    """`recipe.reflow_timesteps=grid`: t is one of the N trailing timesteps the student samples at, each drawn."""
    from types import SimpleNamespace

    from genvision.diffusion.schedules import NoiseSchedule, ScheduleConfig
    from genvision.train.recipes.reflow import ReflowTraining

    schedule = NoiseSchedule(ScheduleConfig(num_timesteps=1000))
    gen = torch.Generator().manual_seed(0)
    for which, expected in (("grid", {999, 749, 499, 249}), ("all", None)):
        cfg = load_run_config(
            REPO / "configs" / "distill_fashion_ldm.yaml",
            ["recipe.method=reflow", "recipe.student_steps=4", f"recipe.reflow_timesteps={which}"],
        )
        owner = SimpleNamespace(
            cfg=cfg, teacher=SimpleNamespace(schedule=schedule), device=torch.device("cpu")
        )
        drawn = set(ReflowTraining.timesteps(owner, 400, gen).tolist())
        assert drawn == expected if expected else len(drawn) > 100
