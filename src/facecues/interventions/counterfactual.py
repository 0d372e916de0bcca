"""The effect of one attribute on recognition, measured on counterfactual faces.

New people (``facecues.data.synthetic.counterfactual``), ``m`` images each, are embedded
by the network; every image is then changed by one *variant* (an attribute's flip, or a
nuisance control that changes no label) and embedded again. With ``S[i, j]`` the cosine
similarity of originals i and j and ``C[i, j]`` that of original i and the changed j
(docs/protocol.md section 14):

- the **threshold** t is the one at which the false-match rate over the originals'
  impostor pairs (i < j, different people) is the chosen ``fmr`` (1%): the lowest
  similarity whose FMR does not exceed it (``sklearn.metrics.roc_curve``);
- **FNMR rise**: over the ordered genuine pairs (i, j) (same person, i != j) that agree
  in the attribute, so that changing j makes them differ, the share with ``C < t``
  minus the share with ``S < t``: the recognitions the attribute's change alone breaks;
- **FMR rise**: over the ordered impostor pairs (i, j) that differ in the attribute, so
  that changing j makes them share it, the share with ``C >= t`` minus that with
  ``S >= t``;
- for a nuisance control every genuine and impostor pair counts;
- **intervals**: percentile bootstrap over people, the threshold held fixed: genuine
  pairs resampled with their person, impostor pairs weighted by the product of their two
  people's draw counts.

**Where in depth** (``depth_sensitivity``): at each probe point, the mean Euclidean
distance between a face's activations and its changed twin's, in units of the mean
distance between two images of the same person at that point.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from sklearn.metrics import roc_curve

from facecues.data.celeba import CELEBA_ATTRIBUTES
from facecues.errors import FacecuesError
from facecues.interventions.counterfactual_faces import FaceSet, as_input
from facecues.nets.architectures import embed
from facecues.nets.layout import point_id
from facecues.nets.probe_points import point_capture, probe_points

MIN_FALSE_MATCHES = 10  # impostor pairs above the threshold it rests on (facecues)
COLUMNS = [
    "network",
    "variant",
    "kind",
    "exact",
    "people",
    "fmr_target",
    "threshold",
    "genuine_pairs",
    "fnmr",
    "fnmr_changed",
    "fnmr_rise",
    "fnmr_rise_lo",
    "fnmr_rise_hi",
    "impostor_pairs",
    "fmr",
    "fmr_changed",
    "fmr_rise",
    "fmr_rise_lo",
    "fmr_rise_hi",
]
DEPTH_COLUMNS = [
    "network",
    "variant",
    "kind",
    "point",
    "faces",
    "change_distance",
    "genuine_distance",
    "sensitivity",
]


def fixed_fmr_threshold(impostor: np.ndarray, fmr: float) -> float:
    """The lowest impostor score t at which the share of ``impostor`` scores >= t is at
    most ``fmr`` (thresholds below it let more through); one clear error when there are
    too few impostors for that rate."""
    n = len(impostor)
    if n * fmr < MIN_FALSE_MATCHES:
        raise FacecuesError(
            f"counterfactual: {n} impostor pairs put {n * fmr:.1f} false matches at "
            f"FMR = {fmr:g}; at least {MIN_FALSE_MATCHES} are needed for a threshold "
            f"(more people, more images per person, or a larger FMR)"
        )
    labels = np.r_[np.zeros(n, bool), True]  # one positive above all, so that roc_curve runs
    scores = np.r_[impostor, np.max(impostor) + 1.0]
    fpr, _, thresholds = roc_curve(labels, scores, drop_intermediate=False)
    return float(thresholds[np.flatnonzero(fpr <= fmr)[-1]])


@dataclass(frozen=True)
class Pairs:
    """Ordered pairs of images (i, j), j the image that is changed, and their people."""

    i: np.ndarray
    j: np.ndarray
    person: np.ndarray  # (n_images,) the person of each image

    def __len__(self) -> int:
        return len(self.i)


def pairs_of(person, y, changed, genuine: bool, differ_after: bool | None) -> Pairs:
    """The ordered pairs (i, j), i != j, of the same (``genuine``) or of different people,
    whose image j has a changed twin (``changed``); with ``differ_after`` True those whose
    labels ``y`` agree (changing j makes them differ), False those that differ (changing
    j makes them share it), None every pair."""
    person = np.asarray(person)
    same = person[:, None] == person[None, :]
    keep = (same if genuine else ~same) & np.asarray(changed, bool)[None, :]
    np.fill_diagonal(keep, False)
    if differ_after is not None:
        y = np.asarray(y)
        agree = y[:, None] == y[None, :]
        keep &= agree if differ_after else ~agree
    i, j = np.nonzero(keep)
    return Pairs(i, j, person)


def _people(person: np.ndarray) -> tuple[np.ndarray, int]:
    _, code = np.unique(person, return_inverse=True)
    return code, int(code.max()) + 1


def rise(before, after, pairs: Pairs, genuine: bool, n_boot: int, rng) -> tuple[float, ...]:
    """(rate before, rate after, rise, 95% interval of the rise) of the 0/1 outcomes
    ``before``/``after`` of ``pairs``, the interval by the bootstrap over people."""
    before, after = np.asarray(before, float), np.asarray(after, float)
    if len(pairs) == 0:
        return (np.nan,) * 5
    code, n_people = _people(pairs.person)
    a, b = code[pairs.i], code[pairs.j]
    w = rng.multinomial(n_people, np.full(n_people, 1 / n_people), size=n_boot).astype(float)
    d = after - before
    if genuine:  # one person per pair
        num = w @ np.bincount(a, d, n_people)
        den = w @ np.bincount(a, minlength=n_people).astype(float)
    else:  # two people per pair: weight w_a * w_b
        sums, counts = np.zeros((n_people, n_people)), np.zeros((n_people, n_people))
        np.add.at(sums, (a, b), d)
        np.add.at(counts, (a, b), 1.0)
        num = np.einsum("bp,pq,bq->b", w, sums, w)
        den = np.einsum("bp,pq,bq->b", w, counts, w)
    boot = num[den > 0] / den[den > 0]
    lo, hi = np.percentile(boot, [2.5, 97.5])
    return float(before.mean()), float(after.mean()), float(d.mean()), float(lo), float(hi)


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    b = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
    return a @ b.T


def variant_effect(emb, twin, person, y, changed, threshold, control, n_boot, rng) -> dict:
    """FNMR and FMR rise (``rise``) of one variant from the originals' embeddings ``emb``,
    the changed twins' ``twin`` (rows where ``changed``), the labels ``y`` of the
    attribute, at the fixed ``threshold``; every pair counts for a ``control``."""
    s = _cosines(emb, emb)
    c = _cosines(emb, twin)
    out = {}
    for genuine, key, outcome in ((True, "fnmr", np.less), (False, "fmr", np.greater_equal)):
        differ = None if control else genuine
        pairs = pairs_of(person, y, changed, genuine, differ)
        before = outcome(s[pairs.i, pairs.j], threshold)
        after = outcome(c[pairs.i, pairs.j], threshold)
        r = rise(before, after, pairs, genuine, n_boot, rng)
        out[f"{'genuine' if genuine else 'impostor'}_pairs"] = len(pairs)
        out.update(
            zip(
                (key, f"{key}_changed", f"{key}_rise", f"{key}_rise_lo", f"{key}_rise_hi"),
                r,
                strict=True,
            )
        )
    return out


@torch.no_grad()
def embeddings(model, x: torch.Tensor, device, batch_size: int) -> np.ndarray:
    """Pooled embeddings (n, d) of the preprocessed images ``x``, in eval mode."""
    out = [
        embed(model, x[k : k + batch_size].to(device)).float().cpu()
        for k in range(0, len(x), batch_size)
    ]
    return torch.cat(out).numpy().astype(np.float64)


def counterfactual_effects(
    model,
    faces: FaceSet,
    *,
    input_size: int,
    fmr: float = 0.01,
    device="cpu",
    batch_size: int = 128,
    n_boot: int = 2000,
    seed: int = 0,
    network: str = "",
    depth: bool = False,
) -> tuple[list[dict], list[dict]]:
    """The rows of the effect table (``COLUMNS``) for each variant of ``faces`` (flips
    and nuisance controls), and with ``depth`` those of the depth table
    (``DEPTH_COLUMNS``)."""
    model = model.to(device).eval()
    person, labels = faces.person, faces.labels
    x = as_input(faces.images)
    emb = embeddings(model, x, device, batch_size)
    s = _cosines(emb, emb)
    iu = np.triu_indices(len(person), 1)
    threshold = fixed_fmr_threshold(s[iu][person[iu[0]] != person[iu[1]]], fmr)
    rng = np.random.default_rng(seed)
    run = dict(device=device, batch_size=batch_size, input_size=input_size)
    if depth:
        points = [p.index for p in probe_points(model, input_size)]
        gi, gj = np.nonzero(np.triu(person[:, None] == person[None, :], 1))
        genuine = twin_distances(model, x[gi], x[gj], points, **run)
        genuine = {p: float(d.mean()) for p, d in genuine.items()}
    n_people = len(np.unique(person))
    head = dict(network=network, people=n_people, fmr_target=fmr, threshold=threshold)
    rows, depth_rows = [], []
    for name, v in faces.variants.items():
        tx = as_input(v.images)
        twin = np.zeros_like(emb)
        twin[v.changed] = embeddings(model, tx, device, batch_size)
        control = v.kind == "control"
        y = None if control else labels[:, CELEBA_ATTRIBUTES.index(name)]
        effect = variant_effect(emb, twin, person, y, v.changed, threshold, control, n_boot, rng)
        rows.append(dict(head, variant=name, kind=v.kind, exact=v.exact, **effect))
        if depth:
            dist = twin_distances(model, x[torch.from_numpy(v.changed)], tx, points, **run)
            depth_rows += [
                dict(
                    network=network,
                    variant=name,
                    kind=v.kind,
                    point=point_id(p),
                    faces=len(d),
                    change_distance=float(d.mean()),
                    genuine_distance=genuine[p],
                    sensitivity=float(d.mean() / genuine[p]),
                )
                for p, d in dist.items()
            ]
    return rows, depth_rows


@torch.no_grad()
def twin_distances(
    model, a: torch.Tensor, b: torch.Tensor, points, *, device, batch_size, input_size
):
    """{probe point: (n,) Euclidean distance between the activations of a[k] and b[k]}."""
    out: dict[int, list[np.ndarray]] = {p: [] for p in points}
    with point_capture(model, points, input_size=input_size) as (run, acts):
        for k in range(0, len(a), batch_size):
            n = len(a[k : k + batch_size])
            run(torch.cat([a[k : k + batch_size], b[k : k + batch_size]]).to(device))
            for p in points:
                v = acts[p].flatten(1).double()
                out[p].append((v[:n] - v[n:]).norm(dim=1).cpu().numpy())
    return {p: np.concatenate(v) for p, v in out.items()}
