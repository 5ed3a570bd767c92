"""template.yaml is read with its CloudFormation tags and its intrinsic functions resolved."""

from __future__ import annotations

import textwrap

import pytest

from herald_dev.local import template as tpl

SMALL = textwrap.dedent(
    """
    Parameters:
      Stage: {Type: String, Default: dev}
      AppArn: {Type: String, Default: ""}
    Conditions:
      HasApp: !Not [!Equals [!Ref AppArn, ""]]
    Globals:
      Function:
        Handler: app.lambda_handler
        Environment:
          Variables:
            STAGE: !Ref Stage
            QUEUE_URL: !Ref Queue
            QUEUE_ARN: !GetAtt Queue.Arn
            BASE_URL: !Sub "https://${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${Stage}/u"
            APP: !If [HasApp, !Ref AppArn, "none"]
    Resources:
      Queue: {Type: AWS::SQS::Queue}
      Api: {Type: AWS::Serverless::Api}
      Fn:
        Type: AWS::Serverless::Function
        Properties:
          CodeUri: functions/fn/
          Environment:
            Variables: {STAGE: override, EXTRA: !Sub "${Queue.Arn}/x"}
          Events:
            Q: {Type: SQS, Properties: {Queue: !GetAtt Queue.Arn}}
    """
)


@pytest.fixture
def small(tmp_path) -> dict:
    path = tmp_path / "template.yaml"
    path.write_text(SMALL, encoding="utf-8")
    return tpl.load(path)


def _resolver(template: dict, **parameters: str) -> tpl.Resolver:
    resolver = tpl.Resolver(template, region="eu-west-1")
    resolver.parameter_values(parameters)
    resolver.refs.update(Queue="https://sqs/q", Api="abc123")
    resolver.attrs[("Queue", "Arn")] = "arn:aws:sqs:eu-west-1:123456789012:q"
    return resolver


def test_tags_load_as_intrinsic_functions(small):
    env = small["Globals"]["Function"]["Environment"]["Variables"]
    assert env["STAGE"] == {"Ref": "Stage"}
    assert env["QUEUE_ARN"] == {"Fn::GetAtt": ["Queue", "Arn"]}
    assert env["APP"] == {"Fn::If": ["HasApp", {"Ref": "AppArn"}, "none"]}


def test_ref_getatt_and_parameters_resolve(small):
    # Given a resolver with local physical ids
    r = _resolver(small, Stage="prod")

    # Then Ref, GetAtt and parameter overrides resolve
    assert r.resolve({"Ref": "Stage"}) == "prod"
    assert r.resolve({"Ref": "Queue"}) == "https://sqs/q"
    assert r.resolve({"Fn::GetAtt": ["Queue", "Arn"]}) == "arn:aws:sqs:eu-west-1:123456789012:q"
    assert r.resolve({"Ref": "AWS::AccountId"}) == tpl.ACCOUNT_ID


def test_sub_resolves_refs_attributes_and_pseudo_parameters(small):
    r = _resolver(small)
    assert r.resolve(
        {"Fn::Sub": "https://${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${Stage}"}
    ) == ("https://abc123.execute-api.eu-west-1.amazonaws.com/dev")
    assert (
        r.resolve({"Fn::Sub": "${Queue.Arn}/index"}) == "arn:aws:sqs:eu-west-1:123456789012:q/index"
    )
    assert r.resolve({"Fn::Sub": ["${Name}-x", {"Name": {"Ref": "Stage"}}]}) == "dev-x"


def test_if_follows_its_condition_and_no_value_drops_the_item(small):
    assert _resolver(small).resolve({"Fn::If": ["HasApp", {"Ref": "AppArn"}, "none"]}) == "none"
    with_app = _resolver(small, AppArn="arn:app")
    assert with_app.resolve({"Fn::If": ["HasApp", {"Ref": "AppArn"}, "none"]}) == "arn:app"
    dropped = with_app.resolve(["a", {"Fn::If": ["HasApp", {"Ref": "AWS::NoValue"}, "b"]}])
    assert dropped == ["a"]


def test_unknown_ref_names_the_missing_resource(small):
    with pytest.raises(KeyError, match="Nope"):
        _resolver(small).resolve({"Ref": "Nope"})


def test_functions_merge_global_and_own_environment_resolved(small):
    # When the functions are read
    specs = tpl.functions(small, _resolver(small))

    # Then each has its resolved environment (its own values win) and its events
    fn = specs["Fn"]
    assert fn.code_uri == "functions/fn/"
    assert fn.handler == "app.lambda_handler"
    assert fn.environment == {
        "STAGE": "override",
        "QUEUE_URL": "https://sqs/q",
        "QUEUE_ARN": "arn:aws:sqs:eu-west-1:123456789012:q",
        "BASE_URL": "https://abc123.execute-api.eu-west-1.amazonaws.com/dev/u",
        "APP": "none",
        "EXTRA": "arn:aws:sqs:eu-west-1:123456789012:q/x",
    }
    assert fn.events["Q"]["Type"] == "SQS"


def test_the_real_template_declares_functions_with_code(aws):
    # Given the stack built from template.yaml (conftest's aws fixture)
    # Then every function's code exists where CodeUri + Handler say
    for spec in aws.functions.values():
        module = spec.handler.rsplit(".", 1)[0].replace(".", "/") + ".py"
        assert (tpl.REPO_ROOT / spec.code_uri / module).is_file(), spec.logical_id
        assert spec.environment["EVENT_BUS_NAME"]


def test_a_tables_stream_arn_resolves_before_the_stack_exists():
    # Given the stack described from template.yaml, nothing created
    from herald_dev.local import stack as local_stack

    described = local_stack.describe()

    # Then GetAtt <table>.StreamArn (a DynamoDB event's Stream) resolves to that table's stream
    arn = described.resolver.resolve({"Fn::GetAtt": ["MessagesTable", "StreamArn"]})
    table_arn = described.resolver.getatt("MessagesTable", "Arn")
    assert arn.startswith(f"{table_arn}/stream/")
    # And a table without a stream has no StreamArn (as CloudFormation would refuse it)
    with pytest.raises(KeyError, match="CountersTable.StreamArn"):
        described.resolver.getatt("CountersTable", "StreamArn")
