"""Write a bundle as an ONNX export folder (docs/onnx.md), checked before anything is kept.

    export_bundle("fashion-ldm", "web/fashion-ldm")        # unet.onnx, encoder.onnx, decoder.onnx, manifest.json
    cached_export(bundle)                                    # $GENVISION_HOME/cache/onnx/<name>-v1.2-<content hash>/

Each graph is exported with torch.onnx.export at opset 17 (attention's softmax and matmuls need ≥ 14) with the
batch axis dynamic, checked with onnx.checker, and run by onnxruntime at batch 1 and 5 against the torch module:
the largest difference is recorded in the manifest, and an export that differs by more than 1e-4 is refused.
The folder is assembled under a temporary name and renamed into place, so a failed export leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

from genvision.errors import GenvisionError
from genvision.export.contents import (
    autoencoding_section,
    diffusion_section,
    gan_section,
    image_section,
    stylegan_section,
)
from genvision.export.graphs import Graph, bundle_graphs
from genvision.export.manifest import FORMAT, FORMAT_VERSION, MANIFEST_NAME, is_export, write_manifest
from genvision.export.runtime import import_onnx, session
from genvision.generators.autoencoding import load_autoencoder
from genvision.generators.diffusion import load_diffusion
from genvision.generators.gan import load_gan
from genvision.generators.stylegan import load_stylegan
from genvision.io.atomic import umask_mode
from genvision.models.bundle import Bundle, load_bundle
from genvision.paths import onnx_cache_home
from genvision.version import __version__

OPSET = 17
# bumped when the graphs of the same bundle change (2: exact_layers, attention; 3: phase_pairs)
GRAPHS_REVISION = 3
PARITY_BATCHES = (1, 5)
TOLERANCE = 1e-4


def content_hash(folder: Path) -> str:
    """sha256 over every file of a bundle folder (relative path and bytes), sub-bundles included."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _batch_of(example: torch.Tensor, batch: int) -> torch.Tensor:
    """An input of another batch size, drawn like the example (labels and masks repeat its rows)."""
    if example.dtype == torch.float32:
        return torch.randn(batch, *example.shape[1:], generator=torch.Generator().manual_seed(batch))
    return example[torch.arange(batch) % example.shape[0]]


def export_graph(graph: Graph, path: Path) -> dict[str, Any]:
    """One .onnx file, checked and compared with torch; returns its manifest entry."""
    onnx = import_onnx()
    names = list(graph.inputs)
    axes = {name: {0: "batch"} for name in [*names, graph.output]}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer warnings about Python-side checks on example values
        torch.onnx.export(
            graph.module.eval(),
            tuple(graph.inputs.values()),
            str(path),
            opset_version=OPSET,
            input_names=names,
            output_names=[graph.output],
            dynamic_axes=axes,
            dynamo=False,
        )
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    worst = 0.0
    runner = session(path, threads=1)
    for batch in PARITY_BATCHES:
        feeds = {k: _batch_of(v, batch) for k, v in graph.inputs.items()}
        with torch.no_grad():
            expected = graph.module(*feeds.values()).float().numpy()
        got = runner.run(None, {k: v.numpy() for k, v in feeds.items()})[0]
        if got.shape != expected.shape:
            raise GenvisionError(
                f"{graph.name}: onnxruntime gave {got.shape} at batch {batch}, not {expected.shape}"
            )
        worst = max(worst, float(np.abs(got - expected).max()))
    if not worst <= TOLERANCE:
        raise GenvisionError(f"{graph.name}: onnxruntime differs from torch by {worst:.2e} (> {TOLERANCE})")

    def spec(name: str, value: torch.Tensor) -> dict[str, Any]:
        dtype = {torch.float32: "float32", torch.int64: "int64", torch.bool: "bool"}[value.dtype]
        return {"name": name, "dtype": dtype, "shape": ["batch", *value.shape[1:]]}

    out_shape = graph.module(*graph.inputs.values()).shape
    return {
        "file": path.name,
        "bytes": path.stat().st_size,
        "inputs": [spec(k, v) for k, v in graph.inputs.items()],
        "outputs": [{"name": graph.output, "dtype": "float32", "shape": ["batch", *out_shape[1:]]}],
        "max_abs_diff_vs_torch": worst,
        "checked_batches": list(PARITY_BATCHES),
    }


