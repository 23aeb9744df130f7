import json

import pytest
import torch

from genvision.errors import BundleError
from genvision.models.bundle import load_bundle, load_module, save_bundle
from genvision.models.classifier import ClassifierNet


def test_bundle_roundtrip_with_nested_bundle_and_fp16(tmp_path):
    net = ClassifierNet(in_channels=1, num_classes=3, channels=(8, 16), groups=4)
    inner = save_bundle(tmp_path / "inner", "classifier", {"classifier": net}, {"data": {"shape": [1, 8, 8]}})
    outer = save_bundle(
        tmp_path / "outer",
        "pair",
        {"net": net, "inner": load_bundle(inner)},
        {"note": 1},
        dtype=torch.float16,
    )
    b = load_bundle(outer, kinds=("pair",))
    assert b.config["note"] == 1 and b.config["components"] == ["net", "inner"]
    again = b.component("net")
    x = torch.randn(2, 1, 8, 8)
    net.eval()
    torch.testing.assert_close(again(x), net(x), atol=2e-2, rtol=2e-2)  # fp16 storage
    assert next(again.parameters()).dtype == torch.float32
    exact = b.sub_bundle("inner").component("classifier")
    assert torch.equal(exact(x), net(x))


def test_wrong_kind_truncated_and_pickled_are_clear_errors(tmp_path):
    net = ClassifierNet(channels=(8,), groups=4)
    folder = save_bundle(tmp_path / "b", "classifier", {"classifier": net}, {})
    with pytest.raises(BundleError, match="'classifier' bundle; this command needs one of: ddpm"):
        load_bundle(folder, kinds=("ddpm",))
    weights = folder / "classifier" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(BundleError, match="truncated or corrupt"):
        load_module(folder / "classifier")
    torch.save(net.state_dict(), tmp_path / "model.pt")
    with pytest.raises(BundleError, match="is a PyTorch file"):
        load_bundle(tmp_path / "model.pt")
    with pytest.raises(BundleError, match="neither a bundle folder nor a shipped bundle"):
        load_bundle(tmp_path / "nope")


def test_mismatched_weights_are_explained(tmp_path):
    folder = save_bundle(
        tmp_path / "b", "classifier", {"classifier": ClassifierNet(channels=(8,), groups=4)}, {}
    )
    cfg = json.loads((folder / "classifier" / "config.json").read_text())
    cfg["args"]["channels"] = [16]
    (folder / "classifier" / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(BundleError, match="do not match ClassifierNet"):
        load_module(folder / "classifier")


def test_bundles_naming_the_classes_before_their_rename_still_load(tmp_path):
    """Bundles written before Classifier became ClassifierNet (the shipped ones among them) name the old class."""
    net = ClassifierNet(channels=(8,), groups=4).eval()
    folder = save_bundle(tmp_path / "b", "classifier", {"classifier": net}, {})
    cfg = json.loads((folder / "classifier" / "config.json").read_text())
    assert cfg["class"] == "ClassifierNet"
    (folder / "classifier" / "config.json").write_text(json.dumps({**cfg, "class": "Classifier"}))
    again = load_module(folder / "classifier")
    x = torch.randn(2, 1, 8, 8)
    assert type(again) is ClassifierNet and torch.equal(again(x), net(x))
