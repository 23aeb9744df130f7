"""λ = ‖∇_{G_L} L_rec‖ / (‖∇_{G_L} L_adv‖ + 1e-4), clamped, checked against hand-computed gradients; and the
autoencoder recipe, its one user, applies it (times w_d) only from disc_start on."""

import pytest
import torch

from genvision.data import load_dataset
from genvision.losses.adaptive_weight import adaptive_generator_weight
from genvision.train.families import get_family, load_run_config
from tests.conftest import REPO


def test_adaptive_weight_is_the_ratio_of_gradient_norms():
    w = torch.tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True)
    x = torch.tensor([2.0, 1.0])
    out = w @ x
    rec = (out**2).sum()  # ∇_w = 2 out xᵀ
    adv = -out.sum() * 3.0  # ∇_w = −3 · 1 xᵀ
    expected_rec = (2 * out.detach()[:, None] * x[None]).norm()
    expected_adv = (torch.full((2, 1), -3.0) * x[None]).norm()
    lam = adaptive_generator_weight(rec, adv, w)
    assert torch.isclose(lam, expected_rec / (expected_adv + 1e-4))
    assert not lam.requires_grad
    (rec + lam * adv).backward()  # graphs were retained for the real backward pass
    assert w.grad is not None


def test_adaptive_weight_is_clamped():
    w = torch.ones(3, requires_grad=True)
    lam = adaptive_generator_weight((w * 1e6).sum(), (w * 0.0).sum(), w, max_weight=1e4)
    assert lam.item() == 1e4  # unclamped it would be 1e6·√3 / 1e-4


@pytest.mark.parametrize("variant", ["kl", "vq"])
def test_autoencoder_recipe_adds_the_weighted_adversarial_term_only_from_disc_start(variant, monkeypatch):
    import genvision.train.recipes.autoencoder as recipe_module

    calls = []

    def spy(rec, adv, last_layer, max_weight):
        calls.append((rec, adv, last_layer, max_weight))
        return adaptive_generator_weight(rec, adv, last_layer, max_weight)

    monkeypatch.setattr(recipe_module, "adaptive_generator_weight", spy)
    cfg = load_run_config(
        REPO / "configs" / "autoencoder_fashion.yaml",
        [
            "data.name=synthetic",
            f"model.variant={variant}",
            "model.channels=[8,8,8]",
            "model.mid_attention=false",
            "model.num_codes=16",
            "model.disc_channels=8",
            "recipe.perceptual=none",
            "recipe.disc_start=5",
            "recipe.disc_weight=0.5",
            "recipe.max_adaptive_weight=123.0",
        ],
    )
    info = load_dataset("synthetic", "train").info
    recipe = get_family("autoencoder").recipe(cfg, info, torch.device("cpu"))
    torch.manual_seed(0)
    nets = recipe.build()
    nets["autoencoder"].eval()  # the same forward pass twice: no quantiser statistics updates in between
    recipe.nets = nets
    x = torch.rand(4, *info.shape, generator=torch.Generator().manual_seed(1)) * 2 - 1
    batch = {"image": x, "label": torch.full((4,), -1)}

    def loss_at(step):
        return recipe.loss("autoencoder", batch, nets, torch.Generator().manual_seed(2), step)

    assert recipe.phases(4) == ["autoencoder"] and recipe.phases(5) == ["autoencoder", "discriminator"]
    before, values_before = loss_at(4)
    assert not calls and "adaptive_weight" not in values_before and "g_loss" not in values_before
    after, values = loss_at(5)
    ((rec, adv, last_layer, max_weight),) = calls
    assert last_layer is nets["autoencoder"].last_layer and max_weight == 123.0
    lam = values["adaptive_weight"]
    assert lam > 0 and lam == pytest.approx(
        0.5 * float(adaptive_generator_weight(rec, adv, last_layer, 123.0))
    )
    # the only new term in the loss is λ · L_G
    assert float((after - before).detach()) == pytest.approx(lam * values["g_loss"], rel=1e-4, abs=1e-6)
