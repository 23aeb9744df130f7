"""mkdocs hook: pages generated from the code at build time, so they cannot drift from it.

- `<!-- cli-reference -->` becomes the `--help` text of every `genvision` command (read from the typer app in
  one subprocess with rich output turned off, so the text is plain).
- `<!-- figure-index -->` becomes the table of `genvision figures` (genvision.workflows.figures.FIGURES), with
  the images and measurements committed under docs/images/figures/ where they exist.

Run as a script, this file prints the help texts as JSON: `python docs/hooks/genvision_docs.py`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import typer

from genvision.cli.main import app
from genvision.workflows.figures import FIGURES

CLI_MARK, FIGURES_MARK = "<!-- cli-reference -->", "<!-- figure-index -->"
FIGURE_DIR = "images/figures"
_cache: dict[str, str] = {}


def help_texts() -> list[tuple[str, str]]:
    """[(command path, plain --help text)] for `genvision` and every command and sub-command."""
    root = typer.main.get_command(app)
    out: list[tuple[str, str]] = []

    def walk(cmd, name: str, parent) -> None:
        ctx = cmd.context_class(cmd, info_name=name, parent=parent, terminal_width=100, max_content_width=100)
        out.append((ctx.command_path, cmd.get_help(ctx)))
        for sub in getattr(cmd, "list_commands", lambda _: [])(ctx):
            walk(cmd.get_command(ctx, sub), sub, ctx)

    walk(root, "genvision", None)
    return out


def cli_reference() -> str:
    if "cli" not in _cache:
        env = {**os.environ, "TYPER_USE_RICH": "0", "GENVISION_OFFLINE": "1"}
        proc = subprocess.run([sys.executable, __file__], capture_output=True, text=True, env=env, check=True)
        sections = []
        for path, text in json.loads(proc.stdout):
            sections += [f"## `{path}`", "", "```text", text.rstrip(), "```", ""]
        _cache["cli"] = "\n".join(sections)
    return _cache["cli"]


def figure_index(docs_dir: Path) -> str:
    folder = docs_dir / FIGURE_DIR
    try:
        made = json.loads((folder / "figures.json").read_text())["figures"]
    except (OSError, ValueError, KeyError):
        made = {}
    lines = ["| figure | report | bundles | what it shows |", "|---|---|---|---|"]
    for key, f in FIGURES.items():
        lines.append(
            f"| [{key}](#{key}) | {', '.join(f.report) or 'new'} | {', '.join(f.bundles) or 'data only'} "
            f"| {f.caption} |"
        )
    for key, f in FIGURES.items():
        lines += [
            "",
            f"## {key}",
            "",
            f"**Report figure {', '.join(f.report) or '— (new)'}.** {f.caption}",
            "",
        ]
        if (folder / f"{key}.png").is_file():
            lines += [f"![{key}]({FIGURE_DIR}/{key}.png)", ""]
        if key in made:
            lines += [
                f"Measured when this image was made: {made[key]['note']} ({made[key]['seconds']:.1f} s).",
                "",
            ]
        lines += ["```bash", f"genvision figures --out figures --only {key}", "```"]
    return "\n".join(lines) + "\n"


def on_page_markdown(markdown: str, page, config, files) -> str:
    if CLI_MARK in markdown:
        markdown = markdown.replace(CLI_MARK, cli_reference())
    if FIGURES_MARK in markdown:
        markdown = markdown.replace(FIGURES_MARK, figure_index(Path(config["docs_dir"])))
    return markdown


if __name__ == "__main__":
    print(json.dumps(help_texts()))
