"""Means over networks with intervals whose coverage is simulated, and the checks on them.

A number the summary judges is a mean over the k trained networks of a
per-network value (an accuracy, a gap, a selectivity). Two errors enter it:

- the spread between networks (training draws another network each time):
  s / sqrt(k) from the k values, with k - 1 degrees of freedom;
- the error of accuracies measured on n images, taken as known: the Wilson
  score interval of each accuracy (it holds near 0 and 100%, where the Wald
  sqrt(p (1 - p) / n) is too narrow), its distances below and above the
  accuracy combined over the accuracies a number is made of as Newcombe's
  hybrid interval does for a difference (:func:`image_error`). All networks
  are scored on the same images, so much of it is common to them and not in s.

The interval adds, on each side, the half-widths of the two errors' own
intervals in quadrature: t · s / sqrt(k) (Student's t, k - 1 degrees of
freedom) and the image error's distance on that side. With no image error it
is the exact t interval: from two networks t is 12.7.

**Pooled spread** (:func:`pooled`): a quantity judged per attribute (a change
with depth, layer minus neuron) has its between-network variance estimated
from all attributes, (k - 1) degrees of freedom each, where Bartlett's test
does not reject equal variances at ``HOMOGENEITY_LEVEL``; each attribute then
uses the larger of its own and the pooled variance, with the pooled degrees of
freedom (two networks and 8 attributes: t(8) = 2.31 instead of t(1) = 12.7).
Where the test rejects, each attribute keeps its own t, said so.

**Caps** (``Estimate.caps``): what an interval lacks, each a reason a verdict
resting on it is at most "partly tested": one network (no spread measured), a
network without a value (judged from the others), equal values of every
network (a spread of 0 is not a measured spread), one network on a side of a
difference (its spread taken equal to the other side's).

Simulated (``facecues.results.simulation``; tests/test_estimates.py, printed by
``benchmarks/coverage.py``): coverage, wrong "yes" and "no" at the threshold,
and power, with exact Bernoulli draws of every image's outcome.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import cache

import numpy as np
import pandas as pd
from scipy import stats

from facecues.results import formatting

#: Two-sided level of every interval (the project's own).
LEVEL = 0.95
#: Bartlett's test of equal between-network variances across attributes: below this p
#: the spread is not pooled (the project's own).
HOMOGENEITY_LEVEL = 0.10
#: The power at which the summary states the smallest effect a study would call.
POWER = 0.80

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

NO_SPREAD = "one network only: no spread between networks measured"
EQUAL_VALUES = "a value equal in every network (a spread of 0 is not a measured spread)"
ONE_SIDE = "one network on one side of a difference: its spread taken equal to the other side's"


@dataclass(frozen=True)
class Estimate:
    """A mean and its two errors: ``spread_se`` (s / sqrt(k) between networks, with
    ``spread_df`` degrees of freedom; None: not measured) and the image error's
    ``LEVEL`` distances below and above the value (``image_low``, ``image_high``);
    ``networks``: how many networks' values it averages (0: a quoted number),
    ``values``: theirs, ``caps``: what its interval lacks (module docstring)."""

    value: float
    spread_se: float | None = None
    spread_df: float = math.inf
    image_low: float = 0.0
    image_high: float = 0.0
    networks: int = 0
    values: tuple[float, ...] = ()
    caps: tuple[str, ...] = ()

    @property
    def spread_measured(self) -> bool:
        """Whether the spread between networks entered the interval (two networks or more)."""
        return self.spread_se is not None

    @property
    def exact(self) -> bool:
        """A value without any error (a quoted number)."""
        return self.spread_se is None and not self.image_low and not self.image_high

    @property
    def _spread_half(self) -> float:
        return quantile(self.spread_df) * self.spread_se if self.spread_se else 0.0

    @property
    def below(self) -> float:
        """The interval's extent below the value."""
        return float(math.hypot(self._spread_half, self.image_low))

    @property
    def above(self) -> float:
        """The interval's extent above the value."""
        return float(math.hypot(self._spread_half, self.image_high))

    @property
    def half_width(self) -> float:
        """The larger of the interval's two extents (0 for an exact value)."""
        return max(self.below, self.above)

    @property
    def low(self) -> float:
        return self.value - self.below

    @property
    def high(self) -> float:
        return self.value + self.above

    def check(self, threshold: float, above: bool) -> str:
        """ "yes" / "no" / "borderline": is the value above (or below) ``threshold``?

        "yes" when the whole interval lies on the claimed side, "no" when it lies
        on the other, "borderline" when the threshold is inside it; "n/a" without a value.
        """
        if not np.isfinite(self.value):
            return "n/a"
        lo, hi = self.low, self.high
        if above:
            return "yes" if lo > threshold else "no" if hi <= threshold else "borderline"
        return "yes" if hi < threshold else "no" if lo >= threshold else "borderline"

    def pct(self) -> str:
        """``71.4% ± 12.0`` (percent; the interval's extents in p.p., ``-2.1/+0.8`` when
        they differ)."""
        return formatting.pct(self.value) + self._pm()

    def pp(self) -> str:
        """``+26.6 p.p. ± 12.0``."""
        return formatting.pp(self.value) + self._pm()

    def per_network(self, as_pp: bool = False) -> str:
        """The networks' own values: ``95.2%, 97.2%``."""
        fmt = formatting.pp if as_pp else formatting.pct
        return ", ".join(fmt(v).replace(" p.p.", "") for v in self.values)

    def _pm(self) -> str:
        if self.exact or not np.isfinite(self.value):
            return ""
        lo, hi = f"{100 * self.below:.1f}", f"{100 * self.above:.1f}"
        return f" ± {lo}" if lo == hi else f" -{lo}/+{hi}"


