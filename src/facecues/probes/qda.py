"""QDA probes on a few features (PLS scores or raw unit values).

The classifier is scikit-learn's ``QuadraticDiscriminantAnalysis`` with its
defaults (docs/protocol.md section 5), reached two ways:

- ``qda_fit`` (``qda_predict``, ``qda_accuracy``): one probe, scikit-learn
  itself.
- ``qda_fit_predict_many`` (``qda_accuracy_many``, ``qda_decision_many``):
  many probes that share their training labels, as a validation job scores
  ~3,450 of them (50 points x 69 probes, d <= 8).  Here QDA *is* rewritten,
  in numpy, for speed (a scikit-learn fit + predict costs ~1.1 ms of CPU):
  the probes with the same d are stacked and every step below is done for
  all of them at once, following scikit-learn's ``discriminant_analysis.py``
  (installed version 1.9) step for step: priors n_k / n (classes in
  ``np.unique`` order); per class the mean and the SVD of the centred class
  data, Xc = U S Vt, whose variances S**2 / n_k (the maximum-likelihood
  covariance V diag(S**2 / n_k) Vt; earlier releases divide by n_k - 1)
  are regularised to (1 - reg) S2 + reg; the rank test (a class with fewer
  than d variances above ``tol`` is singular, which a class of <= d rows
  always is); the scores -0.5 (||(x - mu_k) V_k S2_k^-1/2||^2 + sum log
  S2_k) + log prior_k and the first class with the highest score (a tie goes
  to the first class).  ``np.linalg.svd`` on the stack runs the same LAPACK
  routine per matrix as scikit-learn's call, so near the ``tol`` threshold
  the rank test decides as scikit-learn's does (an eigendecomposition of the
  d x d covariance instead would move a variance of 1e-10 by ~1e-6 of
  itself).  tests/test_qda.py binds this path to ``qda_fit`` and to
  scikit-learn directly, on random problems (d 1-8, n 20-600, unbalanced,
  features of magnitudes 1e-6 to 1e6, labels 0/1, -1/1, strings, three
  classes) and the singular cases below: identical predictions and reg_param,
  decision values within 1e-8 (on the development machine they are
  bit-identical).

Around the classifier, both paths add two things, both documented choices:

1. Features are standardised first (training mean, training std; a constant
   feature is left unscaled).  Unregularised QDA is invariant under an
   invertible affine map of the features, so this changes no prediction; it
   only makes scikit-learn's absolute thresholds (``tol``, ``reg_param``)
   mean the same thing for raw activations of any magnitude and for PLS
   scores.

2. Singular class covariances.  With m >> n the 8 training PLS scores nearly
   interpolate y, so inside each class they lie close to a hyperplane; a single
   ReLU neuron can be constant (zero) on a whole class; a dead neuron is
   constant on both.  scikit-learn >= 1.6 raises ``LinAlgError`` when a
   class covariance has an eigenvalue <= ``tol`` (the authors' older version
   only warned and went on, dividing by ~0 where it was exactly singular).
   Decision: fit the unregularised QDA (the authors' model) whenever it is
   numerically defined -- every class-covariance eigenvalue above ``tol``
   (default 1e-10 of the pooled variance: far above rounding noise, ~1e-15,
   far below any real spread), so near-interpolating scores are classified
   as the authors' code did -- and only when it is singular refit with
   ``reg_param = fallback_reg_param`` (default 1e-4: each class covariance
   becomes (1 - 1e-4) S + 1e-4 I in standardised units, i.e. every variance
   is raised to at least 1e-4 of the pooled variance, the smallest eigenvalue
   scikit-learn's own rank test, ``tol=1e-4``, accepts).  A feature constant
   in one class then acts as a sharp but finite Gaussian at that constant; a
   feature constant in both classes carries no information and the
   prediction follows the priors (a tie goes to the first class).
   ``QDAProbe.reg_param_`` and ``fallback_used_`` record what was used; the
   batched path decides per probe and returns ``reg_used``.  ``qda_fit``
   relies on scikit-learn >= 1.6 raising (scikit-learn <= 1.5, as pinned in
   envs/*.yaml, only warns: there ``qda_fit`` never falls back); the batched
   path applies the rule itself with any version.

   Measured (ReLU-like data, PLS(8) scores, mean over 10 seeds): n = 300,
   m = 2,500: scikit-learn's default QDA refused 10/10 fits (smallest
   standardised class-covariance eigenvalue ~1e-7); this fit needs no
   fallback and equals ``QDA(tol=0)``, accuracy 0.869; a fixed reg_param of
   1e-6 / 1e-4 / 1e-2 would give 0.875 / 0.876 / 0.876.  n = 2,048,
   m = 20,000: refused 10/10, 0.852 here, 0.851-0.852 regularised.  n = m =
   300: no refusal, 0.898 everywhere (1e-2: 0.896).  A single neuron that is
   0 on one whole class: scikit-learn refuses (also with tol=0); fallback
   1e-4 gives 0.776 against 0.780 for the ideal rule "x > 0" (1e-6: 0.780,
   1e-3: 0.772, 1e-2: 0.758).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.linalg import LinAlgError

if TYPE_CHECKING:  # scikit-learn (~1.2 s to import) only where qda_fit runs
    from sklearn.discriminant_analysis import QuadraticDiscriminantAnalysis

__all__ = [
    "QDAProbe",
    "qda_fit",
    "qda_predict",
    "qda_accuracy",
    "qda_decision_many",
    "qda_fit_predict_many",
    "qda_accuracy_many",
]


def _features(f) -> np.ndarray:
    """(n,) or (n, d) features as a float64 (n, d) array."""
    if hasattr(f, "detach"):  # a torch tensor
        f = f.detach().cpu().numpy()
    f = np.asarray(f, dtype=np.float64)
    if f.ndim == 1:
        f = f[:, None]
    if f.ndim != 2:
        raise ValueError(f"features must be (samples,) or (samples, features), got {f.shape}")
    return f


@dataclass
class QDAProbe:
    """A fitted QDA probe: standardisation + scikit-learn QDA.

    ``reg_param_`` is the reg_param the QDA was fitted with: the requested
    one, or ``fallback_reg_param`` when that fit was singular
    (``fallback_used_``).
    """

    mean_: np.ndarray
    scale_: np.ndarray
    qda_: QuadraticDiscriminantAnalysis
    reg_param_: float
    fallback_used_: bool

    def predict(self, features) -> np.ndarray:
        """Predicted labels (the labels given to ``qda_fit``)."""
        f = _features(features)
        return self.qda_.predict((f - self.mean_) / self.scale_)

    def decision_function(self, features) -> np.ndarray:
        """scikit-learn's decision function (log-likelihood ratio for two classes)."""
        f = _features(features)
        return self.qda_.decision_function((f - self.mean_) / self.scale_)


