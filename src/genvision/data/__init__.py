"""Datasets (IDX MNIST / Fashion-MNIST, CelebAMask-HQ, image folders, digits, synthetic) and data references."""

from genvision.data.base import ArrayDataset, DataInfo
from genvision.data.registry import DataRef, load_dataset, load_images_from_ref, parse_data_ref

__all__ = ["ArrayDataset", "DataInfo", "DataRef", "load_dataset", "load_images_from_ref", "parse_data_ref"]
