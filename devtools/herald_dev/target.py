"""Which Herald a CLI command talks to: the local stack (moto) or a deployed CloudFormation stack.

- **local** (the default): the stack `herald local serve` / `make serve` runs, whose resource
  names follow from template.yaml, at a moto endpoint (``--aws-endpoint``, default
  http://127.0.0.1:4566). Checked for reachability first: when nothing listens, the command
  says what to start instead of retrying a dead port for a minute.
- **deployed** (``--stack NAME``): your AWS credentials and region; resource names from the
  stack's own resources and outputs (``DescribeStacks``, ``ListStackResources``).

Either way :meth:`Target.activate` points Herald's data access (``herald.dal``, the AWS
adapters) at it, with the functions' environment variables as the template sets them.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from urllib.parse import urlparse

from herald.errors import HeraldError

DEFAULT_AWS_ENDPOINT = "http://127.0.0.1:4566"
START_LOCAL = "start one with `make serve` (or `herald local serve`)"


class Unreachable(HeraldError):
    """Nothing answers where the stack should be."""

    code = "unreachable"


@dataclass
class Target:
    kind: str  # local | deployed
    region: str
    stage: str
    physical: dict[str, str] = field(default_factory=dict)  # logical id → name, URL or ARN
    environment: dict[str, str] = field(default_factory=dict)  # the functions' variables
    outputs: dict[str, str] = field(default_factory=dict)
    endpoint: str | None = None  # moto's URL (local only)
    stack_name: str | None = None
    stack_status: str | None = None
    deployed_at: str | None = None

    def describe(self) -> str:
        if self.kind == "local":
            return f"local stack at {self.endpoint} (resources from template.yaml)"
        return f"stack {self.stack_name} in {self.region}"

    def activate(self) -> None:
        """Point herald's clients (and pynamodb) at this stack."""
        from herald import runtime
        from herald.settings import settings

        os.environ.update(self.environment)
        os.environ["AWS_REGION"] = os.environ["AWS_DEFAULT_REGION"] = self.region
        if self.kind == "local":
            os.environ["AWS_ENDPOINT_URL"] = str(self.endpoint)
            for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
                os.environ.setdefault(key, "local")
        else:
            os.environ.pop("AWS_ENDPOINT_URL", None)
        settings.cache_clear()
        runtime.reset()

    def need(self, variable: str) -> str:
        value = self.environment.get(variable)
        if not value:
            raise HeraldError(f"{self.describe()} has no {variable}")
        return value


def local(endpoint: str = DEFAULT_AWS_ENDPOINT, region: str = "us-east-1") -> Target:
    """The local stack at ``endpoint``; :class:`Unreachable` (saying what to start) if none."""
    from herald_dev.local import stack

    check_reachable(endpoint)
    described = stack.describe(region=region)
    return Target(
        "local",
        region,
        described.stage,
        physical=dict(described.physical),
        environment=described.environment(),
        endpoint=endpoint,
    )


def check_reachable(endpoint: str, timeout_s: float = 1.0) -> None:
    parsed = urlparse(endpoint)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 80
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return
    except OSError:
        raise Unreachable(
            f"no local stack answers at {endpoint}: {START_LOCAL}, "
            "or pass --stack NAME for a deployed one"
        ) from None


def deployed(stack_name: str, region: str | None = None) -> Target:
    """A deployed stack, read from CloudFormation with the caller's AWS credentials."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from herald_dev.local import template as tpl

    os.environ.pop("AWS_ENDPOINT_URL", None)
    session = boto3.session.Session(region_name=region)
    if not session.region_name:
        raise HeraldError("no AWS region: pass --region or set AWS_REGION")
    cloudformation = session.client("cloudformation")
    try:
        (stack,) = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
        physical = {}
        for page in cloudformation.get_paginator("list_stack_resources").paginate(
            StackName=stack_name
        ):
            for resource in page["StackResourceSummaries"]:
                physical[resource["LogicalResourceId"]] = resource.get("PhysicalResourceId", "")
    except (BotoCoreError, ClientError) as exc:
        raise HeraldError(f"stack {stack_name}: {exc}") from exc
    parameters = {
        p["ParameterKey"]: p.get("ParameterValue", "") for p in stack.get("Parameters", [])
    }
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    deployed_at = stack.get("LastUpdatedTime") or stack.get("CreationTime")
    return Target(
        "deployed",
        session.region_name,
        parameters.get("Stage", "dev"),
        physical=physical,
        environment=_environment(tpl.load(), physical),
        outputs=outputs,
        stack_name=stack_name,
        stack_status=stack.get("StackStatus"),
        deployed_at=deployed_at.isoformat() if hasattr(deployed_at, "isoformat") else deployed_at,
    )


def _environment(template: dict, physical: dict[str, str]) -> dict[str, str]:
    """The Globals environment variables that are a ``!Ref`` of a resource, from its physical id
    (a table's name, a queue's URL, a bus's name, a topic's or secret's ARN)."""
    env = {}
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    for name, value in variables.items():
        if isinstance(value, dict) and set(value) == {"Ref"} and value["Ref"] in physical:
            env[name] = physical[value["Ref"]]
    return env


def resolve(args) -> Target:
    """The target of a command's ``--stack`` / ``--aws-endpoint`` / ``--region`` options."""
    stack_name = getattr(args, "stack", None)
    if stack_name:
        return deployed(stack_name, getattr(args, "region", None))
    return local(getattr(args, "aws_endpoint", None) or DEFAULT_AWS_ENDPOINT)


def add_arguments(parser, endpoint_help: str = "") -> None:
    """``--stack``, ``--region`` and ``--aws-endpoint``, the same on every command that has them
    (``endpoint_help`` adds what a command's ``--aws-endpoint`` also accepts)."""
    parser.add_argument(
        "--stack", help="a deployed stack's name (e.g. herald-dev): uses your AWS credentials"
    )
    parser.add_argument("--region", help="the deployed stack's region (default: your AWS config)")
    parser.add_argument(
        "--aws-endpoint",
        default=DEFAULT_AWS_ENDPOINT,
        help=f"the local stack's moto endpoint (default {DEFAULT_AWS_ENDPOINT}){endpoint_help}",
    )
