"""The docs playground in headless chromium: bytes downloaded per model, load time, and the time to show 16
samples after load (the issue's targets: fashion-ldm <= 5 s with its default sampler, fashion-stylegan <= 1 s,
<= 20 MB per model; fashion-ldm-2step, the page's default, is held to fashion-ldm's), on a plain static host (one WASM thread) and a cross-origin-isolated one (threads).

    python -m benchmarks.browser_playground                  # uses build/site (make docs), else builds it
    python -m benchmarks.browser_playground --site build/site --json playground.json

Each model opens in a fresh browser context (nothing cached); a run is GV.playground.sample() with the page's
controls (16 samples; diffusion: the bundle's default sampler, steps and guidance), timed inside the page from
the call to the drawn grid. The first run includes onnxruntime's warm-up; the table shows first and second.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.app.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.docs.conftest import serve
from tests.docs.test_playground import open_playground

REPO = Path(__file__).resolve().parents[1]
TARGETS = {"fashion-ldm-2step": 5.0, "fashion-ldm": 5.0, "fashion-stylegan": 1.0, "fashion-ddpm": None}
RUN = "async () => { await GV.playground.sample(); return GV.playground.state.lastRun.ms / 1000; }"
TRANSFERRED = (
    "performance.getEntriesByType('resource').concat(performance.getEntriesByType('navigation'))"
    ".reduce((sum, e) => sum + e.transferSize, 0)"
)


def built_site(site: Path) -> Path:
    if (site / "playground" / "index.html").is_file():
        return site
    env = {
        **os.environ,
        "NO_MKDOCS_2_WARNING": "1",
        "GENVISION_DOCS_EXECUTE": "false",
        "GENVISION_OFFLINE": "1",
    }
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)]
    subprocess.run(command, cwd=REPO, env=env, check=True)
    return site


def measure(browser, url: str, name: str, condition: str) -> dict:
    started = time.perf_counter()
    context, page = open_playground(browser, url, name)
    try:
        loaded = time.perf_counter() - started
        if condition:
            page.select_option("#gv-condition", condition)
        first, second = page.evaluate(RUN), page.evaluate(RUN)
        return {
            "model": name,
            "condition": condition or "none",
            "threads": page.evaluate("GV.playground.state.model.threads"),
            "download_mb": round(page.evaluate(TRANSFERRED) / 1e6, 2),
            "load_s": round(loaded, 2),
            "first_s": round(first, 3),
            "second_s": round(second, 3),
            "target_s": TARGETS[name],
        }
    finally:
        context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--site", type=Path, default=Path(os.environ.get("GENVISION_DOCS_SITE", REPO / "build/site"))
    )
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    site = built_site(args.site.resolve())
    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for isolate in (False, True):
            server, url = serve(site, isolate=isolate)
            try:
                for name, condition in (
                    ("fashion-ldm-2step", ""),
                    ("fashion-ldm-2step", "class:7"),
                    ("fashion-ldm", ""),
                    ("fashion-ldm", "class:7"),
                    ("fashion-ddpm", ""),
                    ("fashion-stylegan", ""),
                    ("fashion-stylegan", "class:7"),
                ):
                    rows.append({**measure(browser, url, name, condition), "isolated": isolate})
                    print(rows[-1], flush=True)
            finally:
                server.shutdown()
        browser.close()
    cpu = platform.processor() or platform.machine()
    print(f"\nheadless chromium, {os.cpu_count()} CPUs ({cpu}); 16 samples per run, seconds after load")
    print("| model | condition | threads | MB downloaded | load s | 1st run s | 2nd run s | target s |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['model']} | {r['condition']} | {r['threads']} | {r['download_mb']} | {r['load_s']} "
            f"| {r['first_s']} | {r['second_s']} | {r['target_s'] or '-'} |"
        )
    if args.json:
        args.json.write_text(json.dumps({"cpus": os.cpu_count(), "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
