"""The probe file: everything the pls_vip step saves for one (network, attribute,
probe point), written, read and sized here.

``results/probes/<network>/<attribute>/L07.h5`` (docs/protocol.md, sections
5-7, for what the probes are):

- attributes: the shard's (``facecues.activations.shards.SHARD_ATTRS``:
  ``point``, ``name``, ``kind``, ``shape``, ``index``) and ``network``,
  ``attribute`` (the wildcards it was fitted for), and ``format_version``
  (``PROBE_FILE_VERSION``: a file of another version, or none, is refused on
  read, naming the file, both versions and what to rerun);
- ``vip`` (units,) float32 and ``filter_score`` (channels,) float64;
  ``train_y`` (rows,) int8, and ``identity_y`` (the identity control task's
  labels of the same rows) when the task is on;
- ``pls/``: the PLS probes (``layer``, ``filters``, ``filter_<r>`` and their
  ``identity_`` twins), packed (``write_pls_probes``): per probe its training
  features, the units it reads (none: the whole map), and the projection A
  and offset b with features = X[:, columns] A - b (the projection format of
  ``facecues.activations.projection``, which the streaming step applies);
- ``raw/``: the probes on raw unit values (``neurons``, ``neuron_<r>``,
  ``vip_<j>`` and twins), packed (``write_raw_probes``).

Packed, not a group per probe: a file holds ~20 datasets instead of ~70, and
the validation step opens 50 such files per job. ``read_probe_file`` checks
every dataset as it reads it (one FacecuesError naming the file and what was
expected); ``load_point_probes`` turns a file into :class:`PointProbes`, the
features and :class:`Projector` of every probe; ``probe_file_bytes`` sizes a
file for ``facecues plan``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from facecues.activations.projection import PROJECTION_DTYPE, Projector, projection
from facecues.activations.shards import (
    VERSION_ATTR,
    expect_attrs,
    map_units,
    point_from_name,
    text,
)
from facecues.errors import FacecuesError
from facecues.io import REWRITE, open_h5

WHAT = "a probe file (vip, train_y, pls/, raw/) written by facecues' pls_vip step"
#: The probe file layout's version (this module's docstring; the projections'
#: ``facecues.activations.projection``), written by ``write_probe_file`` as the attribute
#: ``format_version``, checked by ``read_probe_file``; raise it with any change a reader
#: of older files would misread.
PROBE_FILE_VERSION = 1
#: What to do with a probe file of another version.
PROBE_RERUN = (
    "delete it (or results/probes) and rerun snakemake: rules extract and pls_vip write it again"
)

__all__ = [
    "PROBE_FILE_VERSION",
    "PointProbes",
    "Projector",
    "load_point_probes",
    "probe_file_bytes",
    "projection",
    "read_probe_file",
    "write_probe_file",
]


def write_probe_file(
    g: h5py.File, meta: dict, vip, filter_score, train_y, identity_y, xtr, probes: dict
) -> None:
    """Write a probe file into the open file ``g``: the shard's attributes ``meta``
    (with network and attribute), the unit scores, the labels, and ``probes``
    ({name: an entry of ``facecues.probes.units.unit_features``}), PLS ones in
    ``pls/``, raw-unit ones in ``raw/`` (their training rows read from ``xtr``)."""
    g.attrs.update(meta)
    g.attrs[VERSION_ATTR] = PROBE_FILE_VERSION
    g.create_dataset("vip", data=np.asarray(vip).astype(np.float32))
    g.create_dataset("filter_score", data=filter_score)
    g["train_y"] = train_y
    if identity_y is not None:
        g["identity_y"] = identity_y
    write_pls_probes(g, {n: f for n, f in probes.items() if f["model"] is not None})
    write_raw_probes(g, xtr, {n: f for n, f in probes.items() if f["model"] is None})


def write_pls_probes(g: h5py.File, pls: dict[str, dict]) -> None:
    """The PLS probes, packed into ``pls/``: per probe (``names``) its k features in
    ``train`` (rows, sum k) and ``offset`` (sum k,), its projection in the rows of
    ``projection`` (sum rows, max k; the first k columns), the units it reads in
    ``columns`` (none: the whole map, one projection row per unit), its channels in
    ``units`` (none for ``layer``), all sliced by ``offsets`` (probes + 1, 4: the
    cumulative counts of features, projection rows, columns and units), and ``vip``
    (probes,) the mean VIP of its units (of the map for ``layer``)."""
    names = list(pls)
    ab = [projection(pls[n]["model"]) for n in names]
    columns = [
        np.zeros(0, np.int64)
        if pls[n]["columns"] is None
        else np.asarray(pls[n]["columns"], np.int64)
        for n in names
    ]
    units = [np.asarray(pls[n]["units"], np.int64).reshape(-1) for n in names]
    sizes = [
        (b.size, a.shape[0], c.size, u.size)
        for (a, b), c, u in zip(ab, columns, units, strict=True)
    ]
    k_max = max((b.size for _, b in ab), default=0)
    proj = np.zeros((sum(a.shape[0] for a, _ in ab), k_max), dtype=PROJECTION_DTYPE)
    row = 0
    for a, _ in ab:
        proj[row : row + a.shape[0], : a.shape[1]] = a
        row += a.shape[0]
    grp = g.create_group("pls")
    grp["names"] = np.array(names, dtype=h5py.string_dtype())
    grp["offsets"] = np.vstack(
        [np.zeros((1, 4), np.int64), np.cumsum(np.array(sizes, np.int64).reshape(-1, 4), axis=0)]
    )
    grp["train"] = np.hstack(
        [
            np.asarray(pls[n]["train"], np.float64).reshape(-1, b.size)
            for n, (_, b) in zip(names, ab, strict=True)
        ]
    )
    grp["projection"] = proj
    grp["offset"] = np.concatenate([b for _, b in ab]) if ab else np.zeros(0)
    grp["columns"] = np.concatenate(columns) if columns else np.zeros(0, np.int64)
    grp["units"] = np.concatenate(units) if units else np.zeros(0, np.int64)
    grp["vip"] = np.array([np.mean(pls[n]["score"]) for n in names], dtype=np.float64)


def write_raw_probes(g: h5py.File, xtr: np.ndarray, raw: dict[str, dict]) -> None:
    """The probes on raw unit values, packed into ``raw/`` (a few datasets, not a group
    each: the validation step opens 50 such files per job): ``units`` the sorted union of
    the units they read, ``train`` the training rows at those units (float64), and per
    probe (``names``) its units ``columns[offsets[i]:offsets[i + 1]]`` and their VIP
    ``scores``."""
    names = list(raw)
    columns = [np.asarray(raw[n]["columns"], dtype=np.int64) for n in names]
    units = np.unique(np.concatenate(columns)) if columns else np.zeros(0, np.int64)
    grp = g.create_group("raw")
    grp["names"] = np.array(names, dtype=h5py.string_dtype())
    grp["units"] = units
    grp["train"] = np.asarray(xtr[:, units], dtype=np.float64)
    grp["offsets"] = np.cumsum([0] + [c.size for c in columns]).astype(np.int64)
    grp["columns"] = np.concatenate(columns) if columns else np.zeros(0, np.int64)
    grp["scores"] = (
        np.concatenate([np.asarray(raw[n]["score"], np.float64) for n in names])
        if names
        else np.zeros(0)
    )


# ----------------------------------------------------------------------------------------
# Reading.


def read_probe_file(
    path: str | Path,
    f: h5py.File,
    *,
    network: str | None = None,
    attribute: str | None = None,
    point: str | None = None,
) -> tuple[dict, dict]:
    """Read and check an open probe file written by ``write_probe_file``; returns
    (attributes, contents).

    Every dataset is read once and checked as read: the attributes (as
    ``read_shard``), that ``vip``, ``train_y`` and the packed ``pls/`` and
    ``raw/`` probes exist with shapes consistent with each other and with the
    map's units, and that ``pls/`` holds the ``layer`` probe.
    ``contents``: ``train_y``, ``identity_y`` (None without the identity
    control task), ``features`` {PLS probe: {``train``, ``columns``
    (None: the whole map), ``projection``, ``offset``, ``units``, ``vip`` (the
    mean over its units)}} and ``raw`` {``names``, ``units``, ``train``,
    ``offsets``, ``columns``, ``scores``}.
    """
    path = Path(path)
    point = point or point_from_name(path)
    meta = expect_attrs(
        path,
        f,
        WHAT,
        version=PROBE_FILE_VERSION,
        rerun=PROBE_RERUN,
        network=network,
        attribute=attribute,
        point=point,
    )
    try:
        return meta, _read_probe_contents(path, f, meta, WHAT)
    except OSError as e:
        raise FacecuesError(
            f"{path}: cannot read it ({e}); the file is truncated or damaged; {REWRITE}"
        ) from None


def _read_probe_contents(path: Path, f: h5py.File, meta: dict, what: str) -> dict:
    units = map_units(meta)
    for name in ("vip", "train_y"):
        if name not in f:
            raise FacecuesError(f"{path}: {name!r} missing; expected {what}; {REWRITE}")
    if f["vip"].shape != (units,):
        raise FacecuesError(
            f"{path}: 'vip' has shape {f['vip'].shape}, expected ({units},), one per unit of "
            f"the map {tuple(int(s) for s in np.atleast_1d(meta['shape']))}; {REWRITE}"
        )
    train_y = f["train_y"][...]
    rows = train_y.shape[0] if train_y.ndim == 1 else -1
    if rows < 2:
        raise FacecuesError(f"{path}: 'train_y' has shape {train_y.shape}, expected (rows,)")
    return {
        "train_y": train_y,
        "identity_y": f["identity_y"][...] if "identity_y" in f else None,
        "features": _read_pls_probes(path, f, rows, units),
        "raw": _read_raw_probes(path, f, rows, units),
    }


def _read_pls_probes(path: Path, f: h5py.File, rows: int, units: int) -> dict:
    """The packed PLS probes (``pls/``, ``write_pls_probes``), read,
    checked and unpacked: {probe: {train, columns, projection, offset, units, vip}}."""
    where = f"{path}: pls"
    pls = _read_group(
        path,
        f,
        "pls",
        ("names", "offsets", "train", "projection", "offset", "columns", "units", "vip"),
    )
    names = pls["names"]
    offsets, train, proj = pls["offsets"], pls["train"], pls["projection"]
    ends = (
        train.shape[-1] if train.ndim else -1,
        proj.shape[0] if proj.ndim else -1,
        pls["columns"].size,
        pls["units"].size,
    )
    if (
        offsets.shape != (len(names) + 1, 4)
        or offsets[0].any()
        or np.any(np.diff(offsets, axis=0) < 0)
        or tuple(offsets[-1]) != ends
        or train.shape != (rows, ends[0])
        or pls["offset"].shape != (ends[0],)
        or proj.ndim != 2
        or pls["vip"].shape != (len(names),)
    ):
        raise FacecuesError(
            f"{where}: names, offsets, train {train.shape}, projection {proj.shape}, offset, "
            f"columns, units and vip disagree (expected train ({rows}, k)); {REWRITE}"
        )
    if "layer" not in names:
        raise FacecuesError(f"{where}: no 'layer' probe among {names}; expected one; {REWRITE}")
    columns = pls["columns"]
    if columns.ndim != 1 or columns.dtype.kind not in "iu":
        raise FacecuesError(f"{where}/columns: expected a 1-D integer array of units; {REWRITE}")
    if columns.size and (columns.min() < 0 or columns.max() >= units):
        raise FacecuesError(
            f"{where}/columns reads units {columns.min()}..{columns.max()}, expected 0.."
            f"{units - 1}; {REWRITE}"
        )
    features = {}
    for i, name in enumerate(names):
        (k0, r0, c0, u0), (k1, r1, c1, u1) = offsets[i], offsets[i + 1]
        cols = columns[c0:c1] if c1 > c0 else None
        if (r1 - r0) != (units if cols is None else cols.size) or not 0 < k1 - k0 <= proj.shape[1]:
            raise FacecuesError(
                f"{where}: probe {name!r} has {r1 - r0} projection rows and {k1 - k0} "
                f"features, expected one row per unit it reads "
                f"({units if cols is None else cols.size}) and 1..{proj.shape[1]} features; "
                f"{REWRITE}"
            )
        features[name] = {
            "train": train[:, k0:k1],
            "columns": cols,
            "projection": proj[r0:r1, : k1 - k0],
            "offset": pls["offset"][k0:k1],
            "units": pls["units"][u0:u1],
            "vip": float(pls["vip"][i]),
        }
    return features


def _read_raw_probes(path: Path, f: h5py.File, rows: int, units: int) -> dict:
    """The packed raw-unit probes (``raw/``, ``write_raw_probes``), read
    and checked."""
    where = f"{path}: raw"
    raw = _read_group(path, f, "raw", ("names", "units", "train", "offsets", "columns", "scores"))
    union, offsets, columns = raw["units"], raw["offsets"], raw["columns"]
    if raw["train"].shape != (rows, union.size):
        raise FacecuesError(
            f"{where}/train has shape {raw['train'].shape}, expected ({rows}, {union.size}); "
            f"{REWRITE}"
        )
    n = len(raw["names"])
    if (
        offsets.shape != (n + 1,)
        or offsets[0] != 0
        or np.any(np.diff(offsets) < 0)
        or offsets[-1] != columns.size
        or raw["scores"].shape != columns.shape
    ):
        raise FacecuesError(f"{where}: offsets, columns and scores disagree; {REWRITE}")
    if union.size and (union.min() < 0 or union.max() >= units):
        raise FacecuesError(
            f"{where}/units reads units {union.min()}..{union.max()}, expected 0..{units - 1}; "
            f"{REWRITE}"
        )
    if not np.isin(columns, union).all():
        raise FacecuesError(f"{where}/columns names units missing from raw/units; {REWRITE}")
    return raw


def _read_group(path: Path, f: h5py.File, group: str, parts: tuple[str, ...]) -> dict:
    """Every dataset ``parts`` of the packed group ``group`` (``pls``, ``raw``), read whole;
    ``names`` as a list of str."""
    if group not in f or any(k not in f[group] for k in parts):
        raise FacecuesError(f"{path}: {group}: expected the datasets {', '.join(parts)}; {REWRITE}")
    out = {k: f[group][k][...] for k in parts}
    out["names"] = [text(n) for n in out["names"]]
    return out


@dataclass
class PointProbes:
    """Everything saved for one probe point: metadata, labels, training features, projectors;
    ``identity_y``: the training labels of the identity-task twins (None: no control)."""

    meta: dict
    train_y: np.ndarray
    train: dict[str, np.ndarray]
    projectors: dict[str, Projector]
    units: dict[str, np.ndarray]
    vip: dict[str, float]
    identity_y: np.ndarray | None = None


def load_point_probes(
    path: str | Path,
    *,
    network: str | None = None,
    attribute: str | None = None,
    point: str | None = None,
) -> PointProbes:
    """Read a file written by ``facecues.layer_probe.fit_layer_probes``.

    The file is checked as it is read (``facecues.shards.read_probe_file``): a
    truncated or foreign file, or one whose attributes name another network,
    attribute or probe point than those given (the point defaults to the file
    name, ``L07.h5``), raises FacecuesError naming the file and what was expected.
    """
    what = "a probe file written by facecues' pls_vip step"
    with open_h5(path, what) as f:
        meta, contents = read_probe_file(path, f, network=network, attribute=attribute, point=point)
    train, projectors, units, vip = {}, {}, {}, {}
    for name, g in contents["features"].items():  # PLS probes, packed by layer_probe
        train[name] = g["train"]
        projectors[name] = Projector(g["columns"], g["projection"], g["offset"])
        units[name] = g["units"]
        vip[name] = g["vip"]
    raw = contents["raw"]  # the raw-unit probes, packed by layer_probe._write_raw_probes
    offsets, columns, scores = raw["offsets"], raw["columns"], raw["scores"]
    for i, name in enumerate(raw["names"]):
        cols = columns[offsets[i] : offsets[i + 1]]
        train[name] = raw["train"][:, np.searchsorted(raw["units"], cols)]
        projectors[name] = Projector(cols, None, None)
        units[name] = cols
        vip[name] = float(np.mean(scores[offsets[i] : offsets[i + 1]]))
    return PointProbes(
        meta, contents["train_y"], train, projectors, units, vip, contents["identity_y"]
    )


# ----------------------------------------------------------------------------------------
# Size.

# Probe files: data bytes as in probe_file_bytes (the raw probes' union an upper bound),
# plus headers and attributes: small files (21-94 kB) 11-14 kB over their data, about 20
# objects each. Fitted: 5 kB per file + 400 B per object. A default run's files
# (0.33-2.8 MB) are 1-8% below the estimate (its raw units overlap).
PROBE_FILE_BYTES = 5_000
PROBE_OBJECT_BYTES = 400


def probe_file_bytes(
    shape: tuple[int, ...],
    *,
    rows: int,
    n_components: int,
    top_k: int,
    vip_neurons: int,
    control_twins: bool,
    pooled_filters: bool = False,
) -> int:
    """Bytes of one probe file of a point of per-image ``shape``, fitted on ``rows``
    training rows with the pls_vip step's options (``control_twins``: the identity-task
    twins).

    vip (float32, every unit), filter_score (float64 per channel), train_y (int8); the PLS
    probes (layer, filters, filter_r) packed: their training features and offsets
    (float64), the float32 projection rows of the units each reads (padded to the largest
    k), those units' int64 indices, and per probe its channels, offsets, mean VIP and
    name; the raw-unit probes (neurons, neuron_r, vip_j) packed: the training rows at the
    union of their units (float64; counted without overlaps, an upper bound) and each
    probe's units and VIP (int64 + float64); HDF5 headers ~PROBE_OBJECT_BYTES per object.
    """
    n, k_top, nc, twins = int(rows), int(top_k), int(n_components), int(bool(control_twins))
    c, h, w = (tuple(shape) + (1, 1))[:3]
    m, hw = c * h * w, h * w
    total = 4 * m + 8 * c + n + n * twins  # vip, filter_score, train_y, identity_y
    pooled = (h, w) == (1, 1)  # no filter probes at the pooled point unless asked
    kf = 0 if pooled and not pooled_filters else min(k_top, c)
    k, kf_comp, kj = min(nc, m, n), min(nc, hw, n), min(nc, kf * hw, n)
    k_max = max(k, kf_comp, kj) if kf else k  # the projection's columns
    layer = n * k * 8 + m * k_max * 4 + k * 8
    one_filter = n * kf_comp * 8 + hw * 8 + hw * k_max * 4 + kf_comp * 8 + 8
    joint = (n * kj * 8 + kf * hw * (8 + k_max * 4) + kj * 8 + kf * 8) if kf else 0
    total += layer + kf * one_filter + joint
    pls = 1 + (kf + 1 if kf else 0)
    if twins:  # the twins of layer, filters and filter_1
        total += layer + (joint + one_filter if kf else 0)
        pls += 1 + (2 if kf else 0)
    total += (pls + 1) * 32 + pls * (8 + 16)  # offsets, vip, names
    kn = min(k_top, m)
    singles = kn + kn + vip_neurons + (kn + 1) * twins  # units the raw probes read
    union = min(m, 2 * kn + vip_neurons if twins else kn + vip_neurons)
    probes = 1 + kn + vip_neurons + 2 * twins
    total += n * union * 8 + union * 8 + singles * 16 + (probes + 1) * 8 + probes * 16
    objects = 3 + twins + 9 + 7  # + pls/ and its 8 datasets, raw/ and its 6
    return total + PROBE_FILE_BYTES + objects * PROBE_OBJECT_BYTES
