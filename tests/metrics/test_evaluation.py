"""Evaluation (genvision.metrics.evaluation and `eval`'s sample loading) end to end on toy data: folder references, a tiny classifier bundle, caching, errors."""

import json

import numpy as np
import pytest
import torch

from genvision.errors import DataNotFoundError, GenvisionError
from genvision.metrics import evaluation as ev
from genvision.metrics.classifier_features import ClassifierFeatures
from genvision.metrics.frechet import fid_from_features
from genvision.workflows.evaluate import evaluate_model, load_samples
from genvision.workflows.sample import SampleRequest, generate
from tests.metrics.helpers import blobs, image_folder, tiny_classifier_bundle


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("eval")
    bundle = tiny_classifier_bundle(root / "classifier")
    reference = image_folder(root / "ref", blobs(120, seed=0))
    return bundle, f"folder:{reference}"


def test_classifier_features_match_the_network(setup):
    bundle, _ = setup
    extractor = ClassifierFeatures(bundle)
    imgs = blobs(6, seed=3)
    out = extractor.extract(imgs)
    x = torch.from_numpy(imgs).float().div(127.5).sub(1).unsqueeze(1)
    with torch.no_grad():
        feats = extractor.net.features(x)
        np.testing.assert_allclose(out.features, feats.double().numpy(), atol=2e-5)
        np.testing.assert_allclose(out.logits, extractor.net(x).double().numpy(), atol=2e-5)
    assert out.features.shape == (6, 16) and extractor.dim == 16
    with pytest.raises(GenvisionError, match="Use --features inception"):
        extractor(np.zeros((2, 32, 32), dtype=np.uint8))


def test_same_distribution_scores_better_than_a_shifted_one(setup):
    bundle, ref = setup
    same = ev.evaluate_samples(
        blobs(120, seed=1),
        ref,
        features="classifier",
        classifier=bundle,
        device="cpu",
        settings=ev.EvalSettings(kid_subsets=10, kid_subset_size=50, is_splits=4),
    )
    noisy = np.clip(blobs(120, seed=1) + np.random.default_rng(0).normal(0, 60, (120, 28, 28)), 0, 255)
    worse = ev.evaluate_samples(
        noisy.astype(np.uint8),
        ref,
        features="classifier",
        classifier=bundle,
        device="cpu",
        settings=ev.EvalSettings(kid_subsets=10, kid_subset_size=50, is_splits=4),
    )
    assert set(same.metrics) == {"fid", "kid_mean", "kid_std", "precision", "recall", "is_mean", "is_std"}
    assert same.metrics["fid"] < worse.metrics["fid"] / 5
    assert same.metrics["kid_mean"] < worse.metrics["kid_mean"]
    assert same.metrics["precision"] > worse.metrics["precision"]
    assert same.n_samples == same.n_reference == 120
    assert any("biased upward" in w for w in same.warnings) is False  # 120 samples > 16 dims
    json.dumps(same.to_json())
    assert "FID" in same.table() and "precision" in same.table()


def test_identical_sets_score_zero_fid_and_full_precision_recall(setup):
    bundle, ref = setup
    report = ev.evaluate_samples(
        blobs(120, seed=0), ref, metrics="fid,pr", features="classifier", classifier=bundle, device="cpu"
    )
    assert report.metrics["fid"] == pytest.approx(0.0, abs=1e-6)
    assert report.metrics["precision"] == report.metrics["recall"] == 1.0


def test_auto_features_pick_the_classifier_only_for_28x28_grayscale():
    assert ev.resolve_features("auto", (1, 28, 28)) == "classifier"
    assert ev.resolve_features("auto", (3, 64, 64)) == "inception"
    assert ev.resolve_features("auto", (1, 32, 32)) == "inception"
    with pytest.raises(GenvisionError, match="unknown --features"):
        ev.resolve_features("clip", (1, 28, 28))


def test_reference_features_are_cached_on_disk(setup, tmp_path, monkeypatch):
    monkeypatch.setenv("GENVISION_HOME", str(tmp_path))
    bundle, ref = setup
    extractor = ClassifierFeatures(bundle)
    first, n, _ = ev.reference_features(extractor, ref, 50, seed=0)
    assert n == 50 and len(list((tmp_path / "cache" / "eval").glob("*.npz"))) == 1
    ev._MEMORY_CACHE.clear()
    again, _, _ = ev.reference_features(extractor, ref, 50, seed=0)
    np.testing.assert_array_equal(first.features, again.features)
    np.testing.assert_array_equal(first.logits, again.logits)


def test_fid_during_training_accepts_float_samples_and_matches_direct_computation(setup):
    bundle, ref = setup
    samples = torch.from_numpy(blobs(40, seed=5)).float().div(127.5).sub(1).unsqueeze(1)
    value = ev.fid_during_training(samples, ref, 40, classifier=bundle)
    extractor = ClassifierFeatures(bundle)
    real = extractor(ev.load_reference(ref, 40)[0])
    assert value == pytest.approx(fid_from_features(real, extractor(samples)), rel=1e-6)
    assert (
        ev.fid_during_training(samples, ref, 40, classifier=bundle) == value
    )  # cached reference, same value


