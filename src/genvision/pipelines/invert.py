"""`genvision invert`: real images → W / W+ codes of a StyleGAN bundle (and their reconstructions).

Methods:
    optimize           projection from w̄ (genvision.inversion.projection)
    encoder            one pass of the in-domain encoder, E(x)
    encoder+optimize   projection that starts at E(x) and adds the domain term λ_dom ‖w − E(G(w))‖² (IDInvert)
    auto               encoder+optimize when the bundle has an encoder, else optimize
Codes are saved as safetensors: "ws" [N, num_ws, w_dim] (float32) plus "noise.<j>" maps when noise was
optimised, with the space, method and model in the metadata. Semantic diffusion pastes a region of one image
into another and inverts with the loss restricted to the pasted region, so G blends it into its context.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from genvision.errors import GenvisionError
from genvision.inversion.encoder import encode
from genvision.inversion.perceptual import build_perceptual
from genvision.inversion.projection import ProjectionConfig, project
from genvision.io.tensorfile import load_tensors, save_tensors
from genvision.pipelines.stylegan import StyleGANModel
from genvision.seeding import PerImageRNG

METHODS = ("auto", "optimize", "encoder", "encoder+optimize")


@dataclass
class InvertRequest:
    space: str = "w+"
    method: str = "auto"
    steps: int = 500
    lr: float = 0.1
    perceptual: str | None = None  # None: the bundle's default (config "inversion.perceptual")
    perceptual_weight: float = 1.0
    mse_weight: float = 1.0
    optimize_noise: bool = False  # True: also fit the per-layer noise maps (stored with the codes)
    domain_weight: float = 2.0  # encoder+optimize only
    batch_size: int = 64
    seed: int = 0
    quiet: bool = True


@dataclass
class InversionResult:
    ws: torch.Tensor  # [N, num_ws, w_dim] CPU float32
    images: torch.Tensor  # reconstructions [N, C, H, W] in [-1, 1], CPU
    noise: list[torch.Tensor] | None = None  # per layer [N, 1, H, W] when noise was optimised
    seconds: float = 0.0
    info: dict[str, str] = field(default_factory=dict)


def resolve_method(model: StyleGANModel, method: str) -> str:
    if method not in METHODS:
        raise GenvisionError(f"unknown inversion method {method!r}; choose one of {', '.join(METHODS)}")
    if method == "auto":
        return "encoder+optimize" if model.encoder is not None else "optimize"
    if method.startswith("encoder") and model.encoder is None:
        raise GenvisionError(f"{model.bundle.path} has no encoder; use --method optimize")
    return method


def invert(model: StyleGANModel, images: torch.Tensor, request: InvertRequest,
           region: torch.Tensor | None = None) -> InversionResult:
    """Invert images [N, C, H, W] in [-1, 1]; image k's randomness comes from (seed, k) whatever the batch."""
    if request.space not in ("w", "w+"):
        raise GenvisionError(f"unknown latent space {request.space!r}; choose w or w+")
    if tuple(images.shape[1:]) != tuple(model.shape):
        raise GenvisionError(f"images of shape {list(images.shape[1:])} do not fit this model ({list(model.shape)})")
    method = resolve_method(model, request.method)
    spec = request.perceptual if request.perceptual is not None else model.default_perceptual
    perceptual = None if method == "encoder" else build_perceptual(spec, model.device, model.discriminator_loader())
    cfg = ProjectionConfig(space=request.space, steps=request.steps, lr=request.lr, mse_weight=request.mse_weight,
                           perceptual_weight=request.perceptual_weight, optimize_noise=request.optimize_noise,
                           domain_weight=request.domain_weight if method == "encoder+optimize" else 0.0)
    from tqdm import tqdm

    started = time.perf_counter()
    ws_out, img_out, noise_out = [], [], []
    bar = tqdm(total=len(images), disable=request.quiet, desc=f"invert ({method})", unit="img")
    for start in range(0, len(images), request.batch_size):
        x = images[start:start + request.batch_size].to(model.device)
        rgn = None if region is None else region[start:start + request.batch_size].to(model.device)
        with torch.no_grad():
            init = encode(model.encoder, x, request.space) if method.startswith("encoder") else None
        if method == "encoder":
            ws, maps = init, None
            with torch.no_grad():
                recon = model.generator.synthesis(ws, noise_mode="const")
        else:
            rng = PerImageRNG(request.seed, range(start, start + len(x)), model.device)
            result = project(model.generator, x, cfg, perceptual=perceptual, init_ws=init, encoder=model.encoder,
                             rng=rng, region=rgn)
            ws, recon, maps = result.ws, result.images, result.noise if request.optimize_noise else None
        ws_out.append(ws.detach().float().cpu())
        img_out.append(recon.detach().float().clamp(-1, 1).cpu())
        if maps is not None:
            noise_out.append([m.cpu() for m in maps])
        bar.update(len(x))
    bar.close()
    noise = [torch.cat(parts) for parts in zip(*noise_out)] if noise_out else None
    return InversionResult(ws=torch.cat(ws_out), images=torch.cat(img_out), noise=noise,
                           seconds=time.perf_counter() - started,
                           info={"space": request.space, "method": method, "perceptual": spec if perceptual else "none",
                                 "steps": str(request.steps if method != "encoder" else 0)})


def paste(target: torch.Tensor, context: torch.Tensor, region: torch.Tensor) -> torch.Tensor:
    """region · target + (1 − region) · context (region [N, 1, H, W] in {0, 1})."""
    return region * target + (1 - region) * context


def semantic_diffusion(model: StyleGANModel, target: torch.Tensor, context: torch.Tensor, region: torch.Tensor,
                       request: InvertRequest) -> InversionResult:
    """Paste `region` of `target` into `context` and invert with the loss on that region only (IDInvert §4.3)."""
    composite = paste(target, context, region)
    return invert(model, composite, request, region=region)


# ---- codes files --------------------------------------------------------------------------------------------------
def save_codes(path: str | Path, result: InversionResult, model_ref: str) -> Path:
    tensors = {"ws": result.ws}
    for j, m in enumerate(result.noise or []):
        tensors[f"noise.{j}"] = m
    meta = {**result.info, "model": str(model_ref), "count": str(len(result.ws))}
    save_tensors(path, tensors, metadata={"genvision": json.dumps(meta)})
    return Path(path)


def load_codes(path: str | Path) -> tuple[torch.Tensor, list[torch.Tensor] | None]:
    """W+ codes [N, num_ws, w_dim] and, when stored, the noise maps from a codes file."""
    path = Path(path)
    if not path.is_file():
        raise GenvisionError(f"codes file {path} does not exist; write one with `genvision invert ... --out {path}`")
    tensors = load_tensors(path)
    if "ws" not in tensors:
        raise GenvisionError(f"{path} holds no 'ws' tensor; it is not a genvision codes file")
    maps = sorted((k for k in tensors if k.startswith("noise.")), key=lambda k: int(k.split(".")[1]))
    return tensors["ws"].float(), [tensors[k].float() for k in maps] or None
