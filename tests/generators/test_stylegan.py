"""StyleGAN: sampling, inversion methods, codes files, region blending, directions and edits — on a tiny random
bundle."""

import pytest
import torch

import genvision
from genvision.errors import GenvisionError
from genvision.generators import InversionSettings
from genvision.inversion.directions import parse_strengths
from genvision.models.bundle import save_bundle
from genvision.models.classifier import ClassifierNet
from genvision.workflows.codes import load_codes, save_codes
from genvision.workflows.interpolate import InterpolationRequest, interpolate
from tests.generators.stylegan_fixtures import make_stylegan_bundle


@pytest.fixture(scope="module")
def bundle_dir(tmp_path_factory):
    return make_stylegan_bundle(tmp_path_factory.mktemp("sg") / "bundle")


@pytest.fixture(scope="module")
def model(bundle_dir):
    return genvision.load(bundle_dir, device="cpu")


def generated(model, n, seed=11):
    ws = model.sample_codes(n, seed)
    return ws, model.synthesize(ws)


def test_sampling_is_batch_size_independent_and_truncates(model):
    full = model.sample(5, seed=3, batch_size=5).images
    split = model.sample(5, seed=3, batch_size=2).images
    assert full.shape == (5, 1, 16, 16) and full.abs().max() <= 1
    assert torch.allclose(full, split, atol=1e-5)
    mean_image = model.sample(2, seed=0, truncation=0.0).images
    assert torch.allclose(mean_image[0], mean_image[1], atol=1e-5)  # ψ = 0: every sample is G(w̄)


@pytest.mark.parametrize("method", ["optimize", "encoder", "encoder+optimize"])
def test_invert_methods_and_codes_roundtrip(model, method, tmp_path):
    _, images = generated(model, 3)
    result = model.invert(
        images, method=method, steps=40, space="w+", settings=InversionSettings(batch_size=2)
    )
    assert result.ws.shape == (3, model.generator.num_ws, 16) and result.info["method"] == method
    ws, noise = load_codes(save_codes(tmp_path / "codes.safetensors", result, "tiny"))
    assert torch.equal(ws, result.ws) and noise is None
    assert torch.allclose(model.synthesize(ws), result.images, atol=1e-5)  # codes alone reproduce the images
    if method != "encoder":
        start = (
            (model.synthesize(model.generator.w_avg.expand(3, model.generator.num_ws, -1)) - images)
            .pow(2)
            .mean()
        )
        assert (result.images - images).pow(2).mean() < 0.5 * start


def test_inversion_is_batch_independent_and_reports_progress(model):
    _, images = generated(model, 3)
    seen = []
    whole = model.invert(
        images,
        method="optimize",
        steps=5,
        settings=InversionSettings(batch_size=3),
        progress=lambda done, total: seen.append((done, total)),
    )
    split = model.invert(images, method="optimize", steps=5, settings=InversionSettings(batch_size=1))
    assert torch.allclose(whole.ws, split.ws, atol=1e-4)
    assert seen == [(3, 3)]


def test_noise_optimisation_stores_maps(model, tmp_path):
    _, images = generated(model, 2)
    result = model.invert(images, method="optimize", steps=5, settings=InversionSettings(optimize_noise=True))
    ws, noise = load_codes(save_codes(tmp_path / "c.safetensors", result, "tiny"))
    assert noise is not None and len(noise) == len(model.generator.layers)
    assert torch.allclose(model.synthesize(ws, noise), result.images, atol=1e-5)
    assert torch.allclose(
        model.edit(result, torch.ones(16), 0.0), result.images, atol=1e-5
    )  # noise travels along
    with pytest.raises(GenvisionError, match="non-zero"):
        model.edit(result, torch.zeros(16), 1.0)


def test_invert_errors(model, tmp_path):
    _, images = generated(model, 1)
    with pytest.raises(GenvisionError, match="perceptual"):
        model.invert(images, method="optimize", steps=1, settings=InversionSettings(perceptual="vgg-magic"))
    with pytest.raises(GenvisionError, match="shape"):
        model.invert(torch.zeros(1, 1, 28, 28))
    with pytest.raises(GenvisionError, match="latent space"):
        model.invert(images, space="z")
    no_encoder = genvision.load(make_stylegan_bundle(tmp_path / "plain", encoder=False))
    with pytest.raises(GenvisionError, match="no encoder"):
        no_encoder.invert(images, method="encoder")
    assert no_encoder.invert(images, steps=2).info["method"] == "optimize"  # auto


def test_discriminator_perceptual_is_used_when_asked(model):
    _, images = generated(model, 2)
    result = model.invert(
        images, method="optimize", steps=3, settings=InversionSettings(perceptual="discriminator")
    )
    assert result.info["perceptual"] == "discriminator"


def test_blend_fits_the_pasted_region(model):
    _, targets = generated(model, 2, seed=1)
    _, contexts = generated(model, 2, seed=2)
    region = torch.zeros(2, 1, 16, 16)
    region[:, :, 4:12, 4:12] = 1
    pasted, result = model.blend(targets, contexts, region, method="optimize", steps=60)
    assert torch.equal(pasted, region * targets + (1 - region) * contexts)
    inside = lambda x: ((x - targets) * region).pow(2).sum() / region.sum()  # noqa: E731
    w_avg = model.synthesize(model.generator.w_avg.expand(2, model.generator.num_ws, -1))
    assert inside(result.images) < 0.3 * inside(w_avg)


