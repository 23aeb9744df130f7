"""Training-free inpainting with a pixel-space ("ddpm") or latent ("ldm") diffusion bundle.

    pixels ─ fill mask ─────────────────────────────┐
    image ─ encode ─ z_0 ─┐                          │ latent rule: a latent cell is fill if any pixel of
                          ├ inpaint_sample (keep ⊙ q(z_0) + fill ⊙ model) ─ decode ─ composite ─► result
    fill ─ latent_fill ───┘                                       (w ⊙ decoded + (1 − w) ⊙ image)

The final composite is the report's "final mask manipulation": the known pixels are the original's, bit for
bit (feathering, when asked for, blends only outside the hole, into the known region). The hole's original
content never reaches the model: latent models encode the image with the hole blanked out.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from genvision.data.masks import composite, latent_fill, resize_fill
from genvision.diffusion.inpaint import Resampling, inpaint_sample, repaint_levels
from genvision.errors import GenvisionError
from genvision.pipelines.ldm import Condition, LatentDiffusion
from genvision.seeding import PerImageRNG, image_seed

_KNOWN_STREAM = 1 << 40  # derives the seed of the known-region noise from the run seed


@dataclass
class InpaintResult:
    original: torch.Tensor  # [N, C, H, W] in [-1, 1]
    fill: torch.Tensor  # [N, 1, H, W], 1 = painted
    masked: torch.Tensor  # the original with the hole greyed out
    inpainted: torch.Tensor  # the decoded sample (the whole image, as the model made it)
    composite: torch.Tensor  # final result: original outside the hole, inpainted inside
    trajectory: torch.Tensor | None = None  # [frames, N, C, H, W]: decoded x at evenly spaced steps

    def panel(self) -> torch.Tensor:
        """Rows of original | masked | inpainted | composite, as [4N, C, H, W] for a 4-column grid."""
        return torch.stack([self.original, self.masked, self.inpainted, self.composite], 1).flatten(0, 1)


def show_hole(images: torch.Tensor, fill: torch.Tensor, value: float = 0.0) -> torch.Tensor:
    """The image with the region to fill painted a flat grey (0 in [-1, 1])."""
    return torch.where(fill.bool().expand_as(images), torch.full_like(images, value), images)


def prepare_fill(fill: torch.Tensor, images: torch.Tensor) -> torch.Tensor:
    """A fill mask [N|1, 1, h, w] or [h, w] brought to the images' batch and size (nearest)."""
    if fill.ndim == 2:
        fill = fill[None, None]
    if fill.ndim == 3:
        fill = fill[:, None]
    fill = resize_fill(fill.float(), tuple(images.shape[-2:]))
    if fill.shape[0] == 1:
        fill = fill.expand(images.shape[0], -1, -1, -1)
    if fill.shape[0] != images.shape[0]:
        raise GenvisionError(f"{fill.shape[0]} masks for {images.shape[0]} images: give one mask, or one per image")
    return fill.to(images.device)


def inpaint(model: LatentDiffusion, images: torch.Tensor, fill: torch.Tensor, *, sampler: str = "ddim",
            steps: int = 50, resample: Resampling | None = None, seed: int = 0, start_index: int = 0,
            feather: float = 0.0, conditions: list[Condition] | None = None, guidance: float = 1.0,
            eta: float = 0.0, batch_size: int = 64, trajectory_frames: int = 0) -> InpaintResult:
    """Inpaint the images [N, C, H, W] where `fill` is 1; image k uses the generators of (seed, start_index + k)."""
    device = model.device
    if tuple(images.shape[1:]) != tuple(model.image_shape):
        raise GenvisionError(f"the model works on images of shape {list(model.image_shape)} (C, H, W); got "
                             f"{list(images.shape[1:])}: resize the input or use a matching model")
    images = images.to(device).float()
    fill = prepare_fill(fill, images)
    conditions = conditions or [Condition() for _ in range(len(images))]
    parts = [_inpaint_batch(model, images[lo: lo + batch_size], fill[lo: lo + batch_size],
                            conditions[lo: lo + batch_size], sampler, steps, resample, seed, start_index + lo,
                            guidance, eta, trajectory_frames)
             for lo in range(0, len(images), batch_size)]
    inpainted = torch.cat([p[0] for p in parts])
    trajectory = torch.cat([p[1] for p in parts], dim=1) if trajectory_frames else None
    return InpaintResult(images, fill, show_hole(images, fill), inpainted,
                         composite(images, inpainted, fill, feather), trajectory)


