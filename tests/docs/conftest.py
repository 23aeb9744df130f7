"""The documentation site, built once per test session as `make docs` builds it (notebooks executed, maths and
models shipped inside), served over HTTP by a static file server, and Debian's chromium (tests/app's fixture).

GENVISION_DOCS_SITE=build/site reuses a site built by `make docs` instead (a shortcut while editing tests).
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.app.conftest import artifacts, browser  # noqa: F401  (fixtures shared with the app's browser tests)
from tests.conftest import REPO, fashion_available

BUILD_SECONDS = 900


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """The folder of the built site (`mkdocs build --strict`, notebooks executed)."""
    if os.environ.get("GENVISION_DOCS_SITE"):
        return Path(os.environ["GENVISION_DOCS_SITE"]).resolve()
    if not fashion_available():
        pytest.skip("Fashion-MNIST is not installed: the tutorials cannot run")
    folder = tmp_path_factory.mktemp("docs") / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "GENVISION_DOCS_EXECUTE": "true"}
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(folder)],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
        timeout=BUILD_SECONDS,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return folder


class QuietHandler(SimpleHTTPRequestHandler):
    """A static file server that logs nothing and, when asked, makes its pages cross-origin isolated."""

    isolate = False

    def end_headers(self) -> None:
        if self.isolate:
            self.send_header("Cross-Origin-Opener-Policy", "same-origin")
            self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        super().end_headers()

    def log_message(self, *args) -> None:
        pass


def serve(folder: Path, isolate: bool = False):
    """(server, base URL) of a static server on a free port, serving `folder` from a daemon thread."""
    handler = type("Handler", (QuietHandler,), {"isolate": isolate})
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


@pytest.fixture(scope="session")
def site_url(site):
    """The built site on a plain static host (no special headers: not cross-origin isolated)."""
    server, url = serve(site)
    yield url
    server.shutdown()
