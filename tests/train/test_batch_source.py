"""The streaming loader: the same batches for any number of workers, after a resume, and for in-memory or
memory-mapped data; flips drawn from (seed, step, index); only batches on the device."""

import numpy as np
import pytest
import torch
from PIL import Image

from genvision.data import load_dataset
from genvision.data.augment import flips, splitmix64
from genvision.data.base import ArrayDataset, DataInfo
from genvision.data.celebamask import CelebAMaskHQ, part_index
from genvision.data.synthetic import make_mini_celebamask_tree
from genvision.train.batch_source import BatchSource, in_memory
from genvision.train.data_order import DataOrder


def _batches(dataset, workers, steps, start=0, hflip=True, batch=6, rank=0, world=1):
    order = DataOrder(len(dataset), batch, seed=3, rank=rank, world=world)
    source = BatchSource(dataset, order, torch.device("cpu"), workers, hflip, seed=3, stop=start + steps)
    try:
        return [source.get(s) for s in range(start, start + steps)]
    finally:
        source.close()


def _same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


@pytest.fixture(scope="module")
def image_folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("folder")
    rng = np.random.default_rng(0)
    for cls in ("a", "b"):
        (root / cls).mkdir()
        for i in range(9):
            Image.fromarray(rng.integers(0, 256, (12, 12, 3), dtype=np.uint8)).save(root / cls / f"{i}.png")
    return root


def test_splitmix64_reference_values():
    # first outputs of the reference splitmix64 generator seeded with 0 (state += golden gamma each call)
    assert splitmix64(0) == 0xE220A8397B1DCDAF
    assert splitmix64(0x9E3779B97F4A7C15) == 0x6E789E6AA1B965F4


def test_flips_are_a_fair_pure_function_of_seed_step_index():
    draws = [flips(0, s, i) for s in range(40) for i in range(50)]
    assert 0.45 < np.mean(draws) < 0.55
    assert flips(1, 7, 9) == flips(1, 7, 9)
    assert [flips(0, 5, i) for i in range(64)] != [flips(1, 5, i) for i in range(64)]


def test_same_batches_for_0_1_2_workers_and_after_a_resume(image_folder):
    ds = load_dataset(f"folder:{image_folder}")
    assert not in_memory(ds)
    ref = _batches(ds, 0, 5)
    for workers in (1, 2):
        for a, b in zip(ref, _batches(ds, workers, 5)):
            _same(a, b)
    for a, b in zip(ref[3:], _batches(ds, 2, 2, start=3)):  # a run resumed at step 3
        _same(a, b)
    assert ref[0]["image"].dtype == torch.float32 and ref[0]["image"].shape == (6, 3, 12, 12)
    assert -1 <= ref[0]["image"].min() and ref[0]["image"].max() <= 1
    # ranks of a 2-process run see the two halves of the global batch
    halves = [_batches(ds, 1, 2, rank=r, world=2) for r in (0, 1)]
    for s in range(2):
        _same({k: torch.cat([halves[0][s][k], halves[1][s][k]]) for k in ref[s]}, ref[s])


def test_flip_is_applied_per_item_from_seed_step_and_index(image_folder):
    ds = load_dataset(f"folder:{image_folder}")
    plain, flipped = _batches(ds, 0, 3, hflip=False), _batches(ds, 0, 3, hflip=True)
    for step in range(3):
        for k, index in enumerate(plain[step]["index"].tolist()):
            expect = plain[step]["image"][k].flip(-1) if flips(3, step, index) else plain[step]["image"][k]
            assert torch.equal(flipped[step]["image"][k], expect)


def test_memory_mapped_arrays_stream_and_match_the_in_memory_path(tmp_path):
    rng = np.random.default_rng(1)
    images, masks = rng.integers(0, 256, (30, 8, 8), np.uint8), rng.integers(0, 3, (30, 8, 8), np.uint8)
    info = DataInfo("t", (1, 8, 8), num_mask_classes=3, mask_flip_pairs=[(1, 2)])
    labels = np.arange(30) % 3
    np.save(tmp_path / "x.npy", images)
    mapped = ArrayDataset(np.load(tmp_path / "x.npy", mmap_mode="r"), labels, info, masks)
    memory = ArrayDataset(images, labels, info, masks)
    assert in_memory(memory) and not in_memory(mapped)
    for a, b in zip(_batches(memory, 0, 6), _batches(mapped, 2, 6)):
        _same(a, b)


def test_celebamask_flip_swaps_left_and_right_parts(tmp_path):
    tree = make_mini_celebamask_tree(tmp_path, n=12, size=32, mask_size=32)
    ds = CelebAMaskHQ(tree, "all", image_size=32, with_masks=True)
    plain, flipped = _batches(ds, 0, 2, hflip=False), _batches(ds, 1, 2, hflip=True)
    l_eye, r_eye = part_index("l_eye"), part_index("r_eye")
    checked = 0
    for step in range(2):
        for k, index in enumerate(plain[step]["index"].tolist()):
            if not flips(3, step, index):
                continue
            before, after = plain[step]["mask"][k], flipped[step]["mask"][k]
            # the synthetic left eye sits left of centre: mirrored, it is on the right and is the right eye
            assert (before == l_eye).any() and (before == l_eye).nonzero()[:, 1].float().mean() < 16
            assert torch.equal(after == r_eye, (before == l_eye).flip(-1))
            assert torch.equal(after == l_eye, (before == r_eye).flip(-1))
            assert torch.equal(after == part_index("hair"), (before == part_index("hair")).flip(-1))
            checked += 1
    assert checked >= 2
