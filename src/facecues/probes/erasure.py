"""Concept erasure at a probe point: LEACE for one binary attribute, in closed form,
and the orthogonal eraser where the point is too wide for LEACE's covariance.

LEACE (Belrose et al. 2023, "LEACE: Perfect linear concept erasure in closed
form") is the affine map ``x' = x - P (x - mean)`` of least mean squared change
after which no linear classifier separates the classes better than a constant
(their class-conditional means are equal). For a concept ``z`` of one
dimension (a binary attribute) its projection has rank one:

    P = sigma_xz sigma_xz^T Sigma^+ / (sigma_xz^T Sigma^+ sigma_xz)

with ``sigma_xz = cov(x, z)`` and ``Sigma`` the covariance of ``x``. The
reference implementation (the ``concept-erasure`` package) always forms the
d x d covariance and its eigendecomposition. Here, where the sample has
fewer rows than units (n x d, n <= d), everything comes from the n x n Gram
matrix of the centred sample, in O(n^2 d): ``Sigma``'s eigenvectors with a
non-zero eigenvalue span its rows, and ``sigma_xz``, a combination of the
centred rows, lies in that span; otherwise from the d x d covariance. (The
workflow fits LEACE only where n >= 8 d, ``eraser_method``; the Gram form
serves direct callers, e.g. ``benchmarks/leace_bench.py``.) The conventions
follow the reference's
``LeaceFitter(method="leace", constrain_cov_trace=False)``:

- ``Sigma`` is the sample covariance with Bessel's correction, or with
  ``shrinkage`` (the reference's default) its optimal linear shrinkage towards
  ``tr(S)/d I`` (``S`` the covariance divided by n), whose inverse acts on the
  span as ``1 / (alpha lambda + beta tr(S)/d)``;
- without shrinkage, eigenvalues at or below ``lambda_max d eps`` count as zero
  (``torch.linalg.pinv``'s threshold, as the reference);
- nothing is erased where ``||Sigma^{-1/2} sigma_xz|| <= svd_tol`` (0.01).

``z`` is the attribute as 0/1 (the reference's single column). The map
leaves the mean of ``x`` unchanged.

LEACE's guarantee holds on its fitting sample. On images it did not see it
holds as far as ``Sigma^+ sigma_xz`` is estimated well, which needs many more
images than units (``LEACE_IMAGES_PER_UNIT``). Where there are fewer, the
orthogonal eraser (``fit_orth``, the reference's ``method="orth"``) projects
out the direction of the class-mean difference itself: on its sample the
classes then share their mean too (no linear classifier beats a constant
there either), at a larger change than LEACE's, and it needs no covariance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facecues.errors import FacecuesError

SVD_TOL = 0.01  # the reference's default tolerance on ||Sigma^{-1/2} sigma_xz||


def rows_per_class(train: int, val: int, n_components: int) -> tuple[int, int]:
    """(validation images per class an erasure job uses, the fewest its checks need).

    As many as the training sample has (the job's memory is that of one point's
    activations of both), but at least what its two-fold residual check needs: a QDA
    on ``n_components`` PLS scores, fitted on each half, needs more than
    ``n_components`` images per class there."""
    need = 2 * (n_components + 1)
    return min(val, max(train, need)), need


#: The project's own: LEACE's covariance is estimated from at least this many fitting
#: images per unit of the point; method "auto" uses the orthogonal eraser below it. On
#: images it did not see, LEACE left more of the attribute than the orthogonal eraser
#: at 1-4 images per unit and as much at 8 (docs/protocol.md section 13).
LEACE_IMAGES_PER_UNIT = 8
ERASER_METHODS = ("auto", "leace", "orth")


def eraser_method(method: str, images: int, units: int) -> str:
    """The eraser for a point of ``units`` fitted on ``images``: "leace" or "orth".
    ``method`` "auto" picks LEACE where ``images >= LEACE_IMAGES_PER_UNIT * units``;
    "leace" at a point too wide for that is a FacecuesError naming both counts."""
    if method not in ERASER_METHODS:
        raise FacecuesError(f"erasure.method = {method}: expected one of {ERASER_METHODS}")
    narrow = images >= LEACE_IMAGES_PER_UNIT * units
    if method == "auto":
        return "leace" if narrow else "orth"
    if method == "leace" and not narrow:
        raise FacecuesError(
            f"erasure.method = leace: a point of {units} units needs at least "
            f"{LEACE_IMAGES_PER_UNIT * units} fitting images for LEACE's covariance "
            f"({LEACE_IMAGES_PER_UNIT} per unit), erasure.fit_images gives {images}; "
            f"expected method auto or orth, or more fitting images"
        )
    return method


@dataclass(frozen=True)
class Eraser:
    """``x -> x - ((x - mean) . right) left``: a rank-one eraser, LEACE's oblique projection
    or the orthogonal one (``left == right``); float64 vectors of d."""

    mean: np.ndarray
    left: np.ndarray
    right: np.ndarray

    @property
    def rank(self) -> int:
        """1 where a direction is erased, 0 where the concept was below ``svd_tol``."""
        return int(np.any(self.left != 0))

    def __call__(self, x):
        """Erase from rows ``x`` (n, d): a numpy array (float64 unless it is a float
        array) or a torch tensor, computed in its dtype."""
        if isinstance(x, np.ndarray) or not hasattr(x, "device"):
            x = np.asarray(x)
            x = x if x.dtype.kind == "f" else x.astype(np.float64)
            mean, left, right = (v.astype(x.dtype) for v in (self.mean, self.left, self.right))
        else:  # a torch tensor
            import torch

            mean, left, right = (
                torch.as_tensor(v, dtype=x.dtype, device=x.device)
                for v in (self.mean, self.left, self.right)
            )
        return x - ((x - mean) @ right)[:, None] * left

    def matrix(self) -> np.ndarray:
        """The d x d projection ``P`` (for tests on small d)."""
        return np.outer(self.left, self.right)


def _binary(z, n: int) -> np.ndarray:
    z = np.asarray(z)
    if z.shape != (n,):
        raise FacecuesError(f"erasure labels: expected {n} labels, got shape {z.shape}")
    values = set(np.unique(z).tolist())
    if not values <= {0, 1, -1}:
        raise FacecuesError(f"erasure labels: expected a binary attribute, got values {values}")
    return (z > 0).astype(np.float64)


def _moments(x, z, min_per_class: int):
    """(centred rows, float32 or float64; labels as 0/1 floats; the rows' mean; sigma_xz =
    cov(x, z) with Bessel's correction); FacecuesError for a class below
    ``min_per_class`` rows."""
    x = np.asarray(x)
    x = x if x.dtype in (np.float32, np.float64) else x.astype(np.float64)
    if x.ndim != 2:
        raise FacecuesError(f"erasure: expected activations of shape (n, d), got {x.shape}")
    n = x.shape[0]
    z = _binary(z, n)
    counts = (int(n - z.sum()), int(z.sum()))
    if min(counts) < min_per_class:
        raise FacecuesError(
            f"erasure: {counts[0]} absent and {counts[1]} present samples; the eraser's "
            f"covariances need at least {min_per_class} of each"
        )
    mean = x.mean(axis=0, dtype=np.float64)
    xc = x - mean.astype(x.dtype)  # float32 activations stay float32 (memory)
    sigma_xz = (xc.T @ (z - z.mean()).astype(x.dtype) / (n - 1)).astype(np.float64)
    return xc, z, mean, sigma_xz


def fit_leace(
    x, z, *, shrinkage: bool = True, svd_tol: float = SVD_TOL, min_per_class: int = 2
) -> Eraser:
    """Fit the rank-one LEACE eraser of binary labels ``z`` (0/1 or -1/+1) from rows ``x``
    (float32 rows are centred and multiplied in float32, the rest in float64).

    Raises a ``FacecuesError`` when a class has fewer than ``min_per_class`` rows:
    its mean, and so the covariances, are not estimated.
    """
    xc, z, mean, sigma_xz = _moments(x, z, min_per_class)
    n, d = xc.shape
    zc = z - z.mean()  # the n x n and n-vector algebra below is float64
    # Where n <= d, the scatter xc^T xc on its span, through the n x n Gram matrix:
    # xc = U s V^T, so xc xc^T = U s^2 U^T, and for sigma_xz (= xc^T zc / (n - 1), in the
    # span) f(Sigma) sigma_xz = xc^T U f(s^2) U^T zc / (n - 1) for a function f of the
    # eigenvalues. Where n > d, the d x d scatter xc^T xc = V s^2 V^T directly.
    gram = n <= d
    lam, u = np.linalg.eigh((xc @ xc.T if gram else xc.T @ xc).astype(np.float64))
    lam = np.clip(lam, 0.0, None)
    if shrinkage:
        s_n = lam / n  # eigenvalues of S = scatter / n; any other eigenvalue is 0
        trace, frob2 = s_n.sum(), (s_n**2).sum()
        eps = np.finfo(np.float64).eps
        sigma0_norm2 = trace**2 / d  # ||tr(S)/d I||_F^2
        prod_trace = trace**2 / d  # tr(S tr(S)/d I)
        top = trace**2 * sigma0_norm2 / n
        bottom = frob2 * sigma0_norm2 - prod_trace**2
        alpha = 1 - (top + eps) / (bottom + eps)
        beta = (1 - alpha) * (prod_trace + eps) / (sigma0_norm2 + eps)
        inverse = 1.0 / (alpha * s_n + beta * trace / d)
    else:
        cov = lam / (n - 1)
        keep = cov > cov.max(initial=0.0) * d * np.finfo(np.float64).eps
        inverse = np.where(keep, 1.0 / np.where(keep, cov, 1.0), 0.0)
    if gram:
        coef = u @ (inverse * (u.T @ zc)) / (n - 1)
        right = (xc.T @ coef.astype(xc.dtype)).astype(np.float64)  # Sigma^{-1} sigma_xz
    else:  # u holds Sigma's eigenvectors themselves
        right = u @ (inverse * (u.T @ sigma_xz))
    norm2 = float(sigma_xz @ right)  # ||Sigma^{-1/2} sigma_xz||^2
    if not norm2 > svd_tol**2:
        zero = np.zeros(d)
        return Eraser(mean, zero, zero)
    return Eraser(mean, sigma_xz / np.sqrt(norm2), right / np.sqrt(norm2))


def fit_orth(x, z, *, svd_tol: float = SVD_TOL, min_per_class: int = 2) -> Eraser:
    """Fit the rank-one orthogonal eraser of binary labels ``z`` from rows ``x``: the
    projection out of ``sigma_xz`` (the class-mean difference's direction), the
    reference's ``LeaceFitter(method="orth")``. On its sample the classes then share
    their mean, as after LEACE, at a larger change; it needs no covariance of ``x``, so
    it does not degrade where the sample has fewer rows than units (``eraser_method``)."""
    x = np.asarray(x)
    z = _binary(z, len(x))
    sums = np.stack([x[z == c].sum(axis=0, dtype=np.float64) for c in (0, 1)])
    return orth_from_sums(sums, np.bincount(z.astype(int), minlength=2), svd_tol, min_per_class)


def orth_from_sums(
    sums: np.ndarray, counts, svd_tol: float = SVD_TOL, min_per_class: int = 2
) -> Eraser:
    """``fit_orth`` from each class's row sum (``sums``: (2, d), absent then present) and
    count, so that a sample can be summed batch by batch without being kept.

    With ``n = n0 + n1``, ``sigma_xz = n0 n1 / (n (n - 1)) (mean1 - mean0)``; nothing is
    erased where ``||sigma_xz|| <= svd_tol``."""
    n0, n1 = (int(c) for c in counts)
    if min(n0, n1) < min_per_class:
        raise FacecuesError(
            f"erasure: {n0} absent and {n1} present samples; the eraser's class means "
            f"need at least {min_per_class} of each"
        )
    n = n0 + n1
    mean = (sums[0] + sums[1]) / n
    sigma_xz = n0 * n1 / (n * (n - 1)) * (sums[1] / n1 - sums[0] / n0)
    norm = float(np.linalg.norm(sigma_xz))
    if not norm > svd_tol:
        zero = np.zeros(len(mean))
        return Eraser(mean, zero, zero)
    u = sigma_xz / norm
    return Eraser(mean, u, u)
