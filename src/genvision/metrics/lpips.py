"""LPIPS (Zhang et al., 2018) through the `lpips` package, with the backbone loaded from a local file.

    d(x, y) = Σ_l  mean_{h,w} ‖ w_l ⊙ (f̂_l(x) − f̂_l(y)) ‖²     (f̂_l: channel-normalised backbone features)

The linear heads w_l ship inside the `lpips` package; the ImageNet backbone (torchvision AlexNet, VGG16 or
SqueezeNet 1.1) must be in $GENVISION_HOME/weights or the torch hub cache. We build LPIPS with an untrained
backbone (so torchvision never tries to download) and then load every backbone tensor from that file; a
missing file is an error, never a silently random metric.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
import torch.nn as nn

from genvision.errors import GenvisionError
from genvision.metrics.images import to_model_images
from genvision.metrics.weights import load_state_dict_file, require_weight_file

BACKBONE_FILES = {
    "alex": "alexnet-owt-7be5be79.pth",
    "vgg": "vgg16-397923af.pth",
    "squeeze": "squeezenet1_1-b8a52dc0.pth",
}
DOWNLOAD_ROOT = "https://download.pytorch.org/models/"


def _import_lpips():
    try:
        import lpips  # noqa: PLC0415 (optional: the "metrics" extra)
    except ImportError as exc:
        raise GenvisionError("LPIPS needs the `lpips` package: pip install 'genvision[metrics]'") from exc
    return lpips


def _backbone_state_for_slices(slices: nn.Module, torchvision_state: dict[str, torch.Tensor]) -> dict:
    """Map torchvision keys `features.<i>.<p>` onto the lpips slices' keys `slice<k>.<i>.<p>`."""
    mapped = {}
    for key in slices.state_dict():
        _, index, param = key.split(".", 2)
        source = f"features.{index}.{param}"
        if source not in torchvision_state:
            raise GenvisionError(
                f"backbone file lacks {source}; it is not the expected torchvision checkpoint"
            )
        mapped[key] = torchvision_state[source]
    return mapped


class LPIPS(nn.Module):
    """Learned perceptual distance; call with two image batches (any accepted layout) → distances [N]."""

    def __init__(self, net: str = "alex", device: torch.device | str = "cpu") -> None:
        super().__init__()
        if net not in BACKBONE_FILES:
            raise GenvisionError(f"unknown LPIPS backbone {net!r}: choose one of {', '.join(BACKBONE_FILES)}")
        filename = BACKBONE_FILES[net]
        path = require_weight_file([filename], f"LPIPS ({net})", DOWNLOAD_ROOT + filename)
        lpips = _import_lpips()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torchvision's deprecation notice for `pretrained=`
            self.model = lpips.LPIPS(net=net, pretrained=True, pnet_rand=True, verbose=False)
        backbone = _backbone_state_for_slices(self.model.net, load_state_dict_file(path))
        self.model.net.load_state_dict(backbone, strict=True)
        self.model = self.model.to(device).eval().requires_grad_(False)
        self.device = torch.device(device)

    def train(self, mode: bool = True) -> LPIPS:
        """Stay in eval mode (no dropout in the linear heads), also when a parent module trains."""
        return super().train(False)

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """Differentiable distance for float [-1, 1] NCHW tensors (usable as a loss) → [N]."""
        if a.shape[1] == 1:
            a, b = a.expand(-1, 3, -1, -1), b.expand(-1, 3, -1, -1)
        return self.model(a, b, normalize=False).flatten()

    @torch.no_grad()
    def distance(
        self, a: np.ndarray | torch.Tensor, b: np.ndarray | torch.Tensor, batch_size: int = 64
    ) -> np.ndarray:
        """Per-image distances [N] in float64 for any accepted image layout."""
        x, y = to_model_images(a), to_model_images(b)
        if x.shape != y.shape:
            raise GenvisionError(f"cannot compare images of shapes {tuple(x.shape)} and {tuple(y.shape)}")
        out = [
            self(x[i : i + batch_size].to(self.device), y[i : i + batch_size].to(self.device))
            for i in range(0, len(x), batch_size)
        ]
        return torch.cat(out).double().cpu().numpy()
