"""Create what template.yaml declares, in moto (in-process ``mock_aws`` or a moto server).

Resource shapes (keys, indexes, TTL, redrive policies, buses, topics) are read from the
template; only physical names are invented here. The result, a :class:`Stack`, carries the
resolved environment of every function, exactly as CloudFormation would resolve it.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import boto3

from herald.unsubscribe import Keyring
from herald_dev.local import template as tpl

ACCOUNT = tpl.ACCOUNT_ID
# Secrets created as a keyring (herald.unsubscribe), the format `herald keys rotate` extends.
# On AWS, GenerateSecretString makes a plain string, which Herald reads as a one-key keyring.
KEYRING_SECRETS = {"UnsubscribeKey"}
# Parameters whose deployed value names what only AWS has: locally, sign-in to the console is
# the local bearer (Cognito's hosted UI isn't served here), so its configuration says so.
LOCAL_PARAMETER_VALUES = {"ConsoleConfig": json.dumps({"auth": "local"})}
SKIPPED_TYPES = {
    # Served differently locally: API Gateway and Cognito by the local server (bearer auth),
    # Lambda by in-process invocation, logs by stdout, policies by nothing at all.
    "AWS::Serverless::Api",
    "AWS::Serverless::LayerVersion",
    "AWS::Serverless::Function",
    # Step Functions: the local runner interprets the definition itself, invoking the workers
    # in-process (devtools/herald_dev/local/statemachine.py); moto's would need Docker.
    "AWS::Serverless::StateMachine",
    "AWS::Logs::LogGroup",
    "AWS::SQS::QueuePolicy",
    "AWS::SNS::TopicPolicy",
    "AWS::Cognito::UserPool",
    "AWS::Cognito::UserPoolClient",
    "AWS::Cognito::UserPoolGroup",
    "AWS::SES::ConfigurationSetEventDestination",
    # The hosted sign-in UI, the sender domain's DNS-verified identity (the configuration set
    # verifies the sender locally), the dashboard and the alert email's subscription.
    "AWS::Cognito::UserPoolDomain",
    "AWS::SES::EmailIdentity",
    "AWS::CloudWatch::Dashboard",
    "AWS::SNS::Subscription",
}


@dataclass
class Stack:
    template: dict
    resolver: tpl.Resolver
    stage: str
    region: str
    physical: dict = field(default_factory=dict)  # logical id -> name / url / arn
    functions: dict = field(default_factory=dict)  # logical id -> FunctionSpec

    def environment(self) -> dict:
        """The union of every function's environment (names must agree on their values)."""
        env: dict = {}
        for spec in self.functions.values():
            for key, value in spec.environment.items():
                if env.get(key, value) != value:
                    raise ValueError(f"functions disagree on {key}: {env[key]!r} vs {value!r}")
                env[key] = value
        return env


def _name(stage: str, logical_id: str) -> str:
    return f"herald-{stage}-{logical_id}"


def _arn(service: str, region: str, resource: str) -> str:
    return f"arn:aws:{service}:{region}:{ACCOUNT}:{resource}"


def describe(
    *, region: str = "us-east-1", parameters: dict | None = None, template: dict | None = None
) -> Stack:
    """The stack's physical names and resolved function environments, creating nothing."""
    template = template or tpl.load()
    resolver = tpl.Resolver(template, region=region)
    params = resolver.parameter_values(parameters)
    stack = Stack(template, resolver, params.get("Stage", "dev"), region)
    for logical_id, res in template["Resources"].items():
        _assign_ids(stack, logical_id, res["Type"], res.get("Properties") or {})
    stack.functions = tpl.functions(template, resolver)
    return stack


def create(
    *,
    region: str = "us-east-1",
    parameters: dict | None = None,
    template: dict | None = None,
    platform_apps: bool = True,
) -> Stack:
    """Provision every supported resource of the template and resolve the functions' env.

    Call inside ``mock_aws`` (tests) or with ``AWS_ENDPOINT_URL`` pointing at a moto server.
    """
    template = template or tpl.load()
    session = boto3.session.Session(region_name=region)
    params = dict(parameters or {})
    if platform_apps:
        # CloudFormation can't create SNS platform applications; locally we make stand-ins.
        stage = params.get("Stage") or str(
            template.get("Parameters", {}).get("Stage", {}).get("Default", "dev")
        )
        sns = session.client("sns")
        for param, platform in (
            ("ApnsPlatformApplicationArn", "APNS"),
            ("FcmPlatformApplicationArn", "GCM"),
        ):
            if not params.get(param):
                params[param] = sns.create_platform_application(
                    Name=f"herald-{stage}-{platform.lower()}", Platform=platform, Attributes={}
                )["PlatformApplicationArn"]
    stack = describe(region=region, parameters=params, template=template)
    resolver = stack.resolver
    resources = template["Resources"]
    # Dead-letter queues before the queues that point at them.
    order = sorted(
        resources.items(), key=lambda kv: "RedrivePolicy" in (kv[1].get("Properties") or {})
    )
    for logical_id, res in order:
        if res["Type"] in SKIPPED_TYPES:
            continue
        if res.get("Condition") and not resolver.condition(res["Condition"]):
            continue
        creator = _CREATORS.get(res["Type"])
        if creator is None:
            raise NotImplementedError(f"local stack cannot create {res['Type']} ({logical_id})")
        creator(session, stack, logical_id, resolver.resolve(res.get("Properties") or {}))
    stack.functions = tpl.functions(template, resolver)  # again: secret ARNs are known now
    return stack


