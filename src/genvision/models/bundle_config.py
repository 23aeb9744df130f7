"""The bundle schema: one typed config per bundle kind, versioned, read and written only through this module.

    raw = json.loads((folder / "config.json").read_text())
    cfg = parse_config(raw)          # -> DiffusionConfig | AutoencodingConfig | GanConfig | StyleGANConfig | ...
    cfg.data.shape, cfg.data.class_names, cfg.sampling.sampler, cfg.training["steps"]
    cfg.to_json()                    # what the Trainer writes as config.json (schema_version = SCHEMA_VERSION)

Version 1 (the first zoo) had no `schema_version`: class names sometimes sat at the top level, each recipe wrote
its own `train` block beside the Trainer's `training`, and a pixel DDPM's `sampling` block was written but not
read. `parse_config` migrates version 1 on read, so old bundles keep loading; keys it does not know are kept in
`extra` and written back unchanged.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar

from genvision.errors import BundleError
from genvision.models.kinds import plugin_kind
from genvision.version import __version__

SCHEMA_VERSION = 2
DIFFUSION_KINDS = ("ddpm", "ldm")
AUTOENCODING_KINDS = ("vae", "vqvae", "autoencoder")
GAN_KINDS = ("dcgan", "cgan")


@dataclass
class DataSpec:
    """What the model was trained on: dataset name, image shape [C, H, W] in [-1, 1], class names."""

    dataset: str = ""
    shape: tuple[int, int, int] = (1, 28, 28)
    class_names: list[str] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, raw: dict[str, Any] | None) -> DataSpec:
        raw = dict(raw or {})
        shape = tuple(int(v) for v in raw.pop("shape", None) or (1, 28, 28))
        if len(shape) != 3:
            raise BundleError(f"data.shape must be [C, H, W], got {list(shape)}")
        return cls(
            dataset=str(raw.pop("dataset", "") or ""),
            shape=shape,
            class_names=raw.pop("class_names", None),
            extra=raw,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "shape": list(self.shape),
            "class_names": self.class_names,
            **self.extra,
        }


class FlatSection:
    """A config section of plain values: read ignoring keys it does not name, written as a dict."""

    @classmethod
    def from_json(cls, raw: dict[str, Any] | None):
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in (raw or {}).items() if k in known})

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class SamplingDefaults(FlatSection):
    """A diffusion bundle's default sampler settings (written at export, read by `sample` and `inpaint`).

    `steps` None means the sampler's own default (all T for ddpm); `guidance` is used when a condition is given;
    `grounding` k > 0: a free-text prompt outside the caption set takes its k nearest training captions
    (genvision.conditioning.grounding)."""

    sampler: str = "ddim"
    steps: int | None = 50
    spacing: str = "trailing"
    eta: float = 0.0
    guidance: float = 3.0
    grounding: int = 0


@dataclass
class ConditioningSpec(FlatSection):
    """Which conditions a diffusion UNet takes: classes (with one extra null row), text, part label maps."""

    num_classes: int = 0
    text_encoder: str | None = None  # "minilm" / "clip"; None: no text
    text_max_length: int = 16
    text_dim: int = 0
    text_pooled: bool = False  # the UNet also takes the pooled sentence embedding
    mask_parts: int = 0  # number of part channels; 0: no label-map condition


@dataclass
class BundleConfig:
    """Keys every bundle has. Subclasses add their kind's keys as typed fields."""

    kind: str
    components: list[str] = field(default_factory=list)
    data: DataSpec = field(default_factory=DataSpec)
    metrics: dict[str, Any] = field(default_factory=dict)
    training: dict[str, Any] = field(
        default_factory=dict
    )  # what the Trainer ran (steps, images, seconds, recipe)
    genvision_version: str = __version__
    schema_version: int = SCHEMA_VERSION
    extra: dict[str, Any] = field(default_factory=dict)  # keys this schema does not name, kept as they were

    KINDS: ClassVar[tuple[str, ...]] = ()
    _NESTED: ClassVar[dict[str, Any]] = {"data": DataSpec}

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "extra":
                continue
            out[f.name] = value.to_json() if hasattr(value, "to_json") else value
        return {**out, **self.extra}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> BundleConfig:
        raw = dict(raw)
        values: dict[str, Any] = {}
        nested = {**BundleConfig._NESTED, **cls._NESTED}
        for f in dataclasses.fields(cls):
            if f.name == "extra" or f.name not in raw:
                continue
            value = raw.pop(f.name)
            values[f.name] = nested[f.name].from_json(value) if f.name in nested else value
        return cls(**values, extra=raw)


