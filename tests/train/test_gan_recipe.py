"""GAN families through the shared Trainer: both losses move; a cGAN follows labels on synthetic shapes."""

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import genvision
from genvision.data import load_dataset
from genvision.errors import ConfigError
from genvision.train.families import load_run_config
from genvision.train.trainer import Trainer, lr_factor
from tests.conftest import REPO

TINY = [
    "data.name=synthetic",
    "train.tensorboard=false",
    "train.batch_size=32",
    "train.checkpoint_every=100000",
    "model.g_channels=16",
    "model.d_channels=16",
    "model.z_dim=16",
    "model.embed_dim=8",
    "recipe.eval_n=0",
    "recipe.classifier=null",
]


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny convolutions run ~100x slower with 2 OpenMP threads on a loaded 2-core machine; restored after."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def config(family: str, *extra: str):
    return load_run_config(REPO / "configs" / f"{family}_fashion.yaml", TINY + list(extra))


def records(run_dir):
    return [r for r in map(json.loads, (run_dir / "metrics.jsonl").read_text().splitlines()) if "D(x)" in r]


def test_schema_defaults_follow_radford():
    cfg = config("dcgan")
    assert cfg.recipe.betas == (0.5, 0.999) and cfg.recipe.lr_g == cfg.recipe.lr_d == 2e-4
    assert cfg.recipe.loss == "non_saturating"
    with pytest.raises(ConfigError, match="recipe.loss"):
        config("dcgan", "recipe.loss=wasserstein")


def test_short_dcgan_run_moves_both_losses(tmp_path):
    cfg = config("dcgan", "train.steps=40", "train.log_every=5", "recipe.lr_g=3e-4", "recipe.lr_d=1e-4")
    bundle = Trainer(cfg, tmp_path, quiet=True).run()
    logs = records(tmp_path)
    first, last = logs[0], logs[-1]
    # the logged rates are those of the record's last step (4): recipe.lr_g / lr_d times the schedule
    factor = lr_factor(4, 40, cfg.train.warmup_steps, cfg.train.lr_schedule, cfg.train.min_lr_ratio)
    assert first["lr/generator"] == pytest.approx(3e-4 * factor)
    assert first["lr/discriminator"] == pytest.approx(1e-4 * factor)
    assert abs(last["discriminator/loss"] - first["discriminator/loss"]) > 0.1
    assert abs(last["generator/loss"] - first["generator/loss"]) > 0.1
    assert last["D(x)"] > last["D(G(z))"]  # D has learned to tell real from generated
    assert (bundle / "generator").is_dir() and not (bundle / "discriminator").exists()
    model = genvision.load(bundle, device="cpu")
    assert not model.conditional and model.sample(2, seed=0).images.shape == (2, 1, 16, 16)


