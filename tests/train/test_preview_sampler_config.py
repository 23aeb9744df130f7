"""Diffusion recipes validate their preview (and the bundle's default) sampler against the sampler table."""

import pytest

from genvision.diffusion.samplers import SAMPLERS
from genvision.errors import ConfigError
from genvision.train.families import load_run_config
from tests.conftest import REPO


@pytest.mark.parametrize("preset", ["ddpm_fashion_cpu.yaml", "ldm_fashion.yaml"])
def test_preview_sampler_takes_every_row_and_nothing_else(preset):
    path = REPO / "configs" / preset
    for name in SAMPLERS:
        assert load_run_config(path, [f"recipe.preview_sampler={name}"]).recipe.preview_sampler == name
    with pytest.raises(
        ConfigError, match="recipe.preview_sampler: 'plms' is not one of ddpm, ddim, dpmpp"
    ) as info:
        load_run_config(path, ["recipe.preview_sampler=plms"])
    assert "\n" not in str(info.value)
