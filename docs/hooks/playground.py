"""mkdocs hook: what the playground page (docs/playground.md) loads: onnxruntime-web and the models, exported
at build time.

Each model is exported by `genvision export NAME --format onnx` (format: docs/onnx.md) into
build/playground-exports/<name>-<key>/, the key hashing the bundle's content, the exporter's source and the
export options, so a rebuild reuses an export until one of them changes. Every file of an export goes into the
site gzipped (`playground/models/<name>/<file>.gz`: the UNet's weights shrink by about 45 %), as does
`playground/test-images.bin.gz` (the first held-out Fashion-MNIST images, uint8 [N, 28, 28]) for inpainting.

onnxruntime-web (the npm package pinned in package.json, `npm ci`) ships as its classic-script API
`assets/vendor/onnxruntime-web/ort.wasm.min.js`, plus its Emscripten module (.mjs) and SIMD binary gzipped
(3.8 MB instead of 15 MB).

A page opened from file:// may not fetch files, so each `.gz` also gets a `.gz.js` twin, a classic script that
hands its bytes (base64) to the page under its site path: docs/javascripts/playground/assets.js fetches the
`.gz` over HTTP and loads the twin under file://.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

from genvision.data import load_images_from_ref
from genvision.errors import GenvisionError
from genvision.export.writer import content_hash
from genvision.models.bundle import load_bundle
from genvision.viz.images import to_uint8

REPO = Path(__file__).resolve().parents[2]
ORT = REPO / "node_modules" / "onnxruntime-web" / "dist"
ORT_SITE = "assets/vendor/onnxruntime-web"
EXPORTS = REPO / "build" / "playground-exports"
SITE_DIR = "playground"
# name -> extra `genvision export` options (4 captions per class keep a text model's caption set at 1.7 MB);
# the page (docs/playground.md) opens on fashion-ldm-2step, the distilled 2-step student of fashion-ldm
MODELS = {
    "fashion-ldm-2step": ["--captions-per-class", "4"],
    "fashion-ldm": ["--captions-per-class", "4"],
    "fashion-ddpm": [],
    "fashion-stylegan": [],
}
TEST_IMAGES = "fashion-mnist:test:0-8"


def export_key(name: str, options: list[str]) -> str:
    """A hash of the bundle's content, the exporter's source files and the options."""
    digest = hashlib.sha256(content_hash(load_bundle(name).path).encode())
    for path in sorted((REPO / "src" / "genvision" / "export").glob("*.py")):
        digest.update(path.read_bytes())
    digest.update(" ".join(options).encode())
    return digest.hexdigest()[:16]


def exported(name: str, options: list[str]) -> Path:
    """The folder of `genvision export NAME --format onnx`, made now unless this key was exported before."""
    folder = EXPORTS / f"{name}-{export_key(name, options)}"
    if (folder / "manifest.json").is_file():
        return folder
    for stale in EXPORTS.glob(f"{name}-*"):
        if stale.name.rsplit("-", 1)[0] == name:  # fashion-ldm's old keys, not fashion-ldm-2step-<key>
            shutil.rmtree(stale)
    command = [sys.executable, "-m", "genvision.cli.main", "export", name, "--format", "onnx"]
    proc = subprocess.run(
        [*command, "--out", str(folder), "--quiet", *options], capture_output=True, text=True, cwd=REPO
    )
    if proc.returncode != 0:
        raise PluginError(f"genvision export {name} failed: {proc.stderr.strip()[-2000:]}")
    return folder


def packed(source: Path | bytes, target: Path) -> Path:
    """`source` gzipped to `target` (fixed mtime, so the bytes depend on the content only)."""
    data = source if isinstance(source, bytes) else source.read_bytes()
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as out:
        out.write(data)
    return target


def script_twin(gz: Path, site_path: str) -> Path:
    """The classic script that hands `gz`'s bytes to the page under file://."""
    twin = gz.with_name(gz.name + ".js")
    encoded = base64.b64encode(gz.read_bytes()).decode()
    twin.write_text(f'GV.assets.put("{site_path}", "{encoded}");\n')
    return twin


def test_images() -> bytes:
    try:
        images, _, _ = load_images_from_ref(TEST_IMAGES)
    except GenvisionError as exc:
        raise PluginError(f"the playground's inpainting images: {exc}") from exc
    return np.ascontiguousarray(to_uint8(images)[..., 0]).tobytes()  # uint8 [N, 28, 28]


def site_files(stage: Path) -> dict[str, Path]:
    """{site path: file} of everything the playground loads, gzipped (and their script twins) under `stage`."""
    if not ORT.is_dir():
        raise PluginError(
            f"{ORT} is missing: install the site's browser libraries with `make setup-dev` (npm ci)"
        )
    out: dict[str, Path] = {f"{ORT_SITE}/ort.wasm.min.js": ORT / "ort.wasm.min.js"}
    sources: dict[str, Path | bytes] = {
        f"{ORT_SITE}/{name}.gz": ORT / name
        for name in ("ort-wasm-simd-threaded.wasm", "ort-wasm-simd-threaded.mjs")
    }
    sources[f"{SITE_DIR}/test-images.bin.gz"] = test_images()
    for name, options in MODELS.items():
        folder = exported(name, options)
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            sources[f"{SITE_DIR}/models/{name}/{path.relative_to(folder).as_posix()}.gz"] = path
    for site_path, source in sources.items():
        gz = packed(source, stage / site_path)
        out[site_path] = gz
        out[site_path + ".js"] = script_twin(gz, site_path)
    return out


def on_files(files: Files, config) -> Files:
    # one staging folder per site folder, so `make docs` and a test's build in a temporary folder do not collide
    key = hashlib.sha256(str(config["site_dir"]).encode()).hexdigest()[:12]
    stage = REPO / "build" / "playground-stage" / key
    shutil.rmtree(stage, ignore_errors=True)
    for site_path, path in site_files(stage).items():
        files.append(File.generated(config, site_path, abs_src_path=str(path)))
    return files
