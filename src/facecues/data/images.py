"""Image reading and the two preprocessing pipelines (training crops, probing inputs).

Pixel convention everywhere: RGB, (x - 128) / 128, as in the authors' probing
code (docs/protocol.md section 4), so training and probing see the same range.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from facecues.errors import DataFormatError


def load_rgb(path: str | Path) -> Image.Image:
    """Open an image file as RGB, or raise DataFormatError naming the file."""
    try:
        with Image.open(path) as im:
            return im.convert("RGB")
    except FileNotFoundError:
        raise DataFormatError(f"{path}: image file not found") from None
    except (OSError, SyntaxError, ValueError) as e:  # PIL raises all three on damaged files
        raise DataFormatError(
            f"{path}: not a readable image ({e}); expected a complete JPEG or PNG file "
            "(replace the file, or remove its line from the dataset's listing)"
        ) from None


def to_tensor(img: Image.Image) -> torch.Tensor:
    """PIL RGB image -> float32 tensor (3, H, W) with values (x - 128) / 128."""
    a = np.asarray(img, dtype=np.float32)
    return torch.from_numpy((a - 128.0) / 128.0).permute(2, 0, 1).contiguous()


def probe_input(img: Image.Image, size: int) -> torch.Tensor:
    """The authors' probing preprocessing: resize to size x size (no crop), then normalise."""
    return to_tensor(img.resize((size, size), Image.BILINEAR))


def loose_crop(img: Image.Image, box: tuple[int, int, int, int], scale: float) -> Image.Image:
    """Crop the bounding box (X, Y, W, H), enlarged by ``scale`` about its centre.

    Parts of the enlarged box outside the image are filled with black, so the
    face keeps its place in the crop.
    """
    x, y, w, h = box
    cx, cy = x + w / 2.0, y + h / 2.0
    w2, h2 = w * scale / 2.0, h * scale / 2.0
    return img.crop((round(cx - w2), round(cy - h2), round(cx + w2), round(cy + h2)))


def center_crop(img: Image.Image, fraction: float) -> Image.Image:
    """The centred square whose side is ``fraction`` of the image's shorter side."""
    w, h = img.size
    side = round(min(w, h) * fraction)
    x0, y0 = (w - side) // 2, (h - side) // 2
    return img.crop((x0, y0, x0 + side, y0 + side))


def resize_shorter(img: Image.Image, size: int) -> Image.Image:
    """Resize so that the shorter side is ``size``, keeping the aspect ratio."""
    w, h = img.size
    if w <= h:
        return img.resize((size, max(size, round(h * size / w))), Image.BILINEAR)
    return img.resize((max(size, round(w * size / h)), size), Image.BILINEAR)


def train_input(
    img: Image.Image,
    box: tuple[int, int, int, int],
    rng: np.random.Generator,
    *,
    bbox_scale: float,
    resize: int,
    crop: int,
    grayscale_p: float,
) -> torch.Tensor:
    """The training protocol (docs/protocol.md section 1): loose-box crop, shorter side to
    ``resize``, random ``crop`` x ``crop`` window, grayscale with probability ``grayscale_p``."""
    img = resize_shorter(loose_crop(img, box, bbox_scale), resize)
    w, h = img.size
    x0 = int(rng.integers(0, w - crop + 1))
    y0 = int(rng.integers(0, h - crop + 1))
    img = img.crop((x0, y0, x0 + crop, y0 + crop))
    if rng.random() < grayscale_p:
        img = img.convert("L").convert("RGB")
    return to_tensor(img)


class ImageFiles(Dataset):
    """Probe-preprocessed images from a list of paths (for embeddings and activations).

    ``crop`` < 1 first keeps a centred square of that fraction of the shorter
    side (LFW's faces fill only the middle of its 250 x 250 images).
    """

    def __init__(self, paths: list[Path], size: int, crop: float = 1.0):
        self.paths, self.size, self.crop = list(paths), size, crop

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int) -> torch.Tensor:
        img = load_rgb(self.paths[i])
        if self.crop < 1.0:
            img = center_crop(img, self.crop)
        return probe_input(img, self.size)
