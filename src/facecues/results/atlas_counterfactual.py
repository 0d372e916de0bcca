"""The unit atlas's page of counterfactual faces (``counterfactual.html``), where the
study ran them (docs/protocol.md section 14).

Per attribute flip and nuisance control: what it changes (the flip registry's words,
kept by the rule ``counterfactual_faces`` in ``results/counterfactual/examples/``), its
example pairs (the original and the changed face as the networks see them, cut from the
rule's sheets into ``counterfactual/``, shown enlarged pixel for pixel),
and the FNMR rise it causes: the mean over the trained networks with its 95% interval
and the untrained networks' beside (``results/tables/counterfactual.tsv``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from facecues.errors import DataFormatError
from facecues.interventions.counterfactual_examples import read_examples
from facecues.io import atomic_path
from facecues.nets.names import is_control
from facecues.results.formatting import pp

DISPLAY = 128  # pixels: a face smaller than this is shown enlarged pixel for pixel (x2, x4)
FOLDER = "counterfactual"  # the pairs' folder in the atlas
_TABLE = {"variant", "kind", "measure", "trained", "mean", "low", "high", "untrained",
          "untrained_mean", "caps"}  # fmt: skip


def _interval(mean: float, low: float, high: float) -> str:
    """``+31.2 p.p. ± 10.7`` or ``-a/+b`` where the two sides differ (as the claims)."""
    text = pp(mean)
    if not np.isfinite([mean, low, high]).all():
        return text
    below, above = f"{100 * (mean - low):.1f}", f"{100 * (high - mean):.1f}"
    return text + (f" ± {below}" if below == above else f" -{below}/+{above}")


def _each(row: dict, networks: list[str]) -> str:
    """Each network's own rise (p.p.): ``0 +32.0, 1 +30.5 (untrained: random0 +0.0)``."""
    own = {True: [], False: []}
    for n in networks:
        own[bool(is_control(str(n)))].append(f"{n} {pp(row[n]).replace(' p.p.', '')}")
    text = ", ".join(own[False])
    return text + (f" (untrained: {', '.join(own[True])})" if own[True] else "")


def _rises(table: pd.DataFrame) -> dict[str, dict]:
    """Per variant the FNMR rise's cells: trained mean with its interval, the number of
    networks and what capped it, the untrained mean with its interval, each network's own."""
    missing = _TABLE - set(table.columns)
    if missing:
        raise DataFormatError(
            f"counterfactual table: no column(s) {sorted(missing)}; expected "
            "results/tables/counterfactual.tsv (rerun counterfactual_table)"
        )
    networks = list(table.columns[table.columns.get_loc("caps") + 1 :])
    out = {}
    for r in table[table["measure"] == "fnmr_rise"].to_dict("records"):
        out[r["variant"]] = {
            "kind": r["kind"],
            "trained": int(r["trained"]),
            "rise": _interval(r["mean"], r["low"], r["high"]),
            "caps": r["caps"] if isinstance(r["caps"], str) else "",
            "untrained_n": int(r["untrained"]),
            "untrained": _interval(
                r["untrained_mean"], r.get("untrained_low", np.nan), r.get("untrained_high", np.nan)
            ),
            "each": _each(r, networks),
        }
    return out


def _save(image: np.ndarray, path: Path) -> None:
    with atomic_path(path) as tmp:
        Image.fromarray(image).save(tmp, optimize=True)


def _pairs(folder: Path, variant: str, rows: pd.DataFrame, out: Path) -> list[dict]:
    """Cut ``variant``'s sheet (a row per example: original | changed) into the original
    (``person<p>_image<i>.png``, shared by the variants that show it) and the changed face
    (``<variant>_<row>.png``) under ``out``; the pairs' cells in the rows' order."""
    sheet_path = folder / f"{variant}.png"
    try:
        with Image.open(sheet_path) as im:
            sheet = np.asarray(im.convert("RGB"))
    except OSError as e:
        raise DataFormatError(
            f"{sheet_path}: unreadable example pairs ({e}); rerun the rule counterfactual_faces"
        ) from None
    size = sheet.shape[1] // 2
    shape = sheet.shape[0] == size * len(rows) and sheet.shape[1] == 2 * size
    if not shape or sorted(rows["row"]) != list(range(len(rows))):
        raise DataFormatError(
            f"{sheet_path}: {sheet.shape[1]}x{sheet.shape[0]} pixels and rows "
            f"{sorted(rows['row'])} in examples.tsv; expected rows 0-{len(rows) - 1}, one "
            "pair of square faces side by side each"
        )
    zoom = max(1, DISPLAY // size)
    cells = []
    for r in rows.sort_values("row").itertuples():
        pair = sheet[r.row * size : (r.row + 1) * size]
        original, changed = f"person{r.person}_image{r.image}.png", f"{variant}_{r.row}.png"
        if not (out / original).exists():
            _save(pair[:, :size], out / original)
        _save(pair[:, size:], out / changed)
        cells.append({
            "original": f"{FOLDER}/{original}", "changed": f"{FOLDER}/{changed}",
            "size": size, "shown": size * zoom, "caption": f"person {r.person}, image {r.image}",
            "change": f"{r.before} → {r.after}" if r.before else "no label changed",
        })  # fmt: skip
    return cells


def counterfactual_context(table: pd.DataFrame, examples: str | Path, out: Path) -> dict:
    """Write the example pairs into ``out/counterfactual/`` and return the page's context:
    per variant of the ``table`` (``results/tables/counterfactual.tsv``), in its order, what
    it changes, its pairs and its FNMR rise; ``examples``: the rule counterfactual_faces's
    folder. A variant without examples or without a measured rise is said so."""
    folder = Path(examples)
    ex = read_examples(folder)
    rises = _rises(table)
    (out / FOLDER).mkdir(parents=True, exist_ok=True)
    variants = []
    for variant in dict.fromkeys([*rises, *ex["variant"]]):
        rise = rises.get(variant)
        if rise and rise["kind"] == "contrast":
            continue  # the planted contrast: not a change of the faces
        rows = ex[ex["variant"] == variant]
        first = rows.iloc[0].to_dict() if len(rows) else {"kind": rise["kind"], "changes": ""}
        variants.append({
            "variant": variant,
            "kind": first["kind"],
            "changes": first["changes"],
            "pairs": _pairs(folder, variant, rows, out / FOLDER) if len(rows) else [],
            "rise": rise,
        })  # fmt: skip
    contrast = next((v for v in rises.values() if v["kind"] == "contrast"), None)
    pair = next((p for v in variants for p in v["pairs"]), {"size": 0, "shown": 0})
    return {"variants": variants, "contrast": contrast, "size": pair["size"],
            "shown": pair["shown"]}  # fmt: skip
