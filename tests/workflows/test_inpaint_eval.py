"""benchmarks/inpaint_eval.py on a tiny model: every method is scored, and the README section is replaced."""

import importlib.util

import pytest
import torch

from genvision.data.masks import center_fill
from tests.conftest import REPO, fashion_available

spec = importlib.util.spec_from_file_location("inpaint_eval", REPO / "benchmarks" / "inpaint_eval.py")
inpaint_eval = importlib.util.module_from_spec(spec)
spec.loader.exec_module(inpaint_eval)


@pytest.mark.parametrize("method", ["telea", "ns"])
def test_opencv_baselines_fill_only_the_hole(method):
    x = torch.linspace(-1, 1, 16).expand(2, 1, 16, 16).contiguous()
    fill = center_fill(16, 16, 0.25)[None, None].expand(2, 1, 16, 16)
    out = inpaint_eval.opencv_inpaint(x, fill, method)
    keep = fill.expand_as(x) == 0
    assert torch.allclose(out[keep], x[keep], atol=1 / 127.5)
    # a horizontal ramp is continued smoothly into the hole
    assert (out - x)[~keep].abs().max() < 0.25


def test_readme_section_is_replaced(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(
        "# Benchmarks\n\n## FID\n\nkeep me\n\n## Inpainting\n\nold table\n\n## Other\n\nalso kept\n"
    )
    inpaint_eval.write_section(readme, "new table")
    text = readme.read_text()
    assert "old table" not in text and "new table" in text and "keep me" in text and "also kept" in text
    assert text.index("## Inpainting") < text.index("new table") < text.index("## Other")


def tiny_pixel_ddpm(folder):
    """An untrained 28x28 pixel DDPM bundle (fast enough for the benchmark's code paths)."""
    from genvision.models.bundle import save_bundle
    from genvision.models.unet import UNet

    torch.manual_seed(0)
    unet = UNet(
        in_channels=1,
        image_size=28,
        model_channels=32,
        channel_mult=(1,),
        num_res_blocks=1,
        attention_resolutions=(),
    )
    save_bundle(
        folder,
        "ddpm",
        {"unet": unet},
        {
            "data": {"dataset": "fashion-mnist", "shape": [1, 28, 28]},
            "schedule": {"name": "linear", "num_timesteps": 100},
            "prediction": "eps",
        },
    )
    return folder


@pytest.mark.slow
@pytest.mark.skipif(not fashion_available(), reason="Fashion-MNIST not installed")
def test_benchmark_runs_on_a_tiny_pixel_model(tmp_path):
    rows = inpaint_eval.main(
        [
            str(tiny_pixel_ddpm(tmp_path / "ddpm")),
            "--n",
            "4",
            "--steps",
            "2",
            "--resample",
            "2,2",
            "--masks",
            "half;strokes:0.3",
            "--classifier",
            "",
            "--device",
            "cpu",
            "--readme",
            str(tmp_path / "README.md"),
        ]
    )
    assert len(rows) == 2 * 4  # two masks × (Telea, NS, plain, RePaint)
    assert all(r["psnr"] > 0 and -1 <= r["ssim"] <= 1 for r in rows)
    assert "## Inpainting" in (tmp_path / "README.md").read_text()


def test_k_sample_rows_mean_and_pick_the_sample_that_best_keeps_the_known_region():
    images = torch.zeros(2, 1, 4, 4)
    fills = torch.zeros(2, 1, 4, 4)
    fills[..., :2, :] = 1  # the top half is painted, the bottom half must be kept
    drawn = []

    def inpaint(j):
        inpainted = torch.full_like(images, float(j + 1))
        inpainted[..., 2:, :] = (
            torch.tensor([0.5, 0.0])[:, None, None, None]
            if j == 0
            else torch.tensor([0.1, 0.9])[:, None, None, None]
        )
        drawn.append(j)
        composite = torch.where(fills.bool(), inpainted, images)
        return type("Sample", (), {"inpainted": inpainted, "composite": composite})()

    methods = inpaint_eval.k_sample_methods("m", inpaint, images, fills, k=2)
    assert list(methods) == ["m, 1 sample", "m, mean of 2", "m, best of 2 by known region"]
    first, _ = methods["m, 1 sample"]()
    mean, _ = methods["m, mean of 2"]()
    best, _ = methods["m, best of 2 by known region"]()
    assert drawn == [0, 1]  # both samples drawn once, shared by the three rows
    assert torch.equal(first[:, 0, 0, 0], torch.tensor([1.0, 1.0]))
    assert torch.equal(mean[:, 0, 0, 0], torch.tensor([1.5, 1.5]))
    # image 0 keeps its known region better in sample 2 (0.1 vs 0.5), image 1 in sample 1 (0.0 vs 0.9)
    assert torch.equal(best[:, 0, 0, 0], torch.tensor([2.0, 1.0]))
    assert list(inpaint_eval.k_sample_methods("m", inpaint, images, fills, k=1)) == ["m"]


@pytest.mark.slow
@pytest.mark.skipif(not fashion_available(), reason="Fashion-MNIST not installed")
def test_pixel_models_get_mean_of_k_but_no_best_of_k_row_since_they_paste_the_known_region(tmp_path):
    rows = inpaint_eval.main(
        [str(tiny_pixel_ddpm(tmp_path / "ddpm")), "--n", "2", "--steps", "2", "--resample", "", "--k", "2"]
        + ["--masks", "half", "--classifier", "", "--device", "cpu"]
    )
    model_rows = [r["method"] for r in rows if not r["method"].startswith("OpenCV")]
    assert model_rows == [
        f"{tmp_path / 'ddpm'} (ddim 2), 1 sample",
        f"{tmp_path / 'ddpm'} (ddim 2), mean of 2",
    ]
