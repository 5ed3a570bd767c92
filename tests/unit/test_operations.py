"""Operating a deployed stack: alarms, the dashboard and retention, as template.yaml declares them.

The dashboard's Herald metrics are checked against the names the code really emits (the
``name=`` of every powertools ``metrics.add_metric`` call, f-strings expanded over the
statuses and channels they format), so a renamed metric can't leave an empty graph behind.
"""

from __future__ import annotations

import ast
import json
import re
from datetime import UTC, datetime

import pytest

from herald.domain.channel import Channel
from herald.domain.message import MessageStatus
from herald.domain.outcome import OutcomeKind
from herald_dev.local import template as tpl
from tests.conftest import REPO

SHIPPED = [*REPO.joinpath("layers/herald/herald").rglob("*.py"), *REPO.glob("functions/*/app.py")]


@pytest.fixture(scope="module")
def template() -> dict:
    return tpl.load()


def _of_type(template: dict, kind: str) -> dict[str, dict]:
    return {n: r for n, r in template["Resources"].items() if r["Type"] == kind}


def _alarms(template: dict) -> dict[str, dict]:
    return {n: r["Properties"] for n, r in _of_type(template, "AWS::CloudWatch::Alarm").items()}


def _dimension(props: dict, name: str):
    return next((d["Value"] for d in props.get("Dimensions", []) if d["Name"] == name), None)


# ----------------------------------------------------------------------------- alarms
def test_every_alarm_notifies_the_alerts_topic_on_alarm_and_on_recovery(template):
    alarms = _alarms(template)
    assert len(alarms) >= 19
    for name, props in alarms.items():
        assert props["AlarmActions"] == [{"Ref": "AlertsTopic"}], name
        assert props["OKActions"] == [{"Ref": "AlertsTopic"}], name
        assert props["TreatMissingData"] == "notBreaching", name  # no data is no trouble
        assert props["AlarmName"]["Fn::Sub"].startswith("herald-${Stage}-"), name


