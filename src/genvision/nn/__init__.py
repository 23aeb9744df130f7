"""Network building blocks shared by the models (UNet, autoencoders, ...)."""

from genvision.nn.attention import AttentionBlock, CrossAttention, SelfAttention
from genvision.nn.embeddings import TimestepEmbedding, timestep_embedding
from genvision.nn.norm import group_norm
from genvision.nn.resample import Downsample, Upsample
from genvision.nn.resblock import ResBlock

__all__ = [
    "AttentionBlock",
    "CrossAttention",
    "Downsample",
    "ResBlock",
    "SelfAttention",
    "TimestepEmbedding",
    "Upsample",
    "group_norm",
    "timestep_embedding",
]
