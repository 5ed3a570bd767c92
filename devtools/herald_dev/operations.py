"""The ``herald`` commands of a platform engineer's day: ``login``, ``users add``, ``events put``
and ``status``. Registered by :mod:`herald_dev.cli`; each imports what it needs when it runs.

Every command that talks to AWS takes the same options (:func:`herald_dev.target.add_arguments`):
``--stack NAME [--region R]`` for a deployed stack, else the local stack at ``--aws-endpoint``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from herald.errors import HeraldError
from herald_dev import target

OK, ATTENTION = 0, 1


def register(commands: argparse._SubParsersAction) -> None:
    login = commands.add_parser(
        "login",
        help="sign in to a deployed stack through its hosted UI (code + PKCE; MFA included)",
        description="Opens the Cognito hosted UI in a browser (or prints its URL), waits for the "
        "sign-in on 127.0.0.1, and stores the tokens in ~/.config/herald/credentials.json "
        "(0600). rules push/pull then use them; they renew themselves until the refresh token "
        "expires.",
    )
    login.add_argument(
        "--stack", help="the stack to sign in to: reads ApiUrl, AuthDomain, CliClientId"
    )
    login.add_argument("--region", help="the stack's region (default: your AWS config)")
    login.add_argument("--api", help="the API's base URL (instead of --stack)")
    login.add_argument("--domain", help="the hosted sign-in domain, stack output AuthDomain")
    login.add_argument("--client-id", help="the CLI app client, stack output CliClientId")
    login.add_argument(
        "--no-browser", action="store_true", help="only print the sign-in URL (SSH sessions)"
    )
    login.add_argument(
        "--show", action="store_true", help="say who is signed in (no sign-in); tokens never shown"
    )
    login.set_defaults(run=_login)

    users = commands.add_parser("users", help="marketers and approvers (Cognito users)")
    users.set_defaults(group=users)
    users_cmds = users.add_subparsers(title="users commands", metavar="{add}")
    add = users_cmds.add_parser(
        "add", help="invite someone: Cognito emails a temporary password; MFA at first sign-in"
    )
    add.add_argument("email", help="the person's email address (their user name)")
    add.add_argument(
        "--group",
        required=True,
        choices=("marketers", "approvers"),
        help="marketers edit drafts; approvers also publish and roll back",
    )
    add.add_argument("--stack", help="the deployed stack (reads its UserPoolId output)")
    add.add_argument("--region", help="the stack's region (default: your AWS config)")
    add.add_argument("--user-pool-id", help="the user pool, instead of --stack")
    add.set_defaults(run=_users_add)

    events = commands.add_parser("events", help="customer events, as a source system sends them")
    events.set_defaults(group=events)
    events_cmds = events.add_subparsers(title="events commands", metavar="{put}")
    put = events_cmds.add_parser(
        "put",
        help="put an event on the bus (EventBridge PutEvents), or POST it with --api",
        description="Either NAME --customer ID [--data JSON], or --file with EventBridge "
        "envelopes (e.g. events/demo/03-cart-ann.json).",
    )
    put.add_argument("name", nargs="?", help="the event name, e.g. cart.abandoned (detail-type)")
    put.add_argument("--customer", help="the customer's id (detail.customer_id)")
    put.add_argument(
        "--data", default="{}", help="the event's fields as JSON, e.g. '{\"cart_total\": 120}'"
    )
    put.add_argument("--event-id", help="idempotency key (default: a new UUID)")
    put.add_argument(
        "--source", default="herald.cli", help="EventBridge source (default herald.cli)"
    )
    put.add_argument("--file", type=Path, help="a JSON file of EventBridge envelopes to put")
    put.add_argument(
        "--api",
        help="POST /events to this API instead (SigV4 with your AWS credentials, or --token)",
    )
    put.add_argument("--token", help="locally: a bearer such as local:shop: (with --api)")
    target.add_arguments(put)
    put.set_defaults(run=_events_put)

    status = commands.add_parser(
        "status",
        help="DLQ depths, paused rules, last deploy and publish, alarms in ALARM",
        description="Exit code 0 when nothing needs attention, 1 when something does.",
    )
    target.add_arguments(status)
    status.set_defaults(run=_status)


# ---------------------------------------------------------------------- login
def _login(args: argparse.Namespace) -> int:
    from herald_dev import login, tokens

    if args.show:
        profile = tokens.load(args.api)
        if profile is None:
            print("not signed in: run herald login --stack NAME")
            return ATTENTION
        print(f"{profile.api}: {profile.who()}")
        return OK
    api, domain, client_id = args.api, args.domain, args.client_id
    if args.stack:
        stack = target.deployed(args.stack, args.region)
        api = api or stack.outputs.get("ApiUrl")
        domain = domain or stack.outputs.get("AuthDomain")
        client_id = client_id or stack.outputs.get("CliClientId")
    missing = [
        n for n, v in (("--api", api), ("--domain", domain), ("--client-id", client_id)) if not v
    ]
    if missing:
        raise HeraldError(f"pass --stack NAME, or {', '.join(missing)}")
    opener = (lambda _url: None) if args.no_browser else _open_browser
    profile = login.login(str(api), str(domain), str(client_id), open_browser=opener)
    print(f"signed in to {profile.api}: {profile.who()}")
    print(f"tokens stored in {tokens.store_path()} (readable by you only)")
    return OK


def _open_browser(url: str) -> None:
    import webbrowser

    webbrowser.open(url)


# ---------------------------------------------------------------------- users
def _users_add(args: argparse.Namespace) -> int:
    from herald_dev import users

    pool = args.user_pool_id
    if not pool:
        if not args.stack:
            raise HeraldError("pass --stack NAME (or --user-pool-id)")
        stack = target.deployed(args.stack, args.region)
        pool = stack.outputs.get("UserPoolId")
        if not pool:
            raise HeraldError(f"stack {args.stack} has no UserPoolId output")
        stack.activate()
    elif args.region:
        target.Target("deployed", args.region, "").activate()
    users.add(pool, args.email, args.group)
    return OK


# ---------------------------------------------------------------------- events
def _events_put(args: argparse.Namespace) -> int:
    from herald_dev import producers

    if args.file:
        entries = producers.entries_from_file(args.file)
    else:
        if not args.name or not args.customer:
            raise HeraldError("give an event NAME and --customer ID, or --file")
        try:
            data = json.loads(args.data)
        except ValueError as exc:
            raise HeraldError(f"--data is not JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise HeraldError("--data must be a JSON object of the event's fields")
        entries = [
            producers.event_entry(args.name, args.customer, data, args.event_id, args.source)
        ]
    if args.api:
        return _post_events(args, entries)
    where = target.resolve(args)
    where.activate()
    bus = where.need("EVENT_BUS_NAME")
    ids = producers.put_events(bus, entries)
    for entry, event_id in zip(entries, ids, strict=True):
        detail = json.loads(entry["Detail"])
        print(
            f"put {entry['DetailType']} for {detail.get('customer_id')} "
            f"(event_id {detail.get('event_id') or event_id}) on {bus}"
        )
    return OK


def _post_events(args: argparse.Namespace, entries: list[dict]) -> int:
    from herald_dev import producers

    url = args.api.rstrip("/") + "/events"
    region = args.region or _region_of(args.api)
    failed = 0
    for entry in entries:
        detail = json.loads(entry["Detail"])
        body = {
            "type": entry["DetailType"],
            "customer_id": detail.pop("customer_id"),
            "event_id": detail.pop("event_id", None),
            "source": entry["Source"],
            "data": {k: v for k, v in detail.items() if k != "occurred_at"},
        }
        body = {k: v for k, v in body.items() if v is not None}
        status, answer = producers.http_call("POST", url, body, token=args.token, region=region)
        if status == 202:
            print(f"posted {body['type']} for {body['customer_id']}: {json.dumps(answer)}")
        else:
            failed += 1
            print(f"error: POST /events answered {status}: {json.dumps(answer)}", file=sys.stderr)
    return ATTENTION if failed else OK


def _region_of(api: str) -> str | None:
    """The region of an execute-api URL (https://id.execute-api.<region>.amazonaws.com/…)."""
    host = api.split("://", 1)[-1].split("/", 1)[0]
    parts = host.split(".")
    return parts[2] if len(parts) > 3 and parts[1] == "execute-api" else None


# ---------------------------------------------------------------------- status
def _status(args: argparse.Namespace) -> int:
    from herald_dev import status

    found = status.show(target.resolve(args))
    return OK if found.healthy else ATTENTION
