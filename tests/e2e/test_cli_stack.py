"""The operator's and rules-as-code commands against the local stack (`herald local serve`):
rules pull/push round trips, a marketer's push, --dry-run, `herald status`, `herald dlq
inspect`, `herald events put` and a `herald login` sign-in used by `rules pull`."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from herald_dev import cli, login
from herald_dev.local import template as tpl
from tests.e2e.test_local_server import _call, _free_port, serving
from tests.hosted_ui import HostedUi

pytestmark = pytest.mark.e2e

MARKETER = "local:mia:marketers"
APPROVER = "local:abe:approvers"
SECOND_APPROVER = "local:ada:approvers"


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[tuple[str, str]]:
    """(API URL, moto endpoint) of a `herald local serve` of its own."""
    with serving(tmp_path_factory) as urls:
        yield urls


@pytest.fixture(autouse=True)
def restored_environment() -> Iterator[None]:
    """The commands point herald's clients at the stack through os.environ: put it back."""
    from herald import runtime
    from herald.settings import settings

    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)
    settings.cache_clear()
    runtime.reset()


@pytest.fixture(scope="module")
def live_rules(stack, tmp_path_factory) -> Path:
    """A copy of rules/, pushed and published (a second approver publishes)."""
    api, _ = stack
    folder = tmp_path_factory.mktemp("team") / "rules"
    shutil.copytree(tpl.REPO_ROOT / "rules", folder)
    # As a team writes them: comments, their own quoting and key order, unquoted timestamps
    rule = folder / "rules" / "cart-abandoned-gold.yaml"
    text = rule.read_text().replace('"2026-11-01T00:00:00Z"', "2026-11-01T00:00:00Z")
    rule.write_text("# owned by the CRM team: ask #crm before changing\n" + text)
    content = folder / "contents" / "cart-reminder.yaml"
    text = content.read_text().replace('"Still thinking it over?"', "'Still thinking it over?'")
    content.write_text(
        text.replace("name: Cart reminder push\n", "")
        + "name: Cart reminder push  # shown in the console\n"
    )
    assert cli.main(["rules", "push", str(folder), "--api", api, "--token", APPROVER,
                     "--publish-token", SECOND_APPROVER]) == 0  # fmt: skip
    return folder


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*.yaml"))}  # fmt: skip


def test_pull_of_unchanged_rules_leaves_every_file_as_written_and_push_then_changes_nothing(
    stack, live_rules, capsys
):
    api, _ = stack
    before = _snapshot(live_rules)
    assert any(b"#" in text for text, _ in before.values())  # the files carry comments

    # When the live set is pulled over the files it came from
    assert cli.main(["rules", "pull", str(live_rules), "--api", api, "--token", APPROVER]) == 0
    out = capsys.readouterr().out

    # Then no file was rewritten: same bytes (comments, quoting, key order), same mtime
    assert _snapshot(live_rules) == before
    assert "0 file(s) written" in out
    assert out.count(" unchanged → ") == len(before)

    # And pushing them back is a no-op
    assert cli.main(["rules", "push", str(live_rules), "--api", api, "--token", APPROVER]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("  ")]
    assert len(lines) == len(before)
    assert all(line.endswith("unchanged, already live") for line in lines), lines


def test_pull_rewrites_only_the_document_that_changed_live(stack, live_rules, capsys):
    api, _ = stack
    rule = "welcome-on-signup"
    status, current = _call(api, "GET", f"/admin/rules/{rule}", auth=f"Bearer {MARKETER}")
    assert status == 200
    changed = {k: current[k] for k in ("id", "name", "on", "priority", "then") if k in current}
    changed["name"] = "Welcome every new customer (changed in the console)"
    status, saved = _call(api, "PUT", f"/admin/rules/{rule}",
                          {**changed, "expected_version": current["latest_version"]},
                          f"Bearer {MARKETER}")  # fmt: skip
    assert status == 200, saved
    status, _ = _call(api, "POST", f"/admin/rules/{rule}/publish", {"version": saved["version"]},
                      f"Bearer {APPROVER}")  # fmt: skip
    assert status == 200
    before = _snapshot(live_rules)

    assert cli.main(["rules", "pull", str(live_rules), "--api", api, "--token", APPROVER]) == 0

    after = _snapshot(live_rules)
    rewritten = {name for name in before if after[name] != before[name]}
    assert rewritten == {f"rules/{rule}.yaml"}
    assert b"changed in the console" in after[f"rules/{rule}.yaml"][0]
    assert "1 file(s) written" in capsys.readouterr().out


