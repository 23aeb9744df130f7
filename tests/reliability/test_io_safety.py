"""Output files follow the umask; foreign PyTorch weights are read only with the weights-only unpickler."""

import os
import stat
import subprocess
import sys

import pytest
import torch

from genvision.errors import BundleError
from genvision.io.atomic import atomic_path, atomic_write_text, current_umask
from genvision.io.tensorfile import load_state, load_tensors, save_state, save_tensors


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def umask():
    old = os.umask(0o022)
    os.umask(old)

    def set_mask(value):
        os.umask(value)

    yield set_mask
    os.umask(old)


@pytest.mark.parametrize("mask, expected", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600), (0o000, 0o666)])
def test_atomic_writes_follow_the_umask(tmp_path, umask, mask, expected):
    umask(mask)
    assert current_umask() == mask
    atomic_write_text(tmp_path / "a.txt", "x")
    save_tensors(tmp_path / "w.safetensors", {"w": torch.ones(2)})
    save_state(tmp_path / "s.safetensors", {"step": 1})
    with atomic_path(
        tmp_path / "b.bin"
    ) as tmp:  # a writer that replaces the temporary file keeps the same rule
        tmp.unlink()
        tmp.write_bytes(b"y")
    for name in ("a.txt", "w.safetensors", "s.safetensors", "b.bin"):
        assert mode(tmp_path / name) == expected, name
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_a_cli_grid_follows_the_umask(tmp_path):
    """A real command (what a web server or a colleague would read) under umask 002 writes a 0664 file."""
    code = (
        "import os, sys; os.umask(0o002); sys.argv = ['genvision'] + sys.argv[1:]; "
        "from genvision.cli.main import main; main()"
    )
    out = tmp_path / "grid.png"
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            "sample",
            "fashion-dcgan",
            "-n",
            "2",
            "--out",
            str(out),
            "--npy",
            str(tmp_path / "x.npy"),
            "--quiet",
            "--device",
            "cpu",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert mode(out) == 0o664 and mode(tmp_path / "x.npy") == 0o664


def test_foreign_state_dict_loads_with_the_weights_only_unpickler(tmp_path):
    net = torch.nn.Linear(3, 2)
    torch.save(net.state_dict(), tmp_path / "model.pt")
    torch.save({"state_dict": net.state_dict(), "epoch": 3}, tmp_path / "lightning.ckpt")
    for name in ("model.pt", "lightning.ckpt"):
        state = load_tensors(tmp_path / name)
        assert set(state) == {"weight", "bias"} and torch.equal(state["weight"], net.weight.detach())


class _RunsCode:
    """A pickle payload that would create a file if it were ever unpickled with the full unpickler."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_pickles_with_code_are_refused_without_running_it(tmp_path):
    marker = tmp_path / "pwned"
    torch.save({"weight": torch.ones(1), "evil": _RunsCode(marker)}, tmp_path / "evil.pt")
    with pytest.raises(BundleError, match="weights_only=True"):
        load_tensors(tmp_path / "evil.pt")
    assert not marker.exists()
    torch.save({"weight": torch.ones(1), "epoch": 3}, tmp_path / "mixed.pt")
    with pytest.raises(BundleError, match="not a flat state dict: entry 'epoch'"):
        load_tensors(tmp_path / "mixed.pt")
    (tmp_path / "plain.pkl").write_bytes(b"\x80\x04K\x01.")
    with pytest.raises(BundleError, match="never unpickles"):
        load_tensors(tmp_path / "plain.pkl")
    (tmp_path / "junk.pt").write_bytes(b"not a torch file")
    with pytest.raises(BundleError, match="not a plain PyTorch state dict"):
        load_tensors(tmp_path / "junk.pt")
    torch.save({"step": 1}, tmp_path / "ckpt.pt")
    with pytest.raises(BundleError, match="pickled ones are never loaded"):
        load_state(tmp_path / "ckpt.pt")


def test_a_bundle_component_may_hold_a_plain_state_dict(tmp_path):
    """The way to bring foreign weights in: the component's config.json beside a `model.pt` state dict."""
    from genvision.models.bundle import load_module, save_bundle
    from genvision.models.classifier import ClassifierNet

    torch.manual_seed(0)
    net = ClassifierNet(channels=(8,), groups=4)
    folder = save_bundle(tmp_path / "b", "classifier", {"classifier": net}, {})
    (folder / "classifier" / "model.safetensors").unlink()
    torch.save(net.state_dict(), folder / "classifier" / "model.pt")
    loaded = load_module(folder / "classifier")
    assert all(torch.equal(a, b) for a, b in zip(loaded.state_dict().values(), net.state_dict().values()))


def test_bundle_folders_follow_the_umask(tmp_path, umask):
    from genvision.models.bundle import save_bundle
    from genvision.models.classifier import ClassifierNet

    umask(0o022)
    folder = save_bundle(
        tmp_path / "b", "classifier", {"classifier": ClassifierNet(channels=(8,), groups=4)}, {}
    )
    assert mode(folder) == 0o755 and mode(folder / "classifier") == 0o755
