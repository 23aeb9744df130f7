"""The figure index: `figures.json` (what was made, how, in how long) and the `index.md` / `index.html` pages.

Runs into the same folder accumulate: `--only` regenerates some figures and the index still lists every figure
whose PNG is there, each with the exact command that makes it alone.
"""

from __future__ import annotations

import html
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from genvision.io.atomic import atomic_write_text
from genvision.workflows.figures.registry import FIGURES, report_numbers

MANIFEST = "figures.json"


@dataclass(frozen=True)
class Entry:
    """One figure made: its file (relative to the output folder), what it shows and how it was made."""

    id: str
    file: str
    report: tuple[str, ...]
    caption: str
    bundles: tuple[str, ...]
    command: str
    seconds: float
    note: str

    @property
    def report_label(self) -> str:
        return ", ".join(self.report) if self.report else "new"

    @property
    def bundle_label(self) -> str:
        return ", ".join(self.bundles) if self.bundles else "data only"


def read_manifest(folder: Path) -> dict[str, Entry]:
    """Entries recorded in folder/figures.json whose PNGs still exist (an unreadable manifest counts as empty)."""
    try:
        data = json.loads((folder / MANIFEST).read_text())
        entries = {
            k: Entry(**{**v, "report": tuple(v["report"]), "bundles": tuple(v["bundles"])})
            for k, v in data["figures"].items()
        }
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return {k: e for k, e in entries.items() if k in FIGURES and (folder / e.file).is_file()}


def write_index(folder: Path, made: list[Entry]) -> list[Entry]:
    """Merge `made` into the manifest, write figures.json, index.md and index.html; returns all entries."""
    entries = read_manifest(folder) | {e.id: e for e in made}
    ordered = [entries[k] for k in FIGURES if k in entries]
    atomic_write_text(
        folder / MANIFEST, json.dumps({"figures": {e.id: asdict(e) for e in ordered}}, indent=1) + "\n"
    )
    atomic_write_text(folder / "index.md", index_markdown(ordered))
    atomic_write_text(folder / "index.html", index_html(ordered))
    return ordered


def numbers_line(entries: list[Entry]) -> str:
    total = sum(e.seconds for e in entries)
    return (
        f"{len(entries)} figures covering report figures {', '.join(report_numbers([e.id for e in entries]))}; "
        f"{total:.0f} s in all (wall clock)."
    )


def figure_markdown(e: Entry) -> list[str]:
    lines = [
        "",
        f"## {e.id}",
        "",
        f"![{e.id}]({e.file})",
        "",
        f"**Report figure {e.report_label}.** {e.caption}",
        "",
        f"- bundle: {e.bundle_label}",
    ]
    if e.note:
        lines.append(f"- measured: {e.note}")
    return lines + [f"- {e.seconds:.1f} s; made alone by:", "", "```bash", e.command, "```"]


def index_markdown(entries: list[Entry]) -> str:
    """index.md: a summary table, then every figure with its caption, bundle, note and command."""
    lines = [
        "# Figures of the report, regenerated",
        "",
        "Made by `genvision figures` from the shipped bundles. " + numbers_line(entries),
        "",
        "| figure | report | bundle | seconds |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| [{e.id}](#{e.id}) | {e.report_label} | {e.bundle_label} | {e.seconds:.1f} |" for e in entries
    ]
    for e in entries:
        lines += figure_markdown(e)
    return "\n".join(lines) + "\n"


def index_html(entries: list[Entry]) -> str:
    """index.html: the same as index.md, as one static page."""
    esc = html.escape
    rows = "\n".join(
        f"<tr><td><a href='#{esc(e.id)}'>{esc(e.id)}</a></td><td>{esc(e.report_label)}</td>"
        f"<td>{esc(e.bundle_label)}</td><td>{e.seconds:.1f}</td></tr>"
        for e in entries
    )
    figures = "\n".join(
        f"<section id='{esc(e.id)}'><h2>{esc(e.id)}</h2><img src='{esc(e.file)}' alt='{esc(e.id)}'>"
        f"<p><b>Report figure {esc(e.report_label)}.</b> {esc(e.caption)}</p>"
        f"<p>bundle: {esc(e.bundle_label)}<br>measured: {esc(e.note)}<br>{e.seconds:.1f} s; made alone by:</p>"
        f"<pre>{esc(e.command)}</pre></section>"
        for e in entries
    )
    style = (
        "body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em}"
        "img{max-width:100%;image-rendering:pixelated}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:.2em .6em}pre{background:#f4f4f4;padding:.5em}"
    )
    return (
        f"<!doctype html>\n<html><head><meta charset='utf-8'><title>genvision figures</title>"
        f"<style>{style}</style></head><body>\n<h1>Figures of the report, regenerated</h1>\n"
        f"<p>Made by <code>genvision figures</code> from the shipped bundles. {esc(numbers_line(entries))}</p>\n"
        f"<table><tr><th>figure</th><th>report</th><th>bundle</th><th>seconds</th></tr>\n{rows}\n</table>\n"
        f"{figures}\n</body></html>\n"
    )
