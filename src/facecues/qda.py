"""QDA probes on a few features (PLS scores or raw unit values), via scikit-learn.

The classifier is scikit-learn's ``QuadraticDiscriminantAnalysis`` with its
defaults (PROTOCOL section 5); nothing of QDA is rewritten here.  Two things
are added around it, both documented choices:

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
   ``QDAProbe.reg_param_`` and ``fallback_used_`` record what was used.

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
from typing import Any

import numpy as np
from numpy.linalg import LinAlgError
from sklearn.discriminant_analysis import QuadraticDiscriminantAnalysis

__all__ = ["QDAProbe", "qda_fit", "qda_predict", "qda_accuracy"]


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
