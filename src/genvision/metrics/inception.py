"""Inception-v3 pool3 features (2048-d), the feature space of FID/KID/IS in the literature.

Two weight sets are understood, both looked up locally (see `metrics.weights`), never downloaded:

* `fid`: the TensorFlow FID network ported to PyTorch (`pt_inception-2015-12-05-6726825d.pth` from pytorch-fid,
  or torch-fidelity's `weights-inception-2015-12-05-6726825d.pth`). This is the network torch-fidelity and
  torchmetrics use, so FID values are comparable with published ones (up to resize details). Its blocks differ
  from torchvision's: average pools exclude padding and the last block max-pools; the head has 1008 classes.
* `torchvision`: torchvision's ImageNet `inception_v3_google-0cc3c7bd.pth`. Reasonable features, but FIDs from
  it are NOT comparable with published numbers; its extractor name says so.

Images are resized to 299×299 (bilinear), grayscale repeated to RGB, and fed in [-1, 1] as both nets expect.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torchvision.models.inception import Inception3, InceptionA, InceptionC, InceptionE

from genvision.errors import GenvisionError
from genvision.metrics.features import FeatureExtractor, match_channels
from genvision.metrics.weights import find_weight_file, load_state_dict_file, require_weight_file

FID_WEIGHTS = ["pt_inception-2015-12-05-6726825d.pth", "weights-inception-2015-12-05-6726825d.pth"]
FID_SOURCE = "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/" + FID_WEIGHTS[0]
TORCHVISION_WEIGHTS = ["inception_v3_google-0cc3c7bd.pth"]
TORCHVISION_SOURCE = "https://download.pytorch.org/models/" + TORCHVISION_WEIGHTS[0]
INPUT_SIZE = 299
TRUNK = [
    "Conv2d_1a_3x3",
    "Conv2d_2a_3x3",
    "Conv2d_2b_3x3",
    "maxpool1",
    "Conv2d_3b_1x1",
    "Conv2d_4a_3x3",
    "maxpool2",
    "Mixed_5b",
    "Mixed_5c",
    "Mixed_5d",
    "Mixed_6a",
    "Mixed_6b",
    "Mixed_6c",
    "Mixed_6d",
    "Mixed_6e",
    "Mixed_7a",
    "Mixed_7b",
    "Mixed_7c",
    "avgpool",
]


def _avg_pool_no_pad(x: torch.Tensor) -> torch.Tensor:
    """3×3 stride-1 average pool that divides by the number of real (unpadded) pixels, as in TensorFlow."""
    return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)


class FIDInceptionA(InceptionA):
    def _forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        return [
            self.branch1x1(x),
            self.branch5x5_2(self.branch5x5_1(x)),
            self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
            self.branch_pool(_avg_pool_no_pad(x)),
        ]


class FIDInceptionC(InceptionC):
    def _forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        d7 = self.branch7x7dbl_1(x)
        for conv in (self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4, self.branch7x7dbl_5):
            d7 = conv(d7)
        return [self.branch1x1(x), b7, d7, self.branch_pool(_avg_pool_no_pad(x))]


class FIDInceptionE(InceptionE):
    """InceptionE whose pool branch uses an unpadded average pool (Mixed_7b) or a max pool (Mixed_7c)."""

    def __init__(self, in_channels: int, pool: str) -> None:
        super().__init__(in_channels)
        self.pool = pool

    def _forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        b3 = self.branch3x3_1(x)
        b3 = torch.cat([self.branch3x3_2a(b3), self.branch3x3_2b(b3)], 1)
        d3 = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        d3 = torch.cat([self.branch3x3dbl_3a(d3), self.branch3x3dbl_3b(d3)], 1)
        pooled = (
            _avg_pool_no_pad(x) if self.pool == "avg" else F.max_pool2d(x, kernel_size=3, stride=1, padding=1)
        )
        return [self.branch1x1(x), b3, d3, self.branch_pool(pooled)]


def build_inception(variant: str) -> Inception3:
    """An untrained Inception-v3 with the block layout of `variant` ("fid" or "torchvision")."""
    if variant == "torchvision":
        return Inception3(num_classes=1000, aux_logits=False, transform_input=False, init_weights=False)
    if variant != "fid":
        raise GenvisionError(f"unknown Inception variant {variant!r}: use fid or torchvision")
    net = Inception3(num_classes=1008, aux_logits=False, transform_input=False, init_weights=False)
    net.Mixed_5b, net.Mixed_5c, net.Mixed_5d = (
        FIDInceptionA(c, p) for c, p in ((192, 32), (256, 64), (288, 64))
    )
    net.Mixed_6b, net.Mixed_6c, net.Mixed_6d, net.Mixed_6e = (
        FIDInceptionC(768, c) for c in (128, 160, 160, 192)
    )
    net.Mixed_7b, net.Mixed_7c = FIDInceptionE(1280, "avg"), FIDInceptionE(2048, "max")
    return net


def load_pretrained_inception(variant: str = "auto") -> tuple[Inception3, str, Path]:
    """Build and load an Inception-v3 from a local weight file; returns (net, variant loaded, file).

    `auto` prefers the FID weights and falls back to torchvision's; with neither present the error names the
    FID file and the folders to put it in.
    """
    if variant == "auto":
        variant = (
            "torchvision"
            if find_weight_file(FID_WEIGHTS) is None and find_weight_file(TORCHVISION_WEIGHTS) is not None
            else "fid"
        )
    files, source = (
        (FID_WEIGHTS, FID_SOURCE) if variant == "fid" else (TORCHVISION_WEIGHTS, TORCHVISION_SOURCE)
    )
    path = require_weight_file(files, f"Inception-v3 features ({variant})", source)
    state = load_state_dict_file(path)
    state = {k: v for k, v in state.items() if not k.startswith("AuxLogits.")}
    net = build_inception(variant)
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise GenvisionError(
            f"{path} does not match the {variant} Inception-v3 layout: {str(exc).splitlines()[0]}"
        ) from exc
    return net, variant, path


class InceptionFeatures(FeatureExtractor):
    """Inception-v3 pool3 features [N, 2048] and logits (1008 for `fid`, 1000 for `torchvision`)."""

    dim = 2048
    has_logits = True

    def __init__(
        self,
        variant: str = "auto",
        device: torch.device | str = "cpu",
        batch_size: int = 64,
        random_weights_for_tests: bool = False,
    ) -> None:
        super().__init__(device, batch_size)
        if random_weights_for_tests:  # exercises the code path only; the features mean nothing
            self.net, self.variant = build_inception("fid" if variant == "auto" else variant), "random"
        else:
            self.net, self.variant, path = load_pretrained_inception(variant)
            self.cache_key = f"inception-{self.variant}-{path.name}-{path.stat().st_size}"
        self.net = self.net.to(self.device).eval()
        self.name = {
            "fid": "inception-fid",
            "torchvision": "inception-torchvision (not comparable with published FID)",
            "random": "inception-random-untrained (TEST ONLY)",
        }[self.variant]

    def _forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = match_channels(x, 3)
        if x.shape[-2:] != (INPUT_SIZE, INPUT_SIZE):
            x = F.interpolate(x, size=(INPUT_SIZE, INPUT_SIZE), mode="bilinear", align_corners=False)
        for name in TRUNK:
            x = getattr(self.net, name)(x)
        features = x.flatten(1)
        return features, self.net.fc(features)
