"""template.yaml as CloudFormation will see it after the SAM transform."""

from __future__ import annotations

import ast
import re
from dataclasses import fields

import pytest

from herald.settings import Settings
from herald_dev.local import template as tpl
from tests.conftest import REPO


@pytest.fixture(scope="module")
def transformed() -> dict:
    import os

    from cfnlint.decode import decode
    from samtranslator.translator.transform import transform

    doc, problems = decode(str(REPO / "template.yaml"))
    assert not problems
    for resource in doc["Resources"].values():  # sam build uploads these; any S3 URI will do
        props = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if key in props:
                props[key] = "s3://bucket/key"

    class NoManagedPolicies:
        def load(self) -> dict:
            return {}

    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    return transform(doc, {}, NoManagedPolicies())


def _references(node, found: set) -> set:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                found.add(value[0] if isinstance(value, list) else value.split(".")[0])
            elif key == "Fn::Sub":
                text = value if isinstance(value, str) else value[0]
                found.update(re.findall(r"\$\{([^}.!]+)", text))
                _references(value if isinstance(value, str) else value[1], found)
            else:
                _references(value, found)
    elif isinstance(node, list):
        for value in node:
            _references(value, found)
    return found


def test_the_deployed_template_has_no_circular_dependency(transformed):
    resources = transformed["Resources"]
    edges = {}
    for name, resource in resources.items():
        depends = resource.get("DependsOn") or []
        depends = [depends] if isinstance(depends, str) else depends
        edges[name] = {
            d
            for d in _references(resource.get("Properties", {}), set()) | set(depends)
            if d in resources
        }
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in edges[node]:
            assert state.get(target) != 1, (
                f"circular dependency: {' -> '.join([*path, node, target])}"
            )
            if target not in state:
                visit(target, [*path, node])
        state[node] = 2

    for node in edges:
        if node not in state:
            visit(node, [])


def test_every_function_points_at_a_handler_that_exists():
    for spec in tpl.functions(tpl.load(), _resolver()).values():
        module, _, function = spec.handler.partition(".")
        source = REPO / spec.code_uri / f"{module}.py"
        assert source.exists(), spec.logical_id
        names = set()
        for node in ast.parse(source.read_text()).body:  # `def handler` or `handler = ...`
            if isinstance(node, ast.FunctionDef):
                names.add(node.name)
            elif isinstance(node, ast.Assign):
                names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        assert function in names, spec.logical_id


def test_every_environment_variable_is_a_setting_herald_reads():
    known = {f.name.upper() for f in fields(Settings)} | {"AWS_REGION"}
    for spec in tpl.functions(tpl.load(), _resolver()).values():
        ours = {k for k in spec.environment if not k.startswith("POWERTOOLS_")}
        assert ours <= known, f"{spec.logical_id}: {sorted(ours - known)}"


def _resolver() -> tpl.Resolver:
    from herald_dev.local import stack

    return stack.describe().resolver


# ----------------------------------------------------------------------------- least privilege
# The policies are evaluated, not pattern-matched: statements of the deployed (transformed)
# template are resolved with concrete values, then a small IAM evaluator answers "may this
# principal do this action on this resource, in this request context?". Explicit Deny wins,
# as in IAM; an unsupported condition operator fails the test rather than being guessed.

ACCOUNT, REGION = tpl.ACCOUNT_ID, "us-east-1"
APNS_APP = f"arn:aws:sns:{REGION}:{ACCOUNT}:app/APNS/herald-ios"
FCM_APP = f"arn:aws:sns:{REGION}:{ACCOUNT}:app/GCM/herald-android"
WITH_PUSH = {"ApnsPlatformApplicationArn": APNS_APP, "FcmPlatformApplicationArn": FCM_APP}


class _Resolver(tpl.Resolver):
    """The local resolver plus the functions the policies use and local runs don't."""

    def resolve(self, node):
        if isinstance(node, dict) and len(node) == 1:
            ((key, arg),) = node.items()
            if key == "Fn::Select":
                return self.resolve(arg[1])[int(arg[0])]
            if key == "Fn::Split":
                return str(self.resolve(arg[1])).split(arg[0])
            if key == "Fn::Or":
                return any(self.resolve(a) for a in arg)
        return super().resolve(node)


