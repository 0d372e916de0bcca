"""The erasure step: erase one attribute at a probe point, then measure what is left.

For one (network, attribute) and each erasure point (docs/protocol.md section 13):

1. the rank-one eraser of the attribute (``facecues.probes.erasure``: LEACE
   where the point is narrow enough for its covariance, the orthogonal eraser
   where not) is fitted on the activations of the eraser's sample (the probes'
   training sample and other CelebA images, never the validation sample's),
   and a control eraser of the same rank on a random relabelling of the same
   sample (a concept the network never learnt);
2. **did it work**: a linear probe (PLS + LDA: what a linear eraser removes)
   and the whole-layer probe (PLS + QDA, as everywhere) are fitted again on the
   erased activations of half the validation sample's *people* and scored on the
   other half's, both ways (images the eraser never saw, of people the probe never
   saw: split by image, a probe would read "this person -> label"); beside them the
   same two-fold probe on the unerased activations; at chance where the linear
   probe is within a one-sided binomial bound of 50% (``chance_bound``);
3. **what recognition loses**: LFW verification (10 folds, the threshold chosen
   on the other folds, as in training) and ROC AUC with the eraser applied
   inside the forward pass at the point, against the unerased network and the
   control eraser;
4. **does it come back**: the attribute's whole-layer probe (fitted on the
   training sample, scored on validation) at every later erasure point, with
   and without the eraser.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.metrics import roc_auc_score
from tqdm import tqdm

from facecues.data.images import ImageFiles
from facecues.errors import FacecuesError
from facecues.nets.layout import ERASABLE_KINDS, point_id
from facecues.nets.probe_points import capture, hook_sites, run_from
from facecues.probes.erasure import (
    eraser_method,
    fit_leace,
    orth_from_sums,
    rows_per_class,
)
from facecues.probes.pls import PLS1
from facecues.probes.qda import qda_accuracy
from facecues.training.verification import fold_accuracy, pair_images, pair_similarity

log = logging.getLogger(__name__)


COLUMNS = [
    "network",
    "attribute",
    "point",
    "name",
    "method",
    "rank",
    "fit_images",
    "probe_accuracy",
    "residual_accuracy",
    "linear_probe_accuracy",
    "residual_linear_accuracy",
    "check_components",
    "scored_people",
    "chance_bound",
    "at_chance",
    "verification_accuracy",
    "verification_accuracy_erased",
    "verification_accuracy_control",
    "verification_auc",
    "verification_auc_erased",
    "verification_auc_control",
    "drop_se",
    "control_drop_se",
    "verdict",
]
CHANCE_LEVEL = 0.05  # the residual check's one-sided test of chance (facecues)
DOWNSTREAM_COLUMNS = ["network", "attribute", "point", "later_point", "accuracy", "accuracy_erased"]


def erasure_sites(model: torch.nn.Module, indices: list[int]) -> dict[int, str]:
    """The place in the network (name) of each probe point in ``indices`` (1-based); one
    clear error for a point that does not exist or is not a whole module's output."""
    sites = hook_sites(model)
    out = {}
    for i in indices:
        if not 1 <= i <= len(sites):
            raise FacecuesError(
                f"erasure point {point_id(i)}: the network has points L01-{point_id(len(sites))}"
            )
        name, kind, _, _ = sites[i - 1]
        if kind not in ERASABLE_KINDS:
            raise FacecuesError(
                f"erasure point {point_id(i)} ({name}) lies inside a block, before its ReLU; "
                f"erase at the stem, a block output (relu3) or the pool"
            )
        out[i] = name
    return out


def _images(paths, size: int, crop: float = 1.0) -> torch.Tensor:
    """The images at ``paths``, preprocessed for the network, decoded once."""
    data = ImageFiles(paths, size, crop)
    return torch.stack([data[i] for i in range(len(data))])


@torch.no_grad()
def _passes(model, batches, points, eraser=None, start=None, device="cpu"):
    """{point: (n, d) float32} at ``points`` (and the pooled embedding under key 0) of
    the whole forward pass over ``batches`` of images, or, with ``start``, of the rest of
    the pass from the activations at point ``start`` (erased by ``eraser`` if given)."""
    store: dict[int, list[torch.Tensor]] = {p: [] for p in (*points, 0)}
    with capture(model, [p for p in points if p != start]) as acts:
        for x in batches:
            x = x.to(device)
            if start is None:
                emb = model.embed(x)
            else:
                flat = x.flatten(1)
                flat = eraser(flat) if eraser is not None else flat
                emb = run_from(model, start, flat.reshape(x.shape))
            for p in points:
                if p != start:
                    store[p].append(acts[p].flatten(1).float().cpu())
            store[0].append(emb.float().cpu())
    return {p: torch.cat(v).numpy() for p, v in store.items() if v}


