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


@pytest.mark.slow
@pytest.mark.skipif(not fashion_available(), reason="Fashion-MNIST not installed")
def test_benchmark_runs_on_a_tiny_pixel_model(tmp_path):
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
        tmp_path / "ddpm",
        "ddpm",
        {"unet": unet},
        {
            "data": {"dataset": "fashion-mnist", "shape": [1, 28, 28]},
            "schedule": {"name": "linear", "num_timesteps": 100},
            "prediction": "eps",
        },
    )
    rows = inpaint_eval.main(
        [
            str(tmp_path / "ddpm"),
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
