"""mkdocs hook: the browser libraries the site ships inside itself, so a reader needs no CDN and no network.

They come from the npm packages pinned in package.json (installed by `make setup-dev`, i.e. `npm ci`) and are
added to the site as generated files under `assets/vendor/`:

- KaTeX (katex.min.js, its auto-render extension, the CSS and the woff2 fonts): docs/javascripts/katex-init.js
  renders `$…$`, `$$…$$` (notebooks) and `\\(…\\)`, `\\[…\\]` (pymdownx.arithmatex in Markdown pages).
- onnxruntime-web's WASM build (the classic-script API, its Emscripten module and the SIMD binary, gzipped
  so a page downloads 3.8 MB instead of 15 MB): the playground runs the exported models with it.
"""

from __future__ import annotations

import gzip
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

REPO = Path(__file__).resolve().parents[2]
NODE_MODULES = REPO / "node_modules"
VENDOR = "assets/vendor"
KATEX = ["katex.min.js", "katex.min.css", "contrib/auto-render.min.js"]
ORT = ["ort.wasm.min.js", "ort-wasm-simd-threaded.mjs"]
ORT_GZIPPED = ["ort-wasm-simd-threaded.wasm"]


def package_dir(name: str) -> Path:
    folder = NODE_MODULES / name / "dist"
    if not folder.is_dir():
        raise PluginError(
            f"{folder} is missing: install the site's browser libraries with `make setup-dev` (runs `npm ci`)"
        )
    return folder


def gzipped(source: Path, cache: Path) -> Path:
    """`source` gzipped into `cache` (rewritten only when the source is newer), with a fixed mtime."""
    target = cache / (source.name + ".gz")
    if not target.is_file() or target.stat().st_mtime < source.stat().st_mtime:
        cache.mkdir(parents=True, exist_ok=True)
        part = target.with_suffix(".part")
        with part.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as out:
            out.write(source.read_bytes())
        part.replace(target)
    return target


def vendor_files() -> dict[str, Path]:
    """{site path: file on disk} for every shipped library file."""
    katex, ort = package_dir("katex"), package_dir("onnxruntime-web")
    files = {f"{VENDOR}/katex/{name}": katex / name for name in KATEX}
    files |= {f"{VENDOR}/katex/fonts/{p.name}": p for p in sorted((katex / "fonts").glob("*.woff2"))}
    files |= {f"{VENDOR}/onnxruntime-web/{name}": ort / name for name in ORT}
    cache = REPO / "build" / "vendor-cache"
    files |= {f"{VENDOR}/onnxruntime-web/{name}.gz": gzipped(ort / name, cache) for name in ORT_GZIPPED}
    return files


def on_files(files: Files, config) -> Files:
    for site_path, source in vendor_files().items():
        files.append(File.generated(config, site_path, abs_src_path=str(source)))
    return files
