"""The summary's intervals hold the truth at their nominal rate (results/estimates.py)."""

import math

import numpy as np
import pytest

from facecues.results.estimates import (
    LEVEL,
    Estimate,
    average,
    difference,
    estimate,
    simulate_coverage,
)

SIMS = 10_000
TOL = 0.01  # Monte Carlo error of a rate near 0.95 from 10,000 draws: ±0.0044 (2 SE)


@pytest.mark.parametrize("k", [2, 3, 6])
@pytest.mark.parametrize(
    ("network_sd", "image_sd"),
    [(0.01, 0.0), (0.01, 0.003), (0.01, 0.01), (0.002, 0.01)],
)
@pytest.mark.parametrize("shared_images", [True, False])
def test_the_interval_covers_at_least_its_nominal_rate(k, network_sd, image_sd, shared_images):
    r = simulate_coverage(k, network_sd, image_sd, shared_images=shared_images, sims=SIMS)
    assert r["coverage"] >= LEVEL - TOL, r
    assert r["false_above"] <= (1 - LEVEL) / 2 + TOL / 2, r
    if image_sd == 0:  # the exact t interval: neither too wide nor too narrow
        assert abs(r["coverage"] - LEVEL) <= TOL, r


def test_the_earlier_two_se_interval_undercovered_with_two_networks():
    """The defect this replaces: mean ± 2 s / sqrt(k) from k = 2 networks (issue 21)."""
    rng = np.random.default_rng(1)
    v = rng.normal(0, 0.01, size=(SIMS, 2))
    half = 2 * v.std(axis=1, ddof=1) / math.sqrt(2)
    assert 0.65 < np.mean(np.abs(v.mean(axis=1)) <= half) < 0.75


@pytest.mark.parametrize("k", [2, 3, 6])
def test_the_difference_of_two_groups_covers_its_truth(k):
    """Trained minus untrained networks (claim d): Welch's spread, image errors added."""
    rng = np.random.default_rng(k)
    covered = 0
    for _ in range(SIMS // 2):
        a = estimate(rng.normal(0.8, 0.01, k) + rng.normal(0, 0.005), 0.005**2)
        b = estimate(rng.normal(0.6, 0.03, k) + rng.normal(0, 0.005), 0.005**2)
        d = difference(a, b)
        covered += abs(d.value - 0.2) <= d.half_width
    assert covered / (SIMS // 2) >= LEVEL - TOL


def test_one_network_measures_no_spread_and_quoted_numbers_are_exact():
    one = estimate([0.7], 0.7 * 0.3 / 1000)
    assert not one.spread_measured and one.half_width == pytest.approx(1.96 * 0.0145, rel=0.01)
    quoted = Estimate(0.962)
    assert quoted.exact and quoted.half_width == 0 and quoted.pct() == "96.2%"
    assert quoted.check(0.96, above=True) == "yes" and Estimate(0.96).check(0.96, True) == "no"
    two = estimate([0.70, 0.73])
    assert two.spread_measured and two.spread_df == 1
    assert two.half_width == pytest.approx(12.706 * 0.015, rel=1e-3)  # t with 1 df
    assert two.check(0.6, above=True) == "borderline" and two.pct() == "71.5% ± 19.1"


def test_average_over_points_keeps_the_largest_uncertainty():
    a, b = estimate([0.7, 0.72, 0.74]), estimate([0.6, 0.66, 0.63], 1e-4)
    m = average([a, b])
    assert m.value == pytest.approx((a.value + b.value) / 2)
    assert m.spread_se == pytest.approx((a.spread_se + b.spread_se) / 2)
    assert m.image_se == pytest.approx(0.005) and m.spread_df == 2
    assert math.isnan(average([Estimate(float("nan"))]).value)
