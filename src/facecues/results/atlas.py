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
  its activation histogram split by each attribute's label.

The test activations come from the score_test step (``results/test/<network>_neurons.h5``:
every test image's activation of each selected unit, gathered while streaming).
"""

from __future__ import annotations

import html
import itertools
import shutil
from pathlib import Path

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from PIL import Image  # noqa: E402

from facecues.io import atomic_path, write_text  # noqa: E402
from facecues.nets.names import is_control  # noqa: E402
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


def _page(title: str, body: str, depth: int = 0) -> str:
    home = "../" * depth + "index.html"
    return document(title, f"<p><a href='{home}'>atlas</a></p>\n{body}", STYLE)


def _pct(x) -> str:
    return f"{100 * float(x):.1f}%" if pd.notna(x) else ""


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


def unit_card(folder: Path, activation: np.ndarray, paths: list[Path], unit: dict, k: int) -> None:
    """Write one unit's card into ``folder``: top and bottom faces, the means of the k
    highest and lowest, and per attribute it was chosen for the histogram by label
    (``unit``: network, point, name, selection, unit, unit_id, and ``chosen``, a list
    of (attribute, labels, test accuracy))."""
    folder.mkdir(parents=True, exist_ok=True)
    order = np.argsort(-activation, kind="stable")
    top, bottom = order[:FACES], order[::-1][:FACES]
    _grid([paths[i] for i in top], folder / "top.jpg")
    _grid([paths[i] for i in bottom], folder / "bottom.jpg")
    k = max(1, min(k, len(paths) // 2))
    high, low = average_faces(paths, activation, k=k, loader="pil")
    fig, axes = plt.subplots(1, 2, figsize=(3.2, 2.0))
    for ax, img, label in zip(axes, (high, low), (f"highest {k}", f"lowest {k}"), strict=True):
        ax.imshow(np.clip(img / 255.0, 0, 1))
        ax.set_title(label, fontsize=8)
        ax.axis("off")
    _save_figure(fig, folder / "means.png")
    chosen = unit["chosen"]
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
    kind = "neuron" if unit["selection"] == "neuron" else "filter (channel mean)"
    filter_note = (
        " A filter's probe reads all its channel's positions; faces and histograms here "
        "rank by their mean, so they can separate the classes less than the probe does."
        if unit["selection"] == "filter"
        else ""
    )
    network = html.escape(unit["network"])
    tied = int((activation == activation.min()).sum())
    ties = (
        f"<p>{tied} test images share the lowest value, {activation.min():.3g}: these are "
        f"{FACES} of them.</p>"
        if tied > FACES
        else ""
    )
    chosen_for = "; ".join(
        f"<b>{html.escape(attribute)}</b>, test accuracy {_pct(accuracy)}"
        for attribute, _, accuracy in chosen
    )
    body = (
        f"<h1>{network} / {unit['point']} / {unit['unit_id']}</h1>"
        f"<p>Network {network}, point {unit['point']} ({html.escape(unit['name'])}), "
        f"{kind} {unit['unit']}: the best single {unit['selection']} on validation for "
        f"{chosen_for} (on {len(paths)} CelebA test images).{filter_note}</p>"
        f"<h2>The {FACES} test faces that excite it most</h2><img src='top.jpg' alt='top'>"
        f"<h2>The {FACES} that excite it least</h2>{ties}<img src='bottom.jpg' alt='bottom'>"
        f"<h2>Mean of the {k} highest and of the {k} lowest</h2><img src='means.png' alt='means'>"
        "<h2>Activation by label</h2><img src='hist.png' alt='histogram'>"
    )
    title = f"{unit['network']} {unit['point']} {unit['unit_id']}"
    write_text(folder / "index.html", _page(title, body, 3))


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


def _point_rows(t: pd.DataFrame, cards: dict, attribute: str) -> list[str]:
    """The table rows of one point of a (network, attribute) page; a unit with a card
    links to it, naming the attributes it was chosen for when ``attribute`` is not one."""
    rows = []
    layer = t[t["probe"] == "layer"]
    if len(layer):
        r = layer.iloc[0]
        rows.append(f"<tr><td>whole layer</td><td></td>{_unit_cells(r)}<td></td></tr>")
    for probe, label in (("filter", "filter (channel)"), ("neuron", "neuron")):
        for r in t[t["probe"] == probe].sort_values("rank").itertuples():
            unit = str(r.units).split()[0] if str(r.units).strip() else ""
            address, chosen_for = cards.get((probe, r.point, unit), (None, []))
            text = "card" if attribute in chosen_for else f"card ({', '.join(chosen_for)})"
            link = f"<a href='{address}'>{html.escape(text)}</a>" if address else ""
            rows.append(
                f"<tr><td>{label} {int(r.rank)}</td><td>{unit}</td>"
                f"{_unit_cells(r._asdict())}<td>{link}</td></tr>"
            )
    return rows


def _unit_cells(r) -> str:
    """accuracy, VIP, selectivity and the fallback flag of a row (a dict or a Series)."""
    fallback = "yes" if float(r.get("qda_reg") or 0) > 0 else ""
    sel = r.get("selectivity")
    return (
        f"<td>{_pct(r.get('accuracy'))}</td><td>{float(r.get('vip')):.2f}</td>"
        f"<td>{f'{100 * float(sel):+.1f} p.p.' if pd.notna(sel) else ''}</td>"
        f"<td>{fallback}</td>"
    )


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
    parts = [
        f"<h1>{html.escape(network)}: {html.escape(attribute.replace('_', ' '))}</h1>",
        f"<img src='{figure}' alt='accuracy over depth'>",
        "<p>Validation accuracy of each probe; selectivity: minus the same probe on the "
        "untrained networks (zero at L00, the input pixels, which every network shares); "
        "fallback: the QDA's class covariance was singular and a small regularisation was "
        "used. Filters are channels, neurons flattened units (c·H·W + y·W + x); "
        "<i>card</i> links the units chosen for Table I (for another attribute: named).</p>",
    ]
    missing = []
    layer = t[(t["probe"] == "layer") & (t["depth"] > 0)]
    marks = {} if layer.empty else {layer.loc[layer["accuracy"].idxmax(), "point"]: ["best layer"]}
    for selection, point in picks.items():
        marks.setdefault(point, []).append(f"Table I {selection}")
    for point, name in points:
        rows = t[t["point"] == point]
        if rows.empty:
            missing.append(point)
            continue
        body = "".join(_point_rows(rows, cards, attribute))
        mark = f" <b>({', '.join(marks[point])})</b>" if point in marks else ""
        parts.append(
            f"<details{' open' if point == 'L00' or point in marks else ''}><summary>{point} "
            f"({html.escape(name)}): whole layer "
            f"{_pct(rows[rows['probe'] == 'layer']['accuracy'].max())}{mark}</summary>"
            "<table><tr><th>probe</th><th>unit</th><th>accuracy</th><th>VIP</th>"
            f"<th>selectivity</th><th>fallback</th><th>card</th></tr>{body}</table></details>"
        )
    if missing:
        parts.insert(
            2,
            f"<p class='missing'>Missing for network {html.escape(network)}: no probe results "
            f"at {', '.join(missing)}.</p>",
        )
    write_text(folder / f"{attribute}.html", _page(f"{network} {attribute}", "\n".join(parts), 1))


def build_atlas(
    out: str | Path,
    table: pd.DataFrame,
    unit_files: dict[str, str | Path],
    celeba,
    k: int = 100,
) -> dict:
    """Write the atlas into ``out`` (replaced whole) from the accuracy ``table`` and
    ``unit_files`` ({network: its ``*_neurons.h5``, the selected units' test
    activations}); ``celeba`` gives the test images and labels. Returns {"pages": n,
    "cards": n, "bytes": n}."""
    out = Path(out)
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    table = table.assign(network=table["network"].astype(str))
    points = table_points(table)
    attributes = list(dict.fromkeys(table["attribute"]))
    networks = list(dict.fromkeys([*map(str, unit_files), *table["network"]]))
    cards: dict[str, dict] = {}  # per network: (selection, point, unit) -> (address, attributes)
    chosen: dict[tuple, str] = {}  # (network, attribute, selection) -> card address
    missing: list[str] = []  # what could not be shown, said on the index
    n_cards = 0
    for network, unit_file in unit_files.items():
        cards[network] = {}
        if not Path(unit_file).is_file():
            missing.append(f"network {network}: {unit_file} is missing, so no unit cards")
            continue
        with h5py.File(unit_file, "r") as f:
            test = f["test_index"][...]
            units: dict[tuple, dict] = {}  # (point, unit id) -> the card's unit
            for selection, attribute in itertools.product(("neuron", "filter"), attributes):
                key = attribute if selection == "neuron" else f"filter/{attribute}"
                if key not in f:
                    if not is_control(network):
                        missing.append(
                            f"network {network}, {attribute}: no selected {selection} in "
                            f"{unit_file}"
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
            for attribute, _, _ in unit["chosen"]:
                chosen[network, attribute, unit["selection"]] = f"{network}/{address}"
            n_cards += 1
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
    rows = []
    layer = table[(table["probe"] == "layer") & (table["depth"] > 0)]
    for attribute in attributes:
        cells = []
        for network in networks:
            t = layer[(layer["network"] == network) & (layer["attribute"] == attribute)]
            if t.empty:
                cells.append("<td class='missing'>no probe results</td>")
                continue
            best = t.loc[t["accuracy"].idxmax()]
            links = [
                f"<a href='{chosen[network, attribute, sel]}'>{sel}</a>"
                for sel in ("neuron", "filter")
                if (network, attribute, sel) in chosen
            ]
            cells.append(
                f"<td><a href='{network}/{attribute}.html'>{best['point']} "
                f"{_pct(best['accuracy'])}</a> {' '.join(links)}</td>"
            )
        rows.append(f"<tr><td>{html.escape(attribute.replace('_', ' '))}</td>{''.join(cells)}</tr>")
    head = "".join(
        f"<th>{html.escape(n)}{' (untrained)' if is_control(n) else ''}</th>" for n in networks
    )
    body = (
        "<h1>facecues unit atlas</h1><p>Per attribute and network: the probe point whose "
        "whole layer decodes the attribute best on validation, and its accuracy (links to the "
        "network's page for the attribute, every point's top filters and neurons); "
        "<i>neuron</i> and <i>filter</i> link to the cards of the units chosen for Table I "
        "(their test faces, means and histogram).</p>"
        f"<table><tr><th>attribute</th>{head}</tr>{''.join(rows)}</table>"
    )
    if missing:
        items = "".join(f"<li>{html.escape(m)}</li>" for m in missing)
        body += f"<h2 class='missing'>Missing</h2><ul class='missing'>{items}</ul>"
    write_text(tmp / "index.html", _page("facecues unit atlas", body))
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    pages = len(list(out.rglob("*.html")))
    return {"pages": pages, "cards": n_cards, "bytes": size, "missing": missing}