def test_interpolation(model):
    sampled = interpolate(model, InterpolationRequest(steps=5))
    assert sampled.images.shape == (5, 1, 16, 16) and sampled.nrow == 5
    real = interpolate(
        model,
        InterpolationRequest(
            a="synthetic:test:0", b="synthetic:test:1", steps=4, invert=True, options={"method": "encoder"}
        ),
    )
    assert real.images.shape == (4, 1, 16, 16)
    with pytest.raises(GenvisionError, match="--option"):
        interpolate(model, InterpolationRequest(a="synthetic:test:0", b="synthetic:test:1", options={"x": 1}))


def test_brightness_direction_edit_is_monotonic(model):
    vector, accuracy, count = model.fit_direction("brightness", samples=400, seed=0)
    assert accuracy > 0.8 and abs(float(vector.norm()) - 1) < 1e-5 and count == 200
    assert torch.equal(model.direction("brightness", samples=400), vector)  # fitted the same way, cached
    ws, _ = generated(model, 4, seed=5)
    images = model.edit(ws, vector, parse_strengths("-2:2:5"))
    assert images.shape == (4 * 5, 1, 16, 16)
    scores = model.image_scorer("brightness")(images).reshape(4, 5)  # row = image, column = strength
    assert (scores[:, 1:] - scores[:, :-1]).mean(dim=0).gt(0).all()
    assert (scores[:, -1] > scores[:, 0]).all()
    with pytest.raises(GenvisionError, match="attribute"):
        model.direction("smile")
    with pytest.raises(GenvisionError, match="a direction is a vector"):
        model.edit(ws, torch.zeros(3), 1.0)


def test_class_direction_moves_the_classifiers_score_monotonically(tmp_path):
    """class:NAME scores samples with a classifier bundle's logit margin; editing along the fitted direction
    raises that margin at every step (a random-weight classifier is still a fixed, real scoring network)."""
    torch.manual_seed(0)
    classes = ["a", "b", "c"]
    clf = save_bundle(
        tmp_path / "clf",
        "classifier",
        {"classifier": ClassifierNet(num_classes=3, channels=(8, 16), dropout=0.0, groups=4)},
        {"data": {"shape": [1, 16, 16], "class_names": classes}},
    )
    model = genvision.load(make_stylegan_bundle(tmp_path / "sg"))
    model.spec.data.class_names = classes
    vector, accuracy, _ = model.fit_direction("class:b", samples=400, classifier=str(clf))
    assert accuracy > 0.8
    ws, _ = generated(model, 4, seed=7)
    images = model.edit(ws, vector, parse_strengths("-2:2:5"))
    margin = model.image_scorer("class:b", classifier=str(clf))(images).reshape(4, 5)
    assert (margin[:, 1:] - margin[:, :-1]).mean(dim=0).gt(0).all(), margin
    assert (margin[:, -1] > margin[:, 0]).all()
    with pytest.raises(GenvisionError, match="unknown class"):
        model.direction("class:zebra", classifier=str(clf))


def test_conditional_sampling_takes_a_class_or_cycles_through_them(tmp_path, model):
    """A class-conditional StyleGAN: image k has class `label`, or k mod C without one; the same z per index."""
    cond = genvision.load(make_stylegan_bundle(tmp_path / "cond", num_classes=3), device="cpu")
    assert cond.num_classes == 3 and model.num_classes == 0
    cycled = cond.sample(6, seed=2, batch_size=4).images
    for c in range(3):
        fixed = cond.sample(6, seed=2, label=f"c{c}")
        assert fixed.info["class"] == c
        for k in range(6):
            same = torch.allclose(cycled[k], fixed.images[k], atol=1e-5)
            assert same == (k % 3 == c)  # the class changes the image; the cycle gives class k mod 3
    assert "class" not in cond.sample(2).info
    with pytest.raises(GenvisionError, match="not class-conditional"):
        model.sample(2, label=0)
    with pytest.raises(GenvisionError, match="unknown class|c0, c1, c2|out of range|class"):
        cond.sample(2, label="c7")
    # interpolation between two samples of one class: the ends are images 0 and 1 of that class
    path = interpolate(cond, InterpolationRequest(steps=3, label="c2", seed=2)).images
    assert torch.allclose(path[0], fixed.images[0], atol=1e-5) and torch.allclose(
        path[-1], fixed.images[1], atol=1e-5
    )
    with pytest.raises(GenvisionError, match="not class-conditional"):
        interpolate(model, InterpolationRequest(steps=3, label="c2"))
    # inversion runs through synthesis only: W / W+ projection works for the conditional generator too
    result = cond.invert(cycled[:2], method="optimize", steps=5, space="w")
    assert result.ws.shape == (2, cond.generator.num_ws, 16)


def test_class_direction_of_a_conditional_stylegan_is_the_class_mean_difference(tmp_path):
    """Sampled codes of a conditional generator carry their class: class:NAME is the unit w̄_c − w̄_rest."""
    cond = genvision.load(make_stylegan_bundle(tmp_path / "cond", num_classes=3), device="cpu")
    vector, accuracy, count = cond.fit_direction("class:c2", samples=60, seed=4)
    ws = cond.sample_codes(60, seed=4)[:, 0]
    inside = torch.arange(60) % 3 == 2
    diff = ws[inside].mean(0) - ws[~inside].mean(0)
    assert count == 60 and torch.allclose(vector, diff / diff.norm(), atol=1e-6)
    assert 0.5 < accuracy <= 1.0  # the class embedding separates the codes
