"""The "vae" family: a Gaussian (optionally class-conditional) VAE trained on the negative ELBO.

    loss = (−log p(x|z) + β_t · KL(q(z|x) ‖ N(0, I))) / D,   z = μ + σ ε,   β_t = β · min(1, (t + 1) / warm-up)

(per pixel, so the gradient scale does not depend on the image size; see genvision.losses.kl for the likelihoods).
Logged: the ELBO in nats per image (single-sample estimate, β = 1), bits/dim, KL and reconstruction NLL.
The bundle records test-set ELBO, bits/dim, PSNR/SSIM of the mean reconstruction decode(μ(x)) and latent_scale;
the run folder gets figures/: reconstructions, an interpolation strip, the latent scatter and (2-D latent) the
manifold grid.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch
import torch.nn as nn

from genvision.errors import ConfigError
from genvision.generators import Autoencoder
from genvision.generators.paths import latent_path
from genvision.losses.kl import bits_per_dim, dequantize, dequantized_bits_per_dim, elbo_terms
from genvision.models.bundle import BundleParts
from genvision.models.bundle_config import AutoencodingConfig, DataSpec
from genvision.models.vae import VAE
from genvision.nn.modes import evaluating
from genvision.train.evaluation import autoencoding_metrics, export_images
from genvision.train.recipe import Recipe
from genvision.viz.grid import save_grid
from genvision.viz.latent_maps import manifold_latents, save_latent_scatter
from genvision.viz.reconstructions import save_reconstructions, save_strip


@dataclass
class VAEModelConfig:
    latent_dim: int = 16
    channels: tuple[int, ...] = (32, 64)  # one stride-2 stage each: 28 → 14 → 7
    hidden: int = 256
    conditional: bool = False  # class-conditional VAE (needs labelled data)
    class_embed_dim: int = 16
    likelihood: Literal["gaussian", "bernoulli"] = "gaussian"


@dataclass
class VAERecipeConfig:
    beta: float = 1.0  # weight of the KL term (1: the true ELBO)
    sigma: float = 0.1  # std of the Gaussian decoder p(x|z) = N(x̂, σ²I), on the [-1, 1] image scale
    kl_warmup_steps: int = 0  # linear KL annealing from 0 to β
    eval_split: str = "test"
    eval_n: int = 2000  # images for the metrics recorded in the bundle
    figures: bool = True  # write figures/ next to the bundle


def elbo_metrics(
    net: VAE,
    images: torch.Tensor,
    labels: torch.Tensor | None,
    likelihood: str,
    sigma: float,
    seed: int = 0,
    batch_size: int = 500,
) -> dict[str, float]:
    """Single-sample ELBO (nats per image), bits/dim, KL and NLL averaged over `images`; a Gaussian decoder is
    scored on uniformly dequantised images (losses/kl.py), so its bits/dim compare with published figures."""
    device = next(net.parameters()).device
    gen = torch.Generator(device=device).manual_seed(seed)
    sums = {"nll": 0.0, "kl": 0.0}
    with torch.no_grad():
        for i in range(0, len(images), batch_size):
            x = images[i : i + batch_size].to(device)
            if likelihood == "gaussian":
                x = dequantize(x, gen)
            y = None if labels is None else labels[i : i + batch_size].to(device)
            out = net(x, y, gen)
            terms = elbo_terms(
                x, out.decoder_out, posterior=out.posterior, likelihood=likelihood, sigma=sigma
            )
            sums["nll"] += float(terms.nll.sum())
            sums["kl"] += float(terms.kl.sum())
    n, dims = len(images), images[0].numel()
    nll, kl = sums["nll"] / n, sums["kl"] / n
    return {
        "elbo": -(nll + kl),
        "bits_per_dim": float(
            dequantized_bits_per_dim(torch.tensor(nll + kl), dims)
            if likelihood == "gaussian"
            else bits_per_dim(torch.tensor(nll + kl), dims, likelihood)
        ),
        "kl": kl,
        "nll": nll,
    }


class VAETraining(Recipe):
    per_sample_draws = True  # the posterior sample's ε of sample i: (seed, step, global position of i)

    def __init__(self, cfg, info, device):
        super().__init__(cfg, info, device)
        c, h, w = info.shape
        if h != w:
            raise ConfigError(f"the VAE takes square images; the data is {h}x{w} (set data.image_size)")
        if cfg.model.conditional and info.num_classes < 2:
            raise ConfigError(f"model.conditional needs labelled data; {info.dataset} has no classes")

    def build(self) -> dict[str, nn.Module]:
        m, (c, size, _) = self.cfg.model, self.info.shape
        try:
            net = VAE(
                in_channels=c,
                image_size=size,
                latent_dim=m.latent_dim,
                channels=list(m.channels),
                hidden=m.hidden,
                num_classes=self.info.num_classes if m.conditional else 0,
                class_embed_dim=m.class_embed_dim,
                likelihood=m.likelihood,
            )
        except ValueError as exc:
            raise ConfigError(f"model: {exc}") from exc
        return {"vae": net}

    def _labels(self, batch: dict[str, torch.Tensor]) -> torch.Tensor | None:
        return batch["label"] if self.cfg.model.conditional else None

    def loss(self, phase, batch, nets, gen, step):
        r = self.cfg.recipe
        x = batch["image"]
        out = nets["vae"](x, self._labels(batch), gen)
        terms = elbo_terms(
            x, out.decoder_out, posterior=out.posterior, likelihood=self.cfg.model.likelihood, sigma=r.sigma
        )
        beta = r.beta * min(1.0, (step + 1) / r.kl_warmup_steps) if r.kl_warmup_steps else r.beta
        dims = x[0].numel()
        loss = (terms.nll + beta * terms.kl).mean() / dims
        elbo = terms.elbo.detach().mean()
        return loss, {
            "elbo": float(elbo),
            "kl": float(terms.kl.detach().mean()),
            "nll": float(terms.nll.detach().mean()),
            "bits_per_dim": float(bits_per_dim(-elbo, dims, self.cfg.model.likelihood)),
            "beta": beta,
        }

    def _model(self, net: nn.Module) -> Autoencoder:
        return Autoencoder.wrap(net, "vae", tuple(self.info.shape), class_names=self.info.class_names)

    def preview(self, nets, n, seed):
        """Samples from the prior, decoded (conditional: image k gets class k mod classes)."""
        net = nets["vae"]
        with evaluating(net):
            return self._model(net).sample(n, seed=seed).images.to(self.device)

    def bundle(self, nets: dict[str, nn.Module], folder: Path) -> BundleParts:
        r, m = self.cfg.recipe, self.cfg.model
        net = nets["vae"].eval()
        images, labels, ref = export_images(self.cfg.data, r.eval_split, r.eval_n)
        cond_labels = labels if m.conditional else None
        model = self._model(net)
        metrics = autoencoding_metrics(model, images, cond_labels, quality=ref is not None)
        latent_scale = metrics.pop("latent_scale")
        if ref is not None:  # recipe.eval_n=0: no export metrics
            metrics.update(
                elbo_metrics(
                    net,
                    images,
                    labels=cond_labels,
                    likelihood=m.likelihood,
                    sigma=r.sigma,
                    seed=self.cfg.train.seed,
                )
            )
        config = AutoencodingConfig(
            kind="vae",
            data=DataSpec.from_json(self.info.to_json()),
            latent_shape=[m.latent_dim],
            latent_scale=latent_scale,
            metrics=metrics,
            extra={
                "latent_dim": m.latent_dim,
                "conditional": m.conditional,
                "metrics_data": ref,
                "likelihood": {
                    "kind": m.likelihood,
                    "sigma": r.sigma if m.likelihood == "gaussian" else None,
                },
            },
        )
        if r.figures:
            write_vae_figures(model, images, labels, folder.parent / "figures")
        return BundleParts(config, {"vae": net}, dtype=torch.float16)


def write_vae_figures(
    model: Autoencoder, images: torch.Tensor, labels: torch.Tensor, out: Path
) -> list[Path]:
    """reconstructions.png, interpolation.png, latent_scatter.png and (2-D latent) manifold.png."""
    cond = labels if model.conditional else None
    paths = [
        save_reconstructions(
            out / "reconstructions.png",
            images[:32],
            model.reconstruct(images[:32], None if cond is None else cond[:32]).images,
            per_row=16,
        )
    ]
    z = model.encode(images, cond)
    pair = [0, 1]
    if labels is not None and (labels >= 0).all():  # two images of different classes when labels exist
        other = (labels != labels[0]).nonzero().flatten()
        pair = [0, int(other[0])] if len(other) else pair
    path_z = latent_path(z[pair[0]], z[pair[1]], 10)
    path_labels = None if cond is None else cond[pair[0]].repeat(10)
    paths.append(save_strip(out / "interpolation.png", model.decode(path_z, path_labels)))
    paths.append(save_latent_scatter(out / "latent_scatter.png", z, labels, model.class_names))
    if z.shape[1] == 2 and not model.conditional:
        grid = manifold_latents(15)
        paths.append(save_grid(model.decode(grid), out / "manifold.png", nrow=15))
    return paths
