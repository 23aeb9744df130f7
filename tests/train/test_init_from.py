"""train.init_from: a run starts from a bundle's weights; bundles add up their training across runs."""

import json
import shutil

import pytest
import torch
from safetensors.torch import load_file

from genvision.errors import ConfigError
from genvision.io.tensorfile import load_state
from genvision.train.checkpoints import list_checkpoints
from genvision.train.init_from import bundle_totals
from genvision.train.trainer import Trainer
from tests.train.test_resume_and_checkpoints import tiny_config


def weights(bundle) -> dict[str, torch.Tensor]:
    return load_file(bundle / "classifier" / "model.safetensors")


def training(bundle) -> dict:
    return json.loads((bundle / "config.json").read_text())["training"]


@pytest.fixture(scope="module")
def first(tmp_path_factory):
    return Trainer(tiny_config("train.steps=3"), tmp_path_factory.mktemp("first"), quiet=True).run()


def test_run_starts_from_the_bundle_and_adds_its_totals(first, tmp_path):
    # lr 0: the weights cannot move, so the exported (EMA) weights are the starting ones exactly
    second = Trainer(
        tiny_config("train.steps=2", "train.lr=0.0", f"train.init_from={first}"), tmp_path, quiet=True
    ).run()
    a, b = weights(first), weights(second)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    record = training(second)
    assert record["init_from"] == str(first)
    before = training(first)["totals"]
    assert before["steps"] == 3 and before["images"] == 48 and before["runs"] == 1
    totals = record["totals"]
    assert totals["steps"] == 5 and totals["images"] == 80 and totals["runs"] == 2
    assert totals["hours"] >= before["hours"] > 0
    # without init_from the run starts from fresh weights
    fresh = Trainer(tiny_config("train.steps=2", "train.lr=0.0"), tmp_path / "fresh", quiet=True).run()
    assert not all(torch.equal(a[k], weights(fresh)[k]) for k in a)


def test_wrong_family_and_wrong_shape_are_config_errors(first, tmp_path):
    with pytest.raises(ConfigError, match="is a 'vae' bundle; this run trains 'classifier'"):
        Trainer(tiny_config("train.steps=1", "train.init_from=fashion-vae"), tmp_path / "a", quiet=True).run()
    with pytest.raises(ConfigError, match=r"weight .* is \[16.*the network's is \[32"):
        Trainer(
            tiny_config("train.steps=1", "model.channels=[8,32]", f"train.init_from={first}"),
            tmp_path / "b",
            quiet=True,
        ).run()
    assert not (tmp_path / "a" / "bundle").exists() and not (tmp_path / "b" / "bundle").exists()


def test_resumed_sessions_add_up_in_the_record(tmp_path):
    full = tmp_path / "full"
    Trainer(tiny_config("train.steps=4", "train.checkpoint_every=2"), full, quiet=True).run()
    part = tmp_path / "part" / "checkpoints"
    part.mkdir(parents=True)
    shutil.copy(list_checkpoints(full / "checkpoints")[0], part)  # stopped after step 2
    earlier = float(load_state(list_checkpoints(part)[0])["seconds"])
    assert earlier > 0
    bundle = Trainer(
        tiny_config("train.steps=4", "train.checkpoint_every=2"), part.parent, resume=True, quiet=True
    ).run()
    record = training(bundle)
    assert record["seconds_this_run"] == pytest.approx(record["seconds_this_session"] + earlier, abs=0.2)
    assert record["totals"]["steps"] == 4 and record["totals"]["runs"] == 1


def test_totals_of_bundles_from_before_totals():
    assert bundle_totals({"steps": 10, "images_seen": 640, "seconds_this_session": 360.0}) == {
        "steps": 10,
        "images": 640,
        "hours": 0.1,
        "runs": 1,
    }
    # schema-1 bundles kept only the train config
    assert bundle_totals({"recipe": {"steps": 1500, "batch_size": 64}}) == {
        "steps": 1500,
        "images": 96000,
        "hours": 0.0,
        "runs": 1,
    }
    assert (
        bundle_totals({"recipe": {"steps": 2968, "batch_size": 64, "seconds": 2412.7}})["hours"] == 0.670194
    )