def _deployed(transformed: dict, parameters: dict | None = None):
    """(resources resolved as CloudFormation would, with these parameters; the resolver)."""
    from herald_dev.local import stack

    base = stack.describe(parameters=parameters).resolver
    r = _Resolver(transformed, dict(base.parameters), dict(base.refs), dict(base.attrs), REGION)
    for name, resource in transformed["Resources"].items():  # what SAM generated
        if resource["Type"] == "AWS::Events::Rule":
            r.attrs.setdefault((name, "Arn"), f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{name}")
        r.refs.setdefault(name, name)
        r.attrs.setdefault((name, "Arn"), f"arn:aws:local:{REGION}:{ACCOUNT}:{name}")
    resources = {}
    for name, resource in transformed["Resources"].items():
        if resource.get("Condition") and not r.condition(resource["Condition"]):
            continue
        resources[name] = {**resource, "Properties": r.resolve(resource.get("Properties", {}))}
    return resources, r


def _list(value) -> list:
    return value if isinstance(value, list) else [value]


def _like(pattern: str, value: str, *, case: bool = True) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, 0 if case else re.IGNORECASE) is not None


_OPERATORS = {
    "StringEquals": lambda want, got: want == got,
    "StringLike": _like,
    "ArnEquals": _like,  # both ARN operators take wildcards
    "ArnLike": _like,
}


def _conditions_hold(condition: dict, context: dict) -> bool:
    keys = {k.lower(): v for k, v in context.items()}
    for operator, tests in condition.items():
        assert operator in _OPERATORS, f"the evaluator does not know {operator}"
        for key, wanted in tests.items():
            got = keys.get(key.lower())
            if got is None or not any(_OPERATORS[operator](w, got) for w in _list(wanted)):
                return False
    return True


def _applies(statement: dict, action: str, resource: str, context: dict, principal=None) -> bool:
    if "Action" in statement:
        if not any(_like(a, action, case=False) for a in _list(statement["Action"])):
            return False
    elif any(_like(a, action, case=False) for a in _list(statement["NotAction"])):
        return False
    if "Resource" in statement:
        if not any(_like(p, resource) for p in _list(statement["Resource"])):
            return False
    elif any(_like(p, resource) for p in _list(statement.get("NotResource", []))):
        return False  # (a role's trust policy has neither: it is about the role itself)
    if principal is not None:
        services = _list((statement.get("Principal") or {}).get("Service", []))
        if principal not in services:
            return False
    return _conditions_hold(statement.get("Condition") or {}, context)


def _allowed(statements: list, action: str, resource: str, context=None, principal=None) -> bool:
    context = context or {}
    hits = [s for s in statements if _applies(s, action, resource, context, principal)]
    return any(s["Effect"] == "Allow" for s in hits) and not any(
        s["Effect"] == "Deny" for s in hits
    )


def _role_statements(resources: dict, role: str) -> list:
    policies = resources[role]["Properties"].get("Policies") or []
    return [s for p in policies for s in _list(p["PolicyDocument"]["Statement"])]


def _function_roles(resources: dict) -> list[str]:
    return [
        n
        for n, r in resources.items()
        if r["Type"] == "AWS::IAM::Role" and n.endswith("FunctionRole")
    ]


SNS_NOT_OURS = [
    f"arn:aws:sns:{REGION}:{ACCOUNT}:someone-elses-topic",
    f"arn:aws:sns:{REGION}:999999999999:another-accounts-topic",
    f"arn:aws:sns:{REGION}:{ACCOUNT}:endpoint/APNS/another-app/0b1c",
    f"arn:aws:sns:{REGION}:{ACCOUNT}:endpoint/GCM/herald-android-but-not/0b1c",
]


@pytest.mark.parametrize("parameters", [{}, WITH_PUSH], ids=["no push apps", "push apps"])
def test_no_function_may_publish_to_a_topic_or_endpoint_that_is_not_its_own(
    transformed, parameters
):
    resources, _ = _deployed(transformed, parameters)
    for role in _function_roles(resources):
        statements = _role_statements(resources, role)
        for target in SNS_NOT_OURS:
            assert not _allowed(statements, "sns:Publish", target), (role, target)


