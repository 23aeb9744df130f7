"""Every page of the built site as a reader sees it in chromium: maths rendered (no `$…$` or `\\(` source left,
no KaTeX error), every notebook cell executed with its output, every image decoded, nothing fetched from
beyond the site, no script error. One full-page screenshot per page in $GENVISION_ARTIFACTS.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.conftest import REPO

pytestmark = pytest.mark.slow  # builds the site with its notebooks executed (the `site` fixture)

TUTORIALS = sorted(p.stem for p in (REPO / "docs" / "tutorials").glob("*.ipynb"))
# what a reader sees: raw TeX outside code, KaTeX's error boxes, images that did not decode, notebook cells
READ_PAGE = r"""async () => {
  await Promise.all([...document.images].map(i => i.decode().catch(() => null)));
  const skip = "code, pre, script, style, textarea, .katex, .jp-OutputArea";
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const raw = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!n.parentElement.closest(skip) && /\$|\\\(|\\\[|\\begin\{/.test(n.textContent)) {
      raw.push(n.textContent.trim().slice(0, 100));
    }
  }
  const cells = [...document.querySelectorAll(".jp-CodeCell[id^='cell-id']")].map(c => ({
    executed: /\[\d+\]/.test(c.querySelector(".jp-InputPrompt")?.textContent ?? ""),  // In [7]:, not In [ ]:
    outputs: c.querySelectorAll(".jp-OutputArea-output").length,
    source: (c.querySelector(".clipboard-copy-txt")?.textContent ?? "").slice(0, 60),
  }));
  return {
    raw,
    katex: document.querySelectorAll(".katex").length,
    errors: [...document.querySelectorAll(".katex-error")].map(e => e.textContent.slice(0, 100)),
    broken: [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src.slice(0, 100)),
    images: [...document.images].map(i => i.getAttribute("src").slice(0, 100)),
    cells,
    outputImages: document.querySelectorAll(".jp-OutputArea-output img").length,
  };
}"""


def site_pages(site: Path) -> list[str]:
    """Every HTML page of the site, as paths relative to its root (a folder's index.html as the folder)."""
    pages = [p.relative_to(site).as_posix() for p in sorted(site.rglob("*.html"))]
    return [p[: -len("index.html")] if p.endswith("index.html") else p for p in pages]


@pytest.fixture(scope="module")
def shots(artifacts) -> Path:
    (artifacts / "docs").mkdir(exist_ok=True)
    return artifacts / "docs"


def read_page(browser, url: str, shot: Path) -> dict:
    """Open `url`, wait for the maths, and return what READ_PAGE saw plus requests beyond the site and errors."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    root = url.split("/", 3)[:3]  # scheme and host
    outside, errors = [], []

    def note(request) -> None:
        if request.url.split("/", 3)[:3] != root and not request.url.startswith(("data:", "blob:")):
            outside.append(request.url)

    page.on("request", note)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: errors.append(f"{r.url}: {r.failure}"))
    try:
        response = page.goto(url, wait_until="load")
        assert response is not None and response.ok, url
        try:
            page.wait_for_function("document.documentElement.dataset.math === 'rendered'", timeout=30_000)
        except PlaywrightTimeout:
            errors.append("docs/javascripts/katex-init.js did not finish within 30 s")
        seen = page.evaluate(READ_PAGE)
        page.screenshot(path=str(shot), full_page=True)
    finally:
        context.close()
    return {**seen, "outside": outside, "script_errors": errors}


def test_every_page_renders_maths_outputs_and_images(browser, site, site_url, shots):
    pages = site_pages(site)
    assert {"", "tutorials/", "cli/", "figures/", "metrics/"} <= set(pages)
    assert {f"tutorials/{name}/" for name in TUTORIALS} <= set(pages)
    maths = 0
    for path in pages:
        seen = read_page(
            browser, site_url + path, shots / ((path.strip("/").replace("/", "_") or "home") + ".png")
        )
        assert not seen["raw"], f"{path}: maths left as source: {seen['raw'][:5]}"
        assert not seen["errors"], f"{path}: KaTeX could not render {seen['errors'][:5]}"
        assert not seen["broken"], f"{path}: images that did not load: {seen['broken']}"
        assert not seen["outside"], f"{path}: fetched from beyond the site: {seen['outside'][:5]}"
        assert not seen["script_errors"], f"{path}: {seen['script_errors'][:5]}"
        maths += seen["katex"]
        if path.startswith("tutorials/") and path.strip("/") != "tutorials":
            cells = seen["cells"]
            assert len(cells) >= 5, f"{path}: {len(cells)} code cells"
            unrun = [c["source"] for c in cells if not c["executed"]]
            assert not unrun, f"{path}: cells not executed at build: {unrun}"
            silent = [c["source"] for c in cells if c["outputs"] == 0]
            assert not silent, f"{path}: cells without output: {silent}"
            assert seen["outputImages"] >= 3, f"{path}: {seen['outputImages']} figures"
            assert seen["katex"] >= 3, f"{path}: {seen['katex']} formulas rendered"
        if path == "":
            figures = [src for src in seen["images"] if "images/figures/" in src]
            assert len(figures) >= 4, f"the home page shows {figures}"
    assert maths >= 100
