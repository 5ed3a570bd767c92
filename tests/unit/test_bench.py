"""`make bench` keeps running as the code changes: its in-process sections, on a tiny budget
(figures are measured by `make bench`, never asserted here)."""

from __future__ import annotations

import importlib.util
import sys

from tests.conftest import REPO


def _bench(name: str):
    sys.path.insert(0, str(REPO / "bench"))
    try:
        spec = importlib.util.spec_from_file_location(
            f"bench_{name}", REPO / "bench" / f"{name}.py"
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(REPO / "bench"))


def test_the_budget_overhead_section_measures_the_engine_with_and_without_the_budget():
    figures = _bench("core").budget_overhead_figures(rounds=1, seconds=0.02)
    assert figures["eval_budget_checked_rules"] > 0  # the closure rules need the cost model
    assert figures["decide_core_closure_mix_events_per_s"] > 0
    assert figures["decide_core_closure_mix_unbudgeted_events_per_s"] > 0
    assert isinstance(figures["eval_budget_overhead_pct"], float)


def test_the_policy_section_checks_a_stored_customer():
    assert _bench("guardrails").policy_us_per_message(calls=20) > 0


def test_the_offers_section_arbitrates_and_matches_feedback():
    bench = _bench("offers")
    figures = bench.decide_core_figures(decisions=20)
    assert figures["decide_api_offers_shown_per_decision"] > 0
    assert figures["decide_api_offers_per_placement"] > 50
    assert bench.feedback_figures(seconds=0.05)["feedback_topics_per_feedback"] > 0
