"""The onnx backend runs the library's own samplers on onnxruntime: same seed → same initial noise, and end-to-end
results within 40 dB PSNR of the torch backend (DPM-Solver++, DDIM, ancestral, inpainting), GANs per image."""

import subprocess

import numpy as np
import pytest
import torch

import genvision
from genvision.data.masks import half_fill
from genvision.errors import GenvisionError
from genvision.export.backend import ExportedDiffusionModel
from genvision.export.backends import resolve_backend
from genvision.export.batch_split import SPLIT_BATCH
from genvision.export.runtime import OnnxUNet
from genvision.metrics.image_quality import psnr
from tests.conftest import GENVISION
from tests.export.conftest import load_onnx_split

pytest.importorskip("onnxruntime")
MIN_PSNR = 40.0


@pytest.fixture(scope="module")
def ldm(exported):
    exported("fashion-ldm")  # into the session cache that backend="onnx" reads
    return genvision.load("fashion-ldm", device="cpu", precision="fp32"), genvision.load(
        "fashion-ldm", backend="onnx"
    )


def assert_close_images(a, b):
    assert a.shape == b.shape
    assert psnr(a, b).min() >= MIN_PSNR, psnr(a, b)


def test_the_backend_swaps_only_the_networks(ldm):
    _, onnx_model = ldm
    assert isinstance(onnx_model.unet, OnnxUNet) and onnx_model.autocast_dtype is None  # fp32
    assert onnx_model.bundle.name == "fashion-ldm"


@pytest.mark.slow
@pytest.mark.parametrize(
    "condition",
    [{}, {"label": "bag"}, {"prompt": "a photo of a sneaker"}],
    ids=["unconditional", "class", "caption"],
)
def test_ldm_default_sampler_matches_torch(ldm, condition):
    torch_model, onnx_model = ldm
    a = torch_model.sample(6, seed=2, trajectory=2, trajectory_rows=6, **condition)
    b = onnx_model.sample(6, seed=2, trajectory=2, trajectory_rows=6, **condition)
    assert a.info == b.info and (a.info["sampler"], a.info["steps"]) == ("dpmpp", 10)
    # frame 0 is the decoded initial noise: the same seed gives the same x_T
    assert (a.trajectory[:, 0] - b.trajectory[:, 0]).abs().max() <= 1e-4
    assert_close_images(a.images, b.images)


@pytest.mark.slow
@pytest.mark.parametrize("sampler,steps,eta", [("ddim", 10, 1.0), ("ddpm", 20, None)])
def test_stochastic_samplers_draw_the_same_noise(ldm, sampler, steps, eta):
    torch_model, onnx_model = ldm
    opts = dict(sampler=sampler, steps=steps, eta=eta, label=3)
    assert_close_images(
        torch_model.sample(4, seed=5, **opts).images, onnx_model.sample(4, seed=5, **opts).images
    )


@pytest.mark.slow
def test_inpainting_matches_torch(ldm):
    torch_model, onnx_model = ldm
    images = torch_model.sample(3, seed=9, label="dress").images
    fill = half_fill(28, 28, "right")
    a = torch_model.inpaint(images, fill, seed=1, steps=10, label="dress")
    b = onnx_model.inpaint(images, fill, seed=1, steps=10, label="dress")
    assert_close_images(a.inpainted, b.inpainted)
    assert torch.equal(
        b.composite[..., :14], images[..., :14]
    )  # known pixels are the original's, bit for bit


def test_pixel_ddpm_dpmpp_10_steps(exported):
    exported("fashion-ddpm")
    a = genvision.load("fashion-ddpm", device="cpu", precision="fp32").sample(4, seed=0, steps=10)
    b = genvision.load("fashion-ddpm", backend="onnx").sample(4, seed=0, steps=10)
    assert_close_images(a.images, b.images)


@pytest.mark.parametrize("name", ["fashion-dcgan", "fashion-cgan", "fashion-vae"])
def test_gans_and_vae_sample_the_same_images(exported, name):
    exported(name)
    a = genvision.load(name, device="cpu").sample(6, seed=4)
    b = genvision.load(name, backend="onnx").sample(6, seed=4)
    assert (a.images - b.images).abs().max() <= 1e-4


