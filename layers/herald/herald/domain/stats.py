"""A rule's performance: per arm the counts and rates, each variant against the holdout (or the
first variant), the sample-ratio check — what ``GET /admin/rules/{id}/stats`` answers.

Counters are kept per (rule, version, day, arm) in buckets ``v<version>#<YYYY-MM-DD>#<arm>``
(see :func:`bucket`); a report sums the days of a range. A day is the day the message was
*decided* (its cohort): every outcome of a message counts on its decision day, so a rate over a
range of days is a rate over one set of messages.

Opens are reported but marked unreliable (Apple Mail Privacy Protection opens every message it
delivers); clicks and conversions decide. A comparison is ``collecting`` until both arms have
:data:`MIN_EXPOSURES`, then ``better`` or ``worse`` when the 95% interval of the conversion
difference excludes 0, else ``inconclusive``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from herald.domain import experiment, statistics
from herald.domain.outcome import COUNTS
from herald.domain.rule import Rule

MIN_EXPOSURES = 100
SRM_ALPHA = 0.001
# rate -> (numerator, denominator)
RATES = {
    "delivery": ("delivered", "sent"),
    "open": ("opened", "delivered"),
    "click": ("clicked", "delivered"),
    "conversion": ("converted", "exposed"),
    "unsubscribe": ("unsubscribed", "delivered"),
    "complaint": ("complained", "delivered"),
}
UNRELIABLE = ("open",)


def bucket(version: int, day: str, arm: str = "") -> str:
    """The counter bucket of (version, day, arm); without ``arm``, the prefix of every arm."""
    return f"v{version}#{day}#{arm}" if arm else f"v{version}#{day}"


def parse_bucket(name: str) -> tuple[int, str, str] | None:
    parts = name.split("#", 2)
    if len(parts) != 3 or not parts[0].startswith("v") or not parts[0][1:].isdigit():
        return None
    return int(parts[0][1:]), parts[1], parts[2]


@dataclass(frozen=True, slots=True)
class Paused:
    reason: str
    at: str
    by: str

    def to_dict(self) -> dict:
        return {"reason": self.reason, "at": self.at, "by": self.by}


def expected_arms(rule: Rule) -> dict[str, float]:
    """Arm -> expected share, from the rule's experiment (its first send action with variants
    or a holdout; else its first send action). Empty for a rule that sends nothing."""
    sends = rule.sends()
    chosen = next((s for s in sends if s.is_experiment), sends[0] if sends else None)
    if chosen is None:
        return {}
    return {arm.name: arm.weight for arm in experiment.arms(chosen)}


def _counts(figures: dict[str, Any]) -> dict[str, float]:
    out: dict[str, float] = {}
    for name in COUNTS:
        value = figures.get(name, 0)
        out[name] = round(value, 2) if name == "revenue" else int(value)
    return out


def _rates(counts: dict[str, float]) -> dict[str, dict | None]:
    rates: dict[str, dict | None] = {}
    for name, (numerator, denominator) in RATES.items():
        found = statistics.wilson(counts[numerator], counts[denominator])
        rates[name] = found.to_dict() if found else None
        if found and name in UNRELIABLE:
            rates[name]["unreliable"] = True  # type: ignore[index]
    return rates


def _percent(value: float) -> str:
    return f"{value * 100:.1f}%"


def _points(value: float) -> str:
    return f"{value * 100:+.1f} points"


def compare(arm: str, baseline: str, counts: dict, base: dict) -> dict:
    """One arm against its baseline on conversions."""
    n1, x1, n0, x0 = counts["exposed"], counts["converted"], base["exposed"], base["converted"]
    difference = statistics.newcombe(x1, n1, x0, n0)
    relative = statistics.lift(x1, n1, x0, n0)
    p_value = statistics.two_proportion_p(x1, n1, x0, n0)
    if min(n1, n0) < MIN_EXPOSURES or difference is None:
        verdict = "collecting"
        summary = (
            f"{arm} vs {baseline}: still collecting ({int(n1)} and {int(n0)} exposures; "
            f"a verdict needs {MIN_EXPOSURES} in each)."
        )
    else:
        if difference.low > 0:
            verdict = "better"
        elif difference.high < 0:
            verdict = "worse"
        else:
            verdict = "inconclusive"
        words = {
            "better": "better",
            "worse": "worse",
            "inconclusive": "no clear difference yet",
        }[verdict]
        summary = (
            f"{arm} converts {_percent(x1 / n1)} vs {_percent(x0 / n0)} for {baseline}: "
            f"{_points(difference.value)} (95% CI {_points(difference.low)} to "
            f"{_points(difference.high)}), {words}."
        )
    return {
        "arm": arm,
        "baseline": baseline,
        "difference": difference.to_dict() if difference else None,
        "lift": relative.to_dict() if relative else None,
        "p_value": round(p_value, 6) if p_value is not None else None,
        "verdict": verdict,
        "summary": summary,
    }


def report(
    rule: Rule,
    version: int,
    first_day: str,
    last_day: str,
    buckets: dict[str, dict[str, Any]],
    paused: Paused | None = None,
) -> dict:
    """The stats answer for ``rule`` at ``version`` over [first_day, last_day] (inclusive)."""
    expected = expected_arms(rule)
    per_arm: dict[str, dict[str, float]] = {}
    days = []
    for name in sorted(buckets):
        parsed = parse_bucket(name)
        if parsed is None or parsed[0] != version or not first_day <= parsed[1] <= last_day:
            continue
        _, day, arm = parsed
        counts = _counts(buckets[name])
        days.append({"day": day, "arm": arm, "counts": counts})
        total = per_arm.setdefault(arm, dict.fromkeys(COUNTS, 0))
        for key, value in counts.items():
            total[key] += value
    names = list(expected) + sorted(a for a in per_arm if a not in expected)
    arms = []
    for name in names:
        counts = _counts(per_arm.get(name, {}))
        arms.append(
            {
                "arm": name,
                "weight": round(expected.get(name, 0.0), 6),
                "counts": counts,
                "rates": _rates(counts),
            }
        )
    by_name = {a["arm"]: a["counts"] for a in arms}
    variants = [n for n in expected if n != experiment.HOLDOUT]
    baseline = experiment.HOLDOUT if experiment.HOLDOUT in expected else None
    if baseline is None and len(variants) > 1:
        baseline = variants[0]
    comparisons = (
        [compare(n, baseline, by_name[n], by_name[baseline]) for n in variants if n != baseline]
        if baseline
        else []
    )
    observed = [by_name[n]["exposed"] for n in expected]
    srm_p = (
        statistics.chi_square_p(observed, list(expected.values())) if len(expected) > 1 else None
    )
    return {
        "rule_id": rule.id,
        "version": version,
        "from": first_day,
        "to": last_day,
        "arms": arms,
        "comparisons": comparisons,
        "srm": {
            "p_value": round(srm_p, 6) if srm_p is not None else None,
            "mismatch": srm_p is not None and srm_p < SRM_ALPHA,
        },
        "days": days,
        "paused": paused.to_dict() if paused else None,
    }
