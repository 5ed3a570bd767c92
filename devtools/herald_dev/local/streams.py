"""A DynamoDB table's stream, read as Lambda's event source mapping reads it (moto's streams).

A :class:`StreamReader` reads one stream from where its last read stopped (from TRIM_HORIZON
at first) and hands records out in Lambda's event shape: each record as the stream returns it,
plus ``eventSourceARN`` (timestamps as epoch seconds and binary values as base64, as Lambda's
JSON has them). A batch whose handler failed is handed back with :meth:`StreamReader.retry`:
the next read returns it again, identical, before anything newer. Nothing is skipped, nothing
is handed out twice otherwise.

:func:`drain` feeds every pending record of a table's stream to a handler, batch by batch (for
tests and the bench, in-process); the local runner reads its ``DynamoDB`` event sources with a
reader of its own (:mod:`herald_dev.local.runner`).

moto's streams, as of moto 5.2.5: PutItem, UpdateItem, DeleteItem and TransactWriteItems (Put,
Update, Delete) are recorded with their old and new images; a cancelled transaction leaves no
record. One deviation: an UpdateItem (alone or in a transaction) that *creates* its item is
recorded as two INSERTs, the first with the key attributes only as its NewImage. The stream has
one shard.
"""

from __future__ import annotations

import base64
import json
import threading
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any

import boto3
from botocore.config import Config

GET_RECORDS_MAX = 1000  # GetRecords returns at most 1000 records per call
# botocore sends stream calls to the account's endpoint (<account>.streams-ddb.<region>...),
# which moto doesn't serve: the regional endpoint answers the same calls.
_CONFIG = Config(account_id_endpoint_mode="disabled")


def client(session: boto3.session.Session | None = None, endpoint_url: str | None = None) -> Any:
    """A DynamoDB Streams client that moto answers (in-process or a moto server); without a
    session, from Herald's botocore session (a client in a few milliseconds, not ~70)."""
    return _client("dynamodbstreams", session, endpoint_url)


def _client(service: str, session: boto3.session.Session | None, endpoint_url: str | None) -> Any:
    kwargs: dict[str, Any] = {"config": _CONFIG}
    if endpoint_url:
        kwargs["endpoint_url"] = endpoint_url
    if session is not None:
        return session.client(service, **kwargs)
    from herald.aws.clients import session as botocore_session
    from herald.settings import settings

    return botocore_session().create_client(service, region_name=settings().region, **kwargs)


def stream_arn(table_name: str, session: boto3.session.Session | None = None) -> str:
    """The table's current stream ARN (ValueError when the table has no stream)."""
    ddb = _client("dynamodb", session, None)
    table = ddb.describe_table(TableName=table_name)["Table"]
    if not table.get("LatestStreamArn"):
        raise ValueError(f"table {table_name} has no stream")
    return table["LatestStreamArn"]