def _inpaint_batch(model, images, fill, conditions, sampler, steps, resample, seed, start, guidance, eta, frames):
    indices = range(start, start + len(images))
    wanted = frame_visits(steps, resample, frames)
    if not fill.any():  # nothing to paint: the input is the answer
        return images.clone(), images[None].expand(max(len(wanted), 1), *images.shape).clone()
    # The encoder sees the image with the hole blanked: its receptive field (global, with mid-attention) would
    # otherwise carry the hidden pixels into the kept latent cells. Pixel space needs no such care.
    z0 = model.encode(images if model.autoencoder is None else show_hole(images, fill))
    keep = 1 - latent_fill(fill, tuple(z0.shape[-2:]))
    noise = PerImageRNG(seed, indices, model.device)
    known_noise = PerImageRNG(image_seed(seed, _KNOWN_STREAM), indices, model.device)
    snapshots: list[torch.Tensor] = []
    callback = None
    if wanted:
        def callback(visit: int, x: torch.Tensor) -> None:
            if visit in wanted:
                snapshots.append(model.decode(x))

    options = {"eta": eta} if sampler == "ddim" else {}
    z = inpaint_sample(model.model_fn(conditions, guidance), model.schedule, z0, keep, sampler=sampler, steps=steps,
                       prediction=model.prediction, clip_x0=model.clip_x0, noise=noise, known_noise=known_noise,
                       resample=resample, callback=callback, **options)
    decoded = model.decode(z)
    trajectory = torch.stack(snapshots) if wanted else decoded[None]
    return decoded, trajectory


def frame_visits(steps: int, resample: Resampling | None, frames: int) -> set[int]:
    """Which transitions of the (RePaint) schedule to snapshot for a trajectory of `frames` frames."""
    if frames <= 0:
        return set()
    total = len(repaint_levels(steps, resample)) - 1
    return {round(i * (total - 1) / max(frames - 1, 1)) for i in range(frames)}


def load_inputs(model: LatentDiffusion, image: str | None = None, data: str | None = None,
                data_dir: str | None = None, with_label_maps: bool = False
                ) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Images [N, C, H, W] in [-1, 1] at the model's shape from an image file or a data reference, and the
    part label maps [N, H, W] when asked for (CelebAMask-HQ)."""
    from genvision.data import load_dataset
    from genvision.data.images import load_image
    from genvision.viz.images import from_uint8

    c, h, w = model.image_shape
    if (image is None) == (data is None):
        raise GenvisionError("give exactly one of --image FILE or --data NAME:SPLIT:START-END")
    if image is not None:
        if with_label_maps:
            raise GenvisionError("part masks need CelebAMask-HQ label maps: use --data celebamask-hq:test:N")
        array = load_image(image, size=h, channels=c)
        return from_uint8(array[None]), None
    ds = load_dataset(data, split="test", data_dir=data_dir, image_size=h, channels=c, with_masks=with_label_maps)
    if len(ds) == 0:
        raise GenvisionError(f"data reference {data!r} selects no images")
    items = [ds[i] for i in range(len(ds))]
    images = torch.stack([it["image"] for it in items])
    if tuple(images.shape[1:]) != (c, h, w):
        raise GenvisionError(f"{data} gives images of shape {list(images.shape[1:])}; the model needs {[c, h, w]}")
    if not with_label_maps:
        return images, None
    if "mask" not in items[0]:
        raise GenvisionError(f"{data} has no part label maps; part masks need celebamask-hq")
    return images, torch.stack([it["mask"] for it in items])


def build_fills(images: torch.Tensor, mask_file: str | None = None, mask_shape: str | None = None,
                seed: int = 0, label_maps: torch.Tensor | None = None) -> torch.Tensor:
    """Fill masks [N, 1, H, W] from a user PNG (white = fill, resized with nearest) or a shape spec."""
    from genvision.data.masks import load_fill_png, make_fills

    n, _, h, w = images.shape
    if (mask_file is None) == (mask_shape is None):
        raise GenvisionError("give exactly one of --mask FILE.png or --mask-shape box|center|half|strokes|part:NAME")
    if mask_file is not None:
        return load_fill_png(mask_file, (h, w))[None, None].expand(n, 1, h, w).clone()
    return make_fills(mask_shape, n, h, w, seed=seed, label_maps=label_maps)
