"""The app's sampler controls come from the sampler table: every row in the Sample tab's dropdown (with its
one-line description), the rows with an inpainting step in the Inpaint tab."""

from __future__ import annotations

from genvision.app.catalog import ModelCatalog
from genvision.app.context import ServerContext
from genvision.app.downloads import Downloads
from genvision.app.limits import UploadLimits
from genvision.app.server import build_app
from genvision.diffusion.samplers import SAMPLERS, inpainting_samplers


def test_sampler_controls_list_the_table(tmp_path):
    catalog = ModelCatalog.from_refs(["fashion-ddpm"], device="cpu")  # listed, loaded only when used
    demo = build_app(ServerContext(catalog, UploadLimits(), Downloads(tmp_path)))
    blocks = {block.elem_id: block for block in demo.blocks.values() if block.elem_id}
    sample = blocks["sample-sampler"].choices
    assert [value for _, value in sample] == list(SAMPLERS)
    assert all(label == f"{name}: {SAMPLERS[name].description}" for label, name in sample)
    assert [value for _, value in blocks["inpaint-sampler"].choices] == inpainting_samplers()