def test_send_reaches_phone_numbers_and_this_stacks_push_endpoints_only(transformed):
    resources, r = _deployed(transformed, WITH_PUSH)
    send = _role_statements(resources, "SendFunctionRole")
    # SMS: phone numbers are not ARNs
    assert _allowed(send, "sns:Publish", "+15555550100")
    # Push: endpoints of the two configured applications, created under those applications
    assert _allowed(
        send, "sns:Publish", f"arn:aws:sns:{REGION}:{ACCOUNT}:endpoint/APNS/herald-ios/1a2b"
    )
    assert _allowed(
        send, "sns:Publish", f"arn:aws:sns:{REGION}:{ACCOUNT}:endpoint/GCM/herald-android/3c"
    )
    assert _allowed(send, "sns:CreatePlatformEndpoint", APNS_APP)
    assert not _allowed(
        send, "sns:CreatePlatformEndpoint", f"arn:aws:sns:{REGION}:{ACCOUNT}:app/APNS/x"
    )
    # Alerts are decide's, on its own topic only
    decide = _role_statements(resources, "DecideFunctionRole")
    assert _allowed(decide, "sns:Publish", r.ref("AlertsTopic"))
    assert not _allowed(decide, "sns:Publish", "+15555550100")


def test_without_push_apps_no_endpoint_statement_is_left(transformed):
    resources, _ = _deployed(transformed, {})
    send = _role_statements(resources, "SendFunctionRole")
    assert all(s.get("Resource") != [] for s in send)  # an empty list would fail to deploy
    assert not _allowed(send, "sns:CreatePlatformEndpoint", APNS_APP)


def test_email_is_sent_only_as_the_sender_through_the_configuration_set(transformed):
    resources, r = _deployed(transformed, {"SenderEmail": "news@shop.example"})
    send = _role_statements(resources, "SendFunctionRole")
    config_set = f"arn:aws:ses:{REGION}:{ACCOUNT}:configuration-set/{r.ref('SesConfigurationSet')}"
    as_sender = {"ses:FromAddress": "news@shop.example"}
    for action in ("ses:SendEmail", "ses:SendRawEmail"):  # SES v2 raw content is SendRawEmail
        for identity in ("news@shop.example", "shop.example"):
            arn = f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/{identity}"
            assert _allowed(send, action, arn, as_sender), (action, identity)
        assert _allowed(send, action, config_set, as_sender)
        # neither another identity (whatever the From address) nor another From address
        other = f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/other.example"
        assert not _allowed(send, action, other, as_sender)
        assert not _allowed(send, action, other, {"ses:FromAddress": "x@other.example"})
        identity = f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/shop.example"
        assert not _allowed(send, action, identity, {"ses:FromAddress": "ceo@shop.example"})
    for role in set(_function_roles(resources)) - {"SendFunctionRole"}:
        assert not any(
            _allowed(_role_statements(resources, role), a, "*", as_sender)
            for a in ("ses:SendEmail", "ses:SendRawEmail")
        ), role


def test_send_polls_only_its_own_queue(transformed):
    # SAM's managed AWSLambdaSQSQueueExecutionRole allows every queue; the role's Deny narrows it
    resources, r = _deployed(transformed)
    send = _role_statements(resources, "SendFunctionRole")
    send += [
        {"Effect": "Allow", "Action": "sqs:ReceiveMessage", "Resource": "*"}
    ]  # the managed policy
    assert _allowed(send, "sqs:ReceiveMessage", r.getatt("SendQueue", "Arn"))
    assert not _allowed(send, "sqs:ReceiveMessage", r.getatt("RouteHighQueue", "Arn"))
    assert not _allowed(send, "sqs:ReceiveMessage", f"arn:aws:sqs:{REGION}:{ACCOUNT}:payroll")


def test_counting_reads_only_the_messages_stream(transformed):
    # SAM's managed AWSLambdaDynamoDBExecutionRole allows every stream; the role's Deny narrows it
    resources, r = _deployed(transformed)
    counting = _role_statements(resources, "CountersFunctionRole")
    counting += [{"Effect": "Allow", "Action": "dynamodb:GetRecords", "Resource": "*"}]
    stream = r.getatt("MessagesTable", "StreamArn")
    assert _allowed(counting, "dynamodb:GetRecords", stream)
    other = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/payroll/stream/2026-01-01T00:00:00.000"
    assert not _allowed(counting, "dynamodb:GetRecords", other)


def test_functions_carry_no_managed_policy_beyond_logs_tracing_and_their_queue(transformed):
    allowed = {
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
        "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole",  # narrowed above
        "arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole",  # narrowed below
    }
    resources, _ = _deployed(transformed)
    for role in _function_roles(resources):
        managed = set(resources[role]["Properties"].get("ManagedPolicyArns") or [])
        assert managed <= allowed, (role, managed - allowed)


