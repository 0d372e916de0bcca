"""The unit atlas: a static, self-contained site to browse what the probes found.

``results/atlas/`` (rule ``atlas``), relative links only, no script, no
request outside the folder:

- ``index.html``: attributes x networks, each cell the attribute's best
  whole-layer point and its validation accuracy, linking to the page of that
  (network, attribute), and the selected units' cards;
- ``<network>/<attribute>.html``: the network's accuracy over depth for the
  attribute (whole layer, 8 filters, 8 neurons, with the untrained networks'
  and the identity task's whole layer), then per probe point the whole-layer
  probe and the top filters and neurons: single-unit validation accuracy,
  VIP, selectivity against the untrained networks, and whether the QDA
  fallback fired; a point the network has no rows for is named as missing;
- ``<network>/<point>/<unit>/index.html``, one card per unit selected for
  Table I (the best neuron, ``n<unit>``, and the best filter, ``c<channel>``,
  of every attribute; a unit chosen for several attributes has one card naming
  them all): the 16 test faces that excite it most and the 16 least
  (thumbnails), the mean of the k highest and of the k lowest (as Fig. 1), and
  its activation histogram split by each attribute's label;
- ``counterfactual.html``, where the study ran the counterfactual faces: per attribute
  flip and nuisance control its example pairs, what it changes and the FNMR rise it
  causes (``facecues.results.atlas_counterfactual``); without them the atlas is as before.

The test activations come from the score_test step (``results/test/<network>_neurons.h5``:
every test image's activation of each selected unit, gathered while streaming).

The pages are Jinja2 templates (``templates/atlas_*.html.j2``, autoescaped); numbers are formatted
here, in Python, and the templates lay them out.
"""

from __future__ import annotations

import html
import itertools
import shutil
from functools import cache
from pathlib import Path

import h5py
import jinja2
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from markupsafe import Markup  # noqa: E402
from PIL import Image  # noqa: E402

from facecues.errors import DataFormatError  # noqa: E402
from facecues.io import atomic_path, write_text  # noqa: E402
from facecues.nets.names import is_control  # noqa: E402
from facecues.results.atlas_counterfactual import counterfactual_context  # noqa: E402
from facecues.results.figures.faces import average_faces  # noqa: E402
from facecues.results.figures.style import COLORS, CURVES, depth_curves  # noqa: E402
from facecues.results.pages import document, table_points  # noqa: E402

FACES = 16  # faces shown per side of a card
THUMB = 64  # pixels, the longer side of a thumbnail
STYLE = """
table { margin: 0.5em 0; }
img { max-width: 100%; }
.missing { color: #a00; }
"""  # on top of the report pages' style (facecues.results.pages)
PAIRS_STYLE = """
.pairs { display: flex; flex-wrap: wrap; gap: 10px; }
.pairs figure { margin: 0; padding: 4px; border: 1px solid #ccc; font-size: 12px; }
.pairs img { image-rendering: pixelated; max-width: none; margin-right: 3px; }
.rise { white-space: nowrap; }
"""  # the counterfactual page's pairs: original and changed, enlarged pixel for pixel


def _escape(value) -> Markup:
    """What a template prints, escaped as ``html.escape`` does (the report pages' title
    too, facecues.results.pages): markupsafe, Jinja2's own, writes ' as &#39;, not
    &#x27;. Markup (a macro's output, a joined list) is left as it is."""
    return value if isinstance(value, Markup) else Markup(html.escape(str(value)))


def _pct(x) -> str:
    return f"{100 * float(x):.1f}%" if pd.notna(x) else ""


@cache
def _templates() -> jinja2.Environment:
    """The atlas's templates (``templates/atlas_*.html.j2``), autoescaped."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("facecues.results", "templates"),
        autoescape=True,
        finalize=_escape,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["pct"] = _pct
    return env


def _page(title: str, template: str, depth: int = 0, style: str = "", **context) -> str:
    """A page of the atlas: ``templates/atlas_<template>.html.j2`` rendered with
    ``context``, a link home (``depth`` folders up), under the report pages' frame (and
    ``style`` after the atlas's)."""
    home = "../" * depth + "index.html"
    body = _templates().get_template(f"atlas_{template}.html.j2").render(home=home, **context)
    return document(title, body, STYLE + style)


