"""The summary's intervals drawn from a known truth: coverage, wrong "yes" / "no" and
power of ``facecues.results.estimates``, with every image's outcome a Bernoulli draw.

The world simulated: k networks, each with its own true accuracy p_j, logit(p_j) =
logit(p) + a network effect (normal, sd ``network_sd`` converted to the logit scale
at p); the truth is the mean of p_j over networks, E[p_j]. Each network is scored on
the same n images: a share ``shared`` of them is equally easy for every network (one
uniform draw u per image, network j right where u < p_j), the others are drawn for
each network on its own. The estimator sees only the k accuracies and n, as a study
does.

Rates reported (each nominally at most (1 - LEVEL) / 2 = 2.5%): ``wrong_above``, the
whole interval above the truth (a false "yes" for a claim "above", a false "no" for a
claim "below", with the threshold at the truth: the worst case of either), and
``wrong_below``; ``coverage`` (nominally LEVEL); ``power``, the rate of "yes" for a
claim "above" a threshold ``effect`` below the truth.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import special

from facecues.results.estimates import difference, estimate, image_error, pooled, quantile

_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(40)


def _logit_sd(p: float, network_sd: float) -> float:
    """A network sd in accuracy converted to the logit scale at ``p`` (delta method)."""
    return network_sd / (p * (1 - p))


def true_mean(p: float, network_sd: float) -> float:
    """E[p_j]: the mean accuracy over networks (Gauss-Hermite)."""
    sd = _logit_sd(p, network_sd)
    values = special.expit(special.logit(p) + sd * _NODES)
    return float(np.dot(_WEIGHTS, values) / _WEIGHTS.sum())


def bernoulli_accuracies(
    rng: np.random.Generator, sims: int, k: int, p: float, network_sd: float, n: int, shared: float
) -> np.ndarray:
    """(sims, k) accuracies drawn image by image (module docstring)."""
    sd = _logit_sd(p, network_sd)
    p_j = special.expit(special.logit(p) + sd * rng.standard_normal((sims, k)))
    m = int(round(shared * n))
    counts = rng.binomial(n - m, p_j).astype(np.float64)
    for start in range(0, m, 256):  # shared images in blocks: bounded memory
        u = rng.random((sims, 1, min(256, m - start)))
        counts += (u < p_j[:, :, None]).sum(axis=2)
    return counts / n


def _rates(estimates, truth: float, effect: float) -> dict[str, float]:
    """Coverage, wrong above / below and power of estimates of ``truth``."""
    sims = len(estimates)
    return {
        "coverage": sum(e.low <= truth <= e.high for e in estimates) / sims,
        "wrong_above": sum(e.check(truth, above=True) == "yes" for e in estimates) / sims,
        "wrong_below": sum(e.check(truth, above=False) == "yes" for e in estimates) / sims,
        "power": sum(e.check(truth - effect, above=True) == "yes" for e in estimates) / sims,
        "capped": sum(bool(e.caps) for e in estimates) / sims,
    }


def mean_check(
    k: int,
    p: float,
    network_sd: float,
    n: int = 1024,
    shared: float = 0.5,
    *,
    effect: float = 0.05,
    missing: int = 0,
    sims: int = 2000,
    seed: int = 0,
) -> dict[str, float]:
    """The rates of one mean accuracy over ``k`` networks (Wilson image error);
    ``missing``: that many networks' values NaN (judged from the others)."""
    rng = np.random.default_rng(seed)
    acc = bernoulli_accuracies(rng, sims, k, p, network_sd, n, shared)
    acc[:, :missing] = np.nan
    out = []
    for row in acc:
        mean = float(np.nanmean(row))
        out.append(estimate(row, image=image_error([(mean, n, 1.0)])))
    return _rates(out, true_mean(p, network_sd), effect)


def difference_check(
    k: int,
    k_other: int,
    p: float,
    p_other: float,
    network_sd: float,
    n: int = 1024,
    shared: float = 0.5,
    *,
    effect: float = 0.05,
    sims: int = 2000,
    seed: int = 0,
) -> dict[str, float]:
    """The rates of a difference of two independent groups' means (trained minus
    untrained networks: ``k`` and ``k_other`` of them), as claim (d) judges it."""
    rng = np.random.default_rng(seed)
    a = bernoulli_accuracies(rng, sims, k, p, network_sd, n, shared)
    b = bernoulli_accuracies(rng, sims, k_other, p_other, network_sd, n, shared)
    out = []
    for x, y in zip(a, b, strict=True):
        ex = estimate(x, image=image_error([(x.mean(), n, 1.0)]))
        ey = estimate(y, image=image_error([(y.mean(), n, 1.0)]))
        out.append(difference(ex, ey))
    truth = true_mean(p, network_sd) - true_mean(p_other, network_sd)
    return _rates(out, truth, effect)


def pooled_check(
    k: int,
    p: float,
    sds: list[float],
    n: int = 1024,
    shared: float = 0.5,
    *,
    effect: float = 0.05,
    sims: int = 1000,
    seed: int = 0,
) -> dict[str, dict[str, float]]:
    """Per-attribute means of ``len(sds)`` attributes (network sd ``sds[a]`` each, the
    same true accuracy ``p``), judged with each attribute's own spread (``per_attribute``)
    and with the pooled spread (``pooled``); each rate the worst attribute's
    (``coverage`` the lowest, the wrong rates the highest, ``power`` the lowest), and
    ``pooled_share``: how often the spread was pooled."""
    rng = np.random.default_rng(seed)
    acc = [bernoulli_accuracies(rng, sims, k, p, sd, n, shared) for sd in sds]
    names = [f"a{i}" for i in range(len(sds))]
    own = {a: [] for a in names}
    pool = {a: [] for a in names}
    pooled_count = 0
    for s in range(sims):
        values = {a: acc[i][s] for i, a in enumerate(names)}
        images = {a: image_error([(v.mean(), n, 1.0)]) for a, v in values.items()}
        for a in names:
            own[a].append(estimate(values[a], image=images[a]))
        result = pooled({a: pd.Series(v) for a, v in values.items()}, images)
        pooled_count += result.pooled
        for a in names:
            pool[a].append(result.estimates[a])
    out = {}
    for label, by in (("per_attribute", own), ("pooled", pool)):
        rates = [_rates(by[a], true_mean(p, sd), effect) for a, sd in zip(names, sds, strict=True)]
        out[label] = {
            key: (min if key in ("coverage", "power") else max)(r[key] for r in rates)
            for key in rates[0]
        }
    out["pooled_share"] = pooled_count / sims
    return out


def quantile_note() -> str:
    """The quantiles the rates turn on: Student's t with 1, 2, 5, 8 and 16 degrees of
    freedom, the normal."""
    ts = ", ".join(f"t({d}) {quantile(d):.2f}" for d in (1, 2, 5, 8, 16))
    return f"{ts}, normal {quantile(math.inf):.2f}"