def _resource_policies(resources: dict):
    """(resource, statement) for every statement that trusts someone by a resource policy."""
    where = {
        "AWS::SQS::QueuePolicy": "PolicyDocument",
        "AWS::SNS::TopicPolicy": "PolicyDocument",
        "AWS::KMS::Key": "KeyPolicy",
        "AWS::IAM::Role": "AssumeRolePolicyDocument",
    }
    for name, resource in resources.items():
        if resource["Type"] in where:
            document = resource["Properties"][where[resource["Type"]]]
            for statement in _list(document["Statement"]):
                yield name, statement


def test_every_service_principal_is_trusted_only_for_this_stacks_sources(transformed):
    resources, _ = _deployed(transformed)
    checked = 0
    for name, statement in _resource_policies(resources):
        services = _list((statement.get("Principal") or {}).get("Service", []))
        if statement["Effect"] != "Allow" or not services or services == ["lambda.amazonaws.com"]:
            continue  # a function's execution role is assumed by Lambda for that function only
        keys = {k.lower() for tests in (statement.get("Condition") or {}).values() for k in tests}
        assert {"aws:sourcearn", "aws:sourceaccount"} <= keys, (name, services)
        checked += 1
    assert checked >= 3  # the decide and feedback DLQs, the scheduler role
    for name, resource in resources.items():
        if resource["Type"] == "AWS::Lambda::Permission":
            assert resource["Properties"].get("SourceArn"), name


def test_only_the_decide_rule_parks_events_on_the_decide_dlq(transformed):
    resources, r = _deployed(transformed)
    statements = [s for n, s in _resource_policies(resources) if n == "DecideDLQPolicy"]
    dlq = r.getatt("DecideDLQ", "Arn")
    ours = {
        "aws:SourceArn": r.getatt("DecideFunctionCustomerEvents", "Arn"),
        "aws:SourceAccount": ACCOUNT,
    }
    assert _allowed(statements, "sqs:SendMessage", dlq, ours, "events.amazonaws.com")
    theirs = {**ours, "aws:SourceArn": f"arn:aws:events:{REGION}:{ACCOUNT}:rule/another-rule"}
    assert not _allowed(statements, "sqs:SendMessage", dlq, theirs, "events.amazonaws.com")
    assert not _allowed(statements, "sqs:SendMessage", dlq, {}, "events.amazonaws.com")


def test_only_herald_schedules_may_assume_the_scheduler_role(transformed):
    resources, r = _deployed(transformed)
    trust = [s for n, s in _resource_policies(resources) if n == "SchedulerRole"]
    role = r.getatt("SchedulerRole", "Arn")
    ours = {"aws:SourceArn": r.getatt("DeferredSchedules", "Arn"), "aws:SourceAccount": ACCOUNT}
    assert _allowed(trust, "sts:AssumeRole", role, ours, "scheduler.amazonaws.com")
    other = f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule-group/someone-else"
    assert not _allowed(
        trust, "sts:AssumeRole", role, {**ours, "aws:SourceArn": other}, "scheduler.amazonaws.com"
    )
    assert not _allowed(
        trust,
        "sts:AssumeRole",
        role,
        {**ours, "aws:SourceAccount": "999999999999"},
        "scheduler.amazonaws.com",
    )


def test_ses_publishes_every_event_type_to_the_default_bus_for_the_feedback_rule(transformed):
    resources, r = _deployed(transformed)
    destination = resources["SesEventDestination"]["Properties"]["EventDestination"]
    assert set(destination["MatchingEventTypes"]) == {
        "send", "reject", "bounce", "complaint", "delivery", "deliveryDelay",
        "renderingFailure", "open", "click", "subscription",
    }  # fmt: skip
    assert destination["EventBridgeDestination"]["EventBusArn"].endswith(":event-bus/default")
    rule = resources["FeedbackFunctionSesEvents"]["Properties"]
    assert rule.get("EventBusName") in (None, "default")
    assert rule["EventPattern"]["source"] == ["aws.ses"]
    # only this stack's configuration set, and everything but the sends (counted on sending)
    tags = rule["EventPattern"]["detail"]["mail"]["tags"]["ses:configuration-set"]
    assert tags == [r.ref("SesConfigurationSet")]
    assert "Email Sent" not in rule["EventPattern"]["detail-type"]
    assert len(rule["EventPattern"]["detail-type"]) == 9
    statements = [s for n, s in _resource_policies(resources) if n == "FeedbackDLQPolicy"]
    dlq = r.getatt("FeedbackDLQ", "Arn")
    ours = {
        "aws:SourceArn": r.getatt("FeedbackFunctionSesEvents", "Arn"),
        "aws:SourceAccount": ACCOUNT,
    }
    assert _allowed(statements, "sqs:SendMessage", dlq, ours, "events.amazonaws.com")
    theirs = {**ours, "aws:SourceArn": f"arn:aws:events:{REGION}:{ACCOUNT}:rule/another-rule"}
    assert not _allowed(statements, "sqs:SendMessage", dlq, theirs, "events.amazonaws.com")


