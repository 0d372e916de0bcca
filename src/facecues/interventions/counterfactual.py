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
  people's draw counts; the same resamples for every variant;
- **the planted contrast** (row ``identity_bound_minus_per_image``): the mean rise of the
  identity-bound attributes' flips minus that of the per-image ones, its interval from
  those same resamples.

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
from facecues.data.synthetic.people import ATTRIBUTES, IDENTITY, IMAGE
from facecues.errors import FacecuesError
from facecues.interventions.counterfactual_faces import FaceSet, as_input
from facecues.interventions.estimands import bootstrap_weights as people_weights
from facecues.interventions.estimands import interval
from facecues.nets.architectures import embed
from facecues.nets.layout import point_id
from facecues.nets.probe_points import point_capture, probe_points

CONTRAST = "identity_bound_minus_per_image"
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


def bootstrap_weights(person, n_boot: int, rng) -> np.ndarray:
    """(n_boot, people) draw counts of each person (in ``np.unique`` order) in each of
    ``n_boot`` resamples of the people with replacement: one set for every variant, so
    that differences between variants have intervals too."""
    return people_weights(len(np.unique(person)), n_boot, rng)


def rise(before, after, pairs: Pairs, genuine: bool, weights: np.ndarray):
    """(rate before, rate after, rise, the rise in each bootstrap resample) of the 0/1
    outcomes ``before``/``after`` of ``pairs``, the people resampled by ``weights``
    (``bootstrap_weights``; NaN where a resample holds none of the pairs)."""
    before, after = np.asarray(before, float), np.asarray(after, float)
    if len(pairs) == 0:
        return np.nan, np.nan, np.nan, np.full(len(weights), np.nan)
    _, code = np.unique(pairs.person, return_inverse=True)
    n_people = weights.shape[1]
    a, b = code[pairs.i], code[pairs.j]
    d = after - before
    if genuine:  # one person per pair
        num = weights @ np.bincount(a, d, n_people)
        den = weights @ np.bincount(a, minlength=n_people).astype(float)
    else:  # two people per pair: weight w_a * w_b
        sums, counts = np.zeros((n_people, n_people)), np.zeros((n_people, n_people))
        np.add.at(sums, (a, b), d)
        np.add.at(counts, (a, b), 1.0)
        num = np.einsum("bp,pq,bq->b", weights, sums, weights)
        den = np.einsum("bp,pq,bq->b", weights, counts, weights)
    boot = np.divide(num, den, out=np.full(len(num), np.nan), where=den > 0)
    return float(before.mean()), float(after.mean()), float(d.mean()), boot


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    b = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
    return a @ b.T


def variant_effect(emb, twin, person, y, changed, threshold, control, weights):
    """FNMR and FMR rise (``rise``) of one variant from the originals' embeddings ``emb``,
    the changed twins' ``twin`` (rows where ``changed``), the labels ``y`` of the
    attribute, at the fixed ``threshold``; every pair counts for a ``control``. The row's
    values, and the rises' bootstrap values {"fnmr": ..., "fmr": ...}."""
    s = _cosines(emb, emb)
    c = _cosines(emb, twin)
    out, boots = {}, {}
    for genuine, key, outcome in ((True, "fnmr", np.less), (False, "fmr", np.greater_equal)):
        differ = None if control else genuine
        pairs = pairs_of(person, y, changed, genuine, differ)
        before = outcome(s[pairs.i, pairs.j], threshold)
        after = outcome(c[pairs.i, pairs.j], threshold)
        r0, r1, r, boots[key] = rise(before, after, pairs, genuine, weights)
        out[f"{'genuine' if genuine else 'impostor'}_pairs"] = len(pairs)
        out.update({key: r0, f"{key}_changed": r1, f"{key}_rise": r})
        out[f"{key}_rise_lo"], out[f"{key}_rise_hi"] = interval(boots[key])
    return out, boots


def contrast(rows: list[dict], boots: dict[str, dict], head: dict) -> list[dict]:
    """The planted contrast: the mean rise of the identity-bound attributes' flips minus
    that of the per-image ones (``people.ATTRIBUTES`` kinds), with its interval from the
    same resamples; none unless both kinds were flipped."""
    groups = {IDENTITY: [], IMAGE: []}
    for r in rows:
        if r["kind"] == "flip":
            groups[ATTRIBUTES[r["variant"]].kind].append(r)
    if not (groups[IDENTITY] and groups[IMAGE]):
        return []
    row = dict(head, variant=CONTRAST, kind="contrast")
    row["exact"] = all(r["exact"] for g in groups.values() for r in g)
    for key, pairs in (("fnmr", "genuine_pairs"), ("fmr", "impostor_pairs")):
        row[pairs] = sum(r[pairs] for g in groups.values() for r in g)
        mean = {k: np.mean([r[f"{key}_rise"] for r in g]) for k, g in groups.items()}
        boot = {k: np.mean([boots[r["variant"]][key] for r in g], 0) for k, g in groups.items()}
        row.update({key: np.nan, f"{key}_changed": np.nan})
        row[f"{key}_rise"] = float(mean[IDENTITY] - mean[IMAGE])
        row[f"{key}_rise_lo"], row[f"{key}_rise_hi"] = interval(boot[IDENTITY] - boot[IMAGE])
    return [row]


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
    weights = bootstrap_weights(person, n_boot, np.random.default_rng(seed))
    run = dict(device=device, batch_size=batch_size, input_size=input_size)
    if depth:
        points = [p.index for p in probe_points(model, input_size)]
        gi, gj = np.nonzero(np.triu(person[:, None] == person[None, :], 1))
        genuine = twin_distances(model, x[gi], x[gj], points, **run)
        genuine = {p: float(d.mean()) for p, d in genuine.items()}
    n_people = len(np.unique(person))
    head = dict(network=network, people=n_people, fmr_target=fmr, threshold=threshold)
    rows, depth_rows, boots = [], [], {}
    for name, v in faces.variants.items():
        tx = as_input(v.images)
        twin = np.zeros_like(emb)
        twin[v.changed] = embeddings(model, tx, device, batch_size)
        control = v.kind == "control"
        y = None if control else labels[:, CELEBA_ATTRIBUTES.index(name)]
        effect, boots[name] = variant_effect(
            emb, twin, person, y, v.changed, threshold, control, weights
        )
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
    return rows + contrast(rows, boots, head), depth_rows


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