def test_any_message_on_any_dead_letter_queue_raises_an_alarm(template):
    # Every queue something dead-letters into: redrive targets and function DLQs
    targets = set()
    for resource in template["Resources"].values():
        props = resource.get("Properties") or {}
        redrive = (props.get("RedrivePolicy") or {}).get("deadLetterTargetArn")
        function_dlq = (props.get("DeadLetterQueue") or {}).get("TargetArn")
        # a stream source's batches that outlived their retries
        on_failure = [
            ((e.get("Properties") or {}).get("DestinationConfig") or {}).get("OnFailure", {})
            for e in (props.get("Events") or {}).values()
        ]
        for ref in (redrive, function_dlq, *(d.get("Destination") for d in on_failure)):
            if ref:
                targets.add(ref["Fn::GetAtt"][0])
    assert targets == {"SendDLQ", "DecideDLQ", "FeedbackDLQ", "FeedbackRetryDLQ", "CountersDLQ"}
    watched = {
        _dimension(p, "QueueName")["Fn::GetAtt"][0]
        for p in _alarms(template).values()
        if p["MetricName"] == "ApproximateNumberOfMessagesVisible"
        and p["Threshold"] == 1
        and p["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    }
    assert watched == targets


@pytest.mark.parametrize("metric", ["Errors", "Throttles"])
def test_every_function_has_an_errors_and_a_throttles_alarm(template, metric):
    functions = set(_of_type(template, "AWS::Serverless::Function"))
    watched = {
        _dimension(p, "FunctionName")["Ref"]
        for p in _alarms(template).values()
        if p["Namespace"] == "AWS/Lambda" and p["MetricName"] == metric and p["Threshold"] == 1
    }
    assert watched == functions


def test_api_5xx_is_watched_on_the_apis_own_name_and_stage(template):
    api = template["Resources"]["HeraldApi"]["Properties"]
    (alarm,) = [p for p in _alarms(template).values() if p["MetricName"] == "5XXError"]
    assert alarm["Namespace"] == "AWS/ApiGateway"
    assert _dimension(alarm, "ApiName") == api["Name"]
    assert _dimension(alarm, "Stage") == api["StageName"]


def test_high_priority_routes_waiting_too_long_raise_an_alarm(template):
    (alarm,) = [
        p for p in _alarms(template).values() if p["MetricName"] == "ApproximateAgeOfOldestMessage"
    ]
    assert _dimension(alarm, "QueueName") == {"Fn::GetAtt": ["RouteHighQueue", "QueueName"]}
    assert alarm["Threshold"] == {"Ref": "RouteHighMaxAgeSeconds"}
    assert template["Parameters"]["RouteHighMaxAgeSeconds"]["Default"] == 300


def test_ses_reputation_alarms_fire_at_5_percent_bounces_and_0_1_percent_complaints(template):
    by_metric = {
        p["MetricName"]: p for p in _alarms(template).values() if p["Namespace"] == "AWS/SES"
    }
    assert by_metric["Reputation.BounceRate"]["Threshold"] == 0.05
    assert by_metric["Reputation.ComplaintRate"]["Threshold"] == 0.001
    for props in by_metric.values():
        assert props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


def test_an_alert_email_is_subscribed_only_when_given(template):
    (subscription,) = _of_type(template, "AWS::SNS::Subscription").values()
    assert subscription["Condition"] == "HasAlertEmail"
    assert subscription["Properties"]["TopicArn"] == {"Ref": "AlertsTopic"}
    assert template["Parameters"]["AlertEmail"]["Default"] == ""


# ----------------------------------------------------------------------------- dashboard
def _dashboard(template: dict) -> dict:
    (dashboard,) = _of_type(template, "AWS::CloudWatch::Dashboard").values()
    body = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
    return json.loads(body)


def _dashboard_metrics(template: dict) -> list[list[str]]:
    return [m for w in _dashboard(template)["widgets"] for m in w["properties"]["metrics"]]


def _emitted_metric_names() -> tuple[set[str], list[re.Pattern]]:
    """Literal names and f-string patterns passed as ``name=`` to ``add_metric`` in shipped code.

    A name passed through a variable (``requests_metric``) resolves to the string constants
    passed for that keyword anywhere in the shipped code.
    """
    literals: set[str] = set()
    patterns: list[re.Pattern] = []
    variables: set[str] = set()
    keyword_values: dict[str, set[str]] = {}
    words = {s.value.capitalize() for s in MessageStatus} | {c.value.capitalize() for c in Channel}
    words.add("Skipped")
    any_word = "(?:" + "|".join(sorted(words)) + ")"
    for path in SHIPPED:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            for kw in node.keywords:
                if isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                    keyword_values.setdefault(kw.arg or "", set()).add(kw.value.value)
            is_add_metric = isinstance(node.func, ast.Attribute) and node.func.attr == "add_metric"
            name = next((kw.value for kw in node.keywords if kw.arg == "name"), None)
            if not is_add_metric or name is None:
                continue
            if isinstance(name, ast.Constant):
                literals.add(name.value)
            elif isinstance(name, ast.JoinedStr):
                parts = [
                    re.escape(v.value) if isinstance(v, ast.Constant) else any_word
                    for v in name.values
                ]
                patterns.append(re.compile("".join(parts)))
            elif isinstance(name, ast.Name):
                variables.add(name.id)
    for variable in variables:
        literals |= keyword_values.get(variable, set())
    return literals, patterns


def test_the_code_emits_metrics_this_test_can_see():
    literals, patterns = _emitted_metric_names()
    assert {"EventsDecided", "EventsRejected", "AdminRequests", "IngestRequests"} <= literals
    assert any(p.fullmatch("EmailSent") for p in patterns)
    assert not any(p.fullmatch("EmailDelivered2") for p in patterns)


# Dimensions the code adds beside the service (herald.service.outcomes.emit)
DIMENSIONS = {"Outcomes": {"channel", "outcome"}}


def test_every_herald_metric_on_the_dashboard_is_one_the_code_emits(template):
    literals, patterns = _emitted_metric_names()
    herald = [m for m in _dashboard_metrics(template) if m[0] == "Herald"]
    assert len(herald) >= 10
    for metric in herald:
        name = metric[1]
        assert name in literals or any(p.fullmatch(name) for p in patterns), name
        # powertools adds the service as a dimension: without it the graph stays empty; the
        # only other dimensions are the ones the code sets (Outcomes: channel and outcome)
        assert metric[2:4] == ["service", "herald"], metric
        extra = dict(zip(metric[4::2], metric[5::2], strict=True))
        assert set(extra) <= DIMENSIONS.get(name, set()), metric
        if "outcome" in extra:
            assert extra["outcome"] in {k.value for k in OutcomeKind}, metric
    env = template["Globals"]["Function"]["Environment"]["Variables"]
    assert env["POWERTOOLS_METRICS_NAMESPACE"] == "Herald"
    assert env["POWERTOOLS_SERVICE_NAME"] == "herald"


def test_the_dashboard_shows_what_an_operator_looks_at(template):
    titles = [w["properties"]["title"] for w in _dashboard(template)["widgets"]]
    for wanted in (
        "Events in",
        "Decisions",
        "Messages by channel and status",
        "Dead-letter queue depths",
        "Function errors",
        "Function throttles",
        "Duration p99 (ms)",
        "API 4xx and 5xx",
        "SES reputation: bounce and complaint rates",
    ):
        assert wanted in titles
    names = {m[1] for m in _dashboard_metrics(template)}
    assert {"4XXError", "5XXError", "Reputation.BounceRate", "Reputation.ComplaintRate"} <= names
    channels = {n for n in names if n.startswith(("Email", "Sms", "Push"))}
    assert channels == {
        f"{c}{s}" for c in ("Email", "Sms", "Push") for s in ("Sent", "Failed", "Suppressed")
    }
    # every function's errors, throttles and p99 duration
    for metric in ("Errors", "Throttles", "Duration"):
        shown = {m[3] for m in _dashboard_metrics(template) if m[:2] == ["AWS/Lambda", metric]}
        functions = _of_type(template, "AWS::Serverless::Function")
        assert len(functions) >= 6
        assert shown == {f"${{{f}}}" for f in functions}, metric


def test_every_resource_the_dashboard_names_exists(template):
    body = _of_type(template, "AWS::CloudWatch::Dashboard")["Dashboard"]["Properties"]
    text = body["DashboardBody"]["Fn::Sub"]
    named = {ref.split(".")[0] for ref in re.findall(r"\$\{([^}]+)\}", text)}
    unknown = named - set(template["Resources"]) - set(template["Parameters"]) - {"AWS::Region"}
    assert unknown == set()


# ----------------------------------------------------------------------------- retention
def test_traces_and_messages_expire_after_the_configured_days_and_audit_never(template):
    tables = _of_type(template, "AWS::DynamoDB::Table")
    ttl = {n: t["Properties"].get("TimeToLiveSpecification") for n, t in tables.items()}
    assert ttl["MessagesTable"] == {"AttributeName": "expires_at", "Enabled": True}
    assert ttl["AuditTable"] is None  # the trail is kept for good
    assert template["Parameters"]["TraceTtlDays"]["Default"] == 90
    env = template["Globals"]["Function"]["Environment"]["Variables"]
    assert env["TRACE_TTL_DAYS"] == {"Ref": "TraceTtlDays"}


def test_every_table_has_point_in_time_recovery(template):
    tables = _of_type(template, "AWS::DynamoDB::Table")
    assert {"CatalogueTable", "AuditTable", "CountersTable"} <= set(tables)
    for name, table in tables.items():
        pitr = table["Properties"]["PointInTimeRecoverySpecification"]
        assert pitr == {"PointInTimeRecoveryEnabled": True}, name


def test_a_decisions_trace_and_message_expire_after_the_configured_days(demo_data, monkeypatch):
    import boto3

    from herald.settings import settings
    from tests.builders import decide_envelope
    from tests.conftest import DEMO_NOW

    # Given a stack whose traces and messages live 7 days
    monkeypatch.setenv("TRACE_TTL_DAYS", "7")
    settings.cache_clear()
    envelope = json.loads((REPO / "events/demo/03-cart-ann.json").read_text())

    # When an event is decided (Ann abandons a big cart: one email queued)
    before = datetime.now(UTC).timestamp()
    outcome = decide_envelope(envelope, DEMO_NOW)

    # Then its trace and its message expire 7 days after they were written
    assert outcome.queued
    items = boto3.resource("dynamodb").Table(settings().messages_table).scan()["Items"]
    kinds = sorted(item["kind"] for item in items)
    assert kinds == ["message"] * len(outcome.queued) + ["trace"]
    for item in items:
        left = int(item["expires_at"]) - before
        assert 7 * 86400 - 5 <= left <= 7 * 86400 + 60, item["pk"]


def test_what_outlives_the_stack_tables_with_data_and_the_unsubscribe_key(template):
    retained = {
        name
        for name, resource in template["Resources"].items()
        if resource.get("DeletionPolicy") == "Retain"
        and resource.get("UpdateReplacePolicy") == "Retain"
    }
    tables = set(_of_type(template, "AWS::DynamoDB::Table")) - {"CatalogueTable"}  # derived data
    assert retained == tables | {"UnsubscribeKey"}
