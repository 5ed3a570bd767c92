"""Propensity: how likely a customer is to accept an offer in a placement, learnt from outcomes.

Each (offer, placement) has a Beta posterior over its accept rate: a uniform prior Beta(1, 1)
updated by the accepts and the impressions without an accept. Arbitration draws one sample from
it per decision (Thompson sampling): an offer with little evidence has a wide posterior and
sometimes draws high, so new offers get explored; one with much evidence draws close to its
observed rate, so the better offer wins most draws.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

PRIOR_ACCEPTS = 1.0
PRIOR_MISSES = 1.0
NORMAL_FROM = 30.0  # accepts and misses above which a draw uses the normal approximation


@dataclass(frozen=True, slots=True)
class Evidence:
    """The outcomes counted so far for one offer in one placement."""

    impressions: int = 0
    accepts: int = 0

    @property
    def alpha(self) -> float:
        return PRIOR_ACCEPTS + self.accepts

    @property
    def beta(self) -> float:
        # more accepts than impressions (an accept reported without its impression) counts none
        return PRIOR_MISSES + max(0, self.impressions - self.accepts)

    @property
    def mean(self) -> float:
        """The posterior mean: the propensity "now", without sampling noise."""
        return self.alpha / (self.alpha + self.beta)

    def sample(self, rng: random.Random) -> float:
        """One Thompson draw from the posterior.

        With plenty of evidence on both sides (``alpha`` and ``beta`` over
        :data:`NORMAL_FROM`) the Beta is drawn through its normal approximation (same mean and
        variance, clipped to [0, 1]): indistinguishable at that size, and one ``gauss`` instead
        of two gamma draws, which is most of an arbitration's time over a hundred offers."""
        a, b = self.alpha, self.beta
        if a > NORMAL_FROM and b > NORMAL_FROM:
            n = a + b
            draw = rng.gauss(a / n, math.sqrt(a * b / (n * n * (n + 1))))
            return min(1.0, max(0.0, draw))
        return rng.betavariate(a, b)
