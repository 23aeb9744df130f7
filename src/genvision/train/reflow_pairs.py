"""The reflow pair cache: (ε, x = teacher sampler(ε), condition) drawn once per run and kept in its folder.

    pairs = pair_cache(run_dir / "pairs", settings, count=10_000, chunk=250, make=draw_chunk)

Pairs come in chunks; chunk j is `make(j)` (the recipe draws its noise and conditions from the generator of
(seed, j)), written as pairs/chunk_JJJJJ.safetensors with the process CPU seconds and wall seconds it took, so an
interrupted generation continues at the first missing chunk and a resumed run reads the very same pairs. The
settings the pairs were drawn with (teacher, sampler, guidance, seed, chunk) are kept in pairs/settings.json; a
run folder whose pairs were drawn otherwise is refused rather than mixed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from genvision.errors import ConfigError
from genvision.io.atomic import atomic_write_text
from genvision.io.tensorfile import load_tensors, save_tensors

KEYS = ("noise", "data", "label", "caption")  # label / caption: −1 where the pair has none


@dataclass
class Pairs:
    noise: torch.Tensor  # ε [n, *latent_shape]
    data: torch.Tensor  # x = teacher sampler(ε), scaled latents (pixels for a pixel model)
    label: torch.Tensor  # int64 [n], −1: no class
    caption: torch.Tensor  # int64 [n], index into the teacher's training captions, −1: no text
    cpu_seconds: float  # process CPU time spent drawing them (summed over the sessions that drew chunks)
    wall_seconds: float

    def __len__(self) -> int:
        return self.noise.shape[0]


def chunk_path(folder: Path, j: int) -> Path:
    return folder / f"chunk_{j:05d}.safetensors"


def check_settings(folder: Path, settings: dict) -> None:
    """Write settings.json for a new cache; refuse a cache drawn with other settings."""
    path = folder / "settings.json"
    if path.is_file():
        stored = json.loads(path.read_text())
        if stored != settings:
            diff = sorted(k for k in settings.keys() | stored.keys() if stored.get(k) != settings.get(k))
            raise ConfigError(
                f"the reflow pairs in {folder} were drawn with other settings ({', '.join(diff)}); "
                "start the run in a new folder (--out) or delete that pairs folder"
            )
        return
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(settings, indent=2, sort_keys=True))


def pair_cache(
    folder: str | Path,
    settings: dict,
    count: int,
    chunk: int,
    make: Callable[[int], dict[str, torch.Tensor]],
    log: Callable[[str], None] | None = None,
) -> Pairs:
    """The first `count` pairs: chunks read from `folder`, the missing ones drawn with `make(j)` and written."""
    if count < 1 or chunk < 1:
        raise ConfigError(f"recipe.pairs and recipe.pair_batch must be >= 1, got {count} and {chunk}")
    folder = Path(folder)
    check_settings(folder, {**settings, "chunk": chunk})
    parts: dict[str, list[torch.Tensor]] = {k: [] for k in KEYS}
    cpu = wall = 0.0
    chunks = -(-count // chunk)
    for j in range(chunks):
        path = chunk_path(folder, j)
        if path.is_file():
            stored = load_tensors(path)
        else:
            c0, w0 = time.process_time(), time.perf_counter()
            stored = make(j)
            timing = torch.tensor([time.process_time() - c0, time.perf_counter() - w0], dtype=torch.float64)
            stored = {**{k: stored[k] for k in KEYS}, "seconds": timing}
            save_tensors(path, stored)
            if log is not None:
                log(f"reflow pairs: chunk {j + 1}/{chunks} drawn in {float(timing[0]):.1f} CPU s")
        cpu, wall = cpu + float(stored["seconds"][0]), wall + float(stored["seconds"][1])
        for k in KEYS:
            parts[k].append(stored[k])
    full = {k: torch.cat(v)[:count] for k, v in parts.items()}
    return Pairs(full["noise"], full["data"], full["label"], full["caption"], cpu, wall)