def _assign_ids(stack: Stack, logical_id: str, kind: str, props: dict) -> None:
    r, region, name = stack.resolver, stack.region, _name(stack.stage, logical_id)
    if kind == "AWS::DynamoDB::Table":
        r.refs[logical_id] = name
        r.attrs[(logical_id, "Arn")] = _arn("dynamodb", region, f"table/{name}")
        if props.get("StreamSpecification"):
            # A stream's ARN ends with its creation time: moto's replaces this once it exists.
            stream = f"table/{name}/stream/local"
            r.attrs[(logical_id, "StreamArn")] = _arn("dynamodb", region, stream)
    elif kind == "AWS::SQS::Queue":
        r.refs[logical_id] = f"https://sqs.{region}.amazonaws.com/{ACCOUNT}/{name}"
        r.attrs[(logical_id, "Arn")] = _arn("sqs", region, name)
        r.attrs[(logical_id, "QueueName")] = name
    elif kind == "AWS::SNS::Topic":
        r.refs[logical_id] = _arn("sns", region, name)
        r.attrs[(logical_id, "TopicArn")] = r.refs[logical_id]
    elif kind == "AWS::Events::EventBus":
        r.refs[logical_id] = name
        r.attrs[(logical_id, "Arn")] = _arn("events", region, f"event-bus/{name}")
    elif kind == "AWS::IAM::Role":
        r.refs[logical_id] = name
        r.attrs[(logical_id, "Arn")] = f"arn:aws:iam::{ACCOUNT}:role/{name}"
    elif kind == "AWS::SecretsManager::Secret":
        r.refs[logical_id] = _arn("secretsmanager", region, f"secret:{name}")
    elif kind == "AWS::Scheduler::ScheduleGroup":
        r.refs[logical_id] = name
        r.attrs[(logical_id, "Arn")] = _arn("scheduler", region, f"schedule-group/{name}")
    elif kind == "AWS::KMS::Key":
        r.refs[logical_id] = name  # replaced by the key id moto assigns
        r.attrs[(logical_id, "Arn")] = _arn("kms", region, f"key/{name}")
    elif kind == "AWS::SES::ConfigurationSet":
        r.refs[logical_id] = name
    elif kind == "AWS::Cognito::UserPool":
        r.refs[logical_id] = f"{region}_local"
        r.attrs[(logical_id, "Arn")] = _arn("cognito-idp", region, f"userpool/{region}_local")
    elif kind == "AWS::Serverless::StateMachine":
        r.refs[logical_id] = _arn("states", region, f"stateMachine:{name}")
        r.attrs[(logical_id, "Arn")] = r.refs[logical_id]
    elif kind == "AWS::Serverless::Api":
        r.refs[logical_id] = "local"
    else:
        r.refs[logical_id] = name
        r.attrs[(logical_id, "Arn")] = _arn("local", region, name)
    stack.physical[logical_id] = r.refs[logical_id]


def _table(session, stack: Stack, logical_id: str, props: dict) -> None:
    name = stack.resolver.refs[logical_id]
    kwargs = {
        "TableName": name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
    }
    if props.get("GlobalSecondaryIndexes"):
        kwargs["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    stream = props.get("StreamSpecification")
    if stream:
        # CloudFormation enables a stream by its view type alone; the API wants both.
        kwargs["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": stream["StreamViewType"],
        }
    ddb = session.client("dynamodb")
    created = ddb.create_table(**kwargs)["TableDescription"]
    if stream:
        stack.resolver.attrs[(logical_id, "StreamArn")] = created["LatestStreamArn"]
    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        ddb.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
        )


