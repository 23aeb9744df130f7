"""A resumed run must continue the run it resumes: its config may differ from the run's own only in settings
that do not change what is trained.

    check_resumed_config(run_dir, cfg)   # ConfigError naming each setting that differs, before anything is written

`genvision train configs/x.yaml --out runs/x --resume` without the overrides the run started with would
otherwise go on with another learning rate or step count, and overwrite the run's config.yaml with it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from genvision.config.schema import to_dict
from genvision.errors import ConfigError

# how long to go on, how often to log / preview / checkpoint / measure, where the data and the work live
MAY_CHANGE = {
    "train.steps",
    "train.max_seconds",
    "train.log_every",
    "train.preview_every",
    "train.preview_n",
    "train.checkpoint_every",
    "train.keep_checkpoints",
    "train.max_nan_skips",
    "train.fid_every",
    "train.fid_n",
    "train.tensorboard",
    "train.device",
    "data.data_dir",
    "data.num_workers",
}
# in any section: what previews and measurements do, never what is trained
MONITORING = ("preview_", "eval_", "fid_")


def may_change(key: str) -> bool:
    return key in MAY_CHANGE or key.rsplit(".", 1)[-1].startswith(MONITORING)


def flat(tree: Any, prefix: str = "") -> dict[str, Any]:
    """{"train": {"lr": 1e-3}} → {"train.lr": 1e-3}; lists stay values."""
    if not isinstance(tree, dict):
        return {prefix: tree}
    out: dict[str, Any] = {}
    for key, value in tree.items():
        out.update(flat(value, f"{prefix}.{key}" if prefix else str(key)))
    return out


def differences(saved: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """Settings set in both that differ, but for those that may change, as "key (saved → current)"."""
    a, b = flat(saved), flat(current)
    return [
        f"{key} ({a[key]!r} → {b[key]!r})"
        for key in sorted(a.keys() & b.keys())
        if not may_change(key) and a[key] != b[key]
    ]


def check_resumed_config(run_dir: Path, cfg: Any) -> None:
    """Refuse to resume `run_dir` (which has checkpoints) with a config that trains something else."""
    path = run_dir / "config.yaml"
    if not path.is_file():
        return
    try:
        saved = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError:
        return  # unreadable: nothing to compare with (the run rewrites it)
    current = yaml.safe_load(yaml.safe_dump(to_dict(cfg), sort_keys=False))  # as it would be written
    changed = differences(saved, current)
    if changed:
        shown = ", ".join(changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
        raise ConfigError(
            f"--resume: this config differs from the run's own {path} in {shown}; resume with that file "
            f"(genvision train {path} --out {run_dir} --resume), or start a new run folder"
        )
