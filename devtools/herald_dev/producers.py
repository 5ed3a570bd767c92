"""Producing customer events and profiles, as a source system would: ``herald events put``.

Two ways in, the same contract (docs/producers.md):

- **EventBridge PutEvents** (the primary path): ``Source`` = your system's name (not ``aws.*``),
  ``DetailType`` = the event name (``cart.abandoned``), ``Detail`` = JSON with ``customer_id``,
  an optional ``event_id`` (idempotency key, per customer) and ``occurred_at``, plus the fields
  rules read as ``event.<field>``.
- **HTTP** ``POST /events`` (and ``PUT /customers/{id}``) for sources that can't reach
  EventBridge: IAM-authorised, so each request is SigV4-signed with the caller's AWS
  credentials (:func:`signed_headers`, botocore's signer), or locally a ``Bearer local:…``.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from herald.errors import HeraldError

DEFAULT_SOURCE = "herald.cli"
HTTP_TIMEOUT_S = 30


def event_entry(
    name: str, customer_id: str, data: dict, event_id: str | None, source: str
) -> dict[str, Any]:
    """One PutEvents entry (without the bus) for an event called ``name``."""
    reserved = [k for k in ("customer_id", "event_id") if k in data]
    if reserved:
        raise HeraldError(f"--data must not hold {reserved[0]}: it has its own option")
    detail = {"customer_id": customer_id, "event_id": event_id or str(uuid.uuid4()), **data}
    return {"Source": source, "DetailType": name, "Detail": json.dumps(detail)}


def entries_from_file(path: Path) -> list[dict[str, Any]]:
    """PutEvents entries from a file of EventBridge envelopes (one, or a list), as events/demo."""
    try:
        loaded = json.loads(Path(path).read_text(encoding="utf-8"))
    except ValueError as exc:
        raise HeraldError(f"{path}: not JSON ({exc})") from exc
    envelopes = loaded if isinstance(loaded, list) else [loaded]
    entries = []
    for number, envelope in enumerate(envelopes, 1):
        if not isinstance(envelope, dict) or "detail-type" not in envelope:
            raise HeraldError(f"{path}: envelope {number} has no detail-type")
        entries.append(
            {
                "Source": envelope.get("source") or DEFAULT_SOURCE,
                "DetailType": envelope["detail-type"],
                "Detail": json.dumps(envelope.get("detail") or {}),
            }
        )
    return entries


def put_events(bus: str, entries: Iterable[dict[str, Any]]) -> list[str]:
    """Put the entries on ``bus`` (10 per call, PutEvents' limit); their EventBridge ids."""
    from herald.aws.clients import client

    entries = [{**e, "EventBusName": bus} for e in entries]
    ids = []
    for start in range(0, len(entries), 10):
        answer = client("events").put_events(Entries=entries[start : start + 10])
        for entry in answer["Entries"]:
            if "ErrorCode" in entry:
                raise HeraldError(
                    f"the bus refused an event: {entry['ErrorCode']} {entry.get('ErrorMessage', '')}"
                )
            ids.append(entry["EventId"])
    return ids


def signed_headers(
    method: str, url: str, body: bytes, region: str, credentials=None
) -> dict[str, str]:
    """SigV4 headers (Authorization, X-Amz-Date, X-Amz-Security-Token) for an API Gateway request
    with IAM auth: botocore's signer, service ``execute-api``, the caller's credentials."""
    import botocore.session
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    credentials = credentials or botocore.session.get_session().get_credentials()
    if credentials is None:
        raise HeraldError("no AWS credentials to sign the request with (aws configure, or SSO)")
    request = AWSRequest(
        method=method, url=url, data=body, headers={"Content-Type": "application/json"}
    )
    SigV4Auth(credentials, "execute-api", region).add_auth(request)
    return dict(request.headers.items())


def http_call(
    method: str, url: str, body: dict, *, token: str | None = None, region: str | None = None
) -> tuple[int, Any]:
    """Send ``body`` as JSON: with ``token`` as a bearer (the local stack), else SigV4-signed for
    ``region`` (a deployed stack). Returns (status, decoded answer)."""
    data = json.dumps(body).encode()
    if token:
        headers = {"Content-Type": "application/json", "Authorization": _bearer(token)}
    else:
        if not region:
            raise HeraldError("--region is needed to sign the request (or pass --token locally)")
        headers = signed_headers(method, url, data, region)
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return exc.code, json.loads(raw) if raw else None
        except ValueError:
            return exc.code, raw.decode(errors="replace")
    except urllib.error.URLError as exc:
        raise HeraldError(f"{method} {url}: {exc.reason}") from exc


def _bearer(token: str) -> str:
    return token if token.startswith("Bearer ") else f"Bearer {token}"
