"""StyleGAN pipelines: sampling and interpolation registries, inversion methods, codes files, edits, semantic
diffusion — on a tiny random bundle."""
import pytest
import torch

from genvision.errors import GenvisionError
from genvision.inversion.directions import parse_strengths
from genvision.models.bundle import load_bundle
from genvision.pipelines.edit import DirectionRequest, attribute_scores, compute_direction, edit
from genvision.pipelines.interpolate import InterpolationRequest, interpolate
from genvision.pipelines.invert import InvertRequest, invert, load_codes, save_codes, semantic_diffusion
from genvision.pipelines.sample import SampleOptions, sample_bundle
from genvision.pipelines.stylegan import load_stylegan

from tests.pipelines.stylegan_fixtures import make_stylegan_bundle


@pytest.fixture(scope="module")
def bundle_dir(tmp_path_factory):
    return make_stylegan_bundle(tmp_path_factory.mktemp("sg") / "bundle")


@pytest.fixture(scope="module")
def model(bundle_dir):
    return load_stylegan(bundle_dir)


def test_sample_through_the_registry_is_batch_size_independent(bundle_dir):
    full = sample_bundle(bundle_dir, 5, seed=3, device="cpu", options=SampleOptions(batch_size=5)).images
    split = sample_bundle(bundle_dir, 5, seed=3, device="cpu", options=SampleOptions(batch_size=2)).images
    assert full.shape == (5, 1, 16, 16) and full.abs().max() <= 1
    assert torch.allclose(full, split, atol=1e-5)
    mean_image = sample_bundle(bundle_dir, 2, seed=0, device="cpu",
                               options=SampleOptions(conditions={"truncation": 0.0})).images
    assert torch.allclose(mean_image[0], mean_image[1], atol=1e-5)  # ψ = 0: every sample is G(w̄)
    with pytest.raises(GenvisionError, match="steps"):
        sample_bundle(bundle_dir, 1, device="cpu", options=SampleOptions(steps=10))


def generated(model, n, seed=11):
    ws = model.sample_codes(n, seed)
    return ws, model.synthesize(ws)


@pytest.mark.parametrize("method", ["optimize", "encoder", "encoder+optimize"])
def test_invert_methods_and_codes_roundtrip(model, method, tmp_path):
    _, images = generated(model, 3)
    result = invert(model, images, InvertRequest(method=method, steps=40, space="w+", batch_size=2))
    assert result.ws.shape == (3, model.generator.num_ws, 16) and result.info["method"] == method
    path = save_codes(tmp_path / "codes.safetensors", result, "tiny")
    ws, noise = load_codes(path)
    assert torch.equal(ws, result.ws) and noise is None
    assert torch.allclose(model.synthesize(ws), result.images, atol=1e-5)  # codes alone reproduce the images
    if method != "encoder":
        start = (model.synthesize(model.generator.w_avg.expand(3, model.generator.num_ws, -1)) - images).pow(2).mean()
        assert (result.images - images).pow(2).mean() < 0.5 * start


def test_noise_optimisation_stores_maps(model, tmp_path):
    _, images = generated(model, 2)
    result = invert(model, images, InvertRequest(method="optimize", steps=5, optimize_noise=True))
    ws, noise = load_codes(save_codes(tmp_path / "c.safetensors", result, "tiny"))
    assert noise is not None and len(noise) == len(model.generator.layers)
    assert torch.allclose(model.synthesize(ws, noise), result.images, atol=1e-5)


def test_invert_errors(model, bundle_dir, tmp_path):
    _, images = generated(model, 1)
    with pytest.raises(GenvisionError, match="perceptual"):
        invert(model, images, InvertRequest(method="optimize", steps=1, perceptual="vgg-magic"))
    with pytest.raises(GenvisionError, match="shape"):
        invert(model, torch.zeros(1, 1, 28, 28), InvertRequest())
    no_encoder = load_stylegan(make_stylegan_bundle(tmp_path / "plain", encoder=False))
    with pytest.raises(GenvisionError, match="no encoder"):
        invert(no_encoder, images, InvertRequest(method="encoder"))
    assert invert(no_encoder, images, InvertRequest(steps=2)).info["method"] == "optimize"  # auto