@contextmanager
def _erasing(model, p: int, eraser):
    """The eraser applied to point ``p``'s output inside every forward pass of ``model``."""
    module = hook_sites(model)[p - 1][2]

    def hook(_m, _inputs, out):
        return eraser(out.flatten(1)).reshape(out.shape)

    handle = module.register_forward_hook(hook)
    try:
        yield
    finally:
        handle.remove()


def _balanced_head(y: np.ndarray, per_class: int) -> np.ndarray:
    """The first ``per_class`` rows of each class of ``y``, in their order."""
    return np.sort(np.concatenate([np.flatnonzero(y == v)[:per_class] for v in np.unique(y)]))


def _batches(x, batch_size: int):
    return [x[i : i + batch_size] for i in range(0, len(x), batch_size)]


def _point_shapes(model, points, x: torch.Tensor, device) -> dict[int, tuple[int, ...]]:
    """The per-image shape of each of ``points``' activations, from one pass of ``x``."""
    with torch.no_grad(), capture(model, points) as acts:
        model.embed(x.to(device))
    return {p: tuple(acts[p].shape[1:]) for p in points}


def _probe_accuracies(x_train, y_train, x_eval, y_eval, n_components: int) -> np.ndarray:
    """(whole-layer, linear) probe accuracy: the same PLS scores (``n_components``, scaled)
    read by a QDA (the whole-layer probe, as everywhere) and by a linear discriminant (one
    covariance for both classes: only what a linear eraser can remove)."""
    pls = PLS1(n_components=n_components, scale=True).fit(x_train, y_train)
    t_train, t_eval = pls.transform(x_train), pls.transform(x_eval)
    lda = LinearDiscriminantAnalysis().fit(t_train, y_train)
    return np.array(
        [qda_accuracy(t_train, y_train, t_eval, y_eval), lda.score(t_eval, y_eval)], float
    )


def _probe_accuracy(x_train, y_train, x_eval, y_eval, n_components: int) -> float:
    """The whole-layer probe's accuracy (``_probe_accuracies``)."""
    return float(_probe_accuracies(x_train, y_train, x_eval, y_eval, n_components)[0])


