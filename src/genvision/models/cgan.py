"""Conditional GAN (Mirza & Osindero 2014) on the DCGAN layout: G(z, y) and D(x, y).

- G: a learned label embedding e(y) is concatenated to the noise, G(z, y) = G_body([z; e(y)]).
- D, conditioning="concat" (Mirza & Osindero): the label is embedded as one extra image-sized input channel,
  D(x, y) = D_body([x; m(y)]).
- D, conditioning="projection" (Miyato & Koyama 2018): with pooled features φ(x) = Σ_hw features(x),
  logit(x, y) = ψ(φ(x)) + ⟨V e_y, φ(x)⟩ — the label enters as an inner product with the class's embedding,
  which is the form of the log density ratio for a softmax-like conditional (usually paired with spectral norm
  and no batch norm in D). "concat" is the default: it followed labels reliably in short DCGAN-style runs here,
  where projection with batch norm collapsed to one image per class.
- D, conditioning="auxiliary" (AC-GAN, Odena et al. 2017): D never sees the label; one head gives the
  real/fake logit of x, a second the class logits c(x) [B, K]. The recipe adds the cross-entropy
  CE(c(x), y) on real images to D's loss and CE(c(G(z, y)), y) to G's (`forward_with_classes`).
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn as nn

from genvision.models.dcgan import apply_spectral_norm_, dcgan_init_, discriminator_features, generator_body
from genvision.models.registry import register_model

CONDITIONINGS = ("concat", "projection", "auxiliary")


def _check_labels(labels: torch.Tensor, num_classes: int) -> None:
    if labels.dtype not in (torch.int64, torch.int32) or labels.dim() != 1:
        raise ValueError(
            f"labels must be a 1-D integer tensor, got {labels.dtype} of shape {tuple(labels.shape)}"
        )
    if labels.numel() and (int(labels.min()) < 0 or int(labels.max()) >= num_classes):
        raise ValueError(
            f"labels must lie in [0, {num_classes}); got {labels.min().item()}..{labels.max().item()}"
        )


@register_model
class ConditionalGenerator(nn.Module):
    """G(z, y): noise [B, z_dim] and labels [B] → images [B, channels, image_size, image_size] in (−1, 1)."""

    def __init__(
        self,
        num_classes: int = 10,
        z_dim: int = 100,
        embed_dim: int = 50,
        image_size: int = 28,
        channels: int = 1,
        base_channels: int = 64,
        max_channels: int = 512,
        spectral_norm: bool = False,
    ):
        super().__init__()
        self.num_classes, self.z_dim, self.image_size, self.channels = (
            num_classes,
            z_dim,
            image_size,
            channels,
        )
        self.embed = nn.Embedding(num_classes, embed_dim)
        self.net = generator_body(
            z_dim + embed_dim,
            image_size,
            channels=channels,
            base_channels=base_channels,
            max_channels=max_channels,
        )
        dcgan_init_(self)
        if spectral_norm:
            apply_spectral_norm_(self)

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        _check_labels(labels, self.num_classes)
        return self.from_embedding(z, self.embed(labels))

    def from_embedding(self, z: torch.Tensor, label_embedding: torch.Tensor) -> torch.Tensor:
        """G([z; e]) for any label embedding e [B, embed_dim] — e.g. a blend of two classes' embeddings."""
        h = torch.cat([z.flatten(1), label_embedding.to(z.dtype)], dim=1)
        return self.net(h[:, :, None, None])


@register_model
class ConditionalDiscriminator(nn.Module):
    """D(x, y): images and labels → one logit per image; `conditioning` is "concat", "projection" or
    "auxiliary" (then `forward_with_classes` also returns class logits)."""

    def __init__(
        self,
        num_classes: int = 10,
        image_size: int = 28,
        channels: int = 1,
        base_channels: int = 64,
        max_channels: int = 512,
        conditioning: Literal["concat", "projection", "auxiliary"] = "concat",
        batch_norm: bool = True,
        spectral_norm: bool = False,
    ):
        super().__init__()
        if conditioning not in CONDITIONINGS:
            raise ValueError(f"conditioning must be one of {', '.join(CONDITIONINGS)}, got {conditioning!r}")
        self.num_classes, self.image_size, self.channels = num_classes, image_size, channels
        self.conditioning = conditioning
        extra = 1 if conditioning == "concat" else 0
        self.features, width, start = discriminator_features(
            channels + extra,
            image_size,
            base_channels=base_channels,
            max_channels=max_channels,
            batch_norm=batch_norm,
        )
        if conditioning == "concat":
            self.label_map = nn.Embedding(num_classes, image_size * image_size)
            self.head = nn.Conv2d(width, 1, start, 1, 0)
        elif conditioning == "auxiliary":
            self.head = nn.Conv2d(width, 1, start, 1, 0)
            self.class_head = nn.Conv2d(width, num_classes, start, 1, 0)
        else:
            self.class_embed = nn.Embedding(num_classes, width)
            self.head = nn.Linear(width, 1)
        dcgan_init_(self)
        if conditioning == "projection":  # start with a small class term, as the unconditional logit starts
            nn.init.normal_(self.class_embed.weight, 0.0, 0.02)
        if spectral_norm:
            apply_spectral_norm_(self)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.forward_with_classes(x, labels)[0]

    def forward_with_classes(
        self, x: torch.Tensor, labels: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(real/fake logit [B], class logits [B, K] for "auxiliary" D, else None)."""
        _check_labels(labels, self.num_classes)
        if self.conditioning == "auxiliary":
            h = self.features(x)
            return self.head(h).flatten(), self.class_head(h).flatten(1)
        return self._conditional_logit(x, labels), None

    def _conditional_logit(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        if self.conditioning == "concat":
            m = self.label_map(labels).to(x.dtype).view(-1, 1, self.image_size, self.image_size)
            return self.head(self.features(torch.cat([x, m], dim=1))).flatten()
        phi = self.features(x).sum(dim=(2, 3))  # φ(x): [B, C]
        return self.head(phi).flatten() + (self.class_embed(labels).to(phi.dtype) * phi).sum(dim=1)
