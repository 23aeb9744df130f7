import pytest

from genvision.diffusion.timesteps import sampling_timesteps, timestep_pairs
from genvision.errors import GenvisionError


def test_spacings_match_lin_et_al_table():
    # Lin et al. 2024, table 2 (T = 1000, 10 steps)
    assert sampling_timesteps(1000, 10, "leading") == [900, 800, 700, 600, 500, 400, 300, 200, 100, 0]
    assert sampling_timesteps(1000, 10, "trailing") == [999, 899, 799, 699, 599, 499, 399, 299, 199, 99]
    assert sampling_timesteps(1000, 10, "linspace") == [999, 888, 777, 666, 555, 444, 333, 222, 111, 0]


@pytest.mark.parametrize("spacing", ["leading", "trailing", "linspace"])
@pytest.mark.parametrize("steps", [1, 3, 7, 50, 333, 999, 1000])
def test_pairs_chain_without_gaps_and_end_at_clean_data(spacing, steps):
    pairs = timestep_pairs(1000, steps, spacing)
    ts = sampling_timesteps(1000, steps, spacing)
    assert len(pairs) == steps and [p[0] for p in pairs] == ts
    # each step lands exactly where the next starts (diffusers' DDIM computes t - T//n instead)
    assert all(pairs[i][1] == pairs[i + 1][0] for i in range(steps - 1))
    assert pairs[-1][1] == -1
    if spacing != "leading":
        assert ts[0] == 999
    if steps == 1000:
        assert ts == list(range(999, -1, -1))


def test_trailing_with_non_divisible_steps():
    ts = sampling_timesteps(1000, 3, "trailing")
    assert ts == [999, 666, 332]  # round(1000 - i·333.33) - 1


def test_bad_steps_and_spacing():
    for bad in (0, -1, 1001, 2.5):
        with pytest.raises(GenvisionError, match=r"steps must be an integer in \[1, 1000\]"):
            timestep_pairs(1000, bad)
    with pytest.raises(GenvisionError, match="unknown timestep spacing 'uniform'"):
        timestep_pairs(1000, 10, "uniform")