@cache
def quantile(df: float, level: float = LEVEL) -> float:
    """The ``level`` two-sided quantile of Student's t with ``df`` degrees of freedom
    (the normal's for infinite ``df``)."""
    return float(stats.t.ppf(0.5 + level / 2, df))


def wilson(p: float, n) -> tuple[float, float]:
    """The distances below and above ``p`` of the Wilson score ``LEVEL`` interval of an
    accuracy ``p`` measured on ``n`` images ((0, 0) when n is unknown)."""
    if n is None or not np.isfinite(n) or n <= 0 or not np.isfinite(p):
        return 0.0, 0.0
    z = quantile(math.inf)
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(p - (centre - half), 0.0), max(centre + half - p, 0.0)


def image_error(terms) -> tuple[float, float]:
    """The image error's distances below and above a weighted sum of accuracies,
    ``terms``: (accuracy, images, weight) each measured on its own images: each term's
    Wilson distances (the lower one of a negative weight counts above), in quadrature."""
    low = high = 0.0
    for p, n, w in terms:
        below, above = wilson(p, n)
        if w < 0:
            below, above = above, below
        low, high = math.hypot(low, abs(w) * below), math.hypot(high, abs(w) * above)
    return low, high


def _values(per_network) -> tuple[np.ndarray, list[str]]:
    """The finite values and the names (or positions) of the networks without one."""
    if isinstance(per_network, pd.Series):
        bad = [str(i) for i, v in per_network.items() if not np.isfinite(v)]
        v = per_network.to_numpy(dtype=np.float64)
    else:
        v = np.asarray(per_network, dtype=np.float64).ravel()
        bad = [str(i) for i in np.flatnonzero(~np.isfinite(v))]
    return v[np.isfinite(v)], bad


def estimate(per_network, binomial_var: float = 0.0, *, image=None) -> Estimate:
    """Mean of ``per_network`` values (a Series by network, or an array; NaN: that
    network has no value, dropped and capped) with its errors (module docstring); the
    image error as ``image`` (distances below and above, :func:`image_error`) or as a
    known variance ``binomial_var`` (symmetric, normal)."""
    v, bad = _values(per_network)
    if v.size == 0:
        return Estimate(float("nan"))
    if image is None:
        image = (quantile(math.inf) * math.sqrt(binomial_var),) * 2
    caps = [f"no value for network(s) {', '.join(bad)}: judged from the others"] if bad else []
    spread = math.sqrt(float(v.var(ddof=1)) / v.size) if v.size > 1 else None
    if spread is None:
        caps.append(NO_SPREAD)
    elif np.ptp(v) <= 1e-9:  # equal up to rounding (an accuracy moves by 1 / n)
        caps.append(EQUAL_VALUES)
    return Estimate(
        float(v.mean()),
        spread,
        v.size - 1.0,
        *image,
        int(v.size),
        tuple(map(float, v)),
        tuple(caps),
    )


