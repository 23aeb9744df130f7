"""mkdocs hook: the maths library the site ships inside itself, so a reader needs no CDN and no network.

KaTeX comes from the npm package pinned in package.json (installed by `make setup-dev`, i.e. `npm ci`):
katex.min.js, its auto-render extension, the CSS and the woff2 fonts go into the site under
`assets/vendor/katex/`, and docs/javascripts/katex-init.js renders `$…$`, `$$…$$` (notebooks) and `\\(…\\)`,
`\\[…\\]` (pymdownx.arithmatex in Markdown pages). docs/hooks/playground.py ships onnxruntime-web the same way.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

REPO = Path(__file__).resolve().parents[2]
NODE_MODULES = REPO / "node_modules"
KATEX = ["katex.min.js", "katex.min.css", "contrib/auto-render.min.js"]


def package_dist(name: str) -> Path:
    """node_modules/<name>/dist, or a one-line error saying how to install it."""
    folder = NODE_MODULES / name / "dist"
    if not folder.is_dir():
        raise PluginError(
            f"{folder} is missing: install the site's browser libraries with `make setup-dev` (runs `npm ci`)"
        )
    return folder


def on_files(files: Files, config) -> Files:
    katex = package_dist("katex")
    shipped = {f"assets/vendor/katex/{name}": katex / name for name in KATEX}
    shipped |= {f"assets/vendor/katex/fonts/{p.name}": p for p in sorted((katex / "fonts").glob("*.woff2"))}
    for site_path, source in shipped.items():
        files.append(File.generated(config, site_path, abs_src_path=str(source)))
    return files
