"""The statistics of an experiment, with the standard library only (the layer stays lean).

- :func:`wilson` — the 95% Wilson score interval of a proportion (no continuity correction);
- :func:`newcombe` — the 95% interval of a difference of two proportions, from their Wilson
  intervals (Newcombe 1998, method 10);
- :func:`lift` — the relative lift ``p1 / p0 - 1`` with a delta-method interval on the log of
  the ratio (Katz), so the interval stays on the right side of -100%;
- :func:`two_proportion_p` — the two-sided p-value of the pooled two-proportion z-test;
- :func:`chi_square_p` — the p-value of a chi-square goodness-of-fit test (the sample-ratio
  check), through the regularized upper incomplete gamma function.

``tests/unit/test_statistics.py`` checks each against scipy and statsmodels on fixed data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054  # the standard normal's 97.5% quantile


@dataclass(frozen=True, slots=True)
class Interval:
    value: float
    low: float
    high: float

    def to_dict(self, digits: int = 6) -> dict:
        return {
            "value": round(self.value, digits),
            "low": round(self.low, digits),
            "high": round(self.high, digits),
        }


def wilson(successes: float, trials: float, z: float = Z95) -> Interval | None:
    """The Wilson score interval of ``successes / trials`` (None without trials)."""
    if trials <= 0:
        return None
    p = successes / trials
    z2 = z * z
    centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / (1 + z2 / trials)
    return Interval(p, max(0.0, centre - half), min(1.0, centre + half))


def newcombe(
    successes1: float, trials1: float, successes0: float, trials0: float, z: float = Z95
) -> Interval | None:
    """The interval of ``p1 - p0`` by Newcombe's hybrid score method (None without trials)."""
    first, second = wilson(successes1, trials1, z), wilson(successes0, trials0, z)
    if first is None or second is None:
        return None
    p1, p0 = first.value, second.value
    diff = p1 - p0
    low = diff - math.sqrt((p1 - first.low) ** 2 + (second.high - p0) ** 2)
    high = diff + math.sqrt((first.high - p1) ** 2 + (p0 - second.low) ** 2)
    return Interval(diff, low, high)


def lift(
    successes1: float, trials1: float, successes0: float, trials0: float, z: float = Z95
) -> Interval | None:
    """``p1 / p0 - 1`` with the delta-method interval of log(p1 / p0); None when either rate
    is 0 (the ratio or its log is undefined)."""
    if min(trials1, trials0, successes1, successes0) <= 0:
        return None
    p1, p0 = successes1 / trials1, successes0 / trials0
    log_ratio = math.log(p1 / p0)
    se = math.sqrt((1 - p1) / successes1 + (1 - p0) / successes0)
    return Interval(p1 / p0 - 1, math.exp(log_ratio - z * se) - 1, math.exp(log_ratio + z * se) - 1)


def normal_sf(x: float) -> float:
    """P(Z > x) for a standard normal Z."""
    return 0.5 * math.erfc(x / math.sqrt(2))


def two_proportion_p(
    successes1: float, trials1: float, successes0: float, trials0: float
) -> float | None:
    """Two-sided p-value of the pooled z-test of p1 == p0 (None without trials; 1.0 when no
    arm has a success or every one is a success: nothing tells them apart)."""
    if trials1 <= 0 or trials0 <= 0:
        return None
    pooled = (successes1 + successes0) / (trials1 + trials0)
    variance = pooled * (1 - pooled) * (1 / trials1 + 1 / trials0)
    if variance <= 0:
        return 1.0
    z = (successes1 / trials1 - successes0 / trials0) / math.sqrt(variance)
    return min(1.0, 2 * normal_sf(abs(z)))


def chi_square_p(observed: list[float], expected_shares: list[float]) -> float | None:
    """The p-value of observed counts against expected shares (goodness of fit, k-1 degrees
    of freedom); None with fewer than two arms or no observations."""
    total = sum(observed)
    shares = sum(expected_shares)
    if len(observed) < 2 or total <= 0 or shares <= 0:
        return None
    statistic = 0.0
    for count, share in zip(observed, expected_shares, strict=True):
        expected = total * share / shares
        if expected <= 0:
            if count > 0:
                return 0.0  # observations where none were expected: certainly a mismatch
            continue
        statistic += (count - expected) ** 2 / expected
    return gamma_q((len(observed) - 1) / 2, statistic / 2)


def gamma_q(a: float, x: float) -> float:
    """The regularized upper incomplete gamma function Q(a, x) (series below a + 1, a
    continued fraction above it: Numerical Recipes, 6.2)."""
    if x <= 0:
        return 1.0
    log_prefix = -x + a * math.log(x) - math.lgamma(a)
    if x < a + 1:
        term = total = 1.0 / a
        n = a
        for _ in range(1000):
            n += 1
            term *= x / n
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return max(0.0, 1.0 - total * math.exp(log_prefix))
    tiny = 1e-300
    b = x + 1 - a
    c = 1 / tiny
    d = 1 / b
    h = d
    for i in range(1, 1000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-15:
            break
    return min(1.0, math.exp(log_prefix) * h)
