"""`herald stats RULE`: the stats answer as a table a marketer reads."""

from __future__ import annotations

from herald_dev import stats

COUNTS = dict.fromkeys(stats.COLUMNS, 0) | {"exposed": 10, "converted": 2, "revenue": 30.5}
RATE = {"value": 0.2, "low": 0.05, "high": 0.5}


def _arm(name: str, weight: float) -> dict:
    return {"arm": name, "weight": weight, "counts": COUNTS, "rates": {"conversion": RATE}}


def _report(*arms: dict) -> dict:
    return {
        "rule_id": "r",
        "version": 3,
        "from": "2026-11-01",
        "to": "2026-11-30",
        "arms": list(arms),
        "comparisons": [],
        "srm": {"p_value": None},
    }


def test_experiment_arms_show_their_share_and_plain_sends_do_not():
    # Given an A/B arm at 40 %, a plain send (100 %) and the other branch's content (0 %)
    lines = stats.table(_report(_arm("a", 0.4), _arm("plain", 1.0), _arm("else-branch", 0.0)))
    # Then only the experiment arm carries a share
    names = [line[:28].strip() for line in lines.splitlines()[2:]]
    assert names == ["a (40%)", "plain", "else-branch"]
    assert lines.splitlines()[2].endswith("20.0% [5.0-50.0]")
    assert "30.50" in lines.splitlines()[2]
