"""The e2e summary says what the browser tests measured, and says it loudly when they were
skipped (no Chromium): a green run without them must not pass for a run with them."""

from __future__ import annotations

import json

BANNER = "!" * 78


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    skipped = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if "BROWSER TESTS SKIPPED" in str(report.longrepr)
    ]
    if skipped:
        reason = str(skipped[0].longrepr[-1]) if isinstance(skipped[0].longrepr, tuple) else ""
        terminalreporter.write_line(BANNER, red=True, bold=True)
        terminalreporter.write_line(
            f"!!! the console's browser tests did NOT run: {reason}", red=True, bold=True
        )
        terminalreporter.write_line(
            "!!! install Chromium (apt-get install -y chromium) and run make test again",
            red=True,
            bold=True,
        )
        terminalreporter.write_line(BANNER, red=True, bold=True)
    for report in terminalreporter.stats.get("passed", []):
        for name, value in getattr(report, "user_properties", []):
            if name == "console_first_page":
                terminalreporter.write_line(
                    f"console: first page usable in {value['ready_ms']} ms "
                    f"(Navigation Timing: {json.dumps(value)})"
                )
