import pytest
import torch

from genvision.models.stylegan import StyleEncoder, StyleGANGenerator


def make_tiny_generator(seed: int = 0) -> StyleGANGenerator:
    """A random 28×28 StyleGAN small enough for CPU tests, with w̄ set to the mean of 2000 mapped samples."""
    torch.manual_seed(seed)
    g = StyleGANGenerator(
        resolution=28, channels=1, z_dim=32, w_dim=32, mapping_layers=2, channel_base=448, channel_max=32
    ).eval()
    with torch.no_grad():
        g.mapping.w_avg.copy_(g.mapping(torch.randn(2000, 32), track_w_avg=False).mean(0))
    return g


@pytest.fixture
def tiny_generator() -> StyleGANGenerator:
    return make_tiny_generator()


@pytest.fixture
def tiny_encoder(tiny_generator) -> StyleEncoder:
    torch.manual_seed(1)
    e = StyleEncoder(
        resolution=28,
        channels=1,
        num_ws=tiny_generator.num_ws,
        w_dim=32,
        channel_base=448,
        channel_max=32,
        hidden=64,
    )
    with torch.no_grad():
        e.w_avg.copy_(tiny_generator.w_avg)
    return e


def _generated_targets(g: StyleGANGenerator, n: int, seed: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """Codes and images G(w) (fixed noise) that the model can reproduce exactly."""
    with torch.no_grad():
        ws = g.map(torch.randn(n, g.z_dim, generator=torch.Generator().manual_seed(seed)))
        return ws, g.synthesis(ws, noise_mode="const")


@pytest.fixture
def generated_targets():
    return _generated_targets
