"""Latents for latent diffusion: the scale factor, and a disk cache written in batches.

Latent scale (Rombach et al., 2022, §G): s = 1 / std(z) over the latents z = encode(x) of a data sample, so that
s·z has unit variance like the diffusion prior. It is computed after training and stored in the bundle config.

Cache folder layout (written batch by batch, so the dataset never has to fit in memory twice):
    latents.npy   float16/float32 [N, *latent_shape], *unscaled* encode(x)
    labels.npy    int64 [N] (−1 when unlabelled)
    meta.json     {"model", "kind", "data", "latent_shape", "latent_scale", "count", "dtype"}
`load_latent_cache(folder)` returns the latents multiplied by latent_scale (memory-mapped when unscaled).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from genvision.errors import GenvisionError
from genvision.io.atomic import atomic_path
from genvision.pipelines.reconstruct import AutoencodingModel, in_batches


def latent_std(model: AutoencodingModel, images: torch.Tensor, labels: torch.Tensor | None = None,
               batch_size: int = 256) -> float:
    """std of all latent entries of encode(x) over `images`."""
    latents = in_batches(model.encode, images, labels, batch_size)
    return float(latents.double().std())


def compute_latent_scale(model: AutoencodingModel, images: torch.Tensor, labels: torch.Tensor | None = None,
                         batch_size: int = 256) -> float:
    """s = 1 / std(encode(x)) over a data sample."""
    std = latent_std(model, images, labels, batch_size)
    if not np.isfinite(std) or std <= 0:
        raise GenvisionError(f"latents have std {std}; cannot compute a latent scale (is the model trained?)")
    return 1.0 / std


def cache_latents(model: AutoencodingModel, data_ref: str, out_dir: str | Path, batch_size: int = 512,
                  dtype: str = "float16", data_dir: str | None = None, model_ref: str = "",
                  quiet: bool = True) -> Path:
    """Encode every image of `data_ref` in batches into `out_dir` (see the module docstring for the layout)."""
    from genvision.data import load_dataset
    from genvision.data.base import ArrayDataset

    if dtype not in ("float16", "float32"):
        raise GenvisionError(f"latent cache dtype must be float16 or float32, got {dtype!r}")
    ds = load_dataset(data_ref, data_dir=data_dir)
    if tuple(ds.info.shape) != tuple(model.shape):
        raise GenvisionError(f"{data_ref} has images of shape {list(ds.info.shape)}; the model takes "
                             f"{list(model.shape)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    n = len(ds)
    tensors = ds.tensors() if isinstance(ds, ArrayDataset) else None
    latent_path = out / "latents.npy"
    with atomic_path(latent_path) as tmp:
        array = np.lib.format.open_memmap(tmp, mode="w+", dtype=dtype, shape=(n, *model.latent_shape))
        labels = np.empty(n, dtype=np.int64)
        for start in tqdm(range(0, n, batch_size), disable=quiet, desc="encoding"):
            stop = min(n, start + batch_size)
            if tensors is not None:
                x = tensors["image_uint8"][start:stop].float().div(127.5).sub(1.0)
                y = tensors["label"][start:stop]
            else:
                items = [ds[i] for i in range(start, stop)]
                x, y = torch.stack([it["image"] for it in items]), torch.stack([it["label"] for it in items])
            array[start:stop] = model.encode(x, y).cpu().numpy().astype(dtype)
            labels[start:stop] = y.numpy()
        array.flush()
        del array
    np.save(out / "labels.npy", labels)
    meta = {"model": model_ref, "kind": model.kind, "data": data_ref, "latent_shape": list(model.latent_shape),
            "latent_scale": model.latent_scale, "count": n, "dtype": dtype}
    (out / "meta.json").write_text(json.dumps(meta, indent=2))
    return out


def load_latent_cache(folder: str | Path, scaled: bool = True) -> tuple[torch.Tensor, torch.Tensor, dict]:
    """(latents [N, *latent_shape] float32 — times latent_scale when `scaled` — labels [N], meta)."""
    folder = Path(folder)
    meta_path = folder / "meta.json"
    if not meta_path.is_file():
        raise GenvisionError(f"{folder} is not a latent cache (meta.json is missing); write one with cache_latents")
    meta = json.loads(meta_path.read_text())
    latents = torch.from_numpy(np.load(folder / "latents.npy", mmap_mode="r").astype(np.float32))
    labels = torch.from_numpy(np.load(folder / "labels.npy"))
    return (latents * meta["latent_scale"] if scaled else latents), labels, meta