def _queue(session, stack: Stack, logical_id: str, props: dict) -> None:
    attributes = {}
    for key in (
        "VisibilityTimeout",
        "MessageRetentionPeriod",
        "DelaySeconds",
        "ReceiveMessageWaitTimeSeconds",
    ):
        if key in props:
            attributes[key] = str(props[key])
    if "RedrivePolicy" in props:
        attributes["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
    name = stack.resolver.attrs[(logical_id, "QueueName")]
    session.client("sqs").create_queue(QueueName=name, Attributes=attributes)


def _topic(session, stack: Stack, logical_id: str, props: dict) -> None:
    attributes = {"KmsMasterKeyId": props["KmsMasterKeyId"]} if props.get("KmsMasterKeyId") else {}
    session.client("sns").create_topic(Name=_name(stack.stage, logical_id), Attributes=attributes)


def _kms_key(session, stack: Stack, logical_id: str, props: dict) -> None:
    key = session.client("kms").create_key(
        Description=props.get("Description", logical_id), Policy=json.dumps(props["KeyPolicy"])
    )["KeyMetadata"]
    stack.resolver.refs[logical_id] = stack.physical[logical_id] = key["KeyId"]
    stack.resolver.attrs[(logical_id, "Arn")] = key["Arn"]


def _bus(session, stack: Stack, logical_id: str, props: dict) -> None:
    name = stack.resolver.refs[logical_id]
    session.client("events").create_event_bus(Name=name)


def _role(session, stack: Stack, logical_id: str, props: dict) -> None:
    session.client("iam").create_role(
        RoleName=stack.resolver.refs[logical_id],
        AssumeRolePolicyDocument=json.dumps(props["AssumeRolePolicyDocument"]),
    )


def _secret(session, stack: Stack, logical_id: str, props: dict) -> None:
    if logical_id in KEYRING_SECRETS:
        value = Keyring.new().to_secret()
    else:
        length = (props.get("GenerateSecretString") or {}).get("PasswordLength", 64)
        value = secrets.token_urlsafe(length)[:length]
    session.client("secretsmanager").create_secret(
        Name=_name(stack.stage, logical_id), SecretString=value
    )
    # moto appends a random suffix to secret ARNs, as AWS does; use the real one.
    arn = session.client("secretsmanager").describe_secret(SecretId=_name(stack.stage, logical_id))[
        "ARN"
    ]
    stack.resolver.refs[logical_id] = stack.physical[logical_id] = arn


def _schedule_group(session, stack: Stack, logical_id: str, props: dict) -> None:
    session.client("scheduler").create_schedule_group(Name=stack.resolver.refs[logical_id])


def _configuration_set(session, stack: Stack, logical_id: str, props: dict) -> None:
    ses = session.client("ses")
    ses.create_configuration_set(ConfigurationSet={"Name": stack.resolver.refs[logical_id]})
    # Locally the sender identity is verified at once (SES needs it before it sends).
    sender = stack.resolver.parameters.get("SenderEmail")
    if sender:
        ses.verify_email_identity(EmailAddress=sender)
        ses.verify_domain_identity(Domain=sender.split("@", 1)[1])


def _alarm(session, stack: Stack, logical_id: str, props: dict) -> None:
    """Alarms exist locally (in state OK) so that ``herald status`` reads them as deployed."""
    keys = (
        "AlarmName", "AlarmDescription", "Namespace", "MetricName", "Dimensions", "Statistic",
        "Period", "EvaluationPeriods", "Threshold", "ComparisonOperator", "TreatMissingData",
        "AlarmActions", "OKActions",
    )  # fmt: skip
    kwargs = {k: props[k] for k in keys if k in props}
    kwargs["Threshold"] = float(kwargs["Threshold"])
    kwargs["Dimensions"] = [
        {"Name": d["Name"], "Value": str(d["Value"])} for d in kwargs.get("Dimensions", [])
    ]
    session.client("cloudwatch").put_metric_alarm(**kwargs)
    stack.physical[logical_id] = kwargs["AlarmName"]


def _parameter(session, stack: Stack, logical_id: str, props: dict) -> None:
    value = LOCAL_PARAMETER_VALUES.get(logical_id, props["Value"])
    session.client("ssm").put_parameter(
        Name=props["Name"], Value=value, Type=props.get("Type", "String"), Overwrite=True
    )
    stack.resolver.refs[logical_id] = stack.physical[logical_id] = props["Name"]


_CREATORS = {
    "AWS::CloudWatch::Alarm": _alarm,
    "AWS::DynamoDB::Table": _table,
    "AWS::SQS::Queue": _queue,
    "AWS::SNS::Topic": _topic,
    "AWS::Events::EventBus": _bus,
    "AWS::IAM::Role": _role,
    "AWS::SecretsManager::Secret": _secret,
    "AWS::Scheduler::ScheduleGroup": _schedule_group,
    "AWS::SES::ConfigurationSet": _configuration_set,
    "AWS::KMS::Key": _kms_key,
    "AWS::SSM::Parameter": _parameter,
}


@contextmanager
def in_process(log_level: str = "CRITICAL") -> Iterator[Stack]:
    """``mock_aws`` with the template's resources and the functions' environment set, for
    scripts (bench) that run the handlers in-process; the environment is restored after."""
    from moto import mock_aws

    from herald import runtime
    from herald.settings import settings

    fake = {
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
        "POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_TRACE_DISABLED": "true",
    }  # fmt: skip
    saved = dict(os.environ)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.update(fake)
    try:
        with mock_aws():
            stack = create()
            os.environ.update(stack.environment())
            os.environ["POWERTOOLS_LOG_LEVEL"] = log_level
            settings.cache_clear()
            runtime.reset()
            yield stack
    finally:
        os.environ.clear()
        os.environ.update(saved)
        settings.cache_clear()
        runtime.reset()
