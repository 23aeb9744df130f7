"""The onnx backend: the usual loaded models (DiffusionModel, GAN, StyleGAN, Autoencoder) whose networks are
onnxruntime sessions, so sampling, guidance, inpainting and the per-image RNG are the torch backend's own code.

    m = genvision.load("fashion-ldm", backend="onnx")     # exported once per bundle content, cached
    m = genvision.load("web/fashion-ldm")                 # an export folder (manifest.json) opens the same way
    m.sample(16, seed=0).images                           # same seed → same initial noise as backend="torch"

Everything runs on the CPU in fp32. Only what needs gradients (StyleGAN inversion by optimisation) or
parts the export leaves out (the StyleGAN encoder, random noise maps) stay torch-only, with an error saying so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from genvision.conditioning.grounding import CaptionIndex
from genvision.conditioning.text import TextEmbedding, TextEmbeddingCache
from genvision.diffusion.schedules import NoiseSchedule
from genvision.errors import BundleError, GenvisionError
from genvision.export.manifest import read_array, read_manifest
from genvision.export.runtime import OnnxAutoencoder, OnnxGenerator, OnnxStyleGenerator, OnnxUNet
from genvision.export.writer import cached_export
from genvision.generators.autoencoding import Autoencoder
from genvision.generators.base import LoadedModel
from genvision.generators.diffusion import DiffusionModel
from genvision.generators.gan import GAN
from genvision.generators.stylegan import StyleGAN
from genvision.models.bundle import Bundle


class ExportedDiffusionModel(DiffusionModel):
    """A diffusion model opened from an export folder alone: prompts are grounded in the export's captions."""

    def __init__(self, *args: Any, captions: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.exported_captions = captions

    def caption_index(self) -> CaptionIndex:
        if self._captions is None:
            if not self.exported_captions or self._text is None:
                return super().caption_index()  # raises: no caption set
            prompts, split = self.exported_captions["prompts"], self.exported_captions["split"]
            train = [i for i, s in enumerate(split) if s == "train"]
            pooled = self._text.encode([prompts[i] for i in train]).pooled
            self._captions = CaptionIndex([prompts[i] for i in train], pooled, set(prompts), self._text)
        return self._captions


class OnnxStyleGAN(StyleGAN):
    """A StyleGAN on onnxruntime: sampling, directions and edits; inversion needs torch's gradients."""

    def invert(self, *args: Any, **kwargs: Any):
        raise GenvisionError("inverting images needs gradients through the generator: use --backend torch")


def caption_encoder(folder: Path, manifest: dict[str, Any]) -> TextEmbeddingCache | None:
    """The export's caption set as a text encoder that answers its prompts from memory."""
    section = manifest["diffusion"]
    captions = section.get("captions")
    if not captions:
        return None
    arrays = section["arrays"]
    emb = TextEmbedding(
        torch.from_numpy(read_array(folder, arrays["caption_tokens"])),
        torch.from_numpy(read_array(folder, arrays["caption_mask"])).bool(),
        torch.from_numpy(read_array(folder, arrays["caption_pooled"])),
    )
    text = section["conditioning"]["text"]
    return TextEmbeddingCache.from_embeddings(captions["prompts"], emb, text["encoder"], text["max_length"])


def open_export(folder: str | Path, bundle: Bundle | None = None, kinds: tuple[str, ...] | None = None):
    """The loaded model of an export folder; `bundle`, its source, supplies the live text encoder if given
    (alone, the folder stands in as the bundle: its name, and the settings of the config it was exported from)."""
    model = _open_export(Path(folder), bundle, kinds)
    model.backend = "onnx"
    return model


def _open_export(folder: Path, bundle: Bundle | None, kinds: tuple[str, ...] | None) -> LoadedModel:
    manifest = read_manifest(folder)
    kind = manifest["kind"]
    if kinds is not None and kind not in kinds:
        raise BundleError(f"{folder} is a {kind!r} export; this needs one of: {', '.join(kinds)}")
    alone = bundle is None
    if alone:
        bundle = Bundle(path=folder, config=manifest["bundle_config"])
    spec = bundle.spec
    if kind in ("ddpm", "ldm"):
        section = manifest["diffusion"]
        autoencoder = OnnxAutoencoder(folder, manifest, "autoencoder") if kind == "ldm" else None
        parts = (spec, OnnxUNet(folder, manifest), NoiseSchedule.from_dict(section["schedule"]), autoencoder)
        if not alone:  # the bundle's own text encoder and caption set
            return DiffusionModel(*parts, bundle=bundle, precision="fp32")
        text = caption_encoder(folder, manifest)
        captions = section.get("captions")
        return ExportedDiffusionModel(*parts, bundle=bundle, precision="fp32", text=text, captions=captions)
    if kind in ("dcgan", "cgan"):
        return GAN(spec, OnnxGenerator(folder, manifest), bundle)
    if kind == "stylegan":
        return OnnxStyleGAN(spec, OnnxStyleGenerator(folder, manifest), None, bundle)
    if kind in ("vae", "vqvae", "autoencoder"):
        net = OnnxAutoencoder(folder, manifest, kind, manifest["autoencoder"]["num_classes"])
        return Autoencoder(spec, net, bundle)
    raise BundleError(f"{folder}: unknown export kind {kind!r}")


def load_onnx(bundle: Bundle, kinds: tuple[str, ...] | None = None) -> LoadedModel:
    """A bundle's model on onnxruntime, exported on first use into the cache."""
    return open_export(cached_export(bundle), bundle, kinds)