# ----------------------------------------------------------------------------- guardrails


def test_api_access_logs_are_json_without_personal_data_and_expire(transformed):
    import json

    resources, r = _deployed(transformed)
    (stage,) = [res for res in resources.values() if res["Type"] == "AWS::ApiGateway::Stage"]
    setting = stage["Properties"]["AccessLogSetting"]
    # Then the destination is a log group of this stack that expires
    groups = [n for n, res in resources.items() if res["Type"] == "AWS::Logs::LogGroup"]
    (group,) = [n for n in groups if r.getatt(n, "Arn") == setting["DestinationArn"]]
    assert resources[group]["Properties"]["RetentionInDays"]
    # And every line is a JSON object (each $context value a string, "-" when absent)
    line = json.loads(re.sub(r"\$context\.[A-Za-z.]+", "-", setting["Format"]))
    assert {"requestId", "status", "resource"} <= set(line)
    # And no field can carry a person: no IP, user agent, caller, claims, or raw path
    # (/u/{token} and /customers/{id} put tokens and customer ids in the path)
    variables = set(re.findall(r"\$context\.([A-Za-z.]+)", setting["Format"]))
    assert not any(v.startswith(("identity.", "authorizer.")) for v in variables), variables
    assert "path" not in variables and "resourcePath" in variables


def test_the_two_person_rule_is_on_unless_the_parameter_turns_it_off():
    template = tpl.load()
    assert template["Parameters"]["TwoPersonRule"]["Default"] == "true"
    for spec in tpl.functions(template, _resolver()).values():
        assert spec.environment["TWO_PERSON_RULE"] == "true", spec.logical_id
    from herald_dev.local import stack

    off = stack.describe(parameters={"TwoPersonRule": "false"})
    assert {s.environment["TWO_PERSON_RULE"] for s in off.functions.values()} == {"false"}


def test_mfa_is_required_of_every_user_by_default():
    template = tpl.load()
    parameter = template["Parameters"]["RequireMfa"]
    assert parameter["Default"] == "ON" and "OFF" not in parameter["AllowedValues"]
    pool = template["Resources"]["UserPool"]["Properties"]
    assert pool["MfaConfiguration"] == {"Ref": "RequireMfa"}
    assert pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]


def test_every_queue_is_encrypted_at_rest():
    # checkov's CKV_AWS_27 knows only KMS keys; SSE-SQS is encryption too (see .checkov.yaml)
    for name, res in tpl.load()["Resources"].items():
        if res["Type"] == "AWS::SQS::Queue":
            props = res.get("Properties") or {}
            assert props.get("SqsManagedSseEnabled") is True or props.get("KmsMasterKeyId"), name


def test_every_asynchronously_invoked_function_keeps_what_it_failed_on():
    # checkov's CKV_AWS_116 asks a DLQ of every function; only async invocations use one
    # (API Gateway calls synchronously, SQS redrives to the queue's own DLQ)
    asynchronous = {"EventBridgeRule", "CloudWatchEvent", "Schedule", "ScheduleV2", "SNS", "S3"}
    for name, res in tpl.load()["Resources"].items():
        if res["Type"] != "AWS::Serverless::Function":
            continue
        events = (res["Properties"].get("Events") or {}).values()
        if any(e["Type"] in asynchronous for e in events):
            assert res["Properties"].get("DeadLetterQueue"), name


def test_every_deployed_queue_is_one_the_template_declares(transformed):
    # SAM creates a queue of its own for an event's DeadLetterConfig that says "Type: SQS":
    # nothing would watch it, and `herald dlq` would not see what landed there
    declared = {n for n, r in tpl.load()["Resources"].items() if r["Type"] == "AWS::SQS::Queue"}
    deployed = {n for n, r in transformed["Resources"].items() if r["Type"] == "AWS::SQS::Queue"}
    assert deployed == declared
    resources, r = _deployed(transformed)
    (target,) = resources["DecideFunctionCustomerEvents"]["Properties"]["Targets"]
    assert target["DeadLetterConfig"]["Arn"] == r.getatt("DecideDLQ", "Arn")


