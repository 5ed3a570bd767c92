"""Shared fixtures: AWS is moto (``mock_aws``), with every resource built from template.yaml."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

# Never let a test reach a real AWS endpoint, even by accident.
for _key, _value in {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_TRACE_DISABLED": "true",
}.items():
    os.environ[_key] = _value
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)


@dataclass
class LambdaContext:
    function_name: str = "test"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:test"
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@pytest.fixture
def lambda_context() -> LambdaContext:
    return LambdaContext()


@pytest.fixture
def aws(monkeypatch):
    """moto with the template's resources; the functions' environment set from the template."""
    from moto import mock_aws

    from herald import runtime
    from herald.local import stack as local_stack
    from herald.settings import settings

    with mock_aws():
        stack = local_stack.create()
        for key, value in stack.environment().items():
            monkeypatch.setenv(key, value)
        settings.cache_clear()
        runtime.reset()
        yield stack
        settings.cache_clear()
        runtime.reset()