def qda_fit(
    features,
    y,
    *,
    reg_param: float = 0.0,
    fallback_reg_param: float = 1e-4,
    tol: float = 1e-10,
) -> QDAProbe:
    """Fit a QDA probe on training ``features`` (n,) or (n, d) and labels ``y`` (n,).

    reg_param: always applied (0 = scikit-learn's default, the authors' model).
    fallback_reg_param: used instead when the fit with ``reg_param`` is
    singular (a class-covariance eigenvalue <= ``tol`` in standardised units);
    None raises scikit-learn's ``LinAlgError`` instead.
    """
    from sklearn.discriminant_analysis import QuadraticDiscriminantAnalysis

    f = _features(features)
    y = np.asarray(y).ravel()
    if y.shape[0] != f.shape[0]:
        raise ValueError(f"{f.shape[0]} feature rows but {y.shape[0]} labels")
    mean = f.mean(axis=0)
    scale = f.std(axis=0)
    scale[scale == 0.0] = 1.0  # a constant feature: centred, left unscaled
    z = (f - mean) / scale
    try:
        qda = QuadraticDiscriminantAnalysis(reg_param=reg_param, tol=tol).fit(z, y)
        used, fallback = float(reg_param), False
    except LinAlgError:
        if fallback_reg_param is None or fallback_reg_param <= reg_param:
            raise
        qda = QuadraticDiscriminantAnalysis(reg_param=fallback_reg_param, tol=tol).fit(z, y)
        used, fallback = float(fallback_reg_param), True
    return QDAProbe(mean, scale, qda, used, fallback)


def qda_predict(train_f, train_y, eval_f, **kwargs: Any) -> np.ndarray:
    """Fit on (train_f, train_y), predict the labels of eval_f."""
    return qda_fit(train_f, train_y, **kwargs).predict(eval_f)


