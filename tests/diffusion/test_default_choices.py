"""How benchmarks/sampler_steps.py and benchmarks/guidance.py choose a bundle's sampling defaults and store them."""

import importlib.util
import shutil
import sys

import genvision
from tests.conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))  # the scripts import their sibling scripts


def script(name):
    spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


sampler_steps, guidance = script("sampler_steps"), script("guidance")


def test_fewest_dpmpp_steps_within_tolerance_of_ddim50():
    rows = [
        {"sampler": "ddim", "steps": 50, "fid": 1.00},
        {"sampler": "dpmpp", "steps": 5, "fid": 1.20},
        {"sampler": "dpmpp", "steps": 8, "fid": 1.04},
        {"sampler": "dpmpp", "steps": 10, "fid": 0.90},
    ]
    assert sampler_steps.pick_default(rows, 0.05)["steps"] == 8
    assert sampler_steps.pick_default(rows, 0.0)["steps"] == 10
    assert sampler_steps.pick_default(rows[:2], 0.05)["sampler"] == "ddim"  # nothing good enough: DDIM-50


def test_guidance_is_chosen_on_validation_within_the_fid_tolerance():
    rows = [
        {"guidance": 2.0, "fid": 1.00, "validation_share": 0.90, "paraphrase_share": 0.99},
        {"guidance": 4.0, "fid": 1.10, "validation_share": 0.95, "paraphrase_share": 0.80},
        {"guidance": 7.0, "fid": 1.60, "validation_share": 0.99, "paraphrase_share": 0.99},
    ]
    # the paraphrases (the test split) never decide; 7 is too far from the best FID at 25 %
    assert guidance.pick(rows, 0.25)["guidance"] == 4.0
    assert guidance.pick(rows, 1.0)["guidance"] == 7.0
    assert guidance.pick(rows, 0.0)["guidance"] == 2.0


def test_write_sampling_keeps_other_fields_and_records_the_measurement(tmp_path):
    folder = tmp_path / "ddpm"
    shutil.copytree(REPO / "src" / "genvision" / "zoo" / "fashion-ddpm", folder)
    before = genvision.load(str(folder)).spec.sampling
    sampler_steps.write_sampling(str(folder), {"guidance": 4.5}, {"guidance_benchmark": "x"})
    sampler_steps.write_default(str(folder), {"sampler": "ddim", "steps": 12, "fid": 0.123456})
    after = genvision.load(str(folder))
    s = after.spec.sampling
    assert (s.guidance, s.sampler, s.steps, s.spacing) == (4.5, "ddim", 12, before.spacing)
    assert "measured" not in after.bundle.config["sampling"]
    assert after.bundle.config["sampling"]["chosen_by"] == {
        "guidance_benchmark": "x",
        "fid": 0.1235,
        "benchmark": "benchmarks/sampler_steps.py",
    }
