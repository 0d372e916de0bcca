"""The summary's intervals hold the truth at their nominal rate (results/estimates.py),
simulated with exact Bernoulli draws (results/simulation.py): coverage, wrong "above" /
"below" (a false "yes" or "no" at the threshold), power; one against k networks on
the sides of a difference; a network without a value; the spread pooled over
attributes, with equal and with unequal spreads."""

import math

import numpy as np
import pandas as pd
import pytest

from facecues.results import simulation
from facecues.results.estimates import (
    EQUAL_VALUES,
    LEVEL,
    NO_SPREAD,
    ONE_SIDE,
    POWER,
    Estimate,
    average,
    detectable,
    difference,
    estimate,
    image_error,
    pooled,
    power,
    wilson,
)

SIMS = 1500
TAIL = (1 - LEVEL) / 2
MC = 0.012  # ~3 Monte Carlo SE of a rate near 2.5% (and 2 near 95%) from 1,500 draws


@pytest.mark.parametrize("k", [2, 3, 6])
@pytest.mark.parametrize("p", [0.5, 0.9, 0.99])
def test_a_mean_covers_and_rarely_says_a_wrong_yes_or_no(k, p):
    r = simulation.mean_check(k, p, 0.005, shared=1.0, sims=SIMS, seed=k)
    assert r["coverage"] >= LEVEL - MC, r
    assert r["wrong_above"] <= TAIL + MC and r["wrong_below"] <= TAIL + MC, r


def test_wald_near_100_percent_said_a_wrong_above_wilson_does_not():
    """Issue 31 finding 4: with every network scored on the same images, the Wald error
    at 99% gave a false 'above' ~6% of the time at k = 6; the Wilson interval does not."""
    rng = np.random.default_rng(3)
    acc = simulation.bernoulli_accuracies(rng, 3000, 6, 0.99, 0.001, 1024, 1.0)
    truth = simulation.true_mean(0.99, 0.001)
    wald = [estimate(a, a.mean() * (1 - a.mean()) / 1024) for a in acc]
    wils = [estimate(a, image=image_error([(a.mean(), 1024, 1.0)])) for a in acc]
    rate = [np.mean([e.check(truth, True) == "yes" for e in es]) for es in (wald, wils)]
    assert rate[0] > 0.04 and rate[1] <= TAIL + MC, rate


@pytest.mark.parametrize("k", [2, 3, 6])
def test_one_untrained_network_against_k_trained(k):
    """Issue 31 finding 2: the untrained side's spread was dropped (wrong 'yes' 7-15%)."""
    r = simulation.difference_check(k, 1, 0.8, 0.78, 0.01, sims=SIMS, seed=k)
    assert r["capped"] == 1.0  # every such verdict is at most "partly tested"
    assert r["coverage"] >= LEVEL - MC and r["wrong_above"] <= TAIL + MC, r


def test_a_network_without_a_value_is_named_and_capped():
    r = simulation.mean_check(3, 0.9, 0.005, missing=1, sims=500)
    assert r["capped"] == 1.0 and r["coverage"] >= LEVEL - 2 * MC
    e = estimate(pd.Series({"0": 0.99, "1": np.nan}))
    assert e.networks == 1 and "no value for network(s) 1" in e.caps[0] and NO_SPREAD in e.caps


@pytest.mark.parametrize("k", [2, 6])
def test_the_pooled_spread_covers_and_has_more_power(k):
    r = simulation.pooled_check(k, 0.8, [0.01] * 8, sims=600, seed=k)
    assert r["pooled"]["coverage"] >= LEVEL - 2 * MC, r
    assert r["pooled"]["wrong_above"] <= TAIL + 2 * MC, r
    assert r["pooled"]["power"] > r["per_attribute"]["power"], r


def test_the_pooled_spread_under_unequal_spreads_is_reported_not_hidden():
    """One attribute's network sd 3x the others' at k = 2: Bartlett's test cannot see it
    from 1 degree of freedom each; the worst attribute's coverage falls (measured, stated
    in benchmarks/coverage.py), the average holds."""
    r = simulation.pooled_check(2, 0.8, [0.01] * 7 + [0.03], sims=600, seed=5)
    assert 0.70 < r["pooled"]["coverage"] < LEVEL, r
    assert r["per_attribute"]["coverage"] >= LEVEL - 2 * MC, r


def test_pooled_falls_back_when_spreads_differ():
    rng = np.random.default_rng(0)
    values = {f"a{i}": pd.Series(rng.normal(0, 0.001, 6)) for i in range(4)}
    values["a4"] = pd.Series(rng.normal(0, 0.1, 6))
    p = pooled(values)
    assert not p.pooled and p.p < 0.1 and "not pooled" in p.note
    same = pooled({a: pd.Series(rng.normal(0, 0.01, 2)) for a in "abcdefgh"})
    assert same.pooled and same.df == 8 and all(e.spread_df == 8 for e in same.estimates.values())


def test_wilson_holds_at_100_percent():
    below, above = wilson(1.0, 1000)
    assert above == 0 and below == pytest.approx(0.00383, abs=2e-4)
    assert wilson(0.5, None) == (0.0, 0.0)


def test_caps_one_side_equal_values_and_quoted_numbers():
    trained, one = estimate([0.80, 0.82, 0.81]), estimate([0.70])
    d = difference(trained, one)
    assert ONE_SIDE in d.caps and NO_SPREAD not in d.caps
    assert d.spread_se == pytest.approx(trained.spread_se * math.sqrt(3) * math.sqrt(1 / 3 + 1))
    assert EQUAL_VALUES in estimate([0.9, 0.9]).caps
    quoted = Estimate(0.962)
    assert quoted.exact and quoted.half_width == 0 and quoted.pct() == "96.2%"
    assert quoted.check(0.96, above=True) == "yes" and Estimate(0.96).check(0.96, True) == "no"
    assert Estimate(float("nan")).check(0.5, True) == "n/a"
    two = estimate([0.70, 0.73])
    assert two.half_width == pytest.approx(12.706 * 0.015, rel=1e-3)  # t with 1 df
    assert two.check(0.6, above=True) == "borderline" and two.pct() == "71.5% ± 19.1"


def test_average_over_points_keeps_the_largest_uncertainty():
    a, b = estimate([0.7, 0.72, 0.74]), estimate([0.6, 0.66, 0.63], 1e-4)
    m = average([a, b])
    assert m.value == pytest.approx((a.value + b.value) / 2)
    assert m.spread_se == pytest.approx((a.spread_se + b.spread_se) / 2)
    assert m.image_low == pytest.approx(1.96 * 0.005, rel=1e-3) and m.spread_df == 2
    assert math.isnan(average([Estimate(float("nan"))]).value)


@pytest.mark.parametrize(("k", "image_sd"), [(2, 0.0), (3, 0.005), (6, 0.01)])
def test_the_stated_power_is_the_simulated_one(k, image_sd):
    """``detectable``: the effect a check calls with 80% power, checked by drawing it."""
    effect = detectable(0.01, k, k - 1, image_sd)
    rng = np.random.default_rng(k)
    draws = rng.normal(effect, 0.01, (SIMS, k)) + rng.normal(0, image_sd, (SIMS, 1))
    called = np.mean([estimate(v, image_sd**2).check(0.0, True) == "yes" for v in draws])
    assert abs(called - POWER) < 0.035, (effect, called)
    assert power(0.05, 0.05, 2, 1) < 0.12 and power(0.05, 0.005, 2, 1) > 0.6  # issue 31: 8-68%