def qda_accuracy(train_f, train_y, eval_f, eval_y, **kwargs: Any) -> float:
    """Accuracy on (eval_f, eval_y) of a QDA probe fitted on (train_f, train_y).

    Keyword arguments go to ``qda_fit`` (reg_param, fallback_reg_param, tol).
    """
    pred = qda_predict(train_f, train_y, eval_f, **kwargs)
    return float(np.mean(pred == np.asarray(eval_y).ravel()))


# ---------------------------------------------------------------------------
# Batched QDA: many probes, one set of labels.
# ---------------------------------------------------------------------------

# Upper bound on the elements of one stacked (probes, eval rows, d) array; a
# group of probes larger than this is processed in chunks.
_CHUNK_ELEMENTS = 1 << 18


@dataclass
class _Labels:
    """The training labels shared by every probe of a batch."""

    classes: np.ndarray  # (K,) np.unique order, as scikit-learn's classes_
    index: list[np.ndarray]  # index[k]: the training rows of class k
    log_priors: np.ndarray  # (K,) log(n_k / n)
    n: int


def _check_targets(y: np.ndarray) -> None:
    """scikit-learn's ``check_classification_targets`` for a 1-D ``y`` (without importing
    scikit-learn): float labels must be whole numbers."""
    if y.dtype.kind == "f" and (not np.all(np.isfinite(y)) or np.any(y != np.round(y))):
        raise ValueError(
            "Unknown label type: continuous. Maybe you are trying to fit a classifier, which "
            "expects discrete classes on a regression target with continuous values."
        )


def _labels(y_train) -> _Labels:
    """scikit-learn's checks and class bookkeeping for ``y_train``."""
    y = np.asarray(y_train).ravel()
    _check_targets(y)
    classes, codes, counts = np.unique(y, return_inverse=True, return_counts=True)
    if len(classes) < 2:
        raise ValueError(
            f"The number of classes has to be greater than one. Got {len(classes)} class."
        )
    for label, count in zip(classes, counts, strict=True):
        if count == 1:
            raise ValueError(f"y has only 1 sample in class {label}, covariance is ill defined.")
    priors = counts / float(y.shape[0])
    index = [np.flatnonzero(codes == k) for k in range(len(classes))]
    return _Labels(classes, index, np.log(priors), int(y.shape[0]))


