"""StyleGAN inversion on held-out images: PSNR / SSIM / seconds per image for W, W+, encoder, encoder + optimisation,
and the compression table (code bytes against PSNR, next to JPEG at a similar size).

    python benchmarks/stylegan_inversion.py fashion-stylegan --data fashion-mnist:test:0-20 --steps 300

Codes use the generator's fixed noise maps, so a stored code alone reproduces its image. LPIPS is reported
when its backbone weights are on this machine, otherwise "n/a".
"""

from __future__ import annotations

import argparse
import io

import numpy as np
import torch
from PIL import Image

import genvision
from genvision.data import load_images_from_ref
from genvision.errors import GenvisionError
from genvision.generators import InversionSettings
from genvision.inversion.compression import (
    MARKDOWN_HEADER,
    CompressionRow,
    code_size,
    jpeg_at_budget,
    pack_code,
    unpack_code,
)
from genvision.metrics.image_quality import psnr, ssim
from genvision.viz.images import from_uint8, to_uint8

METHODS = [
    ("W, optimise", "w", "optimize"),
    ("W+, optimise", "w+", "optimize"),
    ("W+, encoder", "w+", "encoder"),
    ("W+, encoder + optimise", "w+", "encoder+optimize"),
]


def lpips_or_none():
    try:
        from genvision.metrics.lpips import LPIPS

        return LPIPS("alex")
    except GenvisionError:
        return None


def mean_lpips(lpips, a, b):
    return None if lpips is None else float(np.mean(lpips.distance(a, b)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--data", default="fashion-mnist:test:0-20")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--perceptual", default=None, help="default: the bundle's choice")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.manual_seed(0)
    model = genvision.load(args.model, device=args.device, kinds=("stylegan",))
    c, h, _ = model.image_shape
    images, _, _ = load_images_from_ref(args.data, image_size=h, channels=c)
    lpips = lpips_or_none()

    settings = InversionSettings(perceptual=args.perceptual, batch_size=len(images))
    model.invert(images[:1], space="w", method="optimize", steps=2, settings=settings)  # warm-up
    print(
        f"model {args.model}, {len(images)} images from {args.data}, {args.steps} steps, device {args.device}\n"
    )
    print("| method | PSNR (dB) | SSIM | LPIPS | s / image |\n|---|---|---|---|---|")
    codes = {}
    for label, space, method in METHODS:
        if method.startswith("encoder") and model.encoder is None:
            continue
        result = model.invert(images, space=space, method=method, steps=args.steps, settings=settings)
        codes[label] = (space, result)
        lp = mean_lpips(lpips, result.images, images)
        print(
            f"| {label} | {np.mean(psnr(result.images, images)):.2f} | {np.mean(ssim(result.images, images)):.3f} "
            f"| {'n/a' if lp is None else f'{lp:.3f}'} | {result.seconds / len(images):.2f} |"
        )

    g = model.generator
    rows = []
    wplus = [v for k, v in codes.items() if v[0] == "w+"]
    best_wplus = max(wplus, key=lambda v: float(np.mean(psnr(v[1].images, images))))
    for label, (space, result), bits in [
        ("W code", codes["W, optimise"], 16),
        ("W code", codes["W, optimise"], 8),
        ("W+ code", best_wplus, 16),
        ("W+ code", best_wplus, 8),
    ]:
        decoded = torch.stack(
            [unpack_code(pack_code(w, space, bits), space, g.num_ws, g.w_dim, bits) for w in result.ws]
        )
        recon = model.synthesize(decoded)
        size = code_size(space, g.num_ws, g.w_dim, bits)
        rows.append(
            CompressionRow(
                f"{label}, {bits}-bit",
                size,
                float(np.mean(psnr(recon, images))),
                float(np.mean(ssim(recon, images))),
                mean_lpips(lpips, recon, images),
            )
        )
        originals = to_uint8(images)
        jpeg = [jpeg_at_budget(img, size) for img in originals]
        decoded_jpeg = from_uint8(np.stack([d for _, _, d in jpeg]))
        rows.append(
            CompressionRow(
                f"JPEG ≤ {size} B (quality {np.mean([q for q, _, _ in jpeg]):.0f})",
                float(np.mean([s for _, s, _ in jpeg])),
                float(np.mean(psnr(decoded_jpeg, images))),
                float(np.mean(ssim(decoded_jpeg, images))),
                mean_lpips(lpips, decoded_jpeg, images),
            )
        )
    png_sizes = []
    for img in to_uint8(images):
        buf = io.BytesIO()
        Image.fromarray(img.squeeze(-1) if img.shape[-1] == 1 else img).save(buf, format="PNG", optimize=True)
        png_sizes.append(len(buf.getvalue()))
    print(
        f"\ncompression (raw image: {c * h * h} bytes; lossless PNG: {np.mean(png_sizes):.0f} bytes on average)\n"
    )
    print(MARKDOWN_HEADER)
    for row in rows:
        print(row.as_markdown())


if __name__ == "__main__":
    main()