@dataclass
class DiffusionConfig(BundleConfig):
    """ "ddpm" (pixel space) and "ldm" (latent space: an `autoencoder/` sub-bundle) bundles."""

    schedule: dict[str, Any] = field(default_factory=dict)
    prediction: str = "eps"
    clip_x0: float | None = None
    sampling: SamplingDefaults = field(default_factory=SamplingDefaults)
    conditioning: ConditioningSpec = field(default_factory=ConditioningSpec)
    latent_scale: float = 1.0
    latent_shape: list[int] | None = None  # None: pixel space (the data shape)
    decode_quantize: bool = True

    KINDS: ClassVar[tuple[str, ...]] = DIFFUSION_KINDS
    _NESTED: ClassVar[dict[str, Any]] = {"sampling": SamplingDefaults, "conditioning": ConditioningSpec}


@dataclass
class AutoencodingConfig(BundleConfig):
    """ "vae", "vqvae" and "autoencoder" bundles: one network named like the kind."""

    latent_shape: list[int] | None = None
    latent_scale: float = 1.0

    KINDS: ClassVar[tuple[str, ...]] = AUTOENCODING_KINDS


@dataclass
class GanConfig(BundleConfig):
    z_dim: int = 100

    KINDS: ClassVar[tuple[str, ...]] = GAN_KINDS


@dataclass
class StyleGANConfig(BundleConfig):
    z_dim: int = 128
    w_dim: int = 128
    num_ws: int = 0
    inversion: dict[str, Any] = field(default_factory=dict)  # {"perceptual": ..., "encoder": bool}

    KINDS: ClassVar[tuple[str, ...]] = ("stylegan",)


@dataclass
class ClassifierConfig(BundleConfig):
    KINDS: ClassVar[tuple[str, ...]] = ("classifier",)


CONFIG_TYPES: tuple[type[BundleConfig], ...] = (
    DiffusionConfig,
    AutoencodingConfig,
    GanConfig,
    StyleGANConfig,
    ClassifierConfig,
)
KIND_CONFIG: dict[str, type[BundleConfig]] = {kind: t for t in CONFIG_TYPES for kind in t.KINDS}


def migrate(raw: dict[str, Any]) -> dict[str, Any]:
    """A version-1 config dict brought to the current schema (a copy; version-2 dicts pass unchanged)."""
    raw = dict(raw)
    version = int(raw.get("schema_version", 1))
    if version > SCHEMA_VERSION:
        raise BundleError(
            f"this bundle uses schema version {version}, newer than this genvision understands "
            f"({SCHEMA_VERSION}): upgrade genvision"
        )
    if version == SCHEMA_VERSION:
        return raw
    data = dict(raw.get("data") or {})
    if "class_names" in raw:
        top = raw.pop("class_names")
        data.setdefault("class_names", top)
        data["class_names"] = data["class_names"] or top
    raw["data"] = data
    recipe_record = raw.pop("train", None)
    training = dict(raw.get("training") or {})
    if recipe_record is not None:
        training.setdefault("recipe", recipe_record)
    raw["training"] = training
    if raw.get("kind") == "ddpm":
        raw.setdefault("clip_x0", 1.0)
    raw["schema_version"] = SCHEMA_VERSION
    return raw


def config_type(kind: str) -> type[BundleConfig]:
    """The schema of a bundle kind: built in, a plugin kind's own (genvision.models.kinds), or the common keys."""
    if kind in KIND_CONFIG:
        return KIND_CONFIG[kind]
    plugin = plugin_kind(kind)
    return plugin.config if plugin is not None and plugin.config is not None else BundleConfig


def parse_config(raw: dict[str, Any], where: str = "config.json") -> BundleConfig:
    """The typed config of a bundle's config.json dict (migrating older schema versions)."""
    if "kind" not in raw:
        raise BundleError(f"{where} has no 'kind'; the bundle is corrupt")
    kind = raw["kind"]
    try:  # kinds without a schema of their own (components, user extensions) read as the common keys
        return config_type(kind).from_json(migrate(raw))
    except (TypeError, ValueError) as exc:
        raise BundleError(f"{where} does not match the {kind!r} bundle schema: {exc}") from exc