def _new_rules(folder: Path, suffix: str) -> Path:
    (folder / "contents").mkdir(parents=True)
    (folder / "rules").mkdir()
    (folder / "contents" / f"promo-{suffix}.yaml").write_text(
        f'id: promo-{suffix}\nchannels:\n  email:\n    subject: "20% off"\n    text: Hello\n'
    )
    (folder / "rules" / f"promo-on-view-{suffix}.yaml").write_text(
        f"id: promo-on-view-{suffix}\nname: Promo\non: product.viewed\npriority: 5\n"
        f"then: [ {{send: {{channel: email, content: promo-{suffix}}}}} ]\n"
    )
    return folder


def _state(api: str, kind: str, entity_id: str) -> tuple[str, int | None]:
    status, body = _call(api, "GET", f"/admin/{kind}/{entity_id}", auth=f"Bearer {MARKETER}")
    assert status == 200, body
    return body["entity_state"], body["published_version"]


def test_a_marketers_push_saves_drafts_and_an_approvers_push_publishes_them(
    stack, tmp_path, capsys
):
    api, _ = stack
    folder = _new_rules(tmp_path / "rules", "m1")

    # When a marketer pushes new rules
    assert cli.main(["rules", "push", str(folder), "--api", api, "--token", MARKETER]) == 0
    out = capsys.readouterr().out

    # Then both are drafts, each line says an approver must publish, and nothing failed
    assert out.count("an approver must publish it") == 2
    assert "2 draft(s) wait for an approver" in out
    assert _state(api, "rules", "promo-on-view-m1") == ("draft", None)
    assert _state(api, "contents", "promo-m1") == ("draft", None)

    # When an approver looks first (--dry-run), Then it says what would happen and does nothing
    assert cli.main(["rules", "push", str(folder), "--api", api, "--token", APPROVER,
                     "--dry-run"]) == 0  # fmt: skip
    assert capsys.readouterr().out.count("unchanged draft, would be published") == 2
    assert _state(api, "rules", "promo-on-view-m1") == ("draft", None)

    # When the approver pushes the same files, Then the drafts go live as they are (version 1)
    assert cli.main(["rules", "push", str(folder), "--api", api, "--token", APPROVER]) == 0
    assert capsys.readouterr().out.count("unchanged draft, published") == 2
    assert _state(api, "rules", "promo-on-view-m1") == ("live", 1)
    assert _state(api, "contents", "promo-m1") == ("live", 1)

    # And a change seen through --dry-run is a new version that waits for nothing but a push
    rule_file = folder / "rules" / "promo-on-view-m1.yaml"
    rule_file.write_text(rule_file.read_text().replace("priority: 5", "priority: 6"))
    assert cli.main(["rules", "push", str(folder), "--api", api, "--token", MARKETER,
                     "--dry-run"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "changed: would be saved as v2" in out and "would be published" not in out
    assert _state(api, "rules", "promo-on-view-m1") == ("live", 1)


def test_status_shows_dlq_depths_paused_rules_last_publish_and_alarms(stack, live_rules, capsys):
    api, endpoint = stack
    aws = {"endpoint_url": endpoint, "region_name": "us-east-1",
           "aws_access_key_id": "local", "aws_secret_access_key": "local"}  # fmt: skip
    sqs = boto3.client("sqs", **aws)
    dlq = sqs.get_queue_url(QueueName="herald-dev-SendDLQ")["QueueUrl"]
    sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps({"message_id": "f" * 32}))
    boto3.client("cloudwatch", **aws).set_alarm_state(
        AlarmName="herald-dev-send-dlq", StateValue="ALARM", StateReason="test"
    )
    status, _ = _call(api, "POST", "/admin/rules/order-shipped-sms/pause", {},
                      f"Bearer {APPROVER}")  # fmt: skip
    assert status == 200

    # When an operator asks for the status of the local stack
    code = cli.main(["status", "--aws-endpoint", endpoint])
    out = capsys.readouterr().out

    # Then it needs attention, and says why
    assert code == 1
    assert "send 1 · decide 0 · feedback 0" in out
    assert "paused rules:      order-shipped-sms (v1, since" in out
    assert "last publish:      rule order-shipped-sms v1 (pause) by abe" in out
    assert "alarms in ALARM:   1\n    herald-dev-send-dlq: A record is parked on the send" in out

    # And dlq inspect shows the parked record's event and body
    assert cli.main(["dlq", "inspect", "send", "--aws-endpoint", endpoint]) == 0
    out = capsys.readouterr().out
    assert f"message {'f' * 32} (no longer in the messages table)" in out
    assert f'body:   {{"message_id": "{"f" * 32}"}}' in out


def test_events_put_reaches_the_decide_function_through_the_bus(stack, live_rules, capsys):
    api, endpoint = stack
    status, _ = _call(api, "PUT", "/customers/c-put", {"email": "put@example.com",
                      "consent": {"email": True}, "attributes": {"first_name": "Pat"}},
                      "Bearer local:shop:")  # fmt: skip
    assert status in (200, 201)

    # When a signup is put on the bus from the CLI
    assert cli.main(["events", "put", "customer.signed_up", "--customer", "c-put",
                     "--event-id", "evt-put-1", "--aws-endpoint", endpoint]) == 0  # fmt: skip
    assert "put customer.signed_up for c-put (event_id evt-put-1)" in capsys.readouterr().out

    # Then the welcome rule decided it and SES accepted the email
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        _, outbox = _call(api, "GET", "/local/outbox")
        if any(m["recipient"] == "put@example.com" for m in outbox):
            break
        time.sleep(0.25)
    else:
        raise AssertionError("the event put on the bus sent nothing")

    # And the HTTP route takes the same event (locally with a bearer instead of SigV4)
    assert cli.main(["events", "put", "customer.signed_up", "--customer", "c-put",
                     "--event-id", "evt-put-2", "--api", api, "--token", "local:shop:"]) == 0  # fmt: skip
    assert '"event_id": "evt-put-2"' in capsys.readouterr().out


def test_rules_pull_uses_the_sign_in_of_herald_login(stack, tmp_path, monkeypatch, capsys):
    api, _ = stack
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("HERALD_TOKEN", raising=False)
    # Given a sign-in whose ID token the local stack accepts
    with HostedUi("cli", "lee@example.com", ["approvers"], id_token="local:lee:approvers") as ui:

        def browser(url: str) -> None:
            threading.Thread(target=ui.browse, args=(url,), daemon=True).start()

        login.login(api, ui.domain, "cli", port=0, open_browser=browser, echo=lambda _: None)

    # When rules are pulled without --api or --token, Then the stored sign-in is used
    assert cli.main(["rules", "pull", str(tmp_path / "pulled")]) == 0
    assert f"from {api} into" in capsys.readouterr().out
    assert (tmp_path / "pulled" / "rules" / "cart-abandoned-gold.yaml").exists()


def test_a_command_without_a_reachable_stack_says_what_to_start(capsys):
    code = cli.main(
        ["dlq", "inspect", "decide", "--aws-endpoint", f"http://127.0.0.1:{_free_port()}"]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "start one with `make serve`" in err
