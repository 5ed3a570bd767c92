"""The console's files, read as shipped: light (JS + CSS within 150 KB), nothing from another
origin, no inline script or style, marketer data never parsed as HTML, no token kept where it
outlives the tab. The browser tests check the same things at run time."""

from __future__ import annotations

import re
from pathlib import Path

from herald_dev.console_browser import STATIC, shipped_bytes

BUDGET_BYTES = 150 * 1024
SCRIPTS = sorted(STATIC.rglob("*.js"))
IMPORT = re.compile(
    r"""(?:^|\s)(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)""",
    re.M,
)


def test_the_console_ships_at_most_150_kb_of_javascript_and_css():
    sizes = shipped_bytes(STATIC)
    assert sizes["js"] > 10_000 and sizes["css"] > 2_000  # it did measure the console
    assert sizes["js"] + sizes["css"] <= BUDGET_BYTES, sizes


def _imports(path: Path) -> list[str]:
    return [a or b for a, b in IMPORT.findall(path.read_text(encoding="utf-8"))]


def test_every_module_is_imported_from_the_console_itself_and_exists():
    found = 0
    for path in SCRIPTS:
        for specifier in _imports(path):
            found += 1
            assert specifier.startswith(("./", "../")), f"{path.name} imports {specifier}"
            assert (path.parent / specifier).resolve().is_file(), f"{path.name}: {specifier}"
    assert found > 20


def test_the_page_loads_only_its_own_files_with_no_inline_script_or_style():
    page = (STATIC / "index.html").read_text(encoding="utf-8")
    for tag, attribute in (("script", "src"), ("link", "href")):
        for element in re.findall(rf"<{tag}\b[^>]*>", page):
            url = re.search(rf'{attribute}="([^"]+)"', element)
            assert url, f"inline {tag}: {element}"
            assert not re.match(r"^(https?:)?//", url.group(1)), element
            assert (STATIC / url.group(1)).is_file(), element
    assert "<style" not in page and " style=" not in page
    assert not re.search(r"\son[a-z]+=", page)  # no inline event handlers
    css = (STATIC / "console.css").read_text(encoding="utf-8")
    assert "@import" not in css and not re.search(r"url\(\s*['\"]?(https?:)?//", css)


def test_no_script_writes_html_evaluates_text_or_uses_local_storage():
    forbidden = {
        r"\.innerHTML\b": "innerHTML",
        r"\.outerHTML\s*=": "outerHTML assignment",
        r"insertAdjacentHTML": "insertAdjacentHTML",
        r"document\.write": "document.write",
        r"\beval\s*\(": "eval",
        r"new\s+Function\b": "new Function",
        r"setAttribute\(\s*[\"']style": "a style attribute (the policy blocks it: use classes)",
        r"localStorage\.": "localStorage (the token stays in the tab: sessionStorage)",
    }
    offending = [
        f"{path.relative_to(STATIC)}: {what}"
        for path in SCRIPTS
        for pattern, what in forbidden.items()
        if re.search(pattern, path.read_text(encoding="utf-8"))
    ]
    assert offending == []


def test_only_the_email_preview_touches_inline_css_and_only_through_cssom():
    users = [p.name for p in SCRIPTS if re.search(r"\.style\.|adoptedStyleSheets", p.read_text())]
    assert users == ["preview.js"]
    preview = (STATIC / "js" / "preview.js").read_text(encoding="utf-8")
    sandbox = re.search(r'sandbox: "([^"]*)"', preview).group(1)
    assert "allow-scripts" not in sandbox  # nothing in the frame runs
