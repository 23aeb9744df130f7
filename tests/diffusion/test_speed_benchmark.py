"""benchmarks/ddpm_speed.py on a tiny UNet on the CPU: every rate is measured and the README section replaced."""

import importlib.util
import sys

from tests.conftest import REPO

spec = importlib.util.spec_from_file_location("ddpm_speed", REPO / "benchmarks" / "ddpm_speed.py")
ddpm_speed = importlib.util.module_from_spec(spec)
sys.modules["ddpm_speed"] = ddpm_speed  # its dataclasses look their module up
spec.loader.exec_module(ddpm_speed)

TINY = [
    "model.model_channels=16",
    "model.channel_mult=[1,2]",
    "model.num_res_blocks=1",
    "model.attention_resolutions=[8]",
    "model.head_dim=16",
]


def test_tiny_cpu_run_with_ablation_writes_the_readme_section(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# Benchmarks\n\n## DDPM speed\n\nold numbers\n\n## Inpainting\n\nkept\n")
    rows = ddpm_speed.main(
        [
            "--config",
            str(REPO / "configs" / "ddpm_fashion.yaml"),
            *TINY,
            "--shape",
            "1",
            "16",
            "16",
            "--device",
            "cpu",
            "--train-batch",
            "4",
            "--train-iters",
            "1",
            "--warmup",
            "1",
            "--sample-batch",
            "2",
            "--sample",
            "ddim:3",
            "ddpm:5",
            "--timesteps",
            "5",
            "--ablate",
            "--readme",
            str(readme),
        ]
    )
    # on the CPU only bf16 applies (no CUDA graphs, fused AdamW; channels_last is slower there): 2 rows
    assert [r["setup"] for r in rows] == ["bf16", "none"]
    for r in rows:
        rates = [v for k, v in r.items() if k != "setup"]
        assert len(rates) == 3 and all(v > 0 for v in rates)
    text = readme.read_text()
    assert "old numbers" not in text and "## Inpainting\n\nkept" in text
    assert "| setup | train img/s @4 | ddim-3 img/s @2 | ddpm-5 img/s @2 |" in text
