"""What an InterFaceGAN attribute is measured by: a score of generated images, or real images' encoder codes.

brightness   the mean intensity of an image
class:NAME   a classifier's margin log p(NAME) − log Σ_{k≠NAME} p(k)
label:NAME   real images of a labelled data set, inverted by the encoder, with their labels
mask:PART    real CelebAMask-HQ images, inverted by the encoder, with their part label maps
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn as nn

from genvision.conditioning.classes import resolve_class
from genvision.data import load_dataset
from genvision.data.base import DataInfo
from genvision.data.celebamask import LABELS as CELEBA_PARTS
from genvision.errors import GenvisionError
from genvision.generators.classifier import load_classifier
from genvision.models.bundle import load_bundle

DEFAULT_CLASSIFIERS = {"fashion-mnist": "fashion-classifier"}


def attribute_scorer(
    attribute: str,
    classifier: str | None,
    *,
    dataset: str,
    image_shape: tuple[int, int, int],
    class_names: list[str],
    device: torch.device,
) -> Callable[[torch.Tensor], torch.Tensor]:
    """A function images [-1, 1] → attribute score [N] for "brightness" or "class:NAME" (scored by the bundle
    `classifier`, by default the shipped classifier of `dataset`)."""
    kind, _, arg = attribute.partition(":")
    if kind == "brightness":
        return lambda images: images.float().mean(dim=(1, 2, 3)).cpu()
    if kind != "class":
        raise GenvisionError(
            f"attribute {attribute!r} is not scored on generated images (use class:NAME or brightness)"
        )
    ref = classifier or DEFAULT_CLASSIFIERS.get(dataset)
    if ref is None:
        raise GenvisionError(f"no shipped classifier for {dataset!r} data; pass --classifier BUNDLE")
    judge = load_classifier(load_bundle(ref, kinds=("classifier",)), device)
    if tuple(judge.image_shape) != tuple(image_shape):
        raise GenvisionError(
            f"classifier {ref} takes images {list(judge.image_shape)}; this model makes {list(image_shape)}"
        )
    index = resolve_class(arg, class_names)

    def score(images: torch.Tensor) -> torch.Tensor:
        logp = torch.log_softmax(judge.classify(images)[1], dim=1)
        rest = torch.logsumexp(torch.cat([logp[:, :index], logp[:, index + 1 :]], dim=1), dim=1)
        return logp[:, index] - rest

    return score


def encoder_codes(
    encoder: nn.Module,
    ref: str,
    *,
    image_shape: tuple[int, int, int],
    samples: int,
    batch_size: int,
    masks: bool,
    device: torch.device,
) -> tuple[torch.Tensor, torch.Tensor, DataInfo]:
    """(W codes [n, w_dim] = the layer mean of E(x), labels [n] or part label maps [n, H, W], the data's info)
    for the first `samples` images of the data reference `ref`."""
    c, h, _ = image_shape
    ds = load_dataset(ref, image_size=h, channels=c, with_masks=masks)
    items = [ds[i] for i in range(min(len(ds), samples))]
    images = torch.stack([it["image"] for it in items])
    with torch.no_grad():
        codes = torch.cat([encoder(x.to(device)).mean(dim=1).cpu() for x in images.split(batch_size)])
    extra = torch.stack([it["mask"] for it in items]) if masks else torch.stack([it["label"] for it in items])
    return codes, extra, ds.info


def mask_part(name: str) -> int:
    """The label value of a CelebAMask-HQ part given by name (hair, skin, ...) or number."""
    if name.isdigit():
        return int(name)
    if name.lower() not in CELEBA_PARTS:
        raise GenvisionError(f"unknown mask part {name!r}; parts: {', '.join(CELEBA_PARTS[1:])}")
    return CELEBA_PARTS.index(name.lower())
