"""Every number a shipped bundle publishes was written by scripts/measure_bundle.py, and the README shows those.

- each bundle's `metrics` holds only keys the measuring script writes for its kind (hand-edited keys fail here);
- its `measured` block says how (n, seed, reference, feature network, CPU, date, version, command);
- no `sampling.measured` (a hand-written FID once lived there);
- README.md's zoo table equals the one scripts/zoo_table.py renders from the bundles.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess

import pytest

from tests.conftest import GENVISION, REPO

ZOO = REPO / "src" / "genvision" / "zoo"
GENERATOR = {"classifier_fid", "real_vs_real_fid", "fid_over_floor"}
ALLOWED = {  # kind -> the metric keys scripts/measure_bundle.py writes
    "classifier": {"test_accuracy"},
    "vae": {"psnr", "ssim", "elbo", "kl", "nll", "bits_per_dim"},
    "vqvae": {"psnr", "ssim", "codebook_usage", "codebook_perplexity"},
    "autoencoder": {"psnr", "ssim", "codebook_usage", "codebook_perplexity"},
    "dcgan": GENERATOR,
    "cgan": GENERATOR | {"label_accuracy"},
    "stylegan": GENERATOR | {"label_accuracy"},
    "ddpm": GENERATOR,
    "ldm": GENERATOR,
}
HOW = {"n", "seed", "reference", "cpu", "date", "genvision_version", "command"}
# every bundle, nested ones too (fashion-ldm/autoencoder is a bundle of its own inside the LDM's folder)
BUNDLES = sorted(
    str(p.parent.relative_to(ZOO))
    for p in ZOO.glob("**/config.json")
    if "components" in json.loads(p.read_text())
)


def load_script(name: str):
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", BUNDLES)
def test_metrics_are_the_measuring_scripts_and_say_how(name):
    config = json.loads((ZOO / name / "config.json").read_text())
    extra = set(config["metrics"]) - ALLOWED[config["kind"]]
    assert not extra, f"{name}: metric keys no code writes: {sorted(extra)}"
    assert config["metrics"], f"{name}: not measured (python scripts/measure_bundle.py {name} --write)"
    missing = HOW - set(config.get("measured") or {})
    assert not missing, f"{name}: the measured block lacks {sorted(missing)}"
    assert "measured" not in (config.get("sampling") or {})
    if config["kind"] in ("dcgan", "cgan", "stylegan", "ddpm", "ldm"):
        features = {"fashion-mnist": "fashion-classifier", "mnist": "mnist-classifier"}  # as the script uses
        assert config["measured"]["feature_network"] == features[config["data"]["dataset"]]


def test_readme_zoo_table_is_generated_from_the_bundles():
    block = load_script("zoo_table").table()
    assert block in (REPO / "README.md").read_text(), (
        "README.md's zoo table is stale: python scripts/zoo_table.py --write"
    )


def test_the_readme_check_can_fail():
    zoo_table = load_script("zoo_table")
    config = json.loads((ZOO / "fashion-classifier" / "config.json").read_text())
    changed = {**config, "metrics": {"test_accuracy": config["metrics"]["test_accuracy"] + 0.01}}
    assert zoo_table.row("fashion-classifier", changed) != zoo_table.row("fashion-classifier", config)


def test_zoo_measure_writes_what_it_measured_into_a_copy(tmp_path):
    """`genvision zoo --measure FOLDER --write` replaces the metrics by the measured ones and records how; the
    shipped bundle it was copied from is untouched."""
    folder = tmp_path / "clf"
    shutil.copytree(ZOO / "fashion-classifier", folder)
    config = json.loads((folder / "config.json").read_text())
    config["metrics"] = {"test_accuracy": 0.0, "hand_edited": 1.0}
    (folder / "config.json").write_text(json.dumps(config))
    proc = subprocess.run(
        [*GENVISION, "zoo", "--measure", str(folder), "--n", "40", "--write"], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    written = json.loads((folder / "config.json").read_text())
    assert set(written["metrics"]) == {"test_accuracy"} and written["metrics"]["test_accuracy"] > 0.5
    assert written["measured"]["n"] == 40 and written["measured"]["command"].startswith(
        "genvision zoo --measure"
    )
    shipped = json.loads((ZOO / "fashion-classifier" / "config.json").read_text())
    assert shipped["measured"]["n"] == 1000


def test_zoo_measure_of_an_unknown_bundle_is_one_line(tmp_path):
    proc = subprocess.run([*GENVISION, "zoo", "--measure", "no-such-bundle"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "neither a bundle folder nor a shipped" in proc.stderr


def test_zoo_measure_over_several_seeds_averages_the_per_seed_fids():
    """`--seeds 0,2`: the FID is the mean of the seeds' FIDs, each listed, and seed 0's is the one-seed figure."""
    from genvision.workflows.measure import measure_bundle

    one, how_one = measure_bundle("fashion-dcgan", 40, command="test")
    both, how = measure_bundle("fashion-dcgan", 40, command="test", seeds=(0, 2))
    per_seed = how["per_seed"]
    assert how["seed"] == [0, 2] and how_one["seed"] == 0 and "per_seed" not in how_one
    assert per_seed["0"] == pytest.approx(one["classifier_fid"], rel=1e-5)
    assert per_seed["0"] != pytest.approx(per_seed["2"], rel=1e-3)
    assert both["classifier_fid"] == pytest.approx((per_seed["0"] + per_seed["2"]) / 2, rel=1e-5)
    assert both["real_vs_real_fid"] == one["real_vs_real_fid"]


def test_zoo_measure_refuses_bad_seeds_in_one_line():
    from genvision.cli.zoo import parse_seeds
    from genvision.errors import GenvisionError
    from genvision.workflows.measure import measure_bundle

    with pytest.raises(GenvisionError, match="integers separated by commas"):
        parse_seeds("0,x")
    with pytest.raises(GenvisionError, match="distinct integers >= 0"):
        measure_bundle("fashion-dcgan", 40, command="test", seeds=(-1,))
    proc = subprocess.run(
        [*GENVISION, "zoo", "--measure", "fashion-dcgan", "--seeds", "0,0"], capture_output=True, text=True
    )
    assert proc.returncode == 2 and proc.stderr.strip().count("\n") == 0 and "seeds" in proc.stderr


def test_a_students_teacher_figure_is_refreshed_from_the_shipped_teacher(tmp_path):
    """Writing a student's metrics copies its shipped first teacher's current metrics and `measured` block (so
    `genvision zoo` shows the two measured alike); the teacher's own file is untouched."""
    from genvision.workflows.measure import write_measurement

    folder = tmp_path / "student"
    shutil.copytree(ZOO / "fashion-ldm-2step", folder)
    config = json.loads((folder / "config.json").read_text())
    config["distillation"]["first_teacher"]["metrics"] = {"classifier_fid": 9.0}
    (folder / "config.json").write_text(json.dumps(config))
    write_measurement(str(folder), {"classifier_fid": 0.5}, {"n": 10, "seed": 0})
    written = json.loads((folder / "config.json").read_text())
    teacher = json.loads((ZOO / "fashion-ldm" / "config.json").read_text())
    assert written["metrics"] == {"classifier_fid": 0.5}
    assert written["distillation"]["first_teacher"]["metrics"] == teacher["metrics"]
    assert written["distillation"]["first_teacher"]["measured"] == teacher["measured"]