def _union(*caps: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(c for cs in caps for c in cs))


def _spread_of_difference(a: Estimate, b: Estimate) -> tuple[float | None, float, list[str]]:
    """The spread of a - b: Welch's where both sides measured one, the measured side's
    variance taken for both where one side has one network (pooled two-sample t)."""
    if a.spread_se is not None and b.spread_se is not None:
        spread = math.hypot(a.spread_se, b.spread_se)
        parts = [(se, d) for se, d in ((a.spread_se, a.spread_df), (b.spread_se, b.spread_df))]
        denominator = sum(se**4 / d for se, d in parts if se > 0 and math.isfinite(d))
        return spread, spread**4 / denominator if denominator > 0 else math.inf, []
    measured = a if a.spread_se is not None else b if b.spread_se is not None else None
    if measured is None:
        return None, math.inf, [NO_SPREAD]
    if not (a.networks and b.networks):  # the other side is one measurement, not networks'
        return measured.spread_se, measured.spread_df, []
    sd = measured.spread_se * math.sqrt(measured.networks)
    return sd * math.sqrt(1 / a.networks + 1 / b.networks), measured.spread_df, [ONE_SIDE]


def difference(a: Estimate, b: Estimate) -> Estimate:
    """a - b for independent estimates (e.g. trained and untrained networks): the
    spreads as in Welch's t, or the pooled two-sample t where one side has one network
    (capped); the image errors as in Newcombe's interval. A quoted (exact) side only
    shifts the other."""
    value = a.value - b.value
    if b.exact and not b.networks:
        return replace(a, value=value, values=tuple(x - b.value for x in a.values))
    if a.exact and not a.networks:
        return replace(
            b,
            value=value,
            image_low=b.image_high,
            image_high=b.image_low,
            values=tuple(a.value - x for x in b.values),
        )
    spread, df, caps = _spread_of_difference(a, b)
    sides = _union(a.caps, b.caps)
    if caps == [ONE_SIDE]:  # the side with one network is accounted for by ONE_SIDE
        sides = tuple(c for c in sides if c != NO_SPREAD)
    return Estimate(
        value,
        spread,
        df,
        math.hypot(a.image_low, b.image_high),
        math.hypot(a.image_high, b.image_low),
        min(a.networks, b.networks),
        (),  # independent groups: no per-network difference
        _union(sides, tuple(caps)),
    )


def average(estimates: list[Estimate]) -> Estimate:
    """The mean of estimates of one quantity at several points (measured on the same
    networks, so far from independent): the mean value and the mean of each error (exact
    for perfectly correlated errors, an upper bound otherwise), the smallest degrees of
    freedom, every cap."""
    finite = [e for e in estimates if np.isfinite(e.value)]
    if not finite:
        return Estimate(float("nan"))
    spreads = [e.spread_se for e in finite]
    lengths = {len(e.values) for e in finite}
    return Estimate(
        float(np.mean([e.value for e in finite])),
        float(np.mean(spreads)) if all(s is not None for s in spreads) else None,
        min(e.spread_df for e in finite),
        float(np.mean([e.image_low for e in finite])),
        float(np.mean([e.image_high for e in finite])),
        min(e.networks for e in finite),
        tuple(np.mean([e.values for e in finite], axis=0)) if len(lengths) == 1 else (),
        _union(*(e.caps for e in finite)),
    )


def binomial_var(p: float, n) -> float:
    """Variance of an accuracy ``p`` measured on ``n`` images (0 when n is unknown)."""
    if n is None or not np.isfinite(n) or n <= 0 or not np.isfinite(p):
        return 0.0
    return float(p * (1 - p) / n)


# ----------------------------------------------------------------------------------------
# The spread pooled across attributes, and what a study can decide.


def bartlett(variances, dfs) -> float:
    """Bartlett's test of equal variances from groups' variances and degrees of freedom:
    its p-value (1 where fewer than two groups have a positive variance)."""
    s2, df = np.asarray(variances, float), np.asarray(dfs, float)
    keep = (df > 0) & (s2 > 0)
    s2, df = s2[keep], df[keep]
    if len(s2) < 2:
        return 1.0
    total = df.sum()
    pooled_var = float((df * s2).sum() / total)
    statistic = total * math.log(pooled_var) - float((df * np.log(s2)).sum())
    correction = 1 + (np.sum(1 / df) - 1 / total) / (3 * (len(s2) - 1))
    return float(stats.chi2.sf(statistic / correction, len(s2) - 1))


