"""The atlas's counterfactual examples, written, read and described in one place: per
variant a sheet ``<variant>.png`` (a row per example face, the original left and the
changed face right, at the networks' input size) and ``examples.tsv`` (a row per
example: ``EXAMPLE_COLUMNS``), written by the rule ``counterfactual_faces`` into
``results/counterfactual/examples/`` and read by the atlas (``facecues.results.
atlas_counterfactual``) without torch.
"""

from __future__ import annotations

import inspect
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from PIL import Image

from facecues.data.celeba import CELEBA_ATTRIBUTES
from facecues.data.synthetic.counterfactual import CONTROLS, flip_for
from facecues.errors import DataFormatError

if TYPE_CHECKING:
    from facecues.interventions.counterfactual_faces import FaceSet

EXAMPLES = 4  # people shown per variant in the atlas, one image each
EXAMPLE_COLUMNS = ("variant", "kind", "level", "exact", "changes", "row", "person", "image",
                   "before", "after")  # fmt: skip


# What a flip of each level and each nuisance control changes, in words
# (facecues.data.synthetic.counterfactual).
_LEVELS = {
    "image": "Image-level, exact: one field of the photo's state toggled, nothing else moves",
    "person": "Person-level redraw, exact: the person's trait toggled, the detail it sets (if "
    "any) drawn again from their own random stream; every other detail stays",
    "bundle": "A declared bundle of traits, not exact",
}
_CONTROLS = {
    "render_seed": "the render seed (background, noise and occluder)",
    "pose": "the pose (rotation, shift, scale, yaw)",
    "light": "the lighting (gain, colour cast, gradient)",
}


def change_of(variant: str, kind: str) -> tuple[str, str]:
    """(level, what ``variant`` changes in words), from the flip registry: a flip's level,
    a bundle's own description, its note and the labels it may change with it; a
    control's fields."""
    if kind == "control":
        fields = _CONTROLS.get(variant, ", ".join(CONTROLS[variant]))
        return "control", (
            f"Nuisance control, no label changes: {fields} taken from another image of the "
            "same person."
        )
    f = flip_for(variant)
    words = [_LEVELS.get(f.level, f.level)]
    if f.level == "bundle":
        words.append(" ".join((inspect.getdoc(f.apply) or f.note).split()))
    elif f.note:
        words.append(f.note)
    if f.bundle:
        words.append("may change with it: " + ", ".join(f.bundle))
    return f.level, " ".join(w[0].upper() + w[1:].rstrip(".") + "." for w in words)


def example_faces(faces: FaceSet, variant: str, n: int = EXAMPLES) -> list[int]:
    """The faces shown for ``variant``: the first changed image of each of up to ``n``
    people in their order, for a flip half of them (where there are) with the attribute
    present and half without."""
    v = faces.variants[variant]
    first: dict[int, int] = {}
    for i in np.flatnonzero(v.changed):
        first.setdefault(int(faces.person[i]), int(i))
    order = list(first.values())
    if v.kind != "flip":
        return order[:n]
    present = faces.labels[:, CELEBA_ATTRIBUTES.index(variant)] > 0
    on = [i for i in order if present[i]]
    off = [i for i in order if not present[i]]
    k = min(len(on), max(n // 2, n - len(off)))
    return sorted(on[:k] + off[: n - k])


def save_examples(faces: FaceSet, folder: str | Path, n: int = EXAMPLES) -> None:
    """Write the atlas's examples into ``folder`` (replaced whole): per variant
    ``<variant>.png``, a row per example face, the original left and the changed face
    right, at the networks' input size; ``examples.tsv``, a row per example
    (``EXAMPLE_COLUMNS``: the person, their image, the attribute before and after)."""
    folder = Path(folder)
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    rows = []
    for name, v in faces.variants.items():
        level, changes = change_of(name, v.kind)
        shown = example_faces(faces, name, n)
        for r, i in enumerate(shown):
            before = after = ""
            if v.kind == "flip":
                on = faces.labels[i, CELEBA_ATTRIBUTES.index(name)] > 0
                before, after = ("present", "absent") if on else ("absent", "present")
            image = int((faces.person[:i] == faces.person[i]).sum())
            rows.append((name, v.kind, level, v.exact, changes, r, int(faces.person[i]), image,
                         before, after))  # fmt: skip
        if shown:
            changed = np.cumsum(v.changed) - 1  # a changed face's index among v.images
            pairs = [np.concatenate([faces.images[i], v.images[changed[i]]], axis=1) for i in shown]
            Image.fromarray(np.concatenate(pairs, axis=0)).save(tmp / f"{name}.png", optimize=True)
    pd.DataFrame(rows, columns=list(EXAMPLE_COLUMNS)).to_csv(
        tmp / "examples.tsv", sep="\t", index=False
    )
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)


def read_examples(folder: str | Path) -> pd.DataFrame:
    """``examples.tsv`` of the rule ``counterfactual_faces``'s ``folder``; one clear error
    where it or a column is missing."""
    path = Path(folder) / "examples.tsv"
    try:
        t = pd.read_csv(path, sep="\t", keep_default_na=False, dtype=str)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        raise DataFormatError(
            f"{path}: no counterfactual examples ({e}); rerun the rule counterfactual_faces"
        ) from None
    missing = set(EXAMPLE_COLUMNS) - set(t.columns)
    if missing:
        raise DataFormatError(
            f"{path}: no column(s) {sorted(missing)}; expected "
            f"{list(EXAMPLE_COLUMNS)} (rerun the rule counterfactual_faces)"
        )
    return t.astype({"row": int, "person": int, "image": int})