def test_discriminator_perceptual_is_used_when_asked(model):
    _, images = generated(model, 2)
    result = invert(model, images, InvertRequest(method="optimize", steps=3, perceptual="discriminator"))
    assert result.info["perceptual"] == "discriminator"


def test_semantic_diffusion_fits_the_pasted_region(model):
    _, targets = generated(model, 2, seed=1)
    _, contexts = generated(model, 2, seed=2)
    region = torch.zeros(2, 1, 16, 16)
    region[:, :, 4:12, 4:12] = 1
    result = semantic_diffusion(model, targets, contexts, region, InvertRequest(method="optimize", steps=60))
    inside = lambda x: ((x - targets) * region).pow(2).sum() / region.sum()  # noqa: E731
    w_avg = model.synthesize(model.generator.w_avg.expand(2, model.generator.num_ws, -1))
    assert inside(result.images) < 0.3 * inside(w_avg)


def test_interpolation_through_the_registry(bundle_dir):
    bundle = load_bundle(bundle_dir)
    sampled = interpolate(bundle, InterpolationRequest(steps=5))
    assert sampled.images.shape == (5, 1, 16, 16) and sampled.nrow == 5
    real = interpolate(bundle, InterpolationRequest(a="synthetic:test:0", b="synthetic:test:1", steps=4, invert=True,
                                                    options={"method": "encoder"}))
    assert real.images.shape == (4, 1, 16, 16)
    with pytest.raises(GenvisionError, match="--option"):
        interpolate(bundle, InterpolationRequest(a="synthetic:test:0", b="synthetic:test:1", options={"x": 1}))


def test_brightness_direction_edit_is_monotonic(model):
    direction = compute_direction(model, DirectionRequest(attribute="brightness", samples=400, seed=0))
    assert direction.accuracy > 0.8 and abs(float(direction.vector.norm()) - 1) < 1e-5
    ws, _ = generated(model, 4, seed=5)
    strengths = parse_strengths("-2:2:5")
    images = edit(model, ws, direction.vector, strengths)
    assert images.shape == (4 * 5, 1, 16, 16)
    scores = attribute_scores(model, images, "brightness").reshape(4, 5)  # row = image, column = strength
    assert (scores[:, 1:] - scores[:, :-1]).mean(dim=0).gt(0).all()
    assert (scores[:, -1] > scores[:, 0]).all()
    with pytest.raises(GenvisionError, match="attribute"):
        compute_direction(model, DirectionRequest(attribute="smile"))


def test_class_direction_moves_the_classifiers_score_monotonically(tmp_path):
    """class:NAME scores samples with a classifier bundle's logit margin; editing along the fitted direction
    raises that margin at every step (a random-weight classifier is still a fixed, real scoring network)."""
    from genvision.models.bundle import save_bundle
    from genvision.models.classifier import Classifier

    torch.manual_seed(0)
    classes = ["a", "b", "c"]
    clf = save_bundle(tmp_path / "clf", "classifier", {"classifier": Classifier(num_classes=3, channels=(8, 16),
                                                                               dropout=0.0, groups=4)},
                      {"data": {"shape": [1, 16, 16], "class_names": classes}})
    folder = make_stylegan_bundle(tmp_path / "sg")
    model = load_stylegan(folder)
    model.config["data"]["class_names"] = classes
    direction = compute_direction(model, DirectionRequest(attribute="class:b", samples=400, classifier=str(clf)))
    assert direction.accuracy > 0.8
    ws, _ = generated(model, 4, seed=7)
    images = edit(model, ws, direction.vector, parse_strengths("-2:2:5"))
    margin = attribute_scores(model, images, "class:b", classifier=str(clf)).reshape(4, 5)
    assert (margin[:, 1:] - margin[:, :-1]).mean(dim=0).gt(0).all(), margin
    assert (margin[:, -1] > margin[:, 0]).all()
    with pytest.raises(GenvisionError, match="unknown class"):
        compute_direction(model, DirectionRequest(attribute="class:zebra", classifier=str(clf)))