def person_halves(y, person, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two halves of the rows of (``y``, ``person``) that share no person: the people in a
    random order, stratified by their most frequent label, dealt alternately; then each
    half balanced by class (its larger class cut at random to the smaller's size), so
    that a probe that reads nothing scores 50%."""
    person = np.asarray(person)
    ids, code = np.unique(person, return_inverse=True)
    share = np.bincount(code, np.asarray(y) > 0, len(ids)) / np.bincount(code)
    order = np.concatenate(
        [rng.permutation(np.flatnonzero(m)) for m in (share > 0.5, share <= 0.5)]
    )
    side = np.empty(len(ids), int)
    side[order] = np.arange(len(order)) % 2
    halves = []
    for h in (0, 1):
        rows = np.flatnonzero(side[code] == h)
        n = min(int((y[rows] == v).sum()) for v in np.unique(y))
        keep = [rng.permutation(rows[y[rows] == v])[:n] for v in np.unique(y)]
        halves.append(np.sort(np.concatenate(keep)))
    return halves[0], halves[1]


def chance_bound(n: int, level: float = CHANCE_LEVEL) -> float:
    """The accuracy a balanced two-class probe that reads nothing exceeds with chance at
    most ``level``, over ``n`` independent verdicts: the (1 - level) quantile of
    Binomial(n, 1/2) / n (the fewest successes k whose CDF reaches it, over n)."""
    k = np.arange(1, n + 1)  # log C(n, k) as a running sum of log((n - k + 1) / k)
    cdf = np.cumsum(np.exp(np.r_[0.0, np.cumsum(np.log((n - k + 1) / k))] - n * np.log(2)))
    return float(np.searchsorted(cdf, (1 - level) * (1 - 1e-12)) / n)


def _two_fold(x, y, person, n_components: int, rng: np.random.Generator):
    """The probes fitted on one half of (x, y) and scored on the other, both ways, the
    halves sharing no person (``person_halves``), on ``n_components`` PLS components or
    fewer where a half holds too few images of a class (the QDA needs more images per
    class than components): their mean (whole-layer, linear) accuracies, the people
    scored and the components used; one clear error below 2 images a class."""
    a, b = person_halves(y, person, rng)
    per_class = min(len(a), len(b)) // 2
    k = min(n_components, per_class - 1)
    if k < 1:
        raise FacecuesError(
            f"erasure's residual check: split by person, a half of the validation sample "
            f"holds {per_class} images of a class; the probes need at least 2"
        )
    accuracies = (
        _probe_accuracies(x[a], y[a], x[b], y[b], k) + _probe_accuracies(x[b], y[b], x[a], y[a], k)
    ) / 2
    return accuracies, len(np.unique(np.asarray(person)[np.r_[a, b]])), k


def extra_fit_rows(rows, train, val, fit_images: int, rng: np.random.Generator) -> np.ndarray:
    """The CelebA ``rows`` that join the probes' ``train`` sample in the eraser's sample, up
    to ``fit_images`` in all: those in neither ``train`` nor ``val`` (the attribute's
    validation sample, drawn from the training and validation partitions, which checks
    the eraser), in a random order drawn from ``rng``."""
    rest = np.setdiff1d(np.asarray(rows), np.concatenate([np.asarray(train), np.asarray(val)]))
    return rng.permutation(rest)[: max(0, fit_images - len(train))]


@torch.no_grad()
def _extra_statistics(model, paths, labelings, methods, input_size, batch_size, device):
    """One pass over the eraser's extra images (decoded a batch at a time): per point
    of ``methods`` ({point: "leace" | "orth"}), their activations (float32 rows) where
    the eraser is LEACE, and where it is orthogonal only each class's row sum (2, d)
    for each of ``labelings`` (label arrays, -1/+1), so that a wide point's sample is
    never held."""
    rows = {p: [] for p, m in methods.items() if m == "leace"}
    sums: dict[int, torch.Tensor] = {}  # summed where the activations are (a GPU's)
    start = 0
    with capture(model, list(methods)) as acts:
        for batch in _batches(paths, batch_size):
            model.embed(_images(batch, input_size).to(device))
            stop = start + len(batch)
            for p, method in methods.items():
                a = acts[p].flatten(1).float()
                if method == "leace":
                    rows[p].append(a.cpu().numpy())
                    continue
                s = sums.setdefault(
                    p,
                    torch.zeros(
                        len(labelings), 2, a.shape[1], dtype=torch.float64, device=a.device
                    ),
                )
                for k, z in enumerate(labelings):
                    present = torch.as_tensor(z[start:stop] > 0, device=a.device)
                    s[k, 0] += a[~present].sum(dim=0, dtype=torch.float64)
                    s[k, 1] += a[present].sum(dim=0, dtype=torch.float64)
            start = stop
    return (
        {p: np.concatenate(v) for p, v in rows.items()},
        {p: s.cpu().numpy() for p, s in sums.items()},
    )


def _fit_eraser(method, tr, y_tr, extra_rows, extra_sums, extra_y):
    """The eraser of labels ``y_tr`` of the training rows ``tr`` and, with them, the
    extra images' labels ``extra_y`` (their rows, or for "orth" their class sums)."""
    if method == "leace":
        x = tr if extra_rows is None else np.concatenate([tr, extra_rows])
        return fit_leace(x, np.concatenate([y_tr, extra_y]))
    present = y_tr > 0
    sums = np.stack([tr[~present].sum(0, dtype=np.float64), tr[present].sum(0, dtype=np.float64)])
    if extra_sums is not None:
        sums = sums + extra_sums
    y = np.concatenate([y_tr, extra_y]) > 0
    return orth_from_sums(sums, [int((~y).sum()), int(y.sum())])


def _verification(emb: np.ndarray, pairs) -> tuple[np.ndarray, float]:
    """LFW verification from the embeddings ``emb`` of the pairs' images: the accuracy of
    each fold (its threshold chosen on the other folds) and the ROC AUC of the cosine
    similarity over all pairs."""
    sim = pair_similarity(emb, pairs)
    folds = np.array([fold_accuracy(sim, pairs.same, pairs.fold, k) for k in range(pairs.n_folds)])
    return folds, float(roc_auc_score(pairs.same, sim))


def _drop_se(before: np.ndarray, after: np.ndarray) -> float:
    """Standard error of the mean accuracy drop, from the folds' paired drops."""
    d = before - after
    return float(np.std(d, ddof=1) / np.sqrt(len(d))) if len(d) > 1 else float("nan")


@dataclass(frozen=True)
class _ProbeSample:
    """The attribute's probe sample: its training then (balanced) validation images,
    decoded once, in batches; their labels (-1/+1); the probes' PLS components."""

    batches: list[torch.Tensor]
    y_train: np.ndarray
    y_val: np.ndarray
    val_people: np.ndarray  # the identity of each validation image
    n_components: int

    @property
    def n_train(self) -> int:
        return len(self.y_train)

    def accuracy(self, acts: np.ndarray) -> float:
        """The whole-layer probe fitted on the training rows of ``acts`` (the sample's
        activations at one point, in its order), scored on the validation rows."""
        n = self.n_train
        return _probe_accuracy(acts[:n], self.y_train, acts[n:], self.y_val, self.n_components)


def _probe_sample(train, val, n_components, input_size, batch_size, attribute) -> _ProbeSample:
    """The probe sample of ``train`` (paths, labels) and ``val`` (paths, labels,
    identities): every training image and the first ``per_class`` validation images of
    each class (``rows_per_class``: as many as the residual check's two halves need); a
    clear error where there are too few."""
    (tr_paths, y_tr), (va_paths, y_va, people) = train, val
    available = int(np.unique(y_va, return_counts=True)[1].min())
    per_class, need = rows_per_class(
        int(np.unique(y_tr, return_counts=True)[1].min()), available, n_components
    )
    if available < need:
        raise FacecuesError(
            f"erasure of {attribute}: the residual check fits the whole-layer probe "
            f"({n_components} components) on half of the validation sample; it needs {need} "
            f"validation images per class, the sample has {available}"
        )
    keep = _balanced_head(y_va, per_class)
    va_paths, y_va = [va_paths[i] for i in keep], y_va[keep]
    batches = _batches(_images([*tr_paths, *va_paths], input_size), batch_size)
    return _ProbeSample(batches, y_tr, y_va, np.asarray(people)[keep], n_components)


@dataclass(frozen=True)
class _Verification:
    """LFW verification of a network as it is at each call (its hooks included): the
    pairs, and their images decoded once, in batches."""

    pairs: object
    images: list[torch.Tensor]
    device: torch.device | str

    def __call__(self, model) -> tuple[np.ndarray, float]:
        """Each fold's accuracy and the ROC AUC (``_verification``)."""
        return _verification(_passes(model, self.images, [], device=self.device)[0], self.pairs)

    def erased(self, model, p: int, eraser) -> tuple[np.ndarray, float]:
        """The same with ``eraser`` applied to point ``p`` inside the forward pass."""
        with _erasing(model, p, eraser):
            return self(model)


@dataclass(frozen=True)
class _FitSample:
    """The eraser's sample beyond the probes' training rows, for every erasure point:
    each point's method, the extra images' labels and statistics (``_extra_statistics``:
    rows where LEACE, class sums where orthogonal) and the random relabelling of the
    whole sample (training rows, then extra images) that fits the control eraser."""

    methods: dict[int, str]
    n_images: int  # training and extra images
    y_extra: np.ndarray
    random_train: np.ndarray
    random_extra: np.ndarray
    extra_rows: dict[int, np.ndarray]
    extra_sums: dict[int, np.ndarray]  # (2, 2, d): attribute, control; absent, present

    def erasers(self, p: int, tr: np.ndarray, y_tr: np.ndarray):
        """Point ``p``'s eraser of the attribute (labels ``y_tr`` of the training rows
        ``tr``) and its control (the same rank, the random labels)."""
        rows, sums = self.extra_rows.get(p), self.extra_sums.get(p)
        method = self.methods[p]
        eraser = _fit_eraser(
            method, tr, y_tr, rows, None if sums is None else sums[0], self.y_extra
        )
        control = _fit_eraser(
            method,
            tr,
            self.random_train,
            rows,
            None if sums is None else sums[1],
            self.random_extra,
        )
        return eraser, control


def _fit_sample(
    model, probes: _ProbeSample, points, shapes, extra, method, rng, input_size, batch_size, device
) -> _FitSample:
    """The eraser's sample: the probes' training rows and the ``extra`` images ((paths,
    labels) or None); the control's labels drawn from ``rng`` (the sample relabelled at
    random: as balanced, unrelated); each point's method (``eraser_method``, by its size
    from ``shapes``); one pass over the extra images for their statistics."""
    x_paths, y_x = extra if extra is not None else ([], np.zeros(0))
    n_tr = probes.n_train
    n_fit = n_tr + len(x_paths)
    random_labels = rng.permutation(np.concatenate([probes.y_train, y_x]))
    random_tr, random_x = random_labels[:n_tr], random_labels[n_tr:]
    methods = {p: eraser_method(method, n_fit, int(np.prod(shapes[p]))) for p in points}
    extra_rows, extra_sums = ({}, {})
    if len(x_paths):
        log.info("eraser's sample: %d training images and %d more", n_tr, len(x_paths))
        extra_rows, extra_sums = _extra_statistics(
            model, x_paths, [y_x, random_x], methods, input_size, batch_size, device
        )
    return _FitSample(methods, n_fit, y_x, random_tr, random_x, extra_rows, extra_sums)


def _residual_check(va, y_va, people, eraser, n_components: int, fold_seed: int) -> dict:
    """Did it work: the whole-layer and linear probes two-fold on the validation rows
    ``va`` (of ``people``) before and after ``eraser`` (the same halves, split by person,
    from ``fold_seed``); at chance where the linear probe's residual is at most the
    binomial bound over the people scored (``chance_bound``: a person's images count as
    one verdict, so that images of one person that agree do not pass for evidence); the
    erasure table's columns."""
    (probe, linear), n, k = _two_fold(
        va, y_va, people, n_components, np.random.default_rng(fold_seed)
    )
    (residual, residual_linear), _, _ = _two_fold(
        eraser(va), y_va, people, n_components, np.random.default_rng(fold_seed)
    )
    if k < n_components:
        log.warning("residual check on %d PLS components: the halves are small", k)
    bound = chance_bound(n)
    return dict(
        check_components=k,
        probe_accuracy=probe,
        residual_accuracy=residual,
        linear_probe_accuracy=linear,
        residual_linear_accuracy=residual_linear,
        scored_people=n,
        chance_bound=bound,
        at_chance=bool(residual_linear <= bound),
    )


def verdict(row: dict) -> str:
    """What an erasure row allows one to say: "linearly removable at X verification
    cost" where the residual is at chance, never that the network uses the attribute."""
    if not row["at_chance"]:
        return (
            f"not linearly removed: the linear probe still reads "
            f"{100 * row['residual_linear_accuracy']:.1f}% "
            f"(chance bound {100 * row['chance_bound']:.1f}%)"
        )
    drop = 100 * (row["verification_accuracy"] - row["verification_accuracy_erased"])
    return f"linearly removable at {drop:+.2f} +- {100 * row['drop_se']:.2f} p.p. verification cost"


def _recognition_cost(verify: _Verification, model, p: int, eraser, control, unerased) -> dict:
    """What recognition loses: LFW verification with ``eraser`` and with ``control`` at
    point ``p``, against the ``unerased`` network's (folds, AUC); the erasure table's
    columns."""
    v_folds, v_auc = unerased
    e_folds, e_auc = verify.erased(model, p, eraser)
    c_folds, c_auc = verify.erased(model, p, control)
    return dict(
        verification_accuracy=v_folds.mean(),
        verification_accuracy_erased=e_folds.mean(),
        verification_accuracy_control=c_folds.mean(),
        verification_auc=v_auc,
        verification_auc_erased=e_auc,
        verification_auc_control=c_auc,
        drop_se=_drop_se(v_folds, e_folds),
        control_drop_se=_drop_se(v_folds, c_folds),
    )


def _comes_back(
    model, p: int, acts, eraser, later, shape, probes: _ProbeSample, batch_size, device
):
    """Does it come back: the rest of the forward pass from point ``p``'s activations
    ``acts`` (the probe sample's, erased by ``eraser``) to the ``later`` points; at each,
    (point, the whole-layer probe's accuracy)."""
    erased = [torch.from_numpy(b).reshape(-1, *shape) for b in _batches(acts, batch_size)]
    after = _passes(model, erased, later, eraser, start=p, device=device)
    return [(q, probes.accuracy(after[q])) for q in later]


def _log_point(row: dict) -> None:
    log.info(
        "%s (%s): probe %.3f -> %.3f, linear %.3f -> %.3f; verification %.4f -> %.4f "
        "(control %.4f)",
        row["point"],
        row["method"],
        row["probe_accuracy"],
        row["residual_accuracy"],
        row["linear_probe_accuracy"],
        row["residual_linear_accuracy"],
        row["verification_accuracy"],
        row["verification_accuracy_erased"],
        row["verification_accuracy_control"],
    )


def erase_attribute(
    model: torch.nn.Module,
    *,
    train: tuple[list[Path], np.ndarray],
    val: tuple[list[Path], np.ndarray, np.ndarray],
    pairs,
    points: list[int],
    input_size: int,
    lfw_crop: float,
    device: torch.device | str = "cpu",
    n_components: int = 8,
    batch_size: int = 128,
    seed: np.random.SeedSequence | int = 0,
    network: str = "",
    attribute: str = "",
    extra: tuple[list[Path], np.ndarray] | None = None,
    method: str = "auto",
) -> tuple[list[dict], list[dict]]:
    """Erase the attribute of ``train`` (paths, labels in {-1, +1}) and ``val`` (paths,
    labels, identities: the residual check's halves share no person) at each of
    ``points`` (1-based probe points) and measure it; the rows of the erasure table and
    of the downstream table (``COLUMNS``, ``DOWNSTREAM_COLUMNS``). The eraser is fitted
    on ``train`` and ``extra`` (other CelebA images, never the validation sample's), by
    ``method`` (``facecues.probes.erasure.eraser_method``)."""
    model = model.to(device).eval()
    points = sorted(points)
    names = erasure_sites(model, points)
    probes = _probe_sample(train, val, n_components, input_size, batch_size, attribute)
    rng = np.random.default_rng(seed)
    lfw_images = _batches(_images(pair_images(pairs), input_size, lfw_crop), batch_size)
    verify = _Verification(pairs, lfw_images, device)
    unerased = verify(model)
    log.info("unerased: verification %.4f (AUC %.4f)", unerased[0].mean(), unerased[1])
    shapes = _point_shapes(model, points, probes.batches[0][:1], device)
    fit = _fit_sample(
        model, probes, points, shapes, extra, method, rng, input_size, batch_size, device
    )
    rows, downstream, before = [], [], {}
    for p in tqdm(points, desc="erasure points", disable=None):
        acts = _passes(model, probes.batches, [p], device=device)[p]  # one point at a time
        tr, va = acts[: probes.n_train], acts[probes.n_train :]
        before[p] = probes.accuracy(acts)
        # the module docstring's steps: 1. the eraser and its control
        eraser, control = fit.erasers(p, tr, probes.y_train)
        fold_seed = int(rng.integers(2**32))
        # 2. did it work
        check = _residual_check(
            va, probes.y_val, probes.val_people, eraser, n_components, fold_seed
        )
        # 3. what recognition loses
        cost = _recognition_cost(verify, model, p, eraser, control, unerased)
        later = [q for q in points if q > p]
        if later:  # 4. does it come back (the rest of the pass from the erased point)
            back = _comes_back(model, p, acts, eraser, later, shapes[p], probes, batch_size, device)
            downstream += [(p, q, accuracy) for q, accuracy in back]
        del acts, tr, va
        rows.append(
            dict(
                network=network,
                attribute=attribute,
                point=point_id(p),
                name=names[p],
                method=fit.methods[p],
                rank=eraser.rank,
                fit_images=fit.n_images,
                **check,
                **cost,
            )
        )
        rows[-1]["verdict"] = verdict(rows[-1])
        _log_point(rows[-1])
    later_rows = [  # the unerased accuracy at q is known once q is done
        dict(
            network=network,
            attribute=attribute,
            point=point_id(p),
            later_point=point_id(q),
            accuracy=before[q],
            accuracy_erased=accuracy,
        )
        for p, q, accuracy in downstream
    ]
    return rows, later_rows
