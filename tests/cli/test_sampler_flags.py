"""`--sampler` and `--sampler-option` are written from the sampler table, for `sample` and `inpaint`."""

import pytest

from genvision.cli.main import load_command
from genvision.cli.sampler_flags import sampler_options
from genvision.diffusion.samplers import SAMPLERS, inpainting_samplers
from genvision.errors import GenvisionError


def option_help(command: str, flag: str) -> str:
    return next(p.help for p in load_command(command).params if flag in p.opts)


@pytest.mark.parametrize("command,names", [("sample", list(SAMPLERS)), ("inpaint", inpainting_samplers())])
def test_sampler_help_lists_the_rows_each_command_takes(command, names):
    text = option_help(command, "--sampler")
    assert [name for name in SAMPLERS if f"{name} ({SAMPLERS[name].description})" in text] == names
    options = option_help(command, "--sampler-option")
    for name, row in SAMPLERS.items():
        assert all(f"{key} ({name}: {option.help}" in options for key, option in row.options.items())


def test_eta_and_sampler_options_merge_once():
    assert sampler_options(["variance=large"]) == {"variance": "large"}
    assert sampler_options(None, 0.5) == {"eta": 0.5}
    with pytest.raises(GenvisionError, match="give eta once"):
        sampler_options(["eta=0.2"], 0.5)
