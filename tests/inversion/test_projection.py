"""Optimisation-based inversion: schedule, noise regulariser, and recovery of the model's own images."""

import math

import pytest
import torch

from genvision.errors import GenvisionError
from genvision.inversion.projection import ProjectionConfig, learning_rate, noise_regularization, project
from genvision.seeding import PerImageRNG


def test_learning_rate_warmup_and_cosine_rampdown():
    cfg = ProjectionConfig(steps=100, lr=0.1, lr_warmup=0.1, lr_rampdown=0.4)
    assert learning_rate(cfg, 0) == 0.0
    assert learning_rate(cfg, 5) == pytest.approx(0.05)  # halfway through warm-up
    assert learning_rate(cfg, 30) == pytest.approx(0.1)  # plateau
    assert learning_rate(cfg, 80) == pytest.approx(0.1 * (0.5 - 0.5 * math.cos(math.pi * 0.5)))
    assert learning_rate(cfg, 100) == pytest.approx(0.0, abs=1e-12)


def test_noise_regularization_closed_form():
    const = torch.full((2, 1, 16, 16), 3.0)
    # each scale contributes (mean(n·shift_x n))² + (mean(n·shift_y n))² = 2 c⁴; scales 16 and 8
    assert torch.allclose(noise_regularization([const]), torch.full((2,), 4 * 81.0))
    white = torch.randn(2, 1, 64, 64, generator=torch.Generator().manual_seed(0))
    assert noise_regularization([white]).max() < 0.01  # uncorrelated noise is barely penalised


@pytest.mark.parametrize("space,factor", [("w", 8.0), ("w+", 20.0)])
def test_inversion_recovers_generated_images(tiny_generator, space, factor, generated_targets):
    g = tiny_generator
    true_ws, targets = generated_targets(g, 4)
    cfg = ProjectionConfig(space=space, steps=100, perceptual_weight=0.0, optimize_noise=False)
    result = project(g, targets, cfg)
    start_mse, final_mse = result.mse_history[0], (result.images - targets).pow(2).mean().item()
    assert final_mse < start_mse / factor, (start_mse, final_mse)
    with torch.no_grad():
        assert torch.allclose(g.synthesis(result.ws, noise_mode="const"), result.images, atol=1e-5)
    if space == "w":
        assert torch.allclose(result.ws, result.ws[:, :1].expand_as(result.ws))
    assert all(p.requires_grad for p in g.parameters())  # the caller's module is left as it was


def test_w_plus_fits_better_than_w(tiny_generator, generated_targets):
    _, targets = generated_targets(tiny_generator, 4, seed=3)
    cfg = dict(steps=60, perceptual_weight=0.0, optimize_noise=False)
    w = project(tiny_generator, targets, ProjectionConfig(space="w", **cfg))
    wp = project(tiny_generator, targets, ProjectionConfig(space="w+", **cfg))
    assert (wp.images - targets).pow(2).mean() < (w.images - targets).pow(2).mean()


def test_noise_optimisation_keeps_maps_normalised(tiny_generator, generated_targets):
    _, targets = generated_targets(tiny_generator, 2)
    result = project(tiny_generator, targets, ProjectionConfig(steps=10, perceptual_weight=0.0))
    assert len(result.noise) == len(tiny_generator.layers)
    for m in result.noise:
        assert m.mean(dim=(1, 2, 3)).abs().max() < 1e-4
        assert torch.allclose(m.std(dim=(1, 2, 3)), torch.ones(2), atol=1e-4)


def test_each_image_is_inverted_independently_of_its_batch(tiny_generator, generated_targets):
    _, targets = generated_targets(tiny_generator, 3)
    cfg = ProjectionConfig(steps=15, perceptual_weight=0.0)
    together = project(tiny_generator, targets, cfg, rng=PerImageRNG(5, [0, 1, 2]))
    alone = project(tiny_generator, targets[2:], cfg, rng=PerImageRNG(5, [2]))
    # equal up to float summation order (15 Adam steps amplify ~1e-7 batch-size differences to ~1e-4)
    assert torch.allclose(together.ws[2:], alone.ws, atol=1e-3)
    assert not torch.allclose(together.ws[1:2], alone.ws, atol=1e-3)  # a different image's code is far away


def test_domain_regularisation_needs_and_uses_the_encoder(tiny_generator, tiny_encoder, generated_targets):
    _, targets = generated_targets(tiny_generator, 2)
    with pytest.raises(GenvisionError, match="encoder"):
        project(tiny_generator, targets, ProjectionConfig(steps=1, domain_weight=1.0))
    cfg = dict(steps=40, perceptual_weight=0.0, optimize_noise=False)

    def domain_gap(ws):
        with torch.no_grad():
            return (ws - tiny_encoder(tiny_generator.synthesis(ws, noise_mode="const"))).pow(2).mean().item()

    init = tiny_encoder(targets).detach()
    free = project(tiny_generator, targets, ProjectionConfig(**cfg), init_ws=init)
    regular = project(
        tiny_generator,
        targets,
        ProjectionConfig(domain_weight=5.0, **cfg),
        init_ws=init,
        encoder=tiny_encoder,
    )
    assert domain_gap(regular.ws) < 0.5 * domain_gap(free.ws)