# ----------------------------------------------------------------------------- deploy readiness
def test_only_this_accounts_alarms_may_encrypt_for_the_alerts_topic(transformed):
    resources, r = _deployed(transformed)
    key_policy = [s for n, s in _resource_policies(resources) if n == "NotificationsKey"]
    topic = resources["AlertsTopic"]["Properties"]
    assert topic["KmsMasterKeyId"] == r.ref("NotificationsKey")
    alerts = f"arn:aws:sns:{REGION}:{ACCOUNT}:{topic['TopicName']}"  # its ARN once deployed
    alarm = {
        "aws:SourceAccount": ACCOUNT,
        "aws:SourceArn": f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:herald-dev-send-dlq",
        "kms:EncryptionContext:aws:sns:topicArn": alerts,
    }
    cw = "cloudwatch.amazonaws.com"
    assert _allowed(key_policy, "kms:GenerateDataKey", "*", alarm, cw)
    other_topic = {**alarm, "kms:EncryptionContext:aws:sns:topicArn": f"{alerts}-not"}
    assert not _allowed(key_policy, "kms:GenerateDataKey", "*", other_topic, cw)
    foreign = {**alarm, "aws:SourceAccount": "999999999999"}
    assert not _allowed(key_policy, "kms:GenerateDataKey", "*", foreign, cw)
    # decide (rule alerts) and feedback (guardrail alerts) may use the key for that topic only
    key = r.getatt("NotificationsKey", "Arn")
    for_alerts = {"kms:EncryptionContext:aws:sns:topicArn": r.ref("AlertsTopic")}
    other = {"kms:EncryptionContext:aws:sns:topicArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:other"}
    for role in ("DecideFunctionRole", "CountersFunctionRole"):
        statements = _role_statements(resources, role)
        assert _allowed(statements, "kms:GenerateDataKey", key, for_alerts), role
        assert not _allowed(statements, "kms:Decrypt", key, other), role


def test_with_a_sender_domain_email_is_sent_as_that_domains_identity(transformed):
    params = {"SenderEmail": "news@shop.example", "SenderDomain": "shop.example"}
    resources, r = _deployed(transformed, params)
    identity = resources["SenderIdentity"]["Properties"]
    assert identity["EmailIdentity"] == "shop.example"
    assert identity["DkimAttributes"] == {"SigningEnabled": True}
    assert identity["MailFromAttributes"]["MailFromDomain"] == "mail.shop.example"
    send = _role_statements(resources, "SendFunctionRole")
    as_sender = {"ses:FromAddress": "news@shop.example"}
    domain = f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/shop.example"
    assert _allowed(send, "ses:SendRawEmail", domain, as_sender)
    other = f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/other.example"
    assert not _allowed(send, "ses:SendRawEmail", other, as_sender)


def test_the_dns_records_to_add_are_outputs_when_a_sender_domain_is_given():
    outputs = tpl.load()["Outputs"]
    records = {n: o for n, o in outputs.items() if n.startswith("Sender")}
    assert set(records) == {
        "SenderDkimRecord1",
        "SenderDkimRecord2",
        "SenderDkimRecord3",
        "SenderMailFromMxRecord",
        "SenderMailFromSpfRecord",
        "SenderDmarcRecord",
    }
    assert all(o["Condition"] == "HasSenderDomain" for o in records.values())


def test_the_cli_client_signs_in_through_the_hosted_ui_with_pkce_only(transformed):
    resources, r = _deployed(transformed)
    cli = resources["CliClient"]["Properties"]
    assert cli["GenerateSecret"] is False  # public: a CLI can't keep a secret
    assert cli["AllowedOAuthFlows"] == ["code"]  # no implicit flow
    assert set(cli["AllowedOAuthScopes"]) == {"openid", "email", "profile"}
    assert cli["CallbackURLs"] == ["http://localhost:8976/callback"]
    assert cli["ExplicitAuthFlows"] == ["ALLOW_REFRESH_TOKEN_AUTH"]  # never a password flow
    domain = resources["UserPoolDomain"]["Properties"]["Domain"]
    assert domain == f"herald-dev-{ACCOUNT}"
    resources, _ = _deployed(transformed, {"AuthDomainPrefix": "northwind-herald"})
    assert resources["UserPoolDomain"]["Properties"]["Domain"] == "northwind-herald"
