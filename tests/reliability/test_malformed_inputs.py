"""A corpus of malformed command lines across every command: each must fail cleanly.

Clean = exit code != 0, a few lines on stderr that say `error: ...` (usage mistakes: the usage line first), no
traceback, and the files already in the output folder untouched (nothing new left there either). The cases run as
real processes, forked one per case by a single helper process (tests/reliability/cli_batch.py), so the corpus
costs one interpreter start-up rather than sixty.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import save_file

from tests.conftest import REPO

ZOO = REPO / "src" / "genvision" / "zoo"
CLASSIFIER = str(REPO / "configs" / "classifier_fashion.yaml")
TINY = [
    "data.name=synthetic",
    "model.channels=[8]",
    "model.groups=4",
    "train.batch_size=8",
    "train.steps=1",
    "train.tensorboard=false",
    "train.device=cpu",
]
MAX_STDERR_LINES = 4  # a usage error: usage line, help hint, error line
pytestmark = pytest.mark.slow  # ~85 processes; 15-60 s on 2 cores depending on load


def xfail(reason):
    return {"xfail": reason}


# (id, argv, options). {IN}: shared malformed inputs; {OUT}: this case's output folder, which holds sentinel files
# (out.png, out.npy, codes.safetensors, dirs.safetensors, out.json) that must survive the failure unchanged.
CASES = [
    # ---- usage mistakes (any command) ----
    ("typo-command", ["sampel", "fashion-dcgan"], {"stderr": "Did you mean 'sample'"}),
    ("missing-model", ["sample"], {"stderr": "Missing argument"}),
    (
        "unknown-option",
        ["sample", "fashion-dcgan", "--bogus", "--out", "{OUT}/out.png"],
        {"stderr": "No such option"},
    ),
    (
        "n-not-a-number",
        ["sample", "fashion-dcgan", "-n", "abc", "--out", "{OUT}/out.png"],
        {"stderr": "'-n'"},
    ),
    ("zoo-extra-argument", ["zoo", "extra"], {}),
    ("serve-port-not-a-number", ["serve", "--port", "abc"], {}),
    ("data-unknown-subcommand", ["data", "inspect", "mnist"], {}),
    # ---- export ----
    ("export-classifier", ["export", "fashion-classifier", "--out", "{OUT}/onnx"], {"stderr": "classifier"}),
    ("export-unknown-format", ["export", "fashion-dcgan", "--format", "tflite", "--out", "{OUT}/onnx"], {}),
    ("export-into-a-folder-with-files", ["export", "fashion-dcgan", "--out", "{OUT}"], {}),
    ("export-missing-out", ["export", "fashion-dcgan"], {"stderr": "--out"}),
    ("export-unknown-bundle", ["export", "no-such-bundle", "--out", "{OUT}/onnx"], {}),
    # ---- distill ----
    ("distill-unknown-bundle", ["distill", "no-such-bundle", "--steps", "4", "--out", "{OUT}/d"], {}),
    (
        "distill-gan-teacher",
        ["distill", "fashion-dcgan", "--steps", "4", "--out", "{OUT}/d"],
        {"stderr": "dcgan"},
    ),
    (
        "distill-zero-steps",
        ["distill", "fashion-ldm", "--steps", "0", "--out", "{OUT}/d"],
        {"stderr": "--steps"},
    ),
    (
        "distill-zero-teacher-steps",
        ["distill", "fashion-ldm", "--steps", "4", "--teacher-steps", "0", "--out", "{OUT}/d"],
        {"stderr": "--teacher-steps"},
    ),
    (
        "distill-steps-not-a-halving",
        ["distill", "fashion-ldm", "--steps", "3", "--teacher-steps", "16", "--out", "{OUT}/d"],
        {"stderr": "halved"},
    ),
    ("distill-missing-out", ["distill", "fashion-ldm", "--steps", "4"], {"stderr": "--out"}),
    (
        "distill-unknown-config-key",
        ["distill", "fashion-ldm", "--steps", "4", "--out", "{OUT}/d", "train.bogus=1"],
        {"stderr": "train.bogus"},
    ),
    # ---- sample ----
    ("sample-n-zero", ["sample", "fashion-dcgan", "-n", "0", "--out", "{OUT}/out.png"], {}),
    ("sample-n-negative", ["sample", "fashion-dcgan", "-n", "-3", "--out", "{OUT}/out.png"], {}),
    (
        "sample-batch-size-zero",
        ["sample", "fashion-dcgan", "-n", "2", "--batch-size", "0", "--out", "{OUT}/out.png"],
        {},
    ),
    (
        "sample-bad-device",
        ["sample", "fashion-dcgan", "-n", "2", "--device", "tpu", "--out", "{OUT}/out.png"],
        {},
    ),
    (
        "sample-unknown-model",
        ["sample", "no-such-model", "--out", "{OUT}/out.png"],
        {"stderr": "neither a bundle"},
    ),
    (
        "sample-unknown-sampler",
        ["sample", "fashion-ddpm", "-n", "1", "--sampler", "plms", "--out", "{OUT}/out.png"],
        {},
    ),
    (
        "sample-steps-zero",
        ["sample", "fashion-ddpm", "-n", "1", "--steps", "0", "--out", "{OUT}/out.png"],
        {},
    ),
    (
        "sample-unknown-class",
        ["sample", "fashion-cgan", "-n", "1", "--class", "spaceship", "--out", "{OUT}/out.png"],
        {},
    ),
    ("sample-wrong-kind", ["sample", "fashion-classifier", "-n", "1", "--out", "{OUT}/out.png"], {}),
    ("sample-out-under-a-file", ["sample", "fashion-dcgan", "-n", "1", "--out", "{IN}/afile/out.png"], {}),
    ("sample-out-is-a-folder", ["sample", "fashion-dcgan", "-n", "1", "--out", "{OUT}/folder"], {}),
    ("sample-out-unwritable", ["sample", "fashion-dcgan", "-n", "1", "--out", "/proc/genvision-out.png"], {}),
    (
        "sample-npy-under-a-file",
        ["sample", "fashion-dcgan", "-n", "1", "--out", "{OUT}/new.png", "--npy", "{IN}/afile/x.npy"],
        {"new_files_ok": False},
    ),
    ("sample-unknown-extension", ["sample", "fashion-dcgan", "-n", "1", "--out", "{OUT}/out.txt"], {}),
    # ---- corrupt bundles ----
    ("bundle-config-not-json", ["sample", "{IN}/bundle_bad_json", "-n", "1", "--out", "{OUT}/out.png"], {}),
    ("bundle-config-missing", ["sample", "{IN}/bundle_no_config", "-n", "1", "--out", "{OUT}/out.png"], {}),
    (
        "bundle-weights-truncated",
        ["sample", "{IN}/bundle_truncated", "-n", "1", "--out", "{OUT}/out.png"],
        {},
    ),
    (
        "bundle-weights-wrong-shape",
        ["sample", "{IN}/bundle_mismatch", "-n", "1", "--out", "{OUT}/out.png"],
        {},
    ),
    ("bundle-is-a-pickle", ["sample", "{IN}/model.pt", "-n", "1", "--out", "{OUT}/out.png"], {}),
    ("bundle-weights-nan", ["sample", "{IN}/bundle_nan", "-n", "2", "--out", "{OUT}/out.png"], {}),
    # ---- eval ----
    ("eval-nothing-to-score", ["eval", "--reference", "synthetic:test"], {}),
    ("eval-samples-missing", ["eval", "--samples", "{IN}/missing.npy", "--reference", "synthetic:test"], {}),
    (
        "eval-samples-corrupt-npy",
        ["eval", "--samples", "{IN}/corrupt.npy", "--reference", "synthetic:test"],
        {},
    ),
    ("eval-samples-float", ["eval", "--samples", "{IN}/float.npy", "--reference", "synthetic:test"], {}),
    (
        "eval-samples-out-of-range",
        ["eval", "--samples", "{IN}/int_300.npy", "--reference", "synthetic:test"],
        {},
    ),
    ("eval-samples-nan", ["eval", "--samples", "{IN}/nan.npy", "--reference", "synthetic:test"], {}),
    ("eval-samples-1d", ["eval", "--samples", "{IN}/shape_1d.npy", "--reference", "synthetic:test"], {}),
    (
        "eval-samples-folder-of-corrupt",
        ["eval", "--samples", "{IN}/corrupt_folder", "--reference", "synthetic:test"],
        {},
    ),
    (
        "eval-unknown-metric",
        [
            "eval",
            "--samples",
            "{IN}/ok16.npy",
            "--reference",
            "synthetic:test",
            "--metrics",
            "fid,bogus",
            "--json",
            "{OUT}/out.json",
        ],
        {},
    ),
    ("eval-unknown-reference", ["eval", "--samples", "{IN}/ok16.npy", "--reference", "nosuchdata:test"], {}),
    # ---- reconstruct ----
    (
        "reconstruct-corrupt-image",
        [
            "reconstruct",
            "fashion-vae",
            "--data",
            "{IN}/corrupt.png",
            "--out",
            "{OUT}/out.png",
            "--npy",
            "{OUT}/out.npy",
        ],
        {},
    ),
    (
        "reconstruct-truncated-image",
        ["reconstruct", "fashion-vae", "--data", "{IN}/truncated.png", "--out", "{OUT}/out.png"],
        {},
    ),
    (
        "reconstruct-empty-file",
        ["reconstruct", "fashion-vae", "--data", "{IN}/empty.png", "--out", "{OUT}/out.png"],
        {},
    ),
    (
        "reconstruct-missing-image",
        ["reconstruct", "fashion-vae", "--data", "{IN}/missing.png", "--out", "{OUT}/out.png"],
        {},
    ),
    (
        "reconstruct-bad-range",
        ["reconstruct", "fashion-vae", "--data", "synthetic:test:5-2", "--out", "{OUT}/out.png"],
        {},
    ),
    (
        "reconstruct-index-out-of-range",
        ["reconstruct", "fashion-vae", "--data", "synthetic:test:100000", "--out", "{OUT}/out.png"],
        {},
    ),
    (
        "reconstruct-unknown-split",
        ["reconstruct", "fashion-vae", "--data", "synthetic:nosplit:0", "--out", "{OUT}/out.png"],
        {},
    ),
    (
        "reconstruct-wrong-kind",
        ["reconstruct", "fashion-dcgan", "--data", "{IN}/ok.png", "--out", "{OUT}/out.png"],
        {},
    ),
    # ---- interpolate ----
    (
        "interpolate-corrupt-end",
        [
            "interpolate",
            "fashion-vae",
            "--a",
            "{IN}/ok.png",
            "--b",
            "{IN}/corrupt.png",
            "--out",
            "{OUT}/out.png",
        ],
        {},
    ),
    (
        "interpolate-missing-end",
        ["interpolate", "fashion-vae", "--a", "{IN}/ok.png", "--out", "{OUT}/out.png"],
        {},
    ),
    (
        "interpolate-three-corners",
        ["interpolate", "fashion-dcgan", "--corners", "3", "--out", "{OUT}/out.png"],
        {},
    ),
    (
        "interpolate-unknown-method",
        [
            "interpolate",
            "fashion-vae",
            "--a",
            "{IN}/ok.png",
            "--b",
            "{IN}/ok.png",
            "--method",
            "cubic",
            "--out",
            "{OUT}/out.png",
        ],
        {},
    ),
    # ---- inpaint ----
    (
        "inpaint-corrupt-mask",
        [
            "inpaint",
            "fashion-ddpm",
            "--image",
            "{IN}/ok.png",
            "--mask",
            "{IN}/corrupt.png",
            "--steps",
            "2",
            "--out",
            "{OUT}/out.png",
        ],
        {},
    ),
    (
        "inpaint-truncated-image",
        [
            "inpaint",
            "fashion-ddpm",
            "--image",
            "{IN}/truncated.png",
            "--mask-shape",
            "half",
            "--steps",
            "2",
            "--out",
            "{OUT}/out.png",
        ],
        {},
    ),
    (
        "inpaint-no-mask",
        ["inpaint", "fashion-ddpm", "--image", "{IN}/ok.png", "--steps", "2", "--out", "{OUT}/out.png"],
        {},
    ),
    (
        "inpaint-unknown-mask-shape",
        [
            "inpaint",
            "fashion-ddpm",
            "--image",
            "{IN}/ok.png",
            "--mask-shape",
            "triangle",
            "--steps",
            "2",
            "--out",
            "{OUT}/out.png",
        ],
        {},
    ),
    (
        "inpaint-bad-box",
        [
            "inpaint",
            "fashion-ddpm",
            "--image",
            "{IN}/ok.png",
            "--mask-shape",
            "box:1,2",
            "--steps",
            "2",
            "--out",
            "{OUT}/out.png",
        ],
        {},
    ),
    (
        "inpaint-bad-resample",
        [
            "inpaint",
            "fashion-ddpm",
            "--image",
            "{IN}/ok.png",
            "--mask-shape",
            "half",
            "--resample",
            "0,x",
            "--steps",
            "2",
            "--out",
            "{OUT}/out.png",
        ],
        {},
    ),
    (
        "inpaint-nan-feather",
        [
            "inpaint",
            "fashion-ddpm",
            "--image",
            "{IN}/ok.png",
            "--mask-shape",
            "half",
            "--feather",
            "nan",
            "--steps",
            "2",
            "--out",
            "{OUT}/out.png",
        ],
        {},
    ),
    # ---- invert / edit / directions / blend (StyleGAN) ----
    (
        "invert-corrupt-image",
        [
            "invert",
            "fashion-stylegan",
            "--image",
            "{IN}/corrupt.png",
            "--steps",
            "2",
            "--out",
            "{OUT}/codes.safetensors",
        ],
        {},
    ),
    (
        "invert-unknown-space",
        [
            "invert",
            "fashion-stylegan",
            "--image",
            "{IN}/ok.png",
            "--space",
            "z",
            "--steps",
            "2",
            "--out",
            "{OUT}/codes.safetensors",
        ],
        {},
    ),
    (
        "invert-wrong-kind",
        [
            "invert",
            "fashion-dcgan",
            "--image",
            "{IN}/ok.png",
            "--steps",
            "2",
            "--out",
            "{OUT}/codes.safetensors",
        ],
        {},
    ),
    (
        "edit-corrupt-codes",
        [
            "edit",
            "fashion-stylegan",
            "--codes",
            "{IN}/corrupt.safetensors",
            "--direction",
            "brightness",
            "--out",
            "{OUT}/out.png",
        ],
        {},
    ),
    (
        "edit-codes-without-codes",
        [
            "edit",
            "fashion-stylegan",
            "--codes",
            "{IN}/not_codes.safetensors",
            "--direction",
            "brightness",
            "--out",
            "{OUT}/out.png",
        ],
        {},
    ),
    (
        "edit-bad-strength",
        [
            "edit",
            "fashion-stylegan",
            "--codes",
            "{IN}/not_codes.safetensors",
            "--direction",
            "brightness",
            "--strength",
            "a:b:c",
            "--out",
            "{OUT}/out.png",
        ],
        {},
    ),
    (
        "directions-unknown-attribute",
        [
            "directions",
            "fashion-stylegan",
            "--attribute",
            "colour:red",
            "--samples",
            "8",
            "--out",
            "{OUT}/dirs.safetensors",
        ],
        {},
    ),
    (
        "directions-unknown-class",
        [
            "directions",
            "fashion-stylegan",
            "--attribute",
            "class:spaceship",
            "--samples",
            "8",
            "--out",
            "{OUT}/dirs.safetensors",
        ],
        {},
    ),
    (
        "blend-corrupt-context",
        [
            "blend",
            "fashion-stylegan",
            "--target",
            "{IN}/ok.png",
            "--context",
            "{IN}/corrupt.png",
            "--steps",
            "2",
            "--out",
            "{OUT}/out.png",
        ],
        {},
    ),
    (
        "blend-unknown-mask-shape",
        [
            "blend",
            "fashion-stylegan",
            "--target",
            "{IN}/ok.png",
            "--context",
            "{IN}/ok.png",
            "--mask-shape",
            "hexagon",
            "--steps",
            "2",
            "--out",
            "{OUT}/out.png",
        ],
        {},
    ),
    # ---- train (configs, overrides, run folders) ----
    (
        "train-config-missing",
        ["train", "{IN}/missing.yaml", "--out", "{OUT}/run"],
        {"stderr": "does not exist"},
    ),
    ("train-config-not-yaml", ["train", "{IN}/bad.yaml", "--out", "{OUT}/run"], {"stderr": "not valid YAML"}),
    (
        "train-unknown-family",
        ["train", "{IN}/nofamily.yaml", "--out", "{OUT}/run"],
        {"stderr": "unknown family"},
    ),
    (
        "train-unknown-key",
        ["train", CLASSIFIER, *TINY, "train.bogus=1", "--out", "{OUT}/run"],
        {"stderr": "train.bogus"},
    ),
    (
        "train-bad-value",
        ["train", CLASSIFIER, *TINY, "train.lr=abc", "--out", "{OUT}/run"],
        {"stderr": "train.lr"},
    ),
    ("train-override-without-equals", ["train", CLASSIFIER, *TINY, "train.lr", "--out", "{OUT}/run"], {}),
    ("train-unknown-dataset", ["train", CLASSIFIER, *TINY, "data.name=nosuchdata", "--out", "{OUT}/run"], {}),
    (
        "train-missing-folder-dataset",
        ["train", CLASSIFIER, *TINY, "data.name=folder:{IN}/missing_dir", "--out", "{OUT}/run"],
        {},
    ),
    (
        "train-resume-nothing",
        ["train", CLASSIFIER, *TINY, "--out", "{OUT}/run", "--resume"],
        {"stderr": "no checkpoint to continue from"},
    ),
    (
        "train-resume-corrupt-checkpoint",
        ["train", CLASSIFIER, *TINY, "--out", "{IN}/run_corrupt", "--resume"],
        {"stderr": "no loadable checkpoint"},
    ),
    (
        "train-both-resume-flags",
        ["train", CLASSIFIER, *TINY, "--out", "{OUT}/run", "--resume", "--resume-if-present"],
        {},
    ),
    ("train-run-folder-is-a-file", ["train", CLASSIFIER, *TINY, "--out", "{IN}/afile"], {}),
    # ---- figures ----
    ("figures-unknown-figure", ["figures", "--only", "no-such-figure", "--fast", "--out", "{OUT}/figs"], {}),
    ("figures-out-under-a-file", ["figures", "--only", "no-such-figure", "--out", "{IN}/afile/figs"], {}),
    # ---- data ----
    ("data-unknown-dataset", ["data", "info", "nosuchdata"], {}),
    ("data-missing-folder", ["data", "info", "folder:{IN}/missing_dir"], {}),
    # ---- issue 34: an explicitly named --data-dir must exist, in every command that takes one ----
    *[
        (f"{cmd[0]}-data-dir-{why}", [*cmd, "--data-dir", path], {"stderr": "--data-dir"})
        for cmd in (
            ["figures", "--only", "fid", "--fast", "--out", "{OUT}/figs"],
            ["sample", "fashion-dcgan", "-n", "1", "--out", "{OUT}/out.png"],
            ["reconstruct", "fashion-vae", "--data", "{IN}/ok.png", "--out", "{OUT}/out.png"],
            [
                "inpaint",
                "fashion-ddpm",
                "--image",
                "{IN}/ok.png",
                "--mask-shape",
                "half",
                "--steps",
                "2",
                "--out",
                "{OUT}/out.png",
            ],
            ["data", "info", "fashion-mnist"],
        )
        for why, path in (("missing", "{IN}/missing_dir"), ("a-file", "{IN}/afile"))
    ],
    ("data-prepare-data-dir-missing", ["data", "prepare", "mnist", "--data-dir", "{IN}/missing_dir"], {}),
    # ---- issue 34: images far from the model's aspect ratio are refused, not squashed ----
    (
        "reconstruct-extreme-aspect",
        ["reconstruct", "fashion-vae", "--data", "{IN}/wide.png", "--out", "{OUT}/out.png"],
        {"stderr": "20000x3"},
    ),
    (
        "invert-extreme-aspect",
        [
            "invert",
            "fashion-stylegan",
            "--image",
            "{IN}/wide.png",
            "--steps",
            "1",
            "--out",
            "{OUT}/codes.safetensors",
        ],
        {"stderr": "20000x3"},
    ),
    # ---- issue 34: serve, blend, directions, zoo, sample options ----
    ("serve-port-zero", ["serve", "--port", "0"], {"stderr": "got 0"}),
    ("serve-port-too-large", ["serve", "--port", "70000"], {"stderr": "70000"}),
    ("serve-upload-limit-nan", ["serve", "--max-upload-mb", "nan"], {"stderr": "nan"}),
    ("serve-upload-limit-negative", ["serve", "--max-upload-mb", "-1"], {}),
    ("serve-image-size-zero", ["serve", "--max-image-size", "0"], {}),
    ("serve-unknown-device", ["serve", "--device", "tpu"], {"stderr": "tpu"}),
    ("serve-unknown-model", ["serve", "--models", "{IN}/missing_dir"], {"stderr": "missing_dir"}),
    (
        "blend-steps-zero",
        [
            "blend",
            "fashion-stylegan",
            "--target",
            "{IN}/ok.png",
            "--context",
            "{IN}/ok.png",
            "--mask-shape",
            "center",
            "--steps",
            "0",
            "--out",
            "{OUT}/out.png",
        ],
        {},
    ),
    (
        "blend-wrong-kind",
        [
            "blend",
            "fashion-ddpm",
            "--target",
            "{IN}/ok.png",
            "--context",
            "{IN}/ok.png",
            "--mask-shape",
            "center",
            "--out",
            "{OUT}/out.png",
        ],
        {},
    ),
    (
        "blend-wide-target",
        [
            "blend",
            "fashion-stylegan",
            "--target",
            "{IN}/wide.png",
            "--context",
            "{IN}/ok.png",
            "--mask-shape",
            "center",
            "--out",
            "{OUT}/out.png",
        ],
        {"stderr": "20000x3"},
    ),
    (
        "directions-samples-one",
        [
            "directions",
            "fashion-stylegan",
            "--attribute",
            "brightness",
            "--samples",
            "1",
            "--out",
            "{OUT}/dirs.safetensors",
        ],
        {"stderr": "samples"},
    ),
    (
        "directions-fraction-too-big",
        [
            "directions",
            "fashion-stylegan",
            "--attribute",
            "brightness",
            "--samples",
            "8",
            "--fraction",
            "0.9",
            "--out",
            "{OUT}/dirs.safetensors",
        ],
        {"stderr": "0.9"},
    ),
    (
        "directions-wrong-kind",
        ["directions", "fashion-dcgan", "--attribute", "brightness", "--out", "{OUT}/dirs.safetensors"],
        {},
    ),
    (
        "directions-truncation-nan",
        [
            "directions",
            "fashion-stylegan",
            "--attribute",
            "brightness",
            "--samples",
            "8",
            "--truncation",
            "nan",
            "--out",
            "{OUT}/dirs.safetensors",
        ],
        {"stderr": "nan"},
    ),
    ("zoo-unknown-option", ["zoo", "--bogus"], {}),
    (
        "sample-truncation-nan",
        ["sample", "fashion-stylegan", "-n", "1", "--truncation", "nan", "--out", "{OUT}/out.png"],
        {},
    ),
    (
        "sample-guidance-negative",
        [
            "sample",
            "fashion-ldm",
            "-n",
            "1",
            "--class",
            "0",
            "--guidance",
            "-1",
            "--steps",
            "2",
            "--out",
            "{OUT}/out.png",
        ],
        {"stderr": "-1"},
    ),
    (
        "sample-eta-too-large",
        [
            "sample",
            "fashion-ddpm",
            "-n",
            "1",
            "--sampler",
            "ddim",
            "--eta",
            "5",
            "--steps",
            "2",
            "--out",
            "{OUT}/out.png",
        ],
        {"stderr": "5"},
    ),
    (
        "sample-seed-not-an-integer",
        ["sample", "fashion-dcgan", "--seed", "1.5", "--out", "{OUT}/out.png"],
        {},
    ),
]
# case id -> why it does not fail cleanly yet; the fix lies outside the files of the reliability work (see issue 17)
EXPECTED_FAILURES: dict[str, str] = {}  # every case fails cleanly; add an entry here only with a reason
SENTINELS = ("out.png", "out.npy", "codes.safetensors", "dirs.safetensors", "out.json")


def png_bytes(array: np.ndarray) -> bytes:
    import io

    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG")
    return buf.getvalue()


def make_inputs(folder: Path) -> None:
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (28, 28), dtype=np.uint8)
    data = png_bytes(img)
    (folder / "ok.png").write_bytes(data)
    Image.fromarray(rng.integers(0, 256, (3, 20000), dtype=np.uint8)).save(folder / "wide.png")
    (folder / "truncated.png").write_bytes(data[: len(data) // 2])
    (folder / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n" + rng.bytes(200))
    (folder / "empty.png").write_bytes(b"")
    (folder / "corrupt_folder").mkdir()
    (folder / "corrupt_folder" / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n" + rng.bytes(100))
    (folder / "afile").write_text("a regular file where a folder is expected\n")
    np.save(folder / "float.npy", rng.random((8, 28, 28)).astype(np.float32))
    np.save(folder / "int_300.npy", np.full((8, 28, 28), 300, dtype=np.int64))
    nan = rng.random((8, 28, 28)).astype(np.float32)
    nan[0, 0, 0] = np.nan
    np.save(folder / "nan.npy", nan)
    np.save(folder / "shape_1d.npy", np.zeros(10, dtype=np.uint8))
    np.save(folder / "ok16.npy", rng.integers(0, 256, (16, 16, 16), dtype=np.uint8))
    (folder / "corrupt.npy").write_bytes(b"\x93NUMPY" + rng.bytes(64))
    (folder / "bad.yaml").write_text("family: [unclosed\n")
    (folder / "nofamily.yaml").write_text("family: nosuch\n")
    (folder / "corrupt.safetensors").write_bytes(struct.pack("<Q", 10**6) + b"{")
    save_file({"x": torch.zeros(1)}, str(folder / "not_codes.safetensors"))
    torch.save({"weight": torch.ones(2)}, folder / "model.pt")
    for name in ("bundle_bad_json", "bundle_no_config", "bundle_truncated", "bundle_mismatch", "bundle_nan"):
        shutil.copytree(ZOO / "fashion-dcgan", folder / name)
    (folder / "bundle_bad_json" / "config.json").write_text('{"kind": ')
    (folder / "bundle_no_config" / "config.json").unlink()
    weights = folder / "bundle_truncated" / "generator" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:500])
    component = folder / "bundle_mismatch" / "generator" / "config.json"
    cfg = json.loads(component.read_text())
    key = next(k for k, v in cfg["args"].items() if isinstance(v, int) and not isinstance(v, bool) and v > 1)
    cfg["args"][key] += 1
    component.write_text(json.dumps(cfg))
    from safetensors.torch import load_file

    nan_weights = folder / "bundle_nan" / "generator" / "model.safetensors"
    state = load_file(str(nan_weights))
    save_file(
        {k: torch.full_like(v, float("nan")) if v.is_floating_point() else v for k, v in state.items()},
        str(nan_weights),
    )
    ckpt = folder / "run_corrupt" / "checkpoints"
    ckpt.mkdir(parents=True)
    (ckpt / "step_00000005.safetensors").write_bytes(b"garbage")


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
        for p in sorted(folder.rglob("*"))
    }


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("malformed")
    inputs = root / "in"
    inputs.mkdir()
    make_inputs(inputs)
    before_inputs = digest(inputs)
    todo, outs = [], {}
    for case_id, argv, _ in CASES:
        out = root / "out" / case_id
        out.mkdir(parents=True)
        for name in SENTINELS:
            (out / name).write_bytes(f"sentinel {case_id} {name}\n".encode())
        (out / "folder").mkdir()
        outs[case_id] = (out, digest(out))
        todo.append(
            {
                "id": case_id,
                "cwd": str(out),
                "argv": [a.replace("{IN}", str(inputs)).replace("{OUT}", str(out)) for a in argv],
            }
        )
    (root / "cases.json").write_text(json.dumps(todo))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.reliability.cli_batch",
            str(root / "cases.json"),
            str(root / "results.json"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = {r["id"]: r for r in json.loads((root / "results.json").read_text())}
    return {"results": results, "outs": outs, "inputs": (inputs, before_inputs)}


def test_corpus_is_large_and_covers_every_command():
    assert len(CASES) >= 40 and len({c[0] for c in CASES}) == len(CASES)
    from genvision.cli.main import COMMAND_MODULES

    covered = {argv[0] for _, argv, _ in CASES}
    missing = [m for m in COMMAND_MODULES if m not in covered]
    assert not missing, f"no malformed case for: {missing}"


@pytest.mark.parametrize(
    "case_id, argv, options",
    [
        pytest.param(*case, marks=pytest.mark.xfail(strict=True, reason=EXPECTED_FAILURES[case[0]]))
        if case[0] in EXPECTED_FAILURES
        else case
        for case in CASES
    ],
    ids=[c[0] for c in CASES],
)
def test_malformed_input_fails_cleanly(corpus, case_id, argv, options):
    result = corpus["results"][case_id]
    out, before = corpus["outs"][case_id]
    err = result["stderr"]
    summary = f"exit {result['returncode']}, stderr:\n{err[-1500:]}"
    assert result["returncode"] not in (0, None), summary
    assert result["returncode"] > 0, f"killed by a signal: {summary}"
    assert "Traceback" not in err and "GENVISION_DEBUG" not in err, (
        summary
    )  # no crash, nor the "unexpected" line
    lines = err.strip().splitlines()
    assert 1 <= len(lines) <= MAX_STDERR_LINES, summary
    assert lines[-1].startswith("error:") or "Usage:" in err, summary
    if "stderr" in options:
        assert options["stderr"] in err, summary
    assert digest(out) == before, "files in the output folder changed or were left behind"


def test_inputs_are_not_modified(corpus):
    inputs, before = corpus["inputs"]
    after = digest(inputs)
    changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
    # train-resume-corrupt-checkpoint points at a prepared run folder: its lock file is the one thing allowed there
    assert changed <= {"run_corrupt/.lock"}, changed
