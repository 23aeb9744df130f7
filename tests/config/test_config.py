import pytest

from genvision.errors import ConfigError
from genvision.train.families import load_run_config
from tests.conftest import REPO

CFG = REPO / "configs" / "classifier_fashion.yaml"


def test_overrides_are_typed_and_nested():
    cfg = load_run_config(
        CFG, ["train.lr=3e-3", "train.betas=[0.5, 0.9]", "model.channels=[4, 8]", "train.grad_clip=null"]
    )
    assert cfg.train.lr == 0.003 and cfg.train.betas == (0.5, 0.9) and cfg.model.channels == (4, 8)
    assert cfg.train.grad_clip is None


@pytest.mark.parametrize(
    "override, message",
    [
        ("train.bogus=1", "unknown config key 'train.bogus'"),
        ("model.chanels=[1]", "unknown config key 'model.chanels'"),
        ("train.steps=ten", "train.steps: expected an integer"),
        ("train.lr_schedule=linear", "not one of 'constant', 'cosine'"),
        ("train.betas=[0.5]", "expected 2 values"),
        ("nokey", "key.sub=value"),
        ("family=nothing", "unknown family 'nothing'"),
    ],
)
def test_bad_overrides_name_the_key(override, message):
    with pytest.raises(ConfigError, match=message):
        load_run_config(CFG, [override])


def test_every_shipped_preset_validates():
    presets = sorted((REPO / "configs").glob("*.yaml"))
    assert presets
    for path in presets:
        load_run_config(path)
