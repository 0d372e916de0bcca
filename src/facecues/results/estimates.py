"""Means over networks with intervals whose coverage is simulated, and the checks on them.

A number the summary judges is a mean over the k trained networks of a
per-network value (an accuracy, a gap, a selectivity). Two errors enter it:

- the spread between networks (training draws another network each time):
  s / sqrt(k) from the k values, with k - 1 degrees of freedom;
- the error of an accuracy measured on n images, sqrt(p (1 - p) / n)
  (binomial), taken as known. All networks are scored on the same images, so
  much of it is common to them and not in s.

The interval is mean ± sqrt((t · s / sqrt(k))² + (z · sqrt(p (1 - p) / n))²):
the half-widths of the two errors' own intervals (Student's t with k - 1
degrees of freedom, the normal z) added in quadrature. With no image error
it is the exact t interval: from two networks t is 12.7, not the normal 2,
so an interval from two networks is wide, as it should be. With k = 1 no
spread between networks is measured: the interval holds the image error only
and says so (``spread_measured``). Numbers quoted without either (the
paper's own table) are taken as exact.

Simulated (``simulate_coverage``; tests/test_estimates.py, printed by
``benchmarks/coverage.py``): for k = 2, 3 and 6 and any ratio of the two
errors the interval holds the truth at least at the nominal rate, up to
~3.5 p.p. more where both errors are of a size. The Welch-Satterthwaite
alternative (one t at pooled degrees of freedom) covered only 88% with
k = 2, and the earlier ±2 SE about 70%.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
from scipy import stats

from facecues.results import formatting

#: Two-sided level of every interval (the project's own).
LEVEL = 0.95

# The project's own thresholds of the verdicts (the paper's: ``facecues.literature``).
#: Chance of a balanced two-class probe.
CHANCE = 0.5
#: "High" / "something to lose": at least this much above chance (fraction).
HIGH_MARGIN = 0.10
#: The margin of "loses" / "stays", "does as well", "at chance" (claims (c), (d) and the
#: planted truth; fraction).
TOL = 0.02
#: The planted check's erasure margin: identity-bound attributes must cost verification at
#: least this much more than per-image ones (fraction).
PLANTED_MARGIN = 0.005
#: An erasure point "worked" where the linear residual probe is at chance at this share
#: of its (network, attribute)s or more.
WORKED_SHARE = 0.5


@dataclass(frozen=True)
class Estimate:
    """A mean and its two errors: ``spread_se`` (s / sqrt(k) between networks, with
    ``spread_df`` degrees of freedom; None: not measured) and ``image_se`` (the image
    error, known); ``networks``: how many networks' values it averages (0: not a mean
    over networks, e.g. a quoted number). No error at all: an exact value."""

    value: float
    spread_se: float | None = None
    spread_df: float = math.inf
    image_se: float = 0.0
    networks: int = 0

    @property
    def spread_measured(self) -> bool:
        """Whether the spread between networks entered the interval (two networks or more)."""
        return self.spread_se is not None

    @property
    def exact(self) -> bool:
        """A value without any error (a quoted number)."""
        return self.spread_se is None and not self.image_se

    @property
    def half_width(self) -> float:
        """Half the width of the ``LEVEL`` interval (0 for an exact value)."""
        spread = _quantile(self.spread_df) * self.spread_se if self.spread_se else 0.0
        return float(math.hypot(spread, _quantile(math.inf) * self.image_se))

    def check(self, threshold: float, above: bool) -> str:
        """ "yes" / "no" / "borderline": is the value above (or below) ``threshold``?

        "yes" when the whole interval lies on the claimed side, "no" when it lies
        on the other, "borderline" when the threshold is inside it.
        """
        if not np.isfinite(self.value):
            return "n/a"
        lo, hi = self.value - self.half_width, self.value + self.half_width
        if above:
            return "yes" if lo > threshold else "no" if hi <= threshold else "borderline"
        return "yes" if hi < threshold else "no" if lo >= threshold else "borderline"

    def pct(self) -> str:
        """``71.4% ± 12.0`` (percent, the interval's half-width in p.p.)."""
        return formatting.pct(self.value) + self._pm()

    def pp(self) -> str:
        """``+26.6 p.p. ± 12.0``."""
        return formatting.pp(self.value) + self._pm()

    def _pm(self) -> str:
        if self.exact or not np.isfinite(self.value):
            return ""
        return f" ± {100 * self.half_width:.1f}"


@cache
def _quantile(df: float) -> float:
    """The ``LEVEL`` two-sided quantile of Student's t with ``df`` degrees of freedom
    (the normal's for infinite ``df``)."""
    return float(stats.t.ppf(0.5 + LEVEL / 2, df))


def estimate(per_network, binomial_var: float = 0.0) -> Estimate:
    """Mean of ``per_network`` values (NaN dropped) with its errors (module docstring);
    ``binomial_var``: the image error's variance, p (1 - p) / n."""
    v = np.asarray(per_network, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return Estimate(float("nan"))
    spread = math.sqrt(float(v.var(ddof=1)) / v.size) if v.size > 1 else None
    return Estimate(float(v.mean()), spread, v.size - 1.0, math.sqrt(binomial_var), int(v.size))


def difference(a: Estimate, b: Estimate) -> Estimate:
    """a - b for independent estimates (e.g. trained and untrained networks): the
    spreads combine as in Welch's t (degrees of freedom by Welch-Satterthwaite), the image
    errors in quadrature."""
    spreads = [(e.spread_se, e.spread_df) for e in (a, b) if e.spread_se is not None]
    spread, df = None, math.inf
    if spreads:
        spread = math.sqrt(sum(se**2 for se, _ in spreads))
        denominator = sum(se**4 / d for se, d in spreads if se > 0 and math.isfinite(d))
        df = spread**4 / denominator if denominator > 0 else math.inf
    return Estimate(
        a.value - b.value,
        spread,
        df,
        math.hypot(a.image_se, b.image_se),
        min(a.networks, b.networks),
    )


def average(estimates: list[Estimate]) -> Estimate:
    """The mean of estimates of one quantity at several points (measured on the same
    networks, so far from independent): the mean value and the mean of each error (exact
    for perfectly correlated errors, an upper bound otherwise), the smallest degrees of
    freedom."""
    finite = [e for e in estimates if np.isfinite(e.value)]
    if not finite:
        return Estimate(float("nan"))
    spreads = [e.spread_se for e in finite]
    return Estimate(
        float(np.mean([e.value for e in finite])),
        float(np.mean(spreads)) if all(s is not None for s in spreads) else None,
        min(e.spread_df for e in finite),
        float(np.mean([e.image_se for e in finite])),
        min(e.networks for e in finite),
    )


def binomial_var(p: float, n) -> float:
    """Variance of an accuracy ``p`` measured on ``n`` images (0 when n is unknown)."""
    if n is None or not np.isfinite(n) or n <= 0 or not np.isfinite(p):
        return 0.0
    return float(p * (1 - p) / n)


def simulate_coverage(
    k: int,
    network_sd: float,
    image_sd: float,
    *,
    shared_images: bool = True,
    sims: int = 20_000,
    seed: int = 0,
) -> dict[str, float]:
    """The estimator drawn ``sims`` times from a known truth, 0.

    Each of the k networks' values is the truth, plus its own network effect
    (sd ``network_sd``), plus the image error (sd ``image_sd``): common to all
    networks (``shared_images``, as when every network is scored on the same
    images) or drawn per network. Returns ``coverage``, the rate at which the
    ``LEVEL`` interval holds the truth, and ``false_above``, the rate at which
    ``check`` calls the mean above a threshold equal to the truth (nominally
    (1 - LEVEL) / 2).
    """
    rng = np.random.default_rng(seed)
    image = rng.normal(0, image_sd, size=(sims, 1 if shared_images else k))
    values = rng.normal(0, network_sd, size=(sims, k)) + image
    covered = false_above = 0
    for row in values:
        e = estimate(row, image_sd**2)
        covered += abs(e.value) <= e.half_width
        false_above += e.check(0.0, above=True) == "yes"
    return {"coverage": covered / sims, "false_above": false_above / sims}
