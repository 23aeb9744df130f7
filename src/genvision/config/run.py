"""The run config every family shares (data, train) plus the family's own `model` and `recipe` sections."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from genvision.config.schema import from_dict
from genvision.errors import ConfigError


@dataclass
class DataConfig:
    """Which dataset to train on and how to shape it."""

    name: str = "fashion-mnist"  # a data reference: fashion-mnist, mnist, celebamask-hq, folder:PATH, digits, synthetic
    split: str = "train"
    data_dir: str | None = None
    image_size: int | None = None  # resize (and centre-crop) to this size; None keeps the native size
    channels: int | None = None  # force 1 (grayscale) or 3 (RGB)
    limit: int | None = None  # use only the first N examples
    with_masks: bool = False  # CelebAMask-HQ: also load the merged part label maps
    hflip: bool = False  # random horizontal flips (seeded per epoch and index)
    num_workers: int = 0
    on_corrupt: Literal["skip", "error"] = "skip"


@dataclass
class TrainConfig:
    """Optimisation, precision, EMA, logging and checkpointing for the shared Trainer."""

    steps: int = 1000
    batch_size: int = 128  # global batch; split across ranks
    grad_accum: int = 1
    lr: float = 2e-4
    weight_decay: float = 0.0
    betas: tuple[float, float] = (0.9, 0.999)
    warmup_steps: int = 0
    lr_schedule: Literal["constant", "cosine"] = "constant"
    min_lr_ratio: float = 0.1
    grad_clip: float | None = 1.0
    precision: str = "auto"  # auto (bf16 on GPU, fp32 on CPU), fp32, bf16, fp16 (with a grad scaler)
    ema_decay: float = 0.999
    ema_warmup: bool = True  # decay = min(ema_decay, (1 + n) / (10 + n))
    seed: int = 0
    device: str = "auto"
    log_every: int = 50
    preview_every: int = 0  # 0: only at the end
    preview_n: int = 64
    checkpoint_every: int = 500
    keep_checkpoints: int = 2
    max_nan_skips: int = 20
    channels_last: bool = False
    compile: bool = False
    fid_every: int = 0  # compute classifier-feature FID every N steps (0: off)
    fid_n: int = 1000
    tensorboard: bool = True
    max_seconds: float | None = None  # wall-clock budget: stop (checkpoint + export) once it is spent
    init_from: str | None = (
        None  # a bundle of this family to start the networks from (genvision.train.init_from)
    )


@dataclass
class RunConfig:
    family: str
    name: str = "run"
    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    model: Any = field(default_factory=dict)  # validated by the family's model schema
    recipe: Any = field(default_factory=dict)  # validated by the family's recipe schema


def parse_override(text: str) -> tuple[list[str], Any]:
    """`train.lr=1e-3` → (["train", "lr"], 0.001); the value is parsed as YAML."""
    if "=" not in text:
        raise ConfigError(f"override {text!r} is not of the form key.sub=value")
    key, raw = text.split("=", 1)
    if not key or any(not part for part in key.split(".")):
        raise ConfigError(f"override {text!r} has an empty key")
    try:
        value = yaml.safe_load(raw) if raw != "" else ""
    except yaml.YAMLError as exc:
        raise ConfigError(f"override {text!r}: value is not valid YAML ({exc.__class__.__name__})") from exc
    return key.split("."), value


def apply_overrides(raw: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    for text in overrides:
        keys, value = parse_override(text)
        node = raw
        for k in keys[:-1]:
            child = node.setdefault(k, {})
            if not isinstance(child, dict):
                raise ConfigError(f"override {text!r}: '{k}' is not a section")
            node = child
        node[keys[-1]] = value
    return raw


def read_yaml(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist; presets live in configs/")
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {str(exc).splitlines()[0]}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the top level must be a mapping")
    return raw


def read_run_config(path: str | Path, overrides: list[str] | None = None) -> RunConfig:
    """Read, override and validate a run config; `model` and `recipe` stay dicts, for the family to validate
    (genvision.train.families.load_run_config)."""
    raw = apply_overrides(read_yaml(path), list(overrides or []))
    return from_dict(RunConfig, raw)