def _group_scores(
    T: np.ndarray,
    E: np.ndarray,
    labels: _Labels,
    probe_ids: np.ndarray,
    reg_param: float,
    fallback_reg_param: float | None,
    tol: float,
) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's per-class scores for G probes with the same d, stacked.

    T (G, n, d) training features, E (G, m, d) evaluation features (raw, not
    standardised).  Returns the scores (K, G, m) -- ``_decision_function`` of
    each fitted ``QuadraticDiscriminantAnalysis``, the log posterior up to a
    constant per row -- and the reg_param used per probe (G,).
    ``probe_ids`` (G,) are the probes' positions in the caller's list, for
    error messages.
    """
    G, _, d = T.shape
    K = len(labels.classes)

    # 1. Standardise with the training mean and std, as qda_fit does.
    mean = T.mean(axis=1)  # (G, d)
    scale = T.std(axis=1)
    scale[scale == 0.0] = 1.0  # a constant feature: centred, left unscaled
    Z = (T - mean[:, None, :]) / scale[:, None, :]
    Ze = (E - mean[:, None, :]) / scale[:, None, :]

    # 2. Per class: mean, and the covariance as scikit-learn's _solve_svd
    #    computes it -- Xc = U S Vt, class covariance = V diag(S**2 / n_k) Vt
    #    (the maximum-likelihood estimate).  np.linalg.svd works on the stack
    #    (G, n_k, d) one matrix at a time with the same LAPACK routine.
    means, variances, rotations = [], [], []
    for rows in labels.index:
        Zk = np.take(Z, rows, axis=1)  # (G, n_k, d), C-ordered like X[y == k]
        mean_k = Zk.mean(axis=1)  # (G, d)
        _, S, Vt = np.linalg.svd(Zk - mean_k[:, None, :], full_matrices=False)
        means.append(mean_k)
        variances.append(S**2 / len(rows))  # (G, min(n_k, d))
        rotations.append(np.swapaxes(Vt, 1, 2))  # R = V: (G, d, min(n_k, d))

    # 3. Regularise, S2 -> (1 - reg) S2 + reg, and scikit-learn's rank test:
    #    a class with fewer than d eigenvalues above tol makes the probe
    #    singular (fewer than d + 1 rows in a class is always singular).
    def regularised(reg):
        return [(1 - reg[:, None]) * s2 + reg[:, None] for s2 in variances]

    def singular(scalings):
        return np.any([np.sum(s > tol, axis=1) < d for s in scalings], axis=0)  # (G,)

    reg = np.full(G, float(reg_param))
    scalings = regularised(reg)
    bad = singular(scalings)
    if bad.any():
        first = int(probe_ids[np.argmax(bad)])
        if fallback_reg_param is None or fallback_reg_param <= reg_param:
            raise LinAlgError(
                f"probe {first}: a class covariance is not full rank "
                f"(reg_param={reg_param}, tol={tol}) and no larger fallback_reg_param"
            )
        reg[bad] = float(fallback_reg_param)
        scalings = regularised(reg)
        still = singular(scalings)
        if still.any():
            raise LinAlgError(
                f"probe {int(probe_ids[np.argmax(still)])}: a class covariance is not "
                f"full rank even with fallback_reg_param={fallback_reg_param} "
                f"(a class has at most {d} rows, or tol={tol} >= the fallback)"
            )

    # 4. Decision values, as QuadraticDiscriminantAnalysis._decision_function:
    #    -0.5 * (||(x - mu_k) R_k S_k^-1/2||^2 + log det S_k) + log prior_k.
    scores = np.empty((K, G, Ze.shape[1]))
    for k in range(K):
        W = rotations[k] * (scalings[k] ** (-0.5))[:, None, :]  # (G, d, r)
        X2 = (Ze - means[k][:, None, :]) @ W  # (G, m, r)
        norm2 = np.sum(X2**2, axis=2)  # (G, m)
        log_det = np.sum(np.log(scalings[k]), axis=1)  # (G,)
        scores[k] = -0.5 * (norm2 + log_det[:, None]) + labels.log_priors[k]
    return scores, reg


def _first_argmax(scores: np.ndarray) -> np.ndarray:
    """``np.argmax(scores, axis=0)`` for (K, G, m) scores: the first class with
    the highest score (a tie goes to the earlier class, as in scikit-learn's
    ``predict``).  Written as K - 1 comparisons of whole (G, m) planes: numpy's
    argmax over a short axis is ~10x slower.  Scores are never NaN here (finite
    features, variances > tol >= 0)."""
    best, index = scores[0], np.zeros(scores.shape[1:], dtype=np.intp)
    for k in range(1, scores.shape[0]):
        higher = scores[k] > best
        index[higher] = k
        best = np.where(higher, scores[k], best)
    return index


def _batches(train, evals, n_train: int):
    """Yield (probe positions, T (G, n, d), E (G, m, d)) for groups of probes
    with the same d and the same number of evaluation rows, in chunks."""
    if len(train) != len(evals):
        raise ValueError(f"{len(train)} training feature arrays but {len(evals)} eval arrays")
    tr = [_features(f) for f in train]
    ev = [_features(f) for f in evals]
    groups: dict[tuple[int, int], list[int]] = {}
    for i, (t, e) in enumerate(zip(tr, ev, strict=True)):
        if t.shape[0] != n_train:
            raise ValueError(f"probe {i}: {t.shape[0]} feature rows but {n_train} labels")
        if e.shape[1] != t.shape[1]:
            raise ValueError(
                f"probe {i}: {t.shape[1]} training features but {e.shape[1]} eval features"
            )
        if e.shape[0] == 0 or t.shape[1] == 0:  # as scikit-learn's checks
            raise ValueError(f"probe {i}: no eval rows or no features")
        if not (np.isfinite(t).all() and np.isfinite(e).all()):
            raise ValueError(f"probe {i}: features contain NaN or infinity")
        groups.setdefault((t.shape[1], e.shape[0]), []).append(i)
    for (d, m), ids in groups.items():
        step = max(1, _CHUNK_ELEMENTS // max(1, (m + n_train) * d))
        for start in range(0, len(ids), step):
            chunk = np.asarray(ids[start : start + step])
            yield chunk, np.stack([tr[i] for i in chunk]), np.stack([ev[i] for i in chunk])


def _many(train, y_train, evals, reg_param, fallback_reg_param, tol, reduce):
    """Run ``reduce(positions, scores, labels)`` on every chunk of probes."""
    labels = _labels(y_train)
    reg_used = np.empty(len(train))
    for ids, T, E in _batches(train, evals, labels.n):
        scores, reg = _group_scores(T, E, labels, ids, reg_param, fallback_reg_param, tol)
        reg_used[ids] = reg
        reduce(ids, scores, labels)
    return reg_used


def qda_decision_many(
    train,
    y_train,
    evals,
    *,
    reg_param: float = 0.0,
    fallback_reg_param: float | None = 1e-4,
    tol: float = 1e-10,
) -> tuple[list[np.ndarray], np.ndarray]:
    """Decision values of many QDA probes fitted on the same labels.

    Same arguments as ``qda_fit_predict_many``.  Returns (decisions, reg_used):
    decisions[i] is what ``qda_fit(train[i], y_train, ...).decision_function(
    evals[i])`` returns -- (n_eval_i,) for two classes (log-likelihood ratio of
    the second class), (n_eval_i, K) otherwise.
    """
    out: list[np.ndarray | None] = [None] * len(train)

    def keep(ids, scores, labels):
        if len(labels.classes) == 2:
            values = scores[1] - scores[0]  # (G, m)
        else:
            values = np.moveaxis(scores, 0, 2)  # (G, m, K)
        for j, i in enumerate(ids):
            out[i] = np.array(values[j])

    reg_used = _many(train, y_train, evals, reg_param, fallback_reg_param, tol, keep)
    return out, reg_used


def qda_fit_predict_many(
    train,
    y_train,
    evals,
    *,
    reg_param: float = 0.0,
    fallback_reg_param: float | None = 1e-4,
    tol: float = 1e-10,
) -> tuple[list[np.ndarray], np.ndarray]:
    """Fit one QDA probe per feature set on the shared labels, predict its eval set.

    train: P arrays (n,) or (n, d_i); y_train: (n,) labels, shared by all;
    evals: P arrays (n_eval_i,) or (n_eval_i, d_i).  Probe i is exactly
    ``qda_fit(train[i], y_train, reg_param=..., fallback_reg_param=...,
    tol=...).predict(evals[i])``, computed for all probes with the same d in
    a few stacked array operations.  Returns (predictions, reg_used):
    predictions[i] (n_eval_i,) labels of y_train's type; reg_used (P,) the
    reg_param each probe was fitted with (``QDAProbe.reg_param_``).  A probe
    that is singular with ``reg_param`` and has no larger fallback raises
    ``LinAlgError`` naming the probe.
    """
    out: list[np.ndarray | None] = [None] * len(train)

    def keep(ids, scores, labels):
        pred = labels.classes.take(_first_argmax(scores))
        for j, i in enumerate(ids):
            out[i] = pred[j]

    reg_used = _many(train, y_train, evals, reg_param, fallback_reg_param, tol, keep)
    return out, reg_used


def qda_accuracy_many(
    train,
    y_train,
    evals,
    y_eval,
    *,
    reg_param: float = 0.0,
    fallback_reg_param: float | None = 1e-4,
    tol: float = 1e-10,
) -> tuple[np.ndarray, np.ndarray]:
    """Accuracy on (evals[i], y_eval) of each probe of ``qda_fit_predict_many``.

    y_eval (n_eval,) is shared by all probes.  Returns (accuracy (P,),
    reg_used (P,)); accuracy[i] == ``qda_accuracy(train[i], y_train,
    evals[i], y_eval, ...)``.
    """
    y = np.asarray(y_eval).ravel()
    acc = np.empty(len(train))

    def score(ids, scores, labels):
        if scores.shape[2] != y.shape[0]:
            raise ValueError(
                f"probe {int(ids[0])}: {scores.shape[2]} eval rows but {y.shape[0]} eval labels"
            )
        pred = labels.classes.take(_first_argmax(scores))  # (G, m)
        acc[ids] = np.mean(pred == y, axis=1)

    reg_used = _many(train, y_train, evals, reg_param, fallback_reg_param, tol, score)
    return acc, reg_used
