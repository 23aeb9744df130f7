"""A tiny random StyleGAN bundle (16x16 grayscale, with encoder and discriminator) for pipeline and CLI tests."""

from pathlib import Path

import torch

from genvision.models.bundle import save_bundle
from genvision.models.stylegan import StyleEncoder, StyleGANDiscriminator, StyleGANGenerator

SIZE = dict(resolution=16, channels=1, channel_base=128, channel_max=16)


def make_stylegan_bundle(folder: Path, encoder: bool = True, perceptual: str = "none") -> Path:
    torch.manual_seed(0)
    g = StyleGANGenerator(z_dim=16, w_dim=16, mapping_layers=2, **SIZE).eval()
    with torch.no_grad():
        g.mapping.w_avg.copy_(g.mapping(torch.randn(1000, 16), track_w_avg=False).mean(0))
    components = {"generator": g, "discriminator": StyleGANDiscriminator(**SIZE)}
    if encoder:
        e = StyleEncoder(num_ws=g.num_ws, w_dim=16, hidden=32, **SIZE)
        with torch.no_grad():
            e.w_avg.copy_(g.w_avg)
            e.head.weight.mul_(0.1)
        components["encoder"] = e
    return save_bundle(
        folder,
        "stylegan",
        components,
        {
            "z_dim": 16,
            "w_dim": 16,
            "num_ws": g.num_ws,
            "data": {"dataset": "synthetic", "shape": [1, 16, 16], "class_names": None},
            "inversion": {"perceptual": perceptual, "encoder": encoder},
        },
        dtype=torch.float32,
    )
