"""The stdlib statistics of herald.domain.statistics against scipy and statsmodels (dev
dependencies), on fixed data."""

from __future__ import annotations

import math

import pytest
from scipy import stats as scipy_stats
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportions_ztest,
)

from herald.domain import statistics

CASES = [(48, 1000, 31, 1000), (7, 120, 2, 118), (130, 2400, 131, 2390), (0, 50, 3, 60)]


@pytest.mark.parametrize(("x1", "n1", "x0", "n0"), CASES)
def test_wilson_matches_statsmodels(x1, n1, x0, n0):
    for x, n in ((x1, n1), (x0, n0)):
        low, high = proportion_confint(x, n, alpha=0.05, method="wilson")
        found = statistics.wilson(x, n)
        assert (found.low, found.high) == pytest.approx((low, high), abs=1e-9)


@pytest.mark.parametrize(("x1", "n1", "x0", "n0"), CASES)
def test_newcombe_difference_matches_statsmodels(x1, n1, x0, n0):
    low, high = confint_proportions_2indep(x1, n1, x0, n0, method="newcomb", compare="diff")
    found = statistics.newcombe(x1, n1, x0, n0)
    assert found.value == pytest.approx(x1 / n1 - x0 / n0)
    assert (found.low, found.high) == pytest.approx((low, high), abs=1e-9)


@pytest.mark.parametrize(("x1", "n1", "x0", "n0"), CASES[:3])
def test_lift_interval_is_the_delta_method_on_the_log_ratio(x1, n1, x0, n0):
    low, high = confint_proportions_2indep(x1, n1, x0, n0, method="log", compare="ratio")
    found = statistics.lift(x1, n1, x0, n0)
    assert found.value == pytest.approx((x1 / n1) / (x0 / n0) - 1)
    assert (found.low, found.high) == pytest.approx((low - 1, high - 1), abs=1e-9)


def test_lift_is_undefined_without_baseline_conversions():
    assert statistics.lift(3, 60, 0, 50) is None


@pytest.mark.parametrize(("x1", "n1", "x0", "n0"), CASES)
def test_two_sided_p_value_matches_the_pooled_z_test(x1, n1, x0, n0):
    _, expected = proportions_ztest([x1, x0], [n1, n0], alternative="two-sided")
    assert statistics.two_proportion_p(x1, n1, x0, n0) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(
    ("observed", "shares"),
    [
        ([200, 410, 390], [0.2, 0.4, 0.4]),  # a fair split
        ([150, 450, 400], [0.2, 0.4, 0.4]),  # a broken one
        ([5120, 4880], [0.5, 0.5]),
        ([30, 29, 41, 900], [0.03, 0.03, 0.04, 0.9]),
    ],
)
def test_sample_ratio_check_matches_scipy_chisquare(observed, shares):
    total = sum(observed)
    expected = [total * s for s in shares]
    reference = scipy_stats.chisquare(observed, expected).pvalue
    assert statistics.chi_square_p(observed, shares) == pytest.approx(reference, rel=1e-8)


def test_gamma_q_matches_scipy_across_both_branches():
    from scipy.special import gammaincc

    for a in (0.5, 1.0, 1.5, 4.0, 12.5):
        for x in (0.01, 0.7, 3.0, 9.0, 40.0):
            assert statistics.gamma_q(a, x) == pytest.approx(gammaincc(a, x), rel=1e-9, abs=1e-300)


def test_normal_tail_matches_scipy():
    for x in (0.0, 1.0, 1.96, 3.5):
        assert statistics.normal_sf(x) == pytest.approx(scipy_stats.norm.sf(x), rel=1e-12)
    assert math.isclose(statistics.Z95, scipy_stats.norm.ppf(0.975), rel_tol=1e-12)
