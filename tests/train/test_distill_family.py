"""The "distill" family and `genvision distill`: chained rounds from a tiny class-conditional pixel DDPM, the
students' bundles through the API, the CLI and the app's sample view, resume, and bad input."""

from __future__ import annotations

import json
import subprocess

import pytest
import torch

import genvision
from genvision.cli.main import main
from genvision.io.tensorfile import load_tensors, save_tensors
from genvision.models.bundle import ZOO_DIR
from genvision.train.distill_rounds import default_teacher_steps, distill_rounds, round_steps
from tests.conftest import GENVISION, REPO
from tests.workflows.ddpm_fixtures import random_ddpm_bundle

TINY = [
    "data.name=synthetic",
    "train.steps=2",
    "train.batch_size=4",
    "train.tensorboard=false",
    "train.channels_last=false",
    "train.checkpoint_every=1",
    "train.preview_n=3",
]


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    """Teacher (random weights, 3 classes, T=100) → 2-step → 1-step students, through the real command."""
    root = tmp_path_factory.mktemp("distill")
    teacher = random_ddpm_bundle(root / "teacher", num_classes=3)
    weights = teacher / "unet" / "model.safetensors"  # stored in fp16, as shipped bundles are
    save_tensors(
        weights, {k: v.half() if v.is_floating_point() else v for k, v in load_tensors(weights).items()}
    )
    out = root / "rounds"
    cmd = [*GENVISION, "distill", str(teacher), "--steps", "1", "--teacher-steps", "4", "--out", str(out)]
    proc = subprocess.run([*cmd, *TINY, "recipe.guidance=2.0", "--quiet"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "student bundles" in proc.stdout
    return teacher, out


def test_each_round_exports_a_student_that_samples_with_its_steps_and_records_its_teacher(chain):
    teacher, out = chain
    first = json.loads((out / "round-02" / "bundle" / "config.json").read_text())
    last = json.loads((out / "round-01" / "bundle" / "config.json").read_text())
    assert first["kind"] == last["kind"] == "ddpm" and first["prediction"] == "eps"
    assert first["sampling"] | {"grounding": 0} == {
        "sampler": "ddim",
        "steps": 2,
        "spacing": "trailing",
        "eta": 0.0,
        "guidance": 1.0,
        "grounding": 0,
    }
    assert last["sampling"]["steps"] == 1 and last["sampling"]["guidance"] == 1.0
    d1, d2 = first["distillation"], last["distillation"]
    assert (d1["steps"], d1["teacher_steps"], d1["guidance"], d1["teacher"]) == (2, 4, 2.0, str(teacher))
    # the guidance is carried from round to round, not applied again
    assert (d2["steps"], d2["teacher_steps"], d2["guidance"]) == (1, 2, 2.0)
    assert d2["teacher"] == str(out / "round-02" / "bundle") and d2["first_teacher"]["name"] == str(teacher)
    assert last["training"]["family"] == "distill" and last["training"]["steps"] == 2
    assert (out / "round-01" / "samples").is_dir() and (out / "round-01" / "metrics.jsonl").is_file()
    stored = load_tensors(out / "round-01" / "bundle" / "unet" / "model.safetensors").values()
    assert {v.dtype for v in stored if v.is_floating_point()} == {torch.float16}  # the teacher's dtype
    # the student's weights moved away from the teacher's copy
    t = genvision.load(teacher, device="cpu", precision="fp32").unet.state_dict()
    s = genvision.load(out / "round-02" / "bundle", device="cpu", precision="fp32").unet.state_dict()
    assert any(not torch.equal(t[k].float(), s[k].float()) for k in t)


def test_a_student_samples_through_the_api_the_cli_and_the_app(chain, tmp_path):
    _, out = chain
    bundle = out / "round-02" / "bundle"
    model = genvision.load(bundle, device="cpu", precision="fp32")
    result = model.sample(3, seed=0, label="square")
    assert result.images.shape == (3, 1, 16, 16) and result.info["steps"] == 2
    assert result.info["sampler"] == "ddim" and torch.isfinite(result.images).all()
    grid = tmp_path / "grid.png"
    proc = subprocess.run(
        [*GENVISION, "sample", str(bundle), "-n", "2", "--out", str(grid), "--quiet"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0 and grid.is_file(), proc.stderr
    from genvision.app.catalog import ModelCatalog
    from genvision.app.context import ServerContext
    from genvision.app.downloads import Downloads
    from genvision.app.limits import UploadLimits
    from genvision.app.server import build_app

    demo = build_app(
        ServerContext(ModelCatalog.from_refs([str(bundle)], "cpu"), UploadLimits(), Downloads(tmp_path))
    )
    generate = next(f.fn for f in demo.fns.values() if getattr(f.fn, "__name__", "") == "generate")
    name = next(
        n for n in ModelCatalog.from_refs([str(bundle)], "cpu").names(("ddpm",)) if "fashion" not in n
    )
    image, caption, *_ = generate(name, "ddim", 2, 2, 0, None, "", 1.0, 1.0, False)
    assert "2 image(s)" in caption and "steps 2" in caption and image is not None


def test_rerunning_the_chain_resumes_and_skips_finished_rounds(chain):
    teacher, out = chain
    stamp = (out / "round-01" / "bundle" / "config.json").stat().st_mtime_ns
    bundles = distill_rounds(str(teacher), 1, out, teacher_steps=4, overrides=TINY, quiet=True)
    assert bundles == [out / "round-02" / "bundle", out / "round-01" / "bundle"]
    assert (out / "round-01" / "bundle" / "config.json").stat().st_mtime_ns == stamp


def test_round_plans():
    assert round_steps(4, 16) == [8, 4] and round_steps(1, 4) == [2, 1]
    assert round_steps(4, 16, 4) == [4] and round_steps(1, 16, 4) == [4, 1] and round_steps(2, 16, 8) == [2]
    assert (
        default_teacher_steps(4) == 16 and default_teacher_steps(1) == 16 and default_teacher_steps(16) == 32
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no-such-bundle", "--steps", "4"], "no-such-bundle"),
        (["fashion-dcgan", "--steps", "4"], "'dcgan' bundle; distillation takes a diffusion bundle"),
        (["fashion-ldm", "--steps", "3", "--teacher-steps", "16"], "not the teacher's 16 steps halved"),
        (["STUDENT", "--steps", "2"], "not the teacher's 2 steps halved"),
        (
            ["fashion-ldm", "--steps", "2", "--teacher-steps", "16", "--substeps", "4"],
            "16 steps divided by 4",
        ),
        (["STUDENT", "--steps", "1", "--substeps", "1"], "--substeps must be >= 2"),
        (["TEACHER", "--steps", "1", "--teacher-steps", "4", "model.init=fashion-dcgan"], "'dcgan' bundle"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, message, chain, tmp_path, capsys):
    teacher, out = chain
    named = {"STUDENT": str(out / "round-02" / "bundle"), "TEACHER": str(teacher)}
    args = [named.get(a, a) for a in args]
    with pytest.raises(SystemExit) as exc:
        main(["distill", *args, "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err.startswith("error: ") and err.count("\n") == 1, err
    assert message in err
    assert not (tmp_path / "o").exists()


def test_the_preset_validates():
    from genvision.train.families import load_run_config

    cfg = load_run_config(REPO / "configs" / "distill_fashion_ldm.yaml")
    assert cfg.family == "distill" and cfg.model.teacher == "fashion-ldm" and cfg.recipe.guidance == 3.0
    assert (ZOO_DIR / "fashion-ldm").is_dir()


def test_one_round_of_k_substeps_starts_from_the_init_bundle_and_records_it(chain, tmp_path):
    """4 teacher steps → 1 student step in one round (k = 4), the student initialised from the 2-step student:
    with lr 0 the exported student is that init's UNet exactly, not the teacher's."""
    teacher, out = chain
    init = out / "round-02" / "bundle"
    over = [*TINY, "train.lr=0", "train.preview_n=0", f"model.init={init}"]
    bundles = distill_rounds(
        str(teacher), 1, tmp_path, teacher_steps=4, substeps=4, overrides=over, quiet=True
    )
    assert bundles == [tmp_path / "round-01" / "bundle"]
    record = json.loads((bundles[0] / "config.json").read_text())["distillation"]
    assert (record["steps"], record["teacher_steps"], record["init"]) == (1, 4, str(init))
    assert record["teacher"] == str(teacher)
    mine = load_tensors(bundles[0] / "unet" / "model.safetensors")
    assert all(torch.equal(v, mine[k]) for k, v in load_tensors(init / "unet" / "model.safetensors").items())
    assert not all(
        torch.equal(v, mine[k]) for k, v in load_tensors(teacher / "unet" / "model.safetensors").items()
    )


def test_a_round_resumes_exactly(chain, tmp_path):
    from genvision.train.families import load_run_config
    from genvision.train.trainer import Trainer

    teacher, out = chain
    path = out / "round-02" / "distill.yaml"

    def run(folder, steps, resume=False):
        cfg = load_run_config(path, [*TINY, f"train.steps={steps}", "train.preview_n=0"])
        return Trainer(cfg, folder, resume=resume, quiet=True).run()

    straight = genvision.load(run(tmp_path / "a", 4), device="cpu", precision="fp32").unet.state_dict()
    run(tmp_path / "b", 2)
    resumed = genvision.load(run(tmp_path / "b", 4, True), device="cpu", precision="fp32").unet.state_dict()
    assert all(torch.equal(straight[k], resumed[k]) for k in straight)


def test_the_zoo_line_and_the_readme_row_show_the_teacher_figure_beside_the_students(chain):
    from genvision.generators import ZooEntry
    from tests.zoo.test_bundle_metrics import load_script

    _, out = chain
    config = json.loads((out / "round-01" / "bundle" / "config.json").read_text())
    config["distillation"]["first_teacher"]["metrics"] = {"classifier_fid": 0.25}
    config["metrics"] = {"classifier_fid": 0.3}
    line = ZooEntry(
        "s", "ddpm", out, 1.0, config["metrics"], {}, config["distillation"]["first_teacher"]
    ).line()
    assert line.endswith(
        "classifier_fid=0.3  (teacher "
        + config["distillation"]["first_teacher"]["name"]
        + ": classifier_fid=0.25)"
    )
    row = load_script("zoo_table").row("s", config)
    assert "classifier FID 0.300, teacher `" in row and "`: classifier FID 0.250" in row
