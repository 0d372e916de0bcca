"""Start-up checks of the real datasets named in the config (``data.*_root``, ``attributes``).

Run by the workflow before any job, when ``data.source`` is ``real``; each check
reads at most the first lines of a listing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from facecues.data.celeba import find_celeba_files, read_attribute_names
from facecues.data.vggface2 import box_csv_path
from facecues.errors import DataFormatError, FacecuesError

EXPECTED = {
    "celeba": "CelebA: Anno/list_attr_celeba.txt, Eval/list_eval_partition.txt and "
    "Img/img_align_celeba/ (original layout) or celeba/list_attr_celeba.txt, ... (torchvision's)",
    "vggface2": "VGGFace2: train/<id>/<image>.jpg and bb_landmark/loose_bb_train.csv",
    "lfw": "LFW: pairs.txt and lfw/<name>/<name>_<nnnn>.jpg",
}


def _problem(name: str, root: Path) -> str | None:
    if not root.is_dir():
        return "does not exist or is not a folder"
    if name == "celeba":
        try:
            files = find_celeba_files(root)
        except DataFormatError:
            return "holds no list_attr_celeba.txt in either layout"
        if not files["images"].is_dir():
            return f"has no image folder {files['images']}"
    elif name == "vggface2":
        if not box_csv_path(root).is_file():
            return f"has no {box_csv_path(root).relative_to(root)}"
        if not (root / "train").is_dir():
            return "has no train/ folder"
    elif name == "lfw":
        if not (root / "pairs.txt").is_file():
            return "has no pairs.txt"
        if not (root / "lfw").is_dir():
            return "has no lfw/ image folder"
    return None


def check_data_roots(data: dict, needed=("celeba", "vggface2", "lfw")) -> None:
    """Raise one FacecuesError listing every ``data.<name>_root`` that is unset or wrong,
    with the path and what was expected inside it."""
    problems = []
    for name in needed:
        key = f"data.{name}_root"
        value = data.get(f"{name}_root")
        if not value:
            problems.append(f"{key} is not set; expected the folder with {EXPECTED[name]}")
            continue
        why = _problem(name, Path(value))
        if why:
            problems.append(f"{key} = {value} {why}; expected {EXPECTED[name]}")
    if problems:
        raise FacecuesError("dataset roots:\n  " + "\n  ".join(problems))


def check_real_data(
    data: Mapping, attributes: Sequence[str], needed=("celeba", "vggface2", "lfw")
) -> None:
    """``check_data_roots`` of the ``needed`` datasets (``data``: the config's ``data``
    section), then: every name in ``attributes`` is on line 2 of the CelebA attribute
    file. One FacecuesError for each."""
    check_data_roots(data, needed)
    attr_file, names = read_attribute_names(data["celeba_root"])
    missing = [a for a in attributes if a not in names]
    if missing:
        raise FacecuesError(
            f"config: attributes {missing} (config key 'attributes') are not in {attr_file}; "
            f"expected names from its line 2: {' '.join(names)}"
        )