def _save_figure(fig, path: Path) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=100, bbox_inches="tight")
    plt.close(fig)


def _grid(paths: list[Path], path: Path, columns: int = 4) -> None:
    """The images at ``paths`` as thumbnails in a grid, saved as one JPEG."""
    thumbs = []
    for p in paths:
        with Image.open(p) as im:
            im = im.convert("RGB")
            im.thumbnail((THUMB, THUMB))
            thumbs.append(im.copy())
    w = max(t.width for t in thumbs)
    h = max(t.height for t in thumbs)
    rows = -(-len(thumbs) // columns)
    sheet = Image.new("RGB", (columns * w, rows * h), "white")
    for i, t in enumerate(thumbs):
        sheet.paste(t, ((i % columns) * w, (i // columns) * h))
    with atomic_path(path) as tmp:
        sheet.save(tmp, quality=85)


def _face_grids(folder: Path, activation: np.ndarray, paths: list[Path]) -> None:
    """top.jpg and bottom.jpg: the FACES test faces of highest and of lowest activation
    (ties in the order of ``paths``)."""
    order = np.argsort(-activation, kind="stable")
    top, bottom = order[:FACES], order[::-1][:FACES]
    _grid([paths[i] for i in top], folder / "top.jpg")
    _grid([paths[i] for i in bottom], folder / "bottom.jpg")


def _means_figure(folder: Path, activation: np.ndarray, paths: list[Path], k: int) -> None:
    """means.png: the mean of the k faces of highest and of lowest activation (Fig. 1)."""
    high, low = average_faces(paths, activation, k=k, loader="pil")
    fig, axes = plt.subplots(1, 2, figsize=(3.2, 2.0))
    for ax, img, label in zip(axes, (high, low), (f"highest {k}", f"lowest {k}"), strict=True):
        ax.imshow(np.clip(img / 255.0, 0, 1))
        ax.set_title(label, fontsize=8)
        ax.axis("off")
    _save_figure(fig, folder / "means.png")


def _histograms(folder: Path, activation: np.ndarray, chosen: list) -> None:
    """hist.png: the activation's histogram by label, a panel per attribute in ``chosen``
    ((attribute, labels in {-1, +1}, test accuracy)), on shared bins."""
    fig, axes = plt.subplots(1, len(chosen), figsize=(4.0 * len(chosen), 2.4), squeeze=False)
    bins = np.histogram_bin_edges(activation, bins=30)
    for ax, (attribute, labels, _) in zip(axes[0], chosen, strict=True):
        for value, name, colour in ((1, "present", "C0"), (-1, "absent", "C3")):
            ax.hist(activation[labels == value], bins=bins, alpha=0.6, color=colour, label=name)
        ax.set_xlabel("activation on a test image", fontsize=8)
        ax.set_ylabel("test images", fontsize=8)
        ax.legend(fontsize=7, frameon=False, title=attribute.replace("_", " "), title_fontsize=7)
        ax.tick_params(labelsize=7)
    _save_figure(fig, folder / "hist.png")


def unit_card(folder: Path, activation: np.ndarray, paths: list[Path], unit: dict, k: int) -> None:
    """Write one unit's card into ``folder``: top and bottom faces, the means of the k
    highest and lowest, and per attribute it was chosen for the histogram by label
    (``unit``: network, point, name, selection, unit, unit_id, and ``chosen``, a list
    of (attribute, labels, test accuracy))."""
    folder.mkdir(parents=True, exist_ok=True)
    _face_grids(folder, activation, paths)
    k = max(1, min(k, len(paths) // 2))
    _means_figure(folder, activation, paths, k)
    _histograms(folder, activation, unit["chosen"])
    page = _page(
        f"{unit['network']} {unit['point']} {unit['unit_id']}",
        "unit_card",
        3,
        network=unit["network"],
        point=unit["point"],
        unit_id=unit["unit_id"],
        name=unit["name"],
        kind="neuron" if unit["selection"] == "neuron" else "filter (channel mean)",
        unit=unit["unit"],
        selection=unit["selection"],
        chosen=[(attribute, accuracy) for attribute, _, accuracy in unit["chosen"]],
        n_images=len(paths),
        faces=FACES,
        tied=int((activation == activation.min()).sum()),
        lowest=f"{activation.min():.3g}",
        k=k,
    )
    write_text(folder / "index.html", page)


def _curve_figure(table: pd.DataFrame, network: str, attribute: str, path: Path) -> None:
    """One network's accuracy over depth for one attribute, with the controls."""
    t = table[table["attribute"] == attribute]
    own = t[t["network"] == network]
    curves = depth_curves(own)
    fig, ax = plt.subplots(figsize=(6.5, 2.6))
    for probe, label in CURVES.items():
        c = curves[curves["probe"] == probe].sort_values("depth")
        ax.plot(c["depth"], c["mean"], color=COLORS[probe], lw=1.2, label=label)
    controls = t[t["network"].map(is_control).astype(bool)]
    if len(controls):
        c = depth_curves(controls, ("layer",)).sort_values("depth")
        ax.plot(
            c["depth"], c["mean"], color="0.35", ls="--", lw=0.9, label="untrained, whole layer"
        )
    if "identity_task_accuracy" in own and own["identity_task_accuracy"].notna().any():
        c = depth_curves(own, ("layer",), "identity_task_accuracy").sort_values("depth")
        ax.plot(c["depth"], c["mean"], color="0.35", ls=":", lw=0.9, label="identity task")
    ax.axhline(0.5, color="0.7", lw=0.6)
    ax.set_xlabel("probe point (depth; 0: the input pixels)", fontsize=8)
    ax.set_ylabel("val. accuracy", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=6.5, frameon=False, ncol=5, loc="upper center", bbox_to_anchor=(0.5, -0.3))
    _save_figure(fig, path)


def _unit_cells(r) -> dict:
    """accuracy, VIP, selectivity and the fallback flag of a row (a dict or a Series)."""
    sel = r.get("selectivity")
    return {
        "accuracy": r.get("accuracy"),
        "vip": f"{float(r.get('vip')):.2f}",
        "selectivity": f"{100 * float(sel):+.1f} p.p." if pd.notna(sel) else "",
        "fallback": "yes" if float(r.get("qda_reg") or 0) > 0 else "",
    }


def _point_rows(t: pd.DataFrame, cards: dict, attribute: str) -> dict:
    """The table of one point of a (network, attribute) page: its whole-layer row (None
    without one) and its filters' and neurons' rows; a unit with a card links to it,
    naming the attributes it was chosen for when ``attribute`` is not one."""
    layer = t[t["probe"] == "layer"]
    units = []
    for probe, label in (("filter", "filter (channel)"), ("neuron", "neuron")):
        for r in t[t["probe"] == probe].sort_values("rank").itertuples():
            unit = str(r.units).split()[0] if str(r.units).strip() else ""
            address, chosen_for = cards.get((probe, r.point, unit), (None, []))
            text = "card" if attribute in chosen_for else f"card ({', '.join(chosen_for)})"
            row = {"label": label, "rank": int(r.rank), "unit": unit}
            units.append(row | _unit_cells(r._asdict()) | {"address": address, "link": text})
    return {"layer": _unit_cells(layer.iloc[0]) if len(layer) else None, "units": units}


def network_page(table: pd.DataFrame, network: str, attribute: str, folder: Path, cards: dict,
                 points: list[tuple[str, str]], picks: dict[str, str]) -> None:  # fmt: skip
    """Write ``<network>/<attribute>.html`` and its depth figure into ``folder`` (``cards``:
    {(selection, point, unit): (card address, the attributes it was chosen for)};
    ``picks``: {selection: point} of the units chosen for Table I; the best whole-layer
    point and theirs open, marked)."""
    folder.mkdir(parents=True, exist_ok=True)
    figure = f"{attribute}_depth.png"
    _curve_figure(table, network, attribute, folder / figure)
    t = table[(table["network"] == network) & (table["attribute"] == attribute)]
    layer = t[(t["probe"] == "layer") & (t["depth"] > 0)]
    marks = {} if layer.empty else {layer.loc[layer["accuracy"].idxmax(), "point"]: ["best layer"]}
    for selection, point in picks.items():
        marks.setdefault(point, []).append(f"Table I {selection}")
    shown, missing = [], []
    for point, name in points:
        rows = t[t["point"] == point]
        if rows.empty:
            missing.append(point)
            continue
        shown.append(
            {
                "point": point,
                "name": name,
                "open": point == "L00" or point in marks,
                "marks": marks.get(point, []),
                "layer_accuracy": rows[rows["probe"] == "layer"]["accuracy"].max(),
            }
            | _point_rows(rows, cards, attribute)
        )
    page = _page(
        f"{network} {attribute}",
        "network_page",
        1,
        network=network,
        attribute=attribute,
        figure=figure,
        missing=missing,
        shown=shown,
    )
    write_text(folder / f"{attribute}.html", page)


def _selected_units(f: h5py.File, network: str, attributes: list[str], celeba, unit_file,
                    missing: list[str]) -> dict[tuple, dict]:  # fmt: skip
    """The units selected for Table I in a network's ``*_neurons.h5`` (open as ``f``):
    {(point, unit id): the card's unit}, a unit chosen for several attributes once, naming
    them all; a trained network's attribute without one is added to ``missing``."""
    test = f["test_index"][...]
    units: dict[tuple, dict] = {}
    for selection, attribute in itertools.product(("neuron", "filter"), attributes):
        key = attribute if selection == "neuron" else f"filter/{attribute}"
        if key not in f:
            if not is_control(network):
                missing.append(
                    f"network {network}, {attribute}: no selected {selection} in {unit_file}"
                )
            continue
        d = f[key]
        point, unit = str(d.attrs["point"]), int(d.attrs["unit"])
        unit_id = f"{'n' if selection == 'neuron' else 'c'}{unit}"
        card = units.setdefault((point, unit_id), {
            "network": network, "point": point, "name": str(d.attrs["name"]),
            "selection": selection, "unit": unit, "unit_id": unit_id,
            "activation": d[...], "chosen": [],
        })  # fmt: skip
        labels = celeba.attribute(attribute)[test]
        card["chosen"].append((attribute, labels, float(d.attrs["test_accuracy"])))
    return units


def _unit_cards(tmp: Path, unit_files: dict, attributes: list[str], celeba, k: int,
                missing: list[str]) -> tuple[dict, dict, int]:  # fmt: skip
    """Write every network's unit cards into ``tmp``. Returns ``cards``, per network
    {(selection, point, unit): (address, the attributes it was chosen for)}, ``chosen``,
    {(network, attribute, selection): the card's address from the index}, and the number
    of cards; what could not be shown is added to ``missing``."""
    cards: dict[str, dict] = {}
    chosen: dict[tuple, str] = {}
    n_cards = 0
    for network, unit_file in unit_files.items():
        cards[network] = {}
        if not Path(unit_file).is_file():
            missing.append(f"network {network}: {unit_file} is missing, so no unit cards")
            continue
        with h5py.File(unit_file, "r") as f:
            test = f["test_index"][...]
            units = _selected_units(f, network, attributes, celeba, unit_file, missing)
        paths = [celeba.image_path(int(i)) for i in test]
        for (point, unit_id), unit in units.items():
            folder = tmp / network / point / unit_id
            try:
                unit_card(folder, unit["activation"], paths, unit, k)
            except OSError as e:  # a test image missing or unreadable
                shutil.rmtree(folder, ignore_errors=True)
                missing.append(f"network {network}, {point} {unit_id}: {e}")
                continue
            address = f"{point}/{unit_id}/index.html"
            attributes_of = [attribute for attribute, _, _ in unit["chosen"]]
            cards[network][unit["selection"], point, str(unit["unit"])] = (address, attributes_of)
            for attribute in attributes_of:
                chosen[network, attribute, unit["selection"]] = f"{network}/{address}"
            n_cards += 1
    return cards, chosen, n_cards


def _index_page(table: pd.DataFrame, networks: list[str], attributes: list[str],
                chosen: dict, missing: list[str], counterfactual: bool) -> str:  # fmt: skip
    """index.html: per attribute and network the best whole-layer point past the input
    and its accuracy (None where the network has no rows), and the Table I cards; a link
    to the counterfactual faces' page where there is one."""
    layer = table[(table["probe"] == "layer") & (table["depth"] > 0)]
    rows = []
    for attribute in attributes:
        cells = []
        for network in networks:
            t = layer[(layer["network"] == network) & (layer["attribute"] == attribute)]
            if t.empty:
                cells.append(None)
                continue
            best = t.loc[t["accuracy"].idxmax()]
            cells.append({
                "page": f"{network}/{attribute}.html",
                "point": best["point"],
                "accuracy": best["accuracy"],
                "cards": [(sel, chosen[network, attribute, sel]) for sel in ("neuron", "filter")
                          if (network, attribute, sel) in chosen],
            })  # fmt: skip
        rows.append((attribute, cells))
    return _page(
        "facecues unit atlas",
        "index",
        networks=[(n, is_control(n)) for n in networks],
        rows=rows,
        missing=missing,
        counterfactual=counterfactual,
    )


def build_atlas(
    out: str | Path,
    table: pd.DataFrame,
    unit_files: dict[str, str | Path],
    celeba,
    k: int = 100,
    counterfactual: tuple[pd.DataFrame, str | Path] | None = None,
) -> dict:
    """Write the atlas into ``out`` (replaced whole) from the accuracy ``table`` and
    ``unit_files`` ({network: its ``*_neurons.h5``, the selected units' test
    activations}); ``celeba`` gives the test images and labels; ``counterfactual``, where
    the study ran it, (``results/tables/counterfactual.tsv``, the examples' folder of the
    rule counterfactual_faces) adds ``counterfactual.html``. Returns {"pages": n,
    "cards": n, "bytes": n, "missing": [what could not be shown, as the index says]}."""
    out = Path(out)
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    table = table.assign(network=table["network"].astype(str))
    points = table_points(table)
    attributes = list(dict.fromkeys(table["attribute"]))
    networks = list(dict.fromkeys([*map(str, unit_files), *table["network"]]))
    if counterfactual is not None:  # first: bad input stops before anything is built
        try:
            context = counterfactual_context(*counterfactual, tmp)
        except DataFormatError:
            shutil.rmtree(tmp)
            raise
        probed = {a: [(n, f"{n}/{a}.html") for n in networks] for a in attributes}
        page = _page("Counterfactual faces", "counterfactual", style=PAIRS_STYLE,
                     probed=probed, **context)  # fmt: skip
        write_text(tmp / "counterfactual.html", page)
    missing: list[str] = []
    cards, chosen, n_cards = _unit_cards(tmp, unit_files, attributes, celeba, k, missing)
    for network in networks:
        for attribute in attributes:
            picks = {
                sel: chosen[network, attribute, sel].split("/")[1]
                for sel in ("neuron", "filter")
                if (network, attribute, sel) in chosen
            }
            network_page(
                table, network, attribute, tmp / network, cards.get(network, {}), points, picks
            )
    index = _index_page(table, networks, attributes, chosen, missing, counterfactual is not None)
    write_text(tmp / "index.html", index)
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    pages = len(list(out.rglob("*.html")))
    return {"pages": pages, "cards": n_cards, "bytes": size, "missing": missing}
