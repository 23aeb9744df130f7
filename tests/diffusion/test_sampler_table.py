"""The sampler table: every row runs through `sample` with its defaults, its options are checked in one place,
and a row's options reach the sampler (DDPM's large variance)."""

import pytest
import torch

from genvision.diffusion import NoiseSchedule
from genvision.diffusion.inpaint import inpaint_sample
from genvision.diffusion.samplers import SAMPLERS, inpainting_samplers, sample, sampler_row
from genvision.diffusion.samplers.registry import parse_assignments
from genvision.errors import GenvisionError


@pytest.mark.parametrize("name", list(SAMPLERS))
def test_every_row_samples_with_its_defaults_and_ends_at_clean_data(name):
    row = SAMPLERS[name]
    s = NoiseSchedule(num_timesteps=40)
    steps = row.steps_for(40)
    assert 1 <= steps <= 40 and row.description and row.name == name
    seen = []
    x0, traj = sample(
        name,
        lambda x, t: 0.5 * x,
        s,
        torch.randn(2, 1, 3, 3),
        noise=torch.Generator().manual_seed(0),
        callback=lambda i, t_prev, x: seen.append(int(t_prev[0])),
        return_trajectory=True,
    )
    assert len(traj) == steps + 1 and len(seen) == steps and torch.equal(traj[-1], x0)
    assert seen[-1] == -1 and all(a > b for a, b in zip(seen, seen[1:]))  # descending, then clean data
    assert torch.isfinite(x0).all()


@pytest.mark.parametrize("name", list(SAMPLERS))
def test_every_option_default_passes_its_own_check_and_strings_parse(name):
    row = SAMPLERS[name]
    defaults = row.resolve({})
    assert defaults == {key: option.default for key, option in row.options.items()}
    as_text = {key: str(value) for key, value in defaults.items()}  # what --sampler-option gives
    assert row.resolve(as_text) == defaults


def test_bundle_defaults_apply_only_to_the_options_a_sampler_takes():
    bundle = {"eta": 0.7, "sampler": "ddim", "steps": 50}
    assert sampler_row("ddim").resolve({}, bundle) == {"eta": 0.7}
    assert sampler_row("ddim").resolve({"eta": 0.2}, bundle) == {"eta": 0.2}  # given beats the bundle
    assert sampler_row("ddpm").resolve({}, bundle) == {"variance": "small"}
    with pytest.raises(GenvisionError, match=r"eta=2 \(ddim\): give a number in \[0.0, 1.0\]"):
        sampler_row("ddim").resolve({}, {"eta": 2})  # a bad bundle value is an error too


def test_ddpm_large_variance_is_reachable_and_adds_beta_not_beta_tilde():
    """With ε̂ = 0 and x_T = 0, two trailing steps (19 → 9 → clean) give x_0 = σ z / √ᾱ_9, σ² = β̃ ("small")
    or β ("large") of the respaced step, so the two results differ by exactly √(β/β̃) = √((1-ᾱ_19)/(1-ᾱ_9))."""
    s = NoiseSchedule(num_timesteps=20)
    zero = lambda x, t: torch.zeros_like(x)  # noqa: E731
    out = {
        v: sample(
            "ddpm", zero, s, torch.zeros(8, 1), steps=2, noise=torch.Generator().manual_seed(1), variance=v
        )
        for v in ("small", "large")
    }
    ab_t, ab_s = s.alpha_bar[19].double(), s.alpha_bar[9].double()
    ratio = ((1 - ab_t) / (1 - ab_s)).sqrt().float()
    assert out["small"].abs().min() > 0
    torch.testing.assert_close(out["large"], out["small"] * ratio, rtol=1e-5, atol=1e-6)


def test_inpainting_rows_are_those_with_an_inpainting_step():
    assert inpainting_samplers() == [n for n, row in SAMPLERS.items() if row.inpaint_step is not None]
    s = NoiseSchedule(num_timesteps=20)
    for name in inpainting_samplers():
        out = inpaint_sample(
            lambda x, t: torch.zeros_like(x),
            s,
            torch.ones(1, 1, 4, 4),
            torch.ones(1, 1, 4, 4),
            sampler=name,
            steps=3,
            noise=torch.Generator().manual_seed(0),
        )
        torch.testing.assert_close(out, torch.ones(1, 1, 4, 4))  # all kept: the input comes back
    with pytest.raises(GenvisionError, match="variance=.big. \\(ddpm\\)"):
        inpaint_sample(
            lambda x, t: x, s, torch.ones(1, 1, 2, 2), torch.ones(1, 1, 2, 2), sampler="ddpm", variance="big"
        )


def test_sampler_option_assignments_are_parsed_with_one_line_errors():
    assert parse_assignments(["variance=large", " eta = 0.5"]) == {"variance": "large", "eta": "0.5"}
    assert parse_assignments(None) == {}
    for bad in ("variance", "=large", "eta="):
        with pytest.raises(GenvisionError, match="--sampler-option takes KEY=VALUE") as info:
            parse_assignments([bad])
        assert "\n" not in str(info.value)


def test_a_sampler_that_picks_its_own_timesteps_refuses_a_spacing():
    s = NoiseSchedule(num_timesteps=20)
    for name, row in SAMPLERS.items():
        if row.spacing:
            assert row.spacing_for(None, "leading") == "leading" and row.spacing_for("linspace") == "linspace"
            continue
        assert row.spacing_for(None, "leading") is None
        with pytest.raises(GenvisionError, match=f"the {name} sampler picks its own timesteps"):
            sample(name, lambda x, t: x, s, torch.zeros(1, 2), steps=2, spacing="trailing")
    with pytest.raises(GenvisionError, match="unknown timestep spacing 'even'"):
        sampler_row("ddim").spacing_for("even")
