"""Loaders for the face datasets in their real on-disk formats (CelebA, VGGFace2, LFW)."""

from facecues.data.celeba import CELEBA_ATTRIBUTES, CelebA, find_celeba_files, load_celeba
from facecues.data.lfw import LFWPairs, lfw_image_path, load_lfw_pairs
from facecues.data.vggface2 import VGGFace2, box_csv_path, load_vggface2

__all__ = [
    "CELEBA_ATTRIBUTES",
    "CelebA",
    "LFWPairs",
    "VGGFace2",
    "box_csv_path",
    "find_celeba_files",
    "lfw_image_path",
    "load_celeba",
    "load_lfw_pairs",
    "load_vggface2",
]