@pytest.mark.slow
def test_stylegan_samples_and_edits_and_refuses_inversion(exported):
    exported("fashion-stylegan")
    t = genvision.load("fashion-stylegan", device="cpu")
    o = genvision.load("fashion-stylegan", backend="onnx")
    assert (
        t.sample(5, seed=1, truncation=0.7).images - o.sample(5, seed=1, truncation=0.7).images
    ).abs().max() <= 1e-4
    codes = t.sample_codes(2, seed=3)
    assert (
        t.edit(codes, "class:trouser", [-6, 6]) - o.edit(codes, "class:trouser", [-6, 6])
    ).abs().max() <= 1e-4
    with pytest.raises(GenvisionError, match="--backend torch"):
        o.invert(t.sample(1).images)


@pytest.mark.slow
def test_an_export_folder_opens_without_its_bundle(exported):
    folder = exported("fashion-ldm")
    model = genvision.load(folder)
    assert isinstance(model, ExportedDiffusionModel) and model.name == folder.name
    reference = genvision.load("fashion-ldm", device="cpu", precision="fp32")
    prompt = "a photo of a sneaker"
    assert_close_images(
        reference.sample(3, seed=0, prompt=prompt).images, model.sample(3, seed=0, prompt=prompt).images
    )
    assert model.ground_prompts([prompt]) == [[prompt]]  # a caption: answered as it is


def test_backend_errors(exported):
    with pytest.raises(GenvisionError, match="unknown backend 'tvm'"):
        genvision.load("fashion-dcgan", backend="tvm")
    with pytest.raises(GenvisionError, match="generates nothing to export"):
        genvision.load("fashion-classifier", backend="onnx")
    with pytest.raises(GenvisionError, match="runs in fp32, not bf16"):
        genvision.load("fashion-dcgan", backend="onnx", precision="bf16")
    with pytest.raises(GenvisionError, match="unknown device"):
        genvision.load("fashion-dcgan", backend="onnx", device="tpu")
    folder = exported("fashion-cgan")
    with pytest.raises(GenvisionError, match="is not class-conditional"):
        genvision.load(exported("fashion-dcgan")).sample(1, label="bag")
    assert genvision.load(folder).sample(2, label="bag").info["class"] == 8


def test_auto_picks_onnx_where_it_runs_the_bundle():
    """ "auto" (the CLI's default) is onnx on the CPU in fp32 for kinds with exported generators, else torch."""
    on_cpu = "torch" if torch.cuda.is_available() else "onnx"  # device auto: CUDA first
    assert resolve_backend("auto", "auto", "auto", "ldm") == on_cpu
    for kind in ("ddpm", "ldm", "dcgan", "cgan", "stylegan", "vae"):
        assert resolve_backend("auto", "cpu", "fp32", kind) == "onnx"
    assert resolve_backend("auto", "cpu", "bf16", "ldm") == "torch"  # onnx runs fp32 only
    assert resolve_backend("auto", "cpu", "auto", "classifier") == "torch"  # nothing to export
    assert resolve_backend("torch", "cpu", "auto", "ldm") == "torch"
    with pytest.raises(GenvisionError, match="runs in fp32, not bf16"):
        resolve_backend("onnx", "cpu", "bf16", "ldm")
    classifier = genvision.load("fashion-classifier", backend="auto", device="cpu")
    assert classifier.backend == "torch"


def test_same_seed_same_uint8_through_the_cli(exported, tmp_path):
    """--backend torch and onnx give the same uint8 images but for rounding; without the flag (auto) it is onnx."""
    exported("fashion-cgan")
    arrays = []
    for backend in ("torch", "onnx", None):
        npy = tmp_path / f"{backend}.npy"
        proc = subprocess.run(
            GENVISION
            + [
                "sample",
                "fashion-cgan",
                "-n",
                "6",
                *(["--backend", backend] if backend else []),
                "--out",
                str(tmp_path / f"{backend}.png"),
                "--npy",
                str(npy),
                "--quiet",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        assert f" on {backend or 'onnx'} (" in proc.stdout, proc.stdout
        arrays.append(np.load(npy))
    assert np.abs(arrays[0].astype(int) - arrays[1].astype(int)).max() <= 1
    assert np.array_equal(arrays[1], arrays[2])


@pytest.mark.parametrize("name", ["fashion-dcgan", "fashion-ddpm"])
def test_image_k_does_not_depend_on_n_or_the_batch_split(exported, name):
    """As on torch: image k is bit-identical whatever n, also when a batch of 32+ is split over two sessions."""
    exported(name)
    model = load_onnx_split(name)
    steps = {"steps": 2} if name == "fashion-ddpm" else {}
    many = model.sample(SPLIT_BATCH + 2, seed=5, **steps).images
    assert torch.equal(many[:3], model.sample(3, seed=5, **steps).images)
    network = model.unet.run if name == "fashion-ddpm" else model.generator.run
    assert network.split.sessions, "the large batch was not split"
