"""`genvision directions` and `genvision edit`: attribute directions in W and strength sweeps along them.

Attributes (labels for the SVM, genvision.inversion.directions):
    class:NAME       sampled codes, scored by the classifier's logit margin for NAME (log p(NAME) − log p(rest))
    brightness       sampled codes, scored by the mean intensity of G(w)
    label:NAME       real images of a labelled data set (--data), inverted by the bundle's encoder; y = (label == NAME)
    mask:PART        real CelebAMask-HQ images with part maps, inverted by the encoder; scored by PART's area
Scored attributes keep the top and bottom `fraction` of the scores as positives / negatives (InterFaceGAN).
A directions file is safetensors: one unit vector [w_dim] per name, with how it was made in the metadata.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from genvision.errors import GenvisionError
from genvision.inversion.directions import condition_direction, edit_codes, extreme_labels, fit_direction
from genvision.io.tensorfile import load_tensors, save_tensors
from genvision.pipelines.stylegan import StyleGANModel

DEFAULT_CLASSIFIERS = {"fashion-mnist": "fashion-classifier", "mnist": None}


@dataclass
class DirectionRequest:
    attribute: str
    samples: int = 2000  # sampled codes (class:, brightness) or real images (label:, mask:) to fit on
    fraction: float = 0.25
    seed: int = 0
    classifier: str | None = None  # bundle for class:NAME (default: the shipped one for the model's data)
    data: str | None = None  # data reference for label: / mask: (default: the model's training set)
    truncation: float = 1.0
    batch_size: int = 256


@dataclass
class Direction:
    name: str
    vector: torch.Tensor  # [w_dim], unit norm
    accuracy: float  # the SVM's training accuracy
    count: int  # labelled codes it was fitted on


def _classifier_scorer(model: StyleGANModel, name: str, ref: str | None) -> Callable[[torch.Tensor], torch.Tensor]:
    from genvision.pipelines.gan import load_classifier

    dataset = model.config.get("data", {}).get("dataset")
    ref = ref or DEFAULT_CLASSIFIERS.get(dataset)
    if ref is None:
        raise GenvisionError(f"no shipped classifier for {dataset!r} data; pass --classifier BUNDLE")
    classifier = load_classifier(ref, model.shape, model.device)
    names = [n.lower() for n in (model.class_names or [])]
    index = int(name) if name.isdigit() else (names.index(name.lower()) if name.lower() in names else -1)
    if index < 0:
        raise GenvisionError(f"unknown class {name!r}; classes: {', '.join(model.class_names or []) or 'none'}")

    @torch.no_grad()
    def score(images: torch.Tensor) -> torch.Tensor:
        logp = torch.log_softmax(classifier(images.to(model.device)).float(), dim=1)
        rest = torch.logsumexp(torch.cat([logp[:, :index], logp[:, index + 1:]], dim=1), dim=1)
        return (logp[:, index] - rest).cpu()

    return score


def image_scorer(model: StyleGANModel, attribute: str, classifier: str | None = None
                 ) -> Callable[[torch.Tensor], torch.Tensor]:
    """A function images [-1, 1] → attribute score [N] for the sampled-code attributes."""
    kind, _, arg = attribute.partition(":")
    if kind == "brightness":
        return lambda images: images.float().mean(dim=(1, 2, 3)).cpu()
    if kind == "class":
        return _classifier_scorer(model, arg, classifier)
    raise GenvisionError(f"attribute {attribute!r} is not scored on generated images (use class:NAME or brightness)")


def _real_codes(model: StyleGANModel, request: DirectionRequest, masks: bool):
    """Encoder codes (layer mean, i.e. W) of real images, with their labels or part masks."""
    from genvision.data import load_dataset

    if model.encoder is None:
        raise GenvisionError(f"attribute {request.attribute!r} inverts real images and needs a bundle with an encoder")
    data = model.config.get("data", {})
    ref = request.data or f"{data.get('dataset')}:train:0-{request.samples}"
    c, h, _ = model.shape
    ds = load_dataset(ref, image_size=h, channels=c, with_masks=masks)
    items = [ds[i] for i in range(min(len(ds), request.samples))]
    images = torch.stack([it["image"] for it in items])
    codes = torch.cat([model.encoder(x.to(model.device)).mean(dim=1).detach().cpu()
                       for x in images.split(request.batch_size)])
    extra = torch.stack([it["mask"] for it in items]) if masks else torch.stack([it["label"] for it in items])
    return codes, extra, ds.info


def compute_direction(model: StyleGANModel, request: DirectionRequest) -> Direction:
    """Fit the unit SVM normal for `request.attribute` (see the module docstring)."""
    kind, _, arg = request.attribute.partition(":")
    if kind in ("class", "brightness"):
        scorer = image_scorer(model, request.attribute, request.classifier)
        ws = torch.cat([model.sample_codes(min(request.batch_size, request.samples - s), request.seed, s,
                                           request.truncation) for s in range(0, request.samples, request.batch_size)])
        scores = torch.cat([scorer(model.synthesize(chunk)) for chunk in ws.split(request.batch_size)])
        idx, labels = extreme_labels(scores, request.fraction)
        codes = ws[idx, 0]
    elif kind == "label":
        codes, labels_all, info = _real_codes(model, request, masks=False)
        names = [n.lower() for n in (info.class_names or [])]
        target = int(arg) if arg.isdigit() else (names.index(arg.lower()) if arg.lower() in names else -1)
        if target < 0:
            raise GenvisionError(f"unknown label {arg!r}; classes: {', '.join(info.class_names or []) or 'none'}")
        labels = (labels_all == target).numpy()
    elif kind == "mask":
        codes, masks, info = _real_codes(model, request, masks=True)
        part = _mask_part(arg, info)
        idx, labels = extreme_labels((masks == part).float().flatten(1).mean(dim=1), request.fraction)
        codes = codes[idx]
    else:
        raise GenvisionError(f"unknown attribute {request.attribute!r}; use class:NAME, brightness, label:NAME "
                             "or mask:PART")
    vector, accuracy = fit_direction(codes, labels)
    return Direction(name=request.attribute, vector=vector, accuracy=accuracy, count=len(codes))


def _mask_part(name: str, info) -> int:
    """The label value of a CelebAMask-HQ part given by name (hair, skin, ...) or number."""
    from genvision.data.celebamask import LABELS

    if name.isdigit():
        return int(name)
    if name.lower() not in LABELS:
        raise GenvisionError(f"unknown mask part {name!r}; parts: {', '.join(LABELS[1:])}")
    return LABELS.index(name.lower())


def save_directions(path: str | Path, directions: list[Direction], model_ref: str) -> Path:
    meta = {d.name: {"accuracy": d.accuracy, "count": d.count} for d in directions}
    save_tensors(path, {d.name: d.vector for d in directions},
                 metadata={"genvision": json.dumps({"model": str(model_ref), "directions": meta})})
    return Path(path)


def load_directions(path: str | Path) -> dict[str, torch.Tensor]:
    path = Path(path)
    if not path.is_file():
        raise GenvisionError(f"directions file {path} does not exist; make one with `genvision directions`")
    return {k: v.float() for k, v in load_tensors(path).items()}


def resolve_direction(model: StyleGANModel, name: str, directions: dict[str, torch.Tensor] | None,
                      condition_on: list[str], request: DirectionRequest) -> torch.Tensor:
    """A direction by name from a file, else computed from its attribute spec; conditioned on others."""
    def get(n: str) -> torch.Tensor:
        if directions is not None and n in directions:
            return directions[n]
        if directions is not None and ":" not in n and n != "brightness":
            raise GenvisionError(f"no direction {n!r} in the file; it has: {', '.join(directions)}")
        return compute_direction(model, DirectionRequest(**{**request.__dict__, "attribute": n})).vector

    return condition_direction(get(name), [get(n) for n in condition_on])


def edit(model: StyleGANModel, ws: torch.Tensor, direction: torch.Tensor, strengths: list[float],
         noise: list[torch.Tensor] | None = None, layers: list[int] | None = None) -> torch.Tensor:
    """Images [N · S, C, H, W]: row i holds image i edited with each strength, left to right."""
    edited = edit_codes(ws, direction, strengths, layers)  # [S, N, L, D]
    s, n = edited.shape[:2]
    rows = edited.transpose(0, 1).reshape(n * s, *ws.shape[1:])
    maps = None if noise is None else [m.repeat_interleave(s, dim=0) for m in noise]
    return model.synthesize(rows, maps)


def attribute_scores(model: StyleGANModel, images: torch.Tensor, attribute: str,
                     classifier: str | None = None) -> torch.Tensor:
    """The score of a sampled-code attribute on images (to check that an edit moves it)."""
    return image_scorer(model, attribute, classifier)(images)
