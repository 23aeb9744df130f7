"""The malformed-input corpus, for the Python API: every public entry refuses what the CLI refuses.

Each case calls a loaded shipped model the wrong way and must raise a one-line GenvisionError whose message names
the bad value (`expect`), before any work is done.
"""

from __future__ import annotations

import math

import pytest
import torch

import genvision
from genvision.errors import GenvisionError

pytestmark = pytest.mark.slow  # loads six shipped bundles (~5 s)


@pytest.fixture(scope="module")
def models():
    names = (
        "fashion-ddpm",
        "fashion-ldm",
        "fashion-cgan",
        "fashion-vae",
        "fashion-stylegan",
        "fashion-classifier",
    )
    return {name.split("-")[1]: genvision.load(name, device="cpu") for name in names}


def img(n=2, size=28, value=0.0):
    return torch.full((n, 1, size, size), value)


FILL = torch.zeros(28, 28)
FILL[10:18, 10:18] = 1
STEPS = {"steps": 2}
CASES = [
    # ---- counts, seeds, batches ----
    ("ddpm-n-zero", lambda m: m["ddpm"].sample(0), "0"),
    ("ddpm-n-float", lambda m: m["ddpm"].sample(2.5), "2.5"),
    ("ddpm-n-bool", lambda m: m["ddpm"].sample(True), "True"),
    ("ddpm-batch-zero", lambda m: m["ddpm"].sample(2, batch_size=0, **STEPS), "0"),
    ("ddpm-seed-float", lambda m: m["ddpm"].sample(2, seed=0.5, **STEPS), "0.5"),
    ("ddpm-start-negative", lambda m: m["ddpm"].sample(2, start=-1, **STEPS), "-1"),
    ("ddpm-steps-zero", lambda m: m["ddpm"].sample(1, steps=0), "0"),
    ("ddpm-steps-too-many", lambda m: m["ddpm"].sample(1, steps=10**6), "1000000"),
    ("ddpm-unknown-sampler", lambda m: m["ddpm"].sample(1, sampler="plms"), "plms"),
    ("ddpm-eta-negative", lambda m: m["ddpm"].sample(1, sampler="ddim", eta=-0.5, **STEPS), "-0.5"),
    ("ddpm-eta-nan", lambda m: m["ddpm"].sample(1, sampler="ddim", eta=math.nan, **STEPS), "nan"),
    ("ldm-guidance-nan", lambda m: m["ldm"].sample(1, label=0, guidance=math.nan, **STEPS), "nan"),
    ("ldm-guidance-negative", lambda m: m["ldm"].sample(1, label=0, guidance=-2.0, **STEPS), "-2"),
    ("ddpm-trajectory-negative", lambda m: m["ddpm"].sample(1, trajectory=-3, **STEPS), "-3"),
    (
        "ddpm-trajectory-rows-zero",
        lambda m: m["ddpm"].sample(1, trajectory=2, trajectory_rows=0, **STEPS),
        "0",
    ),
    ("ddpm-unknown-spacing", lambda m: m["ddpm"].sample(1, spacing="cubic", **STEPS), "cubic"),
    ("ldm-unknown-class", lambda m: m["ldm"].sample(1, label="spaceship", **STEPS), "spaceship"),
    ("ldm-class-out-of-range", lambda m: m["ldm"].sample(1, label=10, **STEPS), "10"),
    ("ddpm-prompt-to-class-model", lambda m: m["ddpm"].sample(1, prompt="a coat", **STEPS), "prompt"),
    ("ddpm-grounding-negative", lambda m: m["ddpm"].sample(1, grounding=-1, **STEPS), "-1"),
    # ---- images given to the API ----
    ("inpaint-fill-wrong-size", lambda m: m["ddpm"].inpaint(img(), torch.ones(5, 5), **STEPS), "5x5"),
    ("inpaint-fill-wrong-count", lambda m: m["ddpm"].inpaint(img(2), torch.ones(3, 1, 28, 28), **STEPS), "3"),
    ("inpaint-fill-nan", lambda m: m["ddpm"].inpaint(img(), FILL * math.nan, **STEPS), "NaN"),
    ("inpaint-fill-not-0-1", lambda m: m["ddpm"].inpaint(img(), FILL * 255, **STEPS), "255"),
    ("inpaint-fill-not-a-tensor", lambda m: m["ddpm"].inpaint(img(), [[1]], **STEPS), "list"),
    ("inpaint-images-0-255", lambda m: m["ddpm"].inpaint(img(value=255.0), FILL, **STEPS), "255"),
    ("inpaint-images-3d", lambda m: m["ddpm"].inpaint(torch.zeros(1, 28, 28), FILL, **STEPS), "[1, 28, 28]"),
    ("inpaint-images-wrong-size", lambda m: m["ddpm"].inpaint(img(size=32), FILL, **STEPS), "32"),
    ("inpaint-images-nan", lambda m: m["ddpm"].inpaint(img(value=math.nan), FILL, **STEPS), "NaN"),
    ("inpaint-images-empty", lambda m: m["ddpm"].inpaint(img(n=0), FILL, **STEPS), "no images"),
    ("inpaint-feather-negative", lambda m: m["ddpm"].inpaint(img(), FILL, feather=-1.0, **STEPS), "-1"),
    ("inpaint-unknown-sampler", lambda m: m["ddpm"].inpaint(img(), FILL, sampler="dpmpp", **STEPS), "dpmpp"),
    ("vae-reconstruct-out-of-range", lambda m: m["vae"].reconstruct(img(value=3.0)), "3"),
    ("vae-reconstruct-uint8", lambda m: m["vae"].reconstruct(img().to(torch.uint8)), "uint8"),
    ("vae-decode-wrong-latent", lambda m: m["vae"].decode(torch.zeros(2, 3)), "[2, 3]"),
    (
        "vae-decode-nan-latent",
        lambda m: m["vae"].decode(torch.full((1, *m["vae"].latent_shape), math.nan)),
        "NaN",
    ),
    ("vae-interpolate-one-step", lambda m: m["vae"].interpolate(img(1)[0], img(1)[0], steps=1), "1"),
    (
        "vae-interpolate-unknown-method",
        lambda m: m["vae"].interpolate(img(1)[0], img(1)[0], method="cubic"),
        "cubic",
    ),
    ("vae-sample-n-negative", lambda m: m["vae"].sample(-4), "-4"),
    ("classifier-out-of-range", lambda m: m["classifier"].classify(img(value=-7.0)), "-7"),
    ("classifier-rgb", lambda m: m["classifier"].classify(torch.zeros(1, 3, 28, 28)), "[3, 28, 28]"),
    # ---- GANs ----
    ("cgan-unknown-class", lambda m: m["cgan"].sample(2, label="spaceship"), "spaceship"),
    ("cgan-class-negative", lambda m: m["cgan"].sample(2, label=-1), "-1"),
    ("cgan-batch-negative", lambda m: m["cgan"].sample(2, batch_size=-1), "-1"),
    ("cgan-interpolate-three-corners", lambda m: m["cgan"].interpolate(corners=3), "3"),
    ("cgan-interpolate-one-step", lambda m: m["cgan"].interpolate(corners=2, steps=1), "1"),
    ("cgan-zslice-same-dims", lambda m: m["cgan"].z_slice(dims=(1, 1)), "(1, 1)"),
    ("stylegan-truncation-nan", lambda m: m["stylegan"].sample(2, truncation=math.nan), "nan"),
    ("stylegan-truncation-negative", lambda m: m["stylegan"].sample(2, truncation=-1.0), "-1"),
    ("stylegan-n-zero", lambda m: m["stylegan"].sample(0), "0"),
    ("stylegan-invert-steps-zero", lambda m: m["stylegan"].invert(img(1), steps=0), "0"),
    ("stylegan-invert-space", lambda m: m["stylegan"].invert(img(1), space="z", steps=1), "z"),
    ("stylegan-invert-out-of-range", lambda m: m["stylegan"].invert(img(1, value=2.0), steps=1), "2"),
    ("stylegan-invert-method", lambda m: m["stylegan"].invert(img(1), method="magic", steps=1), "magic"),
    ("stylegan-edit-codes-2d", lambda m: m["stylegan"].edit(torch.zeros(2, 8), "brightness", 1.0), "[2, 8]"),
    (
        "stylegan-edit-strength-nan",
        lambda m: m["stylegan"].edit(
            m["stylegan"].sample_codes(1), torch.ones(m["stylegan"].spec.w_dim), math.nan
        ),
        "nan",
    ),
    (
        "stylegan-edit-zero-direction",
        lambda m: m["stylegan"].edit(
            m["stylegan"].sample_codes(1), torch.zeros(m["stylegan"].spec.w_dim), 1.0
        ),
        "non-zero",
    ),
    ("stylegan-direction-unknown", lambda m: m["stylegan"].direction("colour:red", samples=8), "colour:red"),
    ("stylegan-direction-samples-one", lambda m: m["stylegan"].direction("brightness", samples=1), "1"),
    (
        "stylegan-direction-fraction",
        lambda m: m["stylegan"].direction("brightness", samples=8, fraction=0.9),
        "0.9",
    ),
    ("stylegan-sample-codes-n-zero", lambda m: m["stylegan"].sample_codes(0), "0"),
    (
        "stylegan-blend-region-wrong-size",
        lambda m: m["stylegan"].blend(img(1), img(1), torch.ones(1, 1, 5, 5), steps=1),
        "5x5",
    ),
]


def test_corpus_is_large():
    assert len(CASES) >= 40 and len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case_id, call, expect", CASES, ids=[c[0] for c in CASES])
def test_api_refuses_malformed_input(models, case_id, call, expect):
    with pytest.raises(GenvisionError) as caught:
        call(models)
    message = str(caught.value)
    assert "\n" not in message and message, message
    assert expect in message, f"{message!r} does not name {expect!r}"
