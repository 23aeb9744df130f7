"""Attribute directions in a StyleGAN's W space (InterFaceGAN): the unit normal of a linear SVM on codes labelled by
an attribute, fitted once per settings and cached.

    class:NAME   sampled codes, scored by a classifier's margin log p(NAME) − log Σ_{k≠NAME} p(k); for a
                 class-conditional generator the class of each sampled code is known, and the direction is the
                 unit difference of the class's mean code and the other classes' mean code
    brightness   sampled codes, scored by the mean intensity of G(w)
    label:NAME   real images of a labelled data set, inverted by the encoder; y = (label == NAME)
    mask:PART    real CelebAMask-HQ images, inverted by the encoder; scored by PART's area
Scored attributes keep the top and bottom `fraction` of the scores as positives / negatives.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import torch

from genvision.conditioning.classes import resolve_class
from genvision.data import load_dataset
from genvision.data.celebamask import LABELS as CELEBA_PARTS
from genvision.errors import GenvisionError
from genvision.generators.base import batch_ranges
from genvision.generators.classifier import load_classifier
from genvision.generators.guards import check_int
from genvision.inversion.directions import extreme_labels, fit_direction
from genvision.models.bundle import load_bundle

if TYPE_CHECKING:
    from genvision.models.bundle_config import StyleGANConfig

DEFAULT_CLASSIFIERS = {"fashion-mnist": "fashion-classifier"}


class StyleGANDirections:
    """Directions for StyleGAN (a mixin: it uses the model's sampling, synthesis, encoder and classes)."""

    spec: StyleGANConfig
    device: torch.device
    encoder: Any
    _directions: dict[tuple, tuple[torch.Tensor, float, int]]

    if TYPE_CHECKING:  # members of LoadedModel and StyleGAN

        @property
        def num_classes(self) -> int: ...
        @property
        def class_names(self) -> list[str] | None: ...
        @property
        def image_shape(self) -> tuple[int, int, int]: ...
        def sample_codes(
            self,
            n: int,
            seed: int | None = 0,
            start: int = 0,
            truncation: float = 1.0,
            label: int | str | list[int | str] | None = None,
        ) -> torch.Tensor: ...
        def synthesize(
            self, ws: torch.Tensor, noise: list[torch.Tensor] | None = None, batch_size: int = 256
        ) -> torch.Tensor: ...

    def direction(self, attribute: str, **options) -> torch.Tensor:
        """The unit direction [w_dim] of an attribute (see the module docstring; options as `fit_direction`)."""
        return self.fit_direction(attribute, **options)[0]

    def fit_direction(
        self,
        attribute: str,
        *,
        samples: int = 2000,
        fraction: float = 0.25,
        seed: int = 0,
        classifier: str | None = None,
        data: str | None = None,
        truncation: float = 1.0,
        batch_size: int = 256,
    ) -> tuple[torch.Tensor, float, int]:
        """(unit direction, the SVM's training accuracy, number of labelled codes) for an attribute; fitted once
        per settings and cached (the batch size does not change the result)."""
        check_int("samples", samples, minimum=2)
        key = (attribute, samples, fraction, seed, classifier, data, truncation)
        if key not in self._directions and attribute.startswith("class:") and self.num_classes:
            self._directions[key] = self._class_mean_direction(
                attribute.partition(":")[2], samples, seed, truncation, batch_size
            )
        if key not in self._directions:
            codes, labels = self._labelled_codes(
                attribute,
                samples,
                fraction=fraction,
                seed=seed,
                classifier=classifier,
                data=data,
                truncation=truncation,
                batch_size=batch_size,
            )
            vector, accuracy = fit_direction(codes, labels)
            self._directions[key] = (vector, accuracy, len(codes))
        return self._directions[key]

    def _sampled_codes(self, samples: int, seed: int, truncation: float, batch_size: int) -> torch.Tensor:
        """W+ codes [samples, num_ws, w_dim] of sampled images 0 … samples−1, in batches."""
        return torch.cat(
            [self.sample_codes(hi - lo, seed, lo, truncation) for lo, hi in batch_ranges(samples, batch_size)]
        )

    def _class_mean_direction(
        self, name: str, samples: int, seed: int, truncation: float, batch_size: int
    ) -> tuple[torch.Tensor, float, int]:
        """n = (w̄_c − w̄_rest) / ‖w̄_c − w̄_rest‖ over sampled codes (image k has class k mod C); the accuracy is
        the share of codes on their class's side of the midpoint plane (w̄_c + w̄_rest) / 2."""
        index = resolve_class(name, self.class_names, self.num_classes)
        ws = self._sampled_codes(samples, seed, truncation, batch_size)[:, 0]
        inside = torch.arange(len(ws)) % self.num_classes == index
        if inside.all() or not inside.any():
            raise GenvisionError(f"class:{name} needs samples of it and of other classes; raise samples")
        mean_in, mean_out = ws[inside].mean(dim=0), ws[~inside].mean(dim=0)
        vector = (mean_in - mean_out) / (mean_in - mean_out).norm()
        side = (ws - (mean_in + mean_out) / 2) @ vector > 0
        return vector, float((side == inside).float().mean()), len(ws)

    def _as_direction(self, direction: str | torch.Tensor) -> torch.Tensor:
        if isinstance(direction, torch.Tensor):
            if direction.shape != (self.spec.w_dim,):
                raise GenvisionError(
                    f"a direction is a vector [{self.spec.w_dim}]; got {list(direction.shape)}"
                )
            if not torch.isfinite(direction).all() or float(direction.norm()) < 1e-8:
                raise GenvisionError("a direction must be a finite, non-zero vector")
            return direction.float()
        return self.direction(direction)

    def _labelled_codes(
        self,
        attribute: str,
        samples: int,
        fraction: float,
        seed: int,
        classifier: str | None,
        data: str | None,
        truncation: float,
        batch_size: int,
    ):
        kind, _, arg = attribute.partition(":")
        if kind in ("class", "brightness"):
            scorer = self.image_scorer(attribute, classifier)
            ws = self._sampled_codes(samples, seed, truncation, batch_size)
            scores = torch.cat([scorer(self.synthesize(chunk)) for chunk in ws.split(batch_size)])
            idx, labels = extreme_labels(scores, fraction)
            return ws[idx, 0], labels
        if kind == "label":
            codes, labels_all, info = self._real_codes(samples, data, batch_size, masks=False)
            target = resolve_class(arg, info.class_names)
            return codes, (labels_all == target).numpy()
        if kind == "mask":
            codes, masks, _ = self._real_codes(samples, data, batch_size, masks=True)
            part = mask_part(arg)
            idx, labels = extreme_labels((masks == part).float().flatten(1).mean(dim=1), fraction)
            return codes[idx], labels
        raise GenvisionError(
            f"unknown attribute {attribute!r}; use class:NAME, brightness, label:NAME or mask:PART"
        )

    def image_scorer(
        self, attribute: str, classifier: str | None = None
    ) -> Callable[[torch.Tensor], torch.Tensor]:
        """A function images [-1, 1] → attribute score [N] for the sampled-code attributes."""
        kind, _, arg = attribute.partition(":")
        if kind == "brightness":
            return lambda images: images.float().mean(dim=(1, 2, 3)).cpu()
        if kind != "class":
            raise GenvisionError(
                f"attribute {attribute!r} is not scored on generated images (use class:NAME or brightness)"
            )
        dataset = self.spec.data.dataset
        ref = classifier or DEFAULT_CLASSIFIERS.get(dataset)
        if ref is None:
            raise GenvisionError(f"no shipped classifier for {dataset!r} data; pass --classifier BUNDLE")
        judge = load_classifier(load_bundle(ref, kinds=("classifier",)), self.device)
        if tuple(judge.image_shape) != tuple(self.image_shape):
            raise GenvisionError(
                f"classifier {ref} takes images {list(judge.image_shape)}; this model makes "
                f"{list(self.image_shape)}"
            )
        index = resolve_class(arg, self.class_names)

        def score(images: torch.Tensor) -> torch.Tensor:
            logp = torch.log_softmax(judge.classify(images)[1], dim=1)
            rest = torch.logsumexp(torch.cat([logp[:, :index], logp[:, index + 1 :]], dim=1), dim=1)
            return logp[:, index] - rest

        return score

    def _real_codes(self, samples: int, data: str | None, batch_size: int, masks: bool):
        """Encoder codes (layer mean, i.e. W) of real images, with their labels or part label maps."""
        if self.encoder is None:
            raise GenvisionError("this attribute inverts real images and needs a bundle with an encoder")
        ref = data or f"{self.spec.data.dataset}:train:0-{samples}"
        c, h, _ = self.image_shape
        ds: Any = load_dataset(ref, image_size=h, channels=c, with_masks=masks)
        items = [ds[i] for i in range(min(len(ds), samples))]
        images = torch.stack([it["image"] for it in items])
        with torch.no_grad():
            codes = torch.cat(
                [self.encoder(x.to(self.device)).mean(dim=1).cpu() for x in images.split(batch_size)]
            )
        extra = (
            torch.stack([it["mask"] for it in items]) if masks else torch.stack([it["label"] for it in items])
        )
        return codes, extra, ds.info


def mask_part(name: str) -> int:
    """The label value of a CelebAMask-HQ part given by name (hair, skin, ...) or number."""
    if name.isdigit():
        return int(name)
    if name.lower() not in CELEBA_PARTS:
        raise GenvisionError(f"unknown mask part {name!r}; parts: {', '.join(CELEBA_PARTS[1:])}")
    return CELEBA_PARTS.index(name.lower())
