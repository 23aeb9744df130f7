"""`data prepare`: prepared folders equal their source, are written atomically, resume after a kill, and are
refused in one line when partial or stale."""

import json
import signal
import subprocess
import sys

import numpy as np
import pytest

from genvision.data import load_dataset
from genvision.data.celebamask import IMG_DIR, CelebAMaskHQ
from genvision.data.prepare import prepare_folder
from genvision.data.synthetic import make_mini_celebamask_tree
from genvision.errors import GenvisionError
from tests.conftest import GENVISION


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = make_mini_celebamask_tree(tmp_path_factory.mktemp("tree"), n=30, size=48, mask_size=32)
    for i in range(30):  # asymmetric captions: a varying number of lines per image
        (root / "celeba-caption" / f"{i}.txt").write_text(
            "".join(f"face {i} caption {k}\n" for k in range(1 + i % 3))
        )
    return root


def test_prepared_folder_equals_its_source(tree, tmp_path):
    folder, manifest = prepare_folder("celebamask-hq", 24, tmp_path / "p", data_dir=tree)
    source = CelebAMaskHQ(tree, "train", image_size=24, with_masks=True)
    prepared = load_dataset(f"prepared:{folder}")
    assert manifest["count"] == len(source) == len(prepared) == 27 and manifest["size"] == 24
    assert set(manifest["files"]) == {
        "images.npy",
        "labels.npy",
        "source_index.npy",
        "masks.npy",
        "captions.jsonl",
    }
    assert all(len(f["sha256"]) == 64 for f in manifest["files"].values())
    assert prepared.info.shape == (3, 24, 24) and prepared.info.mask_flip_pairs == source.info.mask_flip_pairs
    assert isinstance(prepared.images, np.memmap)
    for i in (0, 5, 26):
        a, b = source.raw(i), prepared.raw(i)
        np.testing.assert_array_equal(a["image"], b["image"])
        np.testing.assert_array_equal(a["mask"], b["mask"])
        assert prepared.captions(i) == source.captions(i) and len(source.captions(i)) == 1 + source.ids[i] % 3


def test_corrupt_source_image_is_skipped_with_its_mask_and_captions(tree, tmp_path):
    broken = tmp_path / "tree"
    make_mini_celebamask_tree(broken, n=12, size=48, mask_size=32)
    for i in range(12):
        (broken / "celeba-caption" / f"{i}.txt").write_text(f"only face {i}\n")
    (broken / IMG_DIR / "3.jpg").write_bytes(b"broken")
    source = CelebAMaskHQ(broken, "all", image_size=24, with_masks=True)
    with pytest.warns(UserWarning, match="3.jpg"):
        item = source.raw(3)  # replaced by image 4 together with its label map, and says so
    assert item["index"] == 4
    np.testing.assert_array_equal(item["mask"], source.label_map(4))
    with pytest.warns(UserWarning, match="3.jpg"):
        folder, manifest = prepare_folder("celebamask-hq:train", 24, tmp_path / "p", data_dir=broken)
    prepared = load_dataset(f"prepared:{folder}")
    # train split: ids 1-9 and 11 (0 and 10 are test); id 3 sits at position 2 and is skipped
    assert manifest["skipped"] == [2] and len(prepared) == 10 - 1
    rows = np.load(folder / "source_index.npy")[: len(prepared)].tolist()
    assert 2 not in rows
    train = CelebAMaskHQ(broken, "train", image_size=24, with_masks=True)
    k = rows.index(3)  # id 4
    assert prepared.captions(k) == ["only face 4"] == train.captions(3)
    np.testing.assert_array_equal(prepared.raw(k)["mask"], train.label_map(3))


def test_a_killed_prepare_leaves_nothing_that_loads_and_the_same_command_continues(tree, tmp_path):
    out = tmp_path / "p"
    script = (
        "import os, signal, sys\n"
        "from genvision.data.prepare import prepare_folder\n"
        "def kill(done, total):\n"
        "    if done == 20: os.kill(os.getpid(), signal.SIGKILL)\n"
        f"prepare_folder('celebamask-hq', 24, {str(out)!r}, data_dir={str(tree)!r}, flush_every=8, progress=kill)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL
    assert not out.exists() and (tmp_path / "p.partial").is_dir()
    with pytest.raises(GenvisionError, match=r"not a finished prepared folder.*rerun genvision data prepare"):
        load_dataset(f"prepared:{tmp_path / 'p.partial'}")
    assert json.loads((tmp_path / "p.partial" / "progress.json").read_text())["done"] == 16
    seen = []
    folder, manifest = prepare_folder(
        "celebamask-hq", 24, out, data_dir=tree, progress=lambda d, n: seen.append(d)
    )
    assert seen[0] == 17 and not (tmp_path / "p.partial").exists()  # continued after the last record
    clean, _ = prepare_folder("celebamask-hq", 24, tmp_path / "clean", data_dir=tree)
    for name in manifest["files"]:
        assert (folder / name).read_bytes() == (clean / name).read_bytes(), name


def test_stale_or_changed_folders_are_refused_in_one_line(tree, tmp_path):
    folder, _ = prepare_folder("celebamask-hq", 16, tmp_path / "p", data_dir=tree)
    with pytest.raises(GenvisionError, match="prepared with size 16, the config asks for 32"):
        load_dataset(f"prepared:{folder}", image_size=32)
    with pytest.raises(GenvisionError, match="already holds a prepared folder with size 16, not 24"):
        prepare_folder("celebamask-hq", 24, folder, data_dir=tree)
    with open(folder / "labels.npy", "ab") as fh:
        fh.write(b"x")
    with pytest.raises(GenvisionError, match=r"labels.npy has \d+ bytes, the manifest says"):
        load_dataset(f"prepared:{folder}")


def test_cli_prepare_and_its_errors(tree, tmp_path):
    ok = subprocess.run(
        GENVISION
        + [
            "data",
            "prepare",
            "celebamask-hq",
            "--data-dir",
            str(tree),
            "--size",
            "16",
            "--out",
            str(tmp_path / "p"),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0 and "prepared 27 images of celebamask-hq at 16x16" in ok.stdout, ok.stderr
    bad = subprocess.run(
        GENVISION + ["data", "prepare", "celebamask-hq", "--size", "16"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and bad.stderr.strip().count("\n") == 0 and "--out DIR" in bad.stderr
