"""One `genvision serve` subprocess for the browser tests, and Debian's chromium driven by Playwright.

Screenshots go to $GENVISION_ARTIFACTS (else a pytest temporary folder); GENVISION_DOCS_SCREENSHOTS=1 also
writes the small copies the README shows (docs/images/app_*.png).
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import GENVISION, REPO

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# small limits, so the oversized-upload test needs only small files
MAX_UPLOAD_MB = 0.05
MAX_IMAGE_SIZE = 256
STARTUP_SECONDS = 120
DOCS_WIDTH = 900  # README screenshots are shrunk to this width and to a 64-colour palette


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, proc: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"genvision serve exited with {proc.returncode}:\n{proc.stderr.read()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"genvision serve did not answer on {url} within {seconds} s")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The URL of a `genvision serve` subprocess on a free port (cpu, small upload limits)."""
    port = free_port()
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "GENVISION_OFFLINE": "1",
        "GRADIO_TEMP_DIR": str(tmp_path_factory.mktemp("gradio")),
    }
    proc = subprocess.Popen(
        GENVISION
        + [
            "serve",
            "--port",
            str(port),
            "--device",
            "cpu",
            "--max-upload-mb",
            str(MAX_UPLOAD_MB),
            "--max-image-size",
            str(MAX_IMAGE_SIZE),
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_up(url, proc, STARTUP_SECONDS)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def wait_for_value(page, selector: str) -> None:
    """Wait until the input inside a component has a value (tabs render their components when opened)."""
    page.wait_for_function("s => document.querySelector(s + ' input')?.value", arg=selector)


@pytest.fixture
def page(browser, server):
    """A fresh page on the app; the test fails if the page asked any host but the server for anything."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
    tab = context.new_page()
    outside: list[str] = []
    local = (server, "data:", "blob:")
    tab.on("request", lambda r: None if r.url.startswith(local) else outside.append(r.url))
    tab.set_default_timeout(60_000)
    tab.goto(server)
    wait_for_value(tab, "#sample-sampler")  # the load event has set the model's controls
    yield tab
    context.close()
    assert not outside, f"the page reached beyond the local server: {outside[:5]}"


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory) -> Path:
    folder = (
        Path(os.environ["GENVISION_ARTIFACTS"])
        if os.environ.get("GENVISION_ARTIFACTS")
        else tmp_path_factory.mktemp("app_artifacts")
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def screenshot(artifacts):
    """screenshot(page, "sample"): the full page as an artifact (and, when asked, the README's copy)."""

    def take(page, view: str) -> Path:
        path = artifacts / f"app_{view}.png"
        page.screenshot(path=str(path), full_page=True)
        if os.environ.get("GENVISION_DOCS_SCREENSHOTS") == "1":
            with Image.open(path) as shot:
                small = shot.convert("RGB").resize(
                    (DOCS_WIDTH, round(shot.height * DOCS_WIDTH / shot.width)), Image.LANCZOS
                )
                small.quantize(colors=64).save(REPO / "docs" / "images" / f"app_{view}.png", optimize=True)
        return path

    return take
