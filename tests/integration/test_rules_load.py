"""Loading rules/ into the tables: create and publish, then only real changes make new versions."""

from __future__ import annotations

import shutil

from tests.conftest import REPO


def test_loading_twice_changes_nothing_and_an_edit_makes_a_published_version_2(aws, tmp_path):
    from herald.dal import versions
    from herald.service import ruleset
    from herald_dev import rulesfiles

    # Given the example set loaded once
    first = rulesfiles.load_into_tables(REPO / "rules", echo=lambda _line: None)
    assert {what for *_, what in first} == {"created, published"}
    # When it is loaded again unchanged, Then nothing new is written
    again = rulesfiles.load_into_tables(REPO / "rules", echo=lambda _line: None)
    assert {what for *_, what in again} == {"unchanged, already live"}
    # When one rule changes, Then it gets version 2 and that is what the engine sees
    edited = tmp_path / "rules"
    shutil.copytree(REPO / "rules", edited)
    path = edited / "rules/order-shipped-sms.yaml"
    path.write_text(path.read_text().replace("priority: 100", "priority: 120"))
    rulesfiles.load_into_tables(edited, echo=lambda _line: None)
    head = versions.rules.head("order-shipped-sms")
    assert (head.latest_version, head.published_version) == (2, 2)
    ruleset.cache.clear()
    live, _ = ruleset.cache.get()
    assert live.rules["order-shipped-sms"].priority == 120
    assert len(live) == 7
