"""The counterfactual faces of a study, rendered once for all its networks.

New people (``facecues.data.synthetic.counterfactual.new_people``), each image of them
as it is and changed by every variant (a studied attribute's flip, a nuisance
control), rendered as the world's LFW images and preprocessed as the study's LFW pairs
are (centre crop, resize: ``facecues.data.images``), kept as 8-bit RGB arrays: the
networks' inputs, identical for every network, written once to an ``.npz`` file.

A few of them are kept for the unit atlas (:func:`save_examples`): per variant the
original and the changed face of up to ``EXAMPLES`` people, side by side, and what the
variant changes in words (the flip registry's).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from facecues.data.images import center_crop
from facecues.data.synthetic.config import SyntheticConfig
from facecues.data.synthetic.counterfactual import (
    CONTROLS,
    Face,
    flip,
    flip_for,
    nuisance_control,
    render,
)
from facecues.errors import FacecuesError
from facecues.io import atomic_path

FORMAT = "facecues-counterfactual-faces/1"


@dataclass(frozen=True)
class Variant:
    """One change of every face: ``images`` of the faces where ``changed``."""

    kind: str  # flip | control
    exact: bool
    changed: np.ndarray  # (n,) bool
    images: np.ndarray  # (changed.sum(), s, s, 3) uint8


@dataclass(frozen=True)
class FaceSet:
    """The originals (``images``, their ``person`` and true ``labels``) and the variants."""

    person: np.ndarray  # (n,)
    labels: np.ndarray  # (n, 40) +1/-1
    images: np.ndarray  # (n, s, s, 3) uint8
    variants: dict[str, Variant]


def variants_of(attributes: list[str]) -> list[tuple[str, str]]:
    """(variant, kind) for the attributes' flips (checked: one clear error for an
    attribute without one) and then the nuisance controls."""
    for a in attributes:
        flip_for(a)
    return [(a, "flip") for a in attributes] + [(c, "control") for c in CONTROLS]


def input_image(face: Face, cfg: SyntheticConfig, size: int, crop: float) -> np.ndarray:
    """The face as the network's input, 8-bit: rendered, centre-cropped, resized (what
    ``facecues.data.images.probe_input`` scales to the network's range)."""
    img = render(face, cfg)
    img = center_crop(img, crop) if crop < 1 else img
    return np.asarray(img.resize((size, size), Image.BILINEAR), dtype=np.uint8)


def render_faces(
    people: list[list[Face]],
    cfg: SyntheticConfig,
    attributes: list[str],
    *,
    input_size: int,
    crop: float,
) -> FaceSet:
    """Every face of ``people`` and its variants (``variants_of(attributes)``)."""
    variants = variants_of(attributes)
    faces = [f for person in people for f in person]

    def stack(items):
        out = [input_image(f, cfg, input_size, crop) for f in items]
        return np.stack(out) if out else np.zeros((0, input_size, input_size, 3), np.uint8)

    out = {}
    for name, kind in variants:
        if kind == "control":
            twins = [nuisance_control(name, f, cfg) for f in faces]
        else:
            twins = [flip(name, f) for f in faces]
        changed = np.array([t is not None for t in twins])
        exact = kind == "control" or flip_for(name).exact
        out[name] = Variant(kind, exact, changed, stack(t for t in twins if t is not None))
    return FaceSet(
        person=np.array([f.person["pid"] for f in faces]),
        labels=np.stack([f.labels() for f in faces]),
        images=stack(faces),
        variants=out,
    )


def as_input(images: np.ndarray) -> torch.Tensor:
    """8-bit (n, s, s, 3) images -> the network's float32 (n, 3, s, s), (x - 128) / 128."""
    x = torch.from_numpy(np.asarray(images, dtype=np.float32))
    return ((x - 128.0) / 128.0).permute(0, 3, 1, 2).contiguous()


def save_faces(faces: FaceSet, path: str | Path) -> None:
    """Write ``faces`` to ``path`` (.npz), atomically."""
    arrays = dict(
        format=np.array(FORMAT),
        person=faces.person,
        labels=faces.labels,
        images=faces.images,
        names=np.array(list(faces.variants)),
        kinds=np.array([v.kind for v in faces.variants.values()]),
        exact=np.array([v.exact for v in faces.variants.values()]),
    )
    for k, v in enumerate(faces.variants.values()):
        arrays[f"changed_{k}"] = v.changed
        arrays[f"images_{k}"] = v.images
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, **arrays)


def load_faces(path: str | Path) -> FaceSet:
    """Read a ``save_faces`` file; one clear error for anything else."""
    try:
        with np.load(path, allow_pickle=False) as z:
            if "format" not in z.files or str(z["format"]) != FORMAT:
                raise FacecuesError(f"{path}: not a counterfactual-faces file ({FORMAT})")
            variants = {
                str(name): Variant(str(kind), bool(exact), z[f"changed_{k}"], z[f"images_{k}"])
                for k, (name, kind, exact) in enumerate(
                    zip(z["names"], z["kinds"], z["exact"], strict=True)
                )
            }
            return FaceSet(z["person"], z["labels"], z["images"], variants)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as e:
        raise FacecuesError(
            f"{path}: unreadable counterfactual-faces file ({e}); delete it to render it again"
        ) from None