class StreamReader:
    """One stream, read on from where the last read stopped; thread-safe.

    Batches never span shards (as Lambda's); moto's streams have one shard anyway.
    """

    def __init__(self, stream_arn: str, streams_client: Any = None) -> None:
        self.stream_arn = stream_arn
        self.client = streams_client or client()
        self._region = stream_arn.split(":")[3]
        self._shards: list[str] = []
        self._last: dict[str, str] = {}  # shard id -> sequence number of the last record read
        # Records as JSON text, as Lambda has them: each delivery parses its own copy, so a
        # retried batch is the batch as read, whatever its first handler did to its dicts.
        self._buffer: deque[tuple[str, str]] = deque()  # (shard id, record) not handed out
        self._retry: tuple[str, list[str]] | None = None
        self._handed: dict[int, tuple[str, list[str]]] = {}  # id(batch) -> (shard, records)
        self._lock = threading.RLock()

    def read(self, limit: int) -> list[dict]:
        """Up to ``limit`` records not handed out yet (a batch handed back first, as it was)."""
        with self._lock:
            if self._retry is not None:
                shard, texts = self._retry
                self._retry = None
            else:
                if len(self._buffer) < limit:
                    self._fetch(limit - len(self._buffer))
                if not self._buffer:
                    return []
                shard, texts = self._buffer[0][0], []
                while self._buffer and len(texts) < limit and self._buffer[0][0] == shard:
                    texts.append(self._buffer.popleft()[1])
            batch = [json.loads(text) for text in texts]
            self._handed = {id(batch): (shard, texts)}  # only the latest batch can come back
            return batch

    def retry(self, batch: list[dict]) -> None:
        """Hand back the batch :meth:`read` just returned (its handler failed): the next read
        returns the same records again, as they were read, before anything newer."""
        with self._lock:
            if not batch:
                return
            handed = self._handed.get(id(batch))
            if handed is None or self._retry is not None:
                raise ValueError("only the batch the last read returned can be handed back")
            self._retry = handed

    def shard_of(self, batch: list[dict]) -> str | None:
        """The shard the batch :meth:`read` last returned comes from."""
        with self._lock:
            handed = self._handed.get(id(batch))
            return handed[0] if handed else None

    def pending(self) -> int:
        """Records not handed out yet, or handed back (reads the stream up to its end)."""
        with self._lock:
            self._fetch(None)
            return len(self._buffer) + (len(self._retry[1]) if self._retry else 0)

    def _fetch(self, want: int | None) -> None:
        """Read ``want`` more records (None: all there are) into the buffer, shard by shard."""
        if not self._shards:
            description = self.client.describe_stream(StreamArn=self.stream_arn)
            self._shards = [s["ShardId"] for s in description["StreamDescription"]["Shards"]]
        for shard in self._shards:
            while want is None or want > 0:
                position = self._last.get(shard)
                iterator = self.client.get_shard_iterator(
                    StreamArn=self.stream_arn,
                    ShardId=shard,
                    **(
                        {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": position}
                        if position
                        else {"ShardIteratorType": "TRIM_HORIZON"}
                    ),
                )["ShardIterator"]
                limit = GET_RECORDS_MAX if want is None else min(want, GET_RECORDS_MAX)
                records = self.client.get_records(ShardIterator=iterator, Limit=limit)["Records"]
                if not records:
                    break
                for record in records:
                    self._buffer.append((shard, json.dumps(self._lambda_record(record))))
                self._last[shard] = records[-1]["dynamodb"]["SequenceNumber"]
                if want is not None:
                    want -= len(records)

    def _lambda_record(self, record: dict) -> dict:
        out = _as_json(record)
        out["awsRegion"] = self._region  # moto says us-east-1 whatever the region
        out["eventSourceARN"] = self.stream_arn
        return out


def _as_json(value: Any) -> Any:
    """boto3's parsed record back to the JSON Lambda hands a function."""
    if isinstance(value, dict):
        return {k: _as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json(v) for v in value]
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    return value


_readers: dict[str, StreamReader] = {}
_readers_guard = threading.Lock()


def reader(table_name: str, session: boto3.session.Session | None = None) -> StreamReader:
    """This process's reader of the table's current stream (one per stream ARN)."""
    arn = stream_arn(table_name, session)
    with _readers_guard:
        found = _readers.get(arn)
        if found is None:
            found = _readers[arn] = StreamReader(arn, client(session))
        return found


def drain(
    handler: Callable[[dict], Any],
    table_name: str,
    batch_size: int = 500,
    session: boto3.session.Session | None = None,
) -> int:
    """Feed every pending record of the table's stream to ``handler({"Records": batch})``,
    batch by batch; the number of records handed over.

    A handler exception propagates and its batch stays pending: the next drain delivers it
    again, identical, first.
    """
    stream = reader(table_name, session)
    handed = 0
    while batch := stream.read(batch_size):
        try:
            handler({"Records": batch})
        except BaseException:
            stream.retry(batch)
            raise
        handed += len(batch)
    return handed