def test_missing_default_classifier_says_how_to_get_it():
    with pytest.raises(GenvisionError, match="classifier_fashion.yaml"):
        ClassifierFeatures("fashion-classifier-that-does-not-exist")


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.zeros((10, 28, 28), dtype=np.int64), "samples must be uint8"),
        (np.zeros((10, 28, 28, 2), dtype=np.uint8), "samples must be uint8"),
        (np.full((10, 1, 28, 28), 255.0, dtype=np.float32), "must lie in [-1, 1]"),
        (np.zeros((10, 28, 28, 1), dtype=np.float32), "samples must be uint8"),
    ],
)
def test_bad_sample_arrays_fail_clearly(setup, bad, message):
    bundle, ref = setup
    with pytest.raises(GenvisionError, match=message.replace("[", r"\[").replace("]", r"\]")):
        ev.evaluate_samples(bad, ref, classifier=bundle, device="cpu")


def test_few_samples_warn_about_fid_bias_and_too_few_fail(setup):
    bundle, ref = setup
    with pytest.warns(UserWarning, match="biased upward"):
        report = ev.evaluate_samples(blobs(12, seed=2), ref, metrics="fid", classifier=bundle, device="cpu")
    assert report.n_reference == 12 and "rank <= 11 < 16" in report.warnings[0]
    with pytest.raises(GenvisionError, match="precision/recall with k=3"):
        ev.evaluate_samples(blobs(3, seed=2), ref, metrics="pr", classifier=bundle, device="cpu")
    with pytest.raises(GenvisionError, match="more samples than"):
        ev.evaluate_samples(blobs(5, seed=2), ref, n=10, classifier=bundle, device="cpu")


def test_missing_reference_data_and_unknown_metric(setup, tmp_path):
    bundle, _ = setup
    with pytest.raises(DataNotFoundError, match="does not exist"):
        ev.evaluate_samples(
            blobs(20, seed=0), f"folder:{tmp_path / 'nowhere'}", classifier=bundle, device="cpu"
        )
    with pytest.raises(GenvisionError, match="unknown metric"):
        ev.parse_metrics("fid,lpips")


def test_data_references_work_as_samples_for_real_vs_real_baselines():
    images, notes = load_samples("synthetic:test")
    assert ev.image_shape(images)[1:] == (16, 16) and len(images) == 128 and notes == []
    with pytest.raises(GenvisionError, match="do not exist"):
        load_samples("no-such-file.npy")


def test_channels_first_uint8_arrays_are_accepted_when_unambiguous(setup):
    bundle, ref = setup
    hwc = blobs(30, seed=1)
    nchw = hwc[:, None]  # [N, 1, H, W], as torch users often save
    a = ev.evaluate_samples(hwc, ref, metrics="fid", classifier=bundle, device="cpu")
    b = ev.evaluate_samples(nchw, ref, metrics="fid", classifier=bundle, device="cpu")
    assert a.metrics["fid"] == pytest.approx(b.metrics["fid"], abs=1e-6)
    assert ev.channels_last(np.zeros((2, 3, 8, 3), np.uint8)).shape == (2, 3, 8, 3)  # ambiguous: left alone


def test_folder_samples_name_skipped_files_and_resize_only_when_asked(tmp_path):
    from PIL import Image

    folder = tmp_path / "samples"
    image_folder(folder, blobs(4, seed=0))
    (folder / "broken.png").write_bytes(b"not a png")
    images, notes = load_samples(folder)
    assert images.shape == (4, 28, 28) and "broken.png" in notes[0]
    Image.fromarray(np.zeros((32, 32), np.uint8)).save(folder / "big.png")
    with pytest.raises(GenvisionError, match="different sizes.*--resize"):
        load_samples(folder)
    images, notes = load_samples(folder, resize=28)
    assert images.shape == (5, 28, 28) and any("resized 1 image" in n for n in notes)


@pytest.mark.slow
def test_evaluate_model_generates_through_the_sample_pipeline(setup, tmp_path):
    import genvision
    from genvision.models.bundle import save_bundle
    from genvision.models.unet import UNet
    from genvision.viz.images import npy_layout

    bundle, ref = setup
    torch.manual_seed(0)
    unet = UNet(
        in_channels=1,
        image_size=28,
        model_channels=16,
        channel_mult=(1,),
        num_res_blocks=1,
        attention_resolutions=(),
    )
    save_bundle(
        tmp_path / "ddpm",
        "ddpm",
        {"unet": unet},
        {
            "data": {"dataset": "blobs", "shape": [1, 28, 28]},
            "schedule": {"name": "linear", "num_timesteps": 100},
            "prediction": "eps",
        },
    )
    npy = tmp_path / "generated.npy"
    model = genvision.load(tmp_path / "ddpm", device="cpu")
    report = evaluate_model(
        model,
        SampleRequest(n=20, seed=3, sampler="ddim", steps=2),
        npy=npy,
        device="cpu",
        reference=ref,
        metrics="fid,kid",
        classifier=bundle,
    )
    images = generate(model, 20, seed=3, sampler="ddim", steps=2)
    # the model's samples are scored as the uint8 images --npy writes: the same numbers as `eval --samples`
    saved = ev.evaluate_samples(np.load(npy), ref, metrics="fid,kid", classifier=bundle, device="cpu")
    assert report.n_samples == 20 and np.array_equal(np.load(npy), npy_layout(images))
    assert report.metrics == saved.metrics
    with pytest.raises(TypeError):
        generate(model, 2, temperature=0.5)