def kind_sections(bundle: Bundle, folder: Path, captions_per_class: int | None) -> dict[str, Any]:
    """The kind-specific manifest sections (see genvision.export.contents)."""
    if bundle.kind in ("ddpm", "ldm"):
        model = load_diffusion(bundle, "cpu", precision="fp32")
        return {"diffusion": diffusion_section(model, folder, captions_per_class)}
    if bundle.kind == "stylegan":
        return {"stylegan": stylegan_section(load_stylegan(bundle, "cpu"), folder)}
    if bundle.kind in ("dcgan", "cgan"):
        return {"gan": gan_section(load_gan(bundle, "cpu"), folder)}
    return {"autoencoder": autoencoding_section(load_autoencoder(bundle, "cpu"))}


def check_out_folder(out: Path) -> None:
    """--out must be new or empty: nothing already there is overwritten."""
    if out.exists() and not out.is_dir():
        raise GenvisionError(f"--out {out} is a file; give a folder to export into")
    if out.is_dir() and any(out.iterdir()):
        if is_export(out):
            raise GenvisionError(
                f"--out {out} holds another export; delete it or give a new folder (nothing was overwritten)"
            )
        raise GenvisionError(f"--out {out} is not empty; give a new or empty folder")


def export_bundle(ref: str | Path | Bundle, out: str | Path, captions_per_class: int | None = None) -> Path:
    """Export a bundle (folder or shipped name) into the new or empty folder `out`; returns `out`."""
    out = Path(out)
    check_out_folder(out)
    bundle = ref if isinstance(ref, Bundle) else load_bundle(ref)
    if captions_per_class is not None and captions_per_class < 1:
        raise GenvisionError(f"--captions-per-class must be at least 1, got {captions_per_class}")
    graphs = bundle_graphs(bundle)  # errors for kinds that generate nothing, before any file is written
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    tmp.chmod(umask_mode(0o777))
    try:
        entries = {g.name: export_graph(g, tmp / f"{g.name}.onnx") for g in graphs}
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "genvision_version": __version__,
            "kind": bundle.kind,
            "source": {"name": bundle.name, "content_sha256": content_hash(bundle.path)},
            "opset": OPSET,
            "precision": "float32",
            **image_section(bundle),
            "graphs": entries,
            **kind_sections(bundle, tmp, captions_per_class),
            "bundle_config": bundle.config,
        }
        write_manifest(tmp, manifest)
        if out.is_dir():
            out.rmdir()  # empty, checked above
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def cache_folder(bundle: Bundle) -> Path:
    """Where the export of this bundle's content (by this exporter's graphs revision) is cached."""
    key = content_hash(bundle.path)[:16]
    return onnx_cache_home() / f"{bundle.name}-v{FORMAT_VERSION}.{GRAPHS_REVISION}-{key}"


def cached_export(bundle: Bundle) -> Path:
    """The export of `bundle`, made once per bundle content (all captions) and reused after."""
    folder = cache_folder(bundle)
    if not (folder / MANIFEST_NAME).is_file():
        if folder.exists():
            shutil.rmtree(folder)  # not an export (exports appear by one rename, manifest included)
        if sys.stderr.isatty():  # a person waiting at a terminal; pipes and logs stay clean
            print(
                f"exporting {bundle.name} to ONNX once for the onnx backend (seconds to a minute; cached in "
                f"{folder}; --backend torch skips this)",
                file=sys.stderr,
            )
        try:
            export_bundle(bundle, folder)
        except (GenvisionError, OSError):
            if not (folder / MANIFEST_NAME).is_file():
                raise
            # another process renamed the same export into place first: use theirs
    return folder
