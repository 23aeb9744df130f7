"""A tiny random StyleGAN bundle (16x16 grayscale, with encoder and discriminator) for pipeline and CLI tests."""

from pathlib import Path

import torch

from genvision.models.bundle import save_bundle
from genvision.models.stylegan import StyleEncoder, StyleGANDiscriminator, StyleGANGenerator

SIZE = dict(resolution=16, channels=1, channel_base=128, channel_max=16)


def make_stylegan_bundle(
    folder: Path, encoder: bool = True, perceptual: str = "none", num_classes: int = 0
) -> Path:
    """num_classes > 0: a class-conditional generator and projection discriminator (classes c0, c1, ...)."""
    torch.manual_seed(0)
    g = StyleGANGenerator(z_dim=16, w_dim=16, mapping_layers=2, num_classes=num_classes, **SIZE).eval()
    labels = torch.arange(1000) % num_classes if num_classes else None
    with torch.no_grad():
        g.mapping.w_avg.copy_(g.mapping(torch.randn(1000, 16), labels, track_w_avg=False).mean(0))
    components = {"generator": g, "discriminator": StyleGANDiscriminator(num_classes=num_classes, **SIZE)}
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
            "data": {
                "dataset": "synthetic",
                "shape": [1, 16, 16],
                "class_names": [f"c{k}" for k in range(num_classes)] if num_classes else None,
            },
            "inversion": {"perceptual": perceptual, "encoder": encoder},
        },
        dtype=torch.float32,
    )