def canonical_shapes(x: torch.Tensor) -> np.ndarray:
    """A translation-free view of shape images: centred on the intensity centroid, blurred, unit maximum."""
    m = (x[:, 0] + 1) / 2
    n, h, w = m.shape
    grid = torch.arange(h, dtype=torch.float32)
    total = m.sum((1, 2)).clamp_min(1e-6)
    cy = ((m.sum(2) * grid).sum(1) / total).round().long()
    cx = ((m.sum(1) * grid).sum(1) / total).round().long()
    out = torch.stack(
        [torch.roll(m[i], (h // 2 - int(cy[i]), w // 2 - int(cx[i])), (0, 1)) for i in range(n)]
    )
    k = torch.tensor([1.0, 2.0, 1.0])
    out = F.conv2d(out[:, None], ((k[:, None] * k[None]) / 16)[None, None], padding=1)[:, 0]
    return (out / out.flatten(1).amax(1).clamp_min(1e-6)[:, None, None]).flatten(1).numpy()


def shape_judge():
    """5-nearest-neighbour shape classifier fitted on real synthetic shapes (the judge of generated ones)."""
    from sklearn.neighbors import KNeighborsClassifier

    train = load_dataset("synthetic", "train").tensors()
    judge = KNeighborsClassifier(5).fit(
        canonical_shapes(train["image_uint8"].float() / 127.5 - 1), train["label"].numpy()
    )
    test = load_dataset("synthetic", "test").tensors()
    real_acc = (
        judge.predict(canonical_shapes(test["image_uint8"].float() / 127.5 - 1)) == test["label"].numpy()
    ).mean()
    assert real_acc > 0.95
    return judge


@pytest.mark.slow
def test_conditional_generator_follows_labels(tmp_path):
    judge = shape_judge()
    bundle = Trainer(config("cgan", "train.steps=200", "train.log_every=50"), tmp_path, quiet=True).run()
    model = genvision.load(bundle, device="cpu")
    assert model.conditional
    requested = np.arange(90) % 3
    predicted = judge.predict(
        canonical_shapes(model.sample(90, seed=1).images)
    )  # image k asks for class k mod 3
    assert (predicted == requested).mean() > 0.6  # chance is 1/3; ~0.8 after 200 steps
    assert (predicted == (requested + 1) % 3).mean() < 0.3  # it follows the label, not a fixed rotation


def test_cgan_needs_labels(tmp_path):
    cfg = config("cgan", "data.name=folder:" + str(tmp_path))
    from genvision.data.base import DataInfo
    from genvision.train.recipes.gan import CGANTraining

    with pytest.raises(ConfigError, match="labelled"):
        CGANTraining(cfg, DataInfo("folder", (1, 16, 16)), torch.device("cpu"))


@pytest.mark.parametrize("name", ["dcgan_mnist", "dcgan_fashion", "cgan_fashion", "dcgan_celebahq64"])
def test_presets_validate(name):
    cfg = load_run_config(REPO / "configs" / f"{name}.yaml")
    assert cfg.family in ("dcgan", "cgan") and cfg.recipe.betas == (0.5, 0.999)


@pytest.mark.parametrize(
    "family,extra",
    [
        (
            "dcgan",
            [
                "recipe.loss=hinge",
                "recipe.r1_gamma=1.0",
                "model.d_batch_norm=false",
                "model.d_spectral_norm=true",
            ],
        ),
        (
            "cgan",
            [
                "recipe.loss=least_squares",
                "model.conditioning=projection",
                "recipe.export_discriminator=true",
            ],
        ),
        ("dcgan", ["recipe.loss=minimax", "recipe.real_label=1.0"]),
        ("dcgan", ["model.d_minibatch_std=4", "recipe.export_discriminator=true"]),
    ],
)
def test_loss_and_regulariser_options_train(tmp_path, family, extra):
    bundle = Trainer(config(family, "train.steps=4", "train.log_every=2", *extra), tmp_path, quiet=True).run()
    logs = records(tmp_path)
    assert all(np.isfinite(r["discriminator/loss"]) and np.isfinite(r["generator/loss"]) for r in logs)
    if "recipe.r1_gamma=1.0" in extra:
        assert all(r["discriminator/r1"] > 0 for r in logs)
    assert (bundle / "discriminator").is_dir() == ("recipe.export_discriminator=true" in extra)
    if "model.d_minibatch_std=4" in extra:
        assert (
            json.loads((bundle / "discriminator" / "config.json").read_text())["args"]["minibatch_std"] == 4
        )


def test_minibatch_std_is_a_dcgan_option_only(tmp_path):
    with pytest.raises(ConfigError, match="d_minibatch_std is a group size for family dcgan"):
        Trainer(config("cgan", "train.steps=1", "model.d_minibatch_std=4"), tmp_path, quiet=True).run()
    with pytest.raises(ConfigError, match="d_minibatch_std"):
        Trainer(config("dcgan", "train.steps=1", "model.d_minibatch_std=-2"), tmp_path, quiet=True).run()


def test_classifier_diagnostics_and_bundle_metrics(tmp_path, caplog):
    from genvision.models.bundle import load_bundle, save_bundle
    from genvision.models.classifier import ClassifierNet

    judge = ClassifierNet(in_channels=1, num_classes=3, channels=(4, 8), groups=2)
    save_bundle(
        tmp_path / "clf",
        "classifier",
        {"classifier": judge},
        {"data": {"dataset": "synthetic", "shape": [1, 16, 16], "class_names": ["disc", "square", "bar"]}},
    )
    cfg = config(
        "cgan",
        "train.steps=4",
        "train.log_every=2",
        f"recipe.classifier={tmp_path / 'clf'}",
        "recipe.diagnostics_n=30",
        "recipe.eval_n=40",
    )
    bundle = Trainer(cfg, tmp_path / "run", quiet=True).run()
    logs = records(tmp_path / "run")
    assert all(0 <= r["diag/class_entropy"] <= 1 and 1 <= r["diag/classes_covered"] <= 3 for r in logs)
    assert all(0 <= r["diag/label_accuracy"] <= 1 for r in logs)
    metrics = load_bundle(bundle).config["metrics"]
    assert metrics["classifier_fid"] > 0 and "label_accuracy" in metrics
    with caplog.at_level("WARNING"):
        Trainer(
            config("dcgan", "train.steps=2", "recipe.classifier=auto"), tmp_path / "auto", quiet=True
        ).run()
    assert "no shipped classifier for synthetic" in caplog.text


def test_auxiliary_classifier_gan_learns_the_classes(tmp_path):
    # AC-GAN: both cross-entropies are logged; D's (on real images) falls well below log K as it learns
    bundle = Trainer(
        config(
            "cgan",
            "train.steps=40",
            "train.log_every=10",
            "model.conditioning=auxiliary",
            "recipe.class_weight=2.0",
        ),
        tmp_path,
        quiet=True,
    ).run()
    logs = records(tmp_path)
    assert all(r["discriminator/class_ce"] >= 0 and r["generator/class_ce"] >= 0 for r in logs)
    assert logs[-1]["discriminator/class_ce"] < 0.5 * 2.0 * np.log(3)
    assert (bundle / "generator").is_dir()


def test_diffaugment_option_trains_and_bad_policy_is_a_config_error(tmp_path):
    extra = ("recipe.diffaugment=translation,cutout", "recipe.loss=hinge", "model.conditioning=projection")
    bundle = Trainer(
        config("cgan", "train.steps=3", "train.log_every=1", *extra), tmp_path / "a", quiet=True
    ).run()
    assert (bundle / "generator").is_dir()
    assert all(np.isfinite(r["discriminator/loss"]) for r in records(tmp_path / "a"))
    with pytest.raises(ConfigError, match="recipe.diffaugment: unknown DiffAugment transform 'flip'"):
        Trainer(config("cgan", "train.steps=1", "recipe.diffaugment=flip"), tmp_path / "b", quiet=True).run()
    assert not (tmp_path / "b" / "bundle").exists()


def test_discriminator_warmup_leaves_the_generator_alone(tmp_path):
    """recipe.d_warmup_steps=N: for N steps only D learns (a fresh D against a trained G), then both do."""
    first = Trainer(config("dcgan", "train.steps=3"), tmp_path / "a", quiet=True).run()

    def weights(bundle) -> dict:  # parameters, not BatchNorm's running statistics (G runs in train mode)
        return dict(genvision.load(bundle, device="cpu").generator.named_parameters())

    def continued(steps: int, name: str) -> dict:
        overrides = [f"train.steps={steps}", f"train.init_from={first}", "recipe.d_warmup_steps=4"]
        return weights(Trainer(config("dcgan", *overrides), tmp_path / name, quiet=True).run())

    g0 = weights(first)
    warm = continued(4, "b")
    assert all(torch.equal(warm[k], g0[k]) for k in g0)  # 4 steps of D alone: G is the bundle's
    after = continued(6, "c")
    assert any(not torch.equal(after[k], g0[k]) for k in g0)  # then G trains too
    with pytest.raises(ConfigError, match="d_warmup_steps"):
        Trainer(config("dcgan", "recipe.d_warmup_steps=-1"), tmp_path / "d", quiet=True).run()


def test_info_code_q_learns_the_generators_code(tmp_path):
    """InfoGAN: Q's cross-entropy on G's code is logged in both phases and falls well below log K; the bundle's
    generator keeps the code (its init args), and the option is refused outside family dcgan."""
    bundle = Trainer(
        config(
            "dcgan", "train.steps=40", "train.log_every=10", "model.info_code=3", "recipe.info_weight=2.0"
        ),
        tmp_path / "a",
        quiet=True,
    ).run()
    logs = records(tmp_path / "a")
    assert all(r["discriminator/code_ce"] >= 0 and r["generator/code_ce"] >= 0 for r in logs)
    assert logs[-1]["discriminator/code_ce"] < 0.5 * 2.0 * np.log(3)
    assert genvision.load(bundle, device="cpu").generator.categorical_code == 3
    for family, code in (("cgan", 3), ("dcgan", 1), ("dcgan", 16)):
        with pytest.raises(ConfigError, match="model.info_code is InfoGAN's number of code classes"):
            Trainer(
                config(family, "train.steps=1", f"model.info_code={code}"), tmp_path / "b", quiet=True
            ).run()


def test_info_labels_tie_the_code_to_the_classes(tmp_path):
    """Semi-supervised InfoGAN: Q also learns the real images' labels (logged, well below log K after 40 steps);
    the code must then have one entry per class."""
    extra = ("train.steps=40", "train.log_every=10", "model.info_code=3", "recipe.info_labels=true")
    Trainer(config("dcgan", *extra), tmp_path / "a", quiet=True).run()
    logs = records(tmp_path / "a")
    assert logs[-1]["discriminator/real_code_ce"] < 0.5 * np.log(3)
    with pytest.raises(ConfigError, match="synthetic has 3 and model.info_code is 2"):
        Trainer(
            config("dcgan", "model.info_code=2", "recipe.info_labels=true"), tmp_path / "b", quiet=True
        ).run()
