"""What every tab of the web app needs, in one value (no gradio here, so the CLI can build it cheaply)."""

from __future__ import annotations

from dataclasses import dataclass

from genvision.app.catalog import ModelCatalog
from genvision.app.downloads import Downloads
from genvision.app.limits import UploadLimits


@dataclass(frozen=True)
class ServerContext:
    """The model catalog, the upload limits, where result files go, and the seed the forms start with."""

    catalog: ModelCatalog
    limits: UploadLimits
    downloads: Downloads
    seed: int = 0
