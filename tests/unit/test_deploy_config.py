"""What `sam deploy` is given: samconfig.toml's dev and prod environments are complete and valid
for template.yaml, and the GitHub workflow deploys with OIDC (no stored AWS keys)."""

from __future__ import annotations

import re
import shlex
import tomllib

import pytest
import yaml

from herald_dev.local import template as tpl
from tests.conftest import REPO

# What a deploy must decide rather than inherit a default (an example address, 30-day logs, …).
DECIDED = {"Stage", "SenderEmail", "SenderDomain", "AlertEmail", "LogRetentionDays",
           "TraceTtlDays", "TwoPersonRule", "RequireMfa"}  # fmt: skip


def _overrides(env: str) -> dict[str, str]:
    config = tomllib.loads((REPO / "samconfig.toml").read_text())
    text = config[env]["deploy"]["parameters"]["parameter_overrides"]
    return dict(item.split("=", 1) for item in shlex.split(text))


@pytest.mark.parametrize("env", ["default", "prod"])
def test_each_environment_sets_valid_values_for_every_parameter_a_deploy_must_decide(env):
    parameters = tpl.load()["Parameters"]
    overrides = _overrides(env)
    assert set(overrides) >= DECIDED, DECIDED - set(overrides)
    assert set(overrides) <= set(parameters)
    for name, value in overrides.items():
        spec = parameters[name]
        if "AllowedValues" in spec:
            assert value in [str(v) for v in spec["AllowedValues"]], (name, value)
        if "AllowedPattern" in spec:
            assert re.fullmatch(spec["AllowedPattern"], value), (name, value)
    config = tomllib.loads((REPO / "samconfig.toml").read_text())[env]
    assert config["global"]["parameters"]["region"]
    assert config["global"]["parameters"]["stack_name"] == f"herald-{overrides['Stage']}"


def test_prod_keeps_the_two_person_rule_mfa_and_alerts():
    prod = _overrides("prod")
    assert prod["TwoPersonRule"] == "true"
    assert prod["RequireMfa"] == "ON"
    assert prod["AlertEmail"]


def test_the_workflow_deploys_dev_then_prod_with_oidc_and_no_stored_keys():
    text = (REPO / ".github/workflows/deploy.yml").read_text()
    workflow = yaml.safe_load(text)
    jobs = workflow["jobs"]
    assert jobs["deploy-dev"]["needs"] == "test" and jobs["deploy-prod"]["needs"] == "deploy-dev"
    for name, env in (("deploy-dev", "dev"), ("deploy-prod", "prod")):
        assert jobs[name]["environment"] == env
        assert jobs[name]["permissions"]["id-token"] == "write"
        steps = [s.get("uses", "") for s in jobs[name]["steps"]]
        assert any(s.startswith("aws-actions/configure-aws-credentials@") for s in steps)
    assert "AWS_SECRET_ACCESS_KEY" not in text and "aws-secret-access-key" not in text
    assert "make deploy-check" in text and "make test" in text