@dataclass(frozen=True)
class Pooled:
    """Per-attribute estimates with the pooled spread (``pooled`` True) or each its own
    (the test rejected equal variances, or fewer than two attributes have a spread):
    ``estimates`` by attribute, the pooled network ``sd`` and its ``df``, Bartlett's
    ``p``."""

    estimates: dict[str, Estimate]
    pooled: bool
    sd: float
    df: float
    p: float

    @property
    def note(self) -> str:
        """How the spread was estimated, in words."""
        if self.pooled:
            return (
                f"between-network spread pooled over the attributes ({self.df:.0f} degrees of "
                f"freedom; equal spreads not rejected, Bartlett p = {self.p:.2f})"
            )
        if not math.isfinite(self.p):
            return "between-network spread per attribute (too few attributes to pool)"
        return (
            f"between-network spread per attribute (Bartlett p = {self.p:.3f} < "
            f"{HOMOGENEITY_LEVEL:.2f}: spreads differ between attributes, not pooled)"
        )


def pooled(per_attribute: dict[str, pd.Series], images: dict | None = None) -> Pooled:
    """Per-attribute estimates of a quantity judged per attribute, their spread pooled
    across attributes where Bartlett's test allows (module docstring); ``images``:
    {attribute: (distance below, above)} of the image error."""
    own = {
        a: estimate(v, image=(images or {}).get(a, (0.0, 0.0))) for a, v in per_attribute.items()
    }
    spread = {a: e for a, e in own.items() if e.spread_se is not None and e.spread_se > 0}
    dfs = [e.spread_df for e in spread.values()]
    variances = [e.spread_se**2 * e.networks for e in spread.values()]
    if len(spread) < 2:
        return Pooled(own, False, float("nan"), float("nan"), float("nan"))
    p = bartlett(variances, dfs)
    df = float(sum(dfs))
    var = float(np.dot(dfs, variances) / df)
    if p < HOMOGENEITY_LEVEL:
        return Pooled(own, False, math.sqrt(var), df, p)
    out = {}
    for a, e in own.items():
        if e.spread_se is None:
            out[a] = e
            continue
        se = math.sqrt(max(e.spread_se**2, var / e.networks))
        caps = tuple(c for c in e.caps if c != EQUAL_VALUES)
        out[a] = replace(e, spread_se=se, spread_df=df, caps=caps)
    return Pooled(out, True, math.sqrt(var), df, p)


def power(effect: float, network_sd: float, k: int, df: float, image_sd: float = 0.0) -> float:
    """The probability that a check on the mean of ``k`` networks calls "yes" when the
    truth lies ``effect`` beyond its threshold: the mean is normal about the truth (sd
    sqrt(network_sd² / k + image_sd²)) and the spread's estimate s is network_sd ·
    sqrt(chi²_df / df), independent of it; "yes" when the mean minus the interval's
    half-width, sqrt((t · s / sqrt(k))² + (z · image_sd)²), clears the threshold. The
    chi² is averaged over 400 equally likely quantiles."""
    if math.isfinite(df):
        q = (np.arange(400) + 0.5) / 400
        s = network_sd * np.sqrt(stats.chi2.ppf(q, df) / df)
    else:
        s = np.array([network_sd])
    half = np.hypot(quantile(df) * s / math.sqrt(k), quantile(math.inf) * image_sd)
    sd = math.sqrt(network_sd**2 / k + image_sd**2)
    return float(np.mean(stats.norm.sf((half - effect) / sd))) if sd > 0 else float(effect > 0)


def detectable(network_sd: float, k: int, df: float, image_sd: float = 0.0) -> float:
    """The smallest true distance from a threshold that a check on the mean of ``k``
    networks (network sd ``network_sd``, its spread estimated with ``df`` degrees of
    freedom, a known image error of sd ``image_sd``) calls "yes" with probability
    ``POWER`` (:func:`power`, by bisection)."""
    lo, hi = 0.0, 1.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if power(mid, network_sd, k, df, image_sd) < POWER else (lo, mid)
    return hi
