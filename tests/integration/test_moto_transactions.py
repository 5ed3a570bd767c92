"""The bench's item-snapshot transactions keep moto's all-or-nothing: a cancelled transaction
leaves every item as it was (new ones absent, changed ones restored), a good one writes all."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from herald_dev.local.moto_transactions import item_snapshots


@pytest.fixture
def table():
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        ddb.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        ddb.put_item(TableName="t", Item={"pk": {"S": "old"}, "n": {"N": "1"}})
        ddb.put_item(TableName="t", Item={"pk": {"S": "other"}, "n": {"N": "7"}})
        yield ddb


def _items(ddb) -> dict:
    return {i["pk"]["S"]: i.get("n", {}).get("N") for i in ddb.scan(TableName="t")["Items"]}


def _transaction(fail: bool) -> list[dict]:
    return [
        {"Put": {"TableName": "t", "Item": {"pk": {"S": "new"}, "n": {"N": "5"}}}},
        {
            "Update": {
                "TableName": "t",
                "Key": {"pk": {"S": "old"}},
                "UpdateExpression": "SET n = n + :one",
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            }
        },
        {
            "ConditionCheck": {
                "TableName": "t",
                "Key": {"pk": {"S": "other"}},
                "ConditionExpression": "attribute_not_exists(pk)"
                if fail
                else "attribute_exists(pk)",
            }
        },
    ]


def _moto_table():
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends["123456789012"]["us-east-1"].tables["t"]


def test_a_cancelled_transaction_changes_nothing(table):
    # Given two items, and a transaction that adds one, changes it and then fails a check
    before = _moto_table()
    with item_snapshots(), pytest.raises(ClientError) as raised:
        table.transact_write_items(TransactItems=_transaction(fail=True))
    # Then it is cancelled and the table is as it was
    assert raised.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert _items(table) == {"old": "1", "other": "7"}
    # restored item by item: moto's own rollback would have swapped in a copy of the table
    assert _moto_table() is before


def test_a_good_transaction_writes_every_item(table):
    with item_snapshots():
        table.transact_write_items(TransactItems=_transaction(fail=False))
    assert _items(table) == {"old": "2", "new": "5", "other": "7"}
