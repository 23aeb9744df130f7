"""GAN inversion as image compression: store an image as its W or W+ code, decode it with G.

A code is serialised to bytes as float16, or as 8-bit per element with a per-vector affine quantiser

    q = round(255 (w − lo) / (hi − lo)),   ŵ = lo + q (hi − lo) / 255        (lo, hi stored as float16)

so its size is exactly  vectors · (D · bits/8 [+ 4 for 8-bit])  bytes, with vectors = 1 (W) or num_ws (W+).
The comparison point is JPEG (Pillow) at the largest quality whose file is no bigger than the code.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from genvision.errors import GenvisionError

CODE_BITS = (16, 8)


def pack_code(ws: torch.Tensor, space: str, bits: int = 16) -> bytes:
    """One image's W+ code [num_ws, D] → bytes (W space stores the layer-mean vector only)."""
    if bits not in CODE_BITS:
        raise GenvisionError(f"code precision must be one of {CODE_BITS} bits, got {bits}")
    vectors = ws.mean(dim=0, keepdim=True) if space == "w" else ws
    v = vectors.detach().cpu().double().numpy()
    if bits == 16:
        return v.astype(np.float16).tobytes()
    lo = v.min(axis=1, keepdims=True).astype(np.float16)
    hi = v.max(axis=1, keepdims=True).astype(np.float16)
    span = np.maximum(hi.astype(np.float64) - lo.astype(np.float64), 1e-8)
    q = np.clip(np.round(255.0 * (v - lo.astype(np.float64)) / span), 0, 255).astype(np.uint8)
    return b"".join(lo[i].tobytes() + hi[i].tobytes() + q[i].tobytes() for i in range(len(v)))


def unpack_code(data: bytes, space: str, num_ws: int, w_dim: int, bits: int = 16) -> torch.Tensor:
    """Bytes from `pack_code` → W+ code [num_ws, D] (a W code is broadcast to every layer)."""
    vectors = 1 if space == "w" else num_ws
    if bits == 16:
        v = np.frombuffer(data, dtype=np.float16).astype(np.float64).reshape(vectors, w_dim)
    else:
        row = 4 + w_dim
        raw = np.frombuffer(data, dtype=np.uint8).reshape(vectors, row)
        lo = raw[:, 0:2].copy().view(np.float16).astype(np.float64)
        hi = raw[:, 2:4].copy().view(np.float16).astype(np.float64)
        v = lo + raw[:, 4:].astype(np.float64) * np.maximum(hi - lo, 1e-8) / 255.0
    out = torch.from_numpy(v).float()
    return out.expand(num_ws, -1).clone() if space == "w" else out


def code_size(space: str, num_ws: int, w_dim: int, bits: int = 16) -> int:
    """Bytes of one packed code (matches len(pack_code(...)))."""
    vectors = 1 if space == "w" else num_ws
    return vectors * (w_dim * bits // 8 + (4 if bits == 8 else 0))


def jpeg_bytes(image: np.ndarray, quality: int) -> tuple[bytes, np.ndarray]:
    """Encode uint8 [H, W] or [H, W, C] as JPEG at `quality`; return the file and its decoded pixels."""
    pil = Image.fromarray(image.squeeze(-1) if image.ndim == 3 and image.shape[-1] == 1 else image)
    buf = io.BytesIO()
    pil.save(buf, format="JPEG", quality=int(quality), optimize=True)
    data = buf.getvalue()
    decoded = np.asarray(Image.open(io.BytesIO(data)))
    return data, decoded.reshape(image.shape)


def jpeg_at_budget(image: np.ndarray, max_bytes: int) -> tuple[int, int, np.ndarray]:
    """The best JPEG quality (1..95) whose file fits in `max_bytes` → (quality, size, decoded); quality 1 if
    even that is larger (its size then exceeds the budget, which the caller reports)."""
    best = None
    for quality in range(1, 96):
        data, decoded = jpeg_bytes(image, quality)
        if len(data) <= max_bytes or best is None:
            best = (quality, len(data), decoded)
        if len(data) > max_bytes:
            break
    return best


@dataclass
class CompressionRow:
    method: str
    bytes_per_image: float
    psnr: float
    ssim: float
    lpips: float | None = None

    def as_markdown(self) -> str:
        lp = "n/a" if self.lpips is None else f"{self.lpips:.3f}"
        return f"| {self.method} | {self.bytes_per_image:.0f} | {self.psnr:.2f} | {self.ssim:.3f} | {lp} |"


MARKDOWN_HEADER = "| method | bytes/image | PSNR (dB) | SSIM | LPIPS |\n|---|---|---|---|---|"
