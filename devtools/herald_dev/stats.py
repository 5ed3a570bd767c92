"""``herald stats RULE`` and the demo's closing table: a rule's arms, rates and verdicts."""

from __future__ import annotations

from urllib.parse import urlencode

COLUMNS = ("exposed", "sent", "delivered", "opened", "clicked", "converted", "revenue")


def _rate(rate: dict | None) -> str:
    if not rate:
        return "-"
    return f"{rate['value'] * 100:.1f}% [{rate['low'] * 100:.1f}-{rate['high'] * 100:.1f}]"


def table(report: dict) -> str:
    """A stats answer (``GET /admin/rules/{id}/stats``) as a few readable lines."""
    head = f"{report['rule_id']} v{report['version']} ({report['from']} .. {report['to']})"
    if report.get("paused"):
        head += f" — PAUSED by {report['paused']['by']}: {report['paused']['reason']}"
    lines = [head, f"  {'arm':26}" + "".join(f"{c:>10}" for c in COLUMNS) + "  conversion (95% CI)"]
    for arm in report["arms"]:
        counts = arm["counts"]
        cells = "".join(
            f"{counts[c]:>10.2f}" if c == "revenue" else f"{counts[c]:>10}" for c in COLUMNS
        )
        # An experiment's arms show their expected share; a plain send (100%) or the other
        # branch's content (not drawn, 0%) shows none.
        share = arm["weight"]
        name = f"{arm['arm']} ({share:.0%})" if 0 < share < 1 else arm["arm"]
        lines.append(f"  {name:26}{cells}  {_rate(arm['rates']['conversion'])}")
    for comparison in report["comparisons"]:
        lines.append(f"  → [{comparison['verdict']}] {comparison['summary']}")
    srm = report["srm"]
    if srm["p_value"] is not None:
        flag = "MISMATCH: distrust the results" if srm["mismatch"] else "ok"
        lines.append(f"  sample ratio: p = {srm['p_value']:.3f} ({flag})")
    return "\n".join(lines)


def fetch(api: str, token: str, rule_id: str, **query: str | int | None) -> dict:
    from herald_dev.rulesfiles import AdminClient

    params = {k: v for k, v in query.items() if v is not None}
    path = f"/admin/rules/{rule_id}/stats" + (f"?{urlencode(params)}" if params else "")
    return AdminClient(api, token).call("GET", path)
