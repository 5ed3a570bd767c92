"""`herald routes tail`: what lands on the route queues, printed as a contact-centre agent's
tool would show it (priority, SLA deadline, customer summary, why).

By default it peeks (messages stay on the queues, visible again at once); ``--take`` consumes
them as an agent's tool would. ``--follow`` keeps polling until Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

from herald_dev import target

QUEUES = {"high": "RouteHighQueue", "normal": "RouteQueue"}
OK = 0


def register(commands: argparse._SubParsersAction) -> None:
    routes = commands.add_parser("routes", help="routed inquiries: what agents receive")
    routes_cmds = routes.add_subparsers(title="routes commands", metavar="{tail}")
    tail = routes_cmds.add_parser("tail", help="print what lands on the route queues")
    tail.add_argument("--take", action="store_true", help="delete what is printed (consume)")
    tail.add_argument("--follow", action="store_true", help="keep polling until Ctrl-C")
    tail.add_argument("--max", type=int, default=50, help="at most this many messages (default 50)")
    target.add_arguments(tail)
    tail.set_defaults(run=_tail)


def format_route(priority_queue: str, message: dict) -> str:
    """One route as an agent reads it (two lines)."""
    customer = message.get("customer") or {}
    value = customer.get("value")
    who = " ".join(
        p
        for p in (
            customer.get("customer_id") or message.get("customer_id", "?"),
            f"tier {customer['tier']}" if customer.get("tier") else "",
            f"value {value:g}" if isinstance(value, int | float) else "",
        )
        if p
    )
    feeling = ""
    if message.get("sentiment"):
        topics = ",".join(message.get("topics") or []) or "no topic"
        feeling = f" · {message['sentiment']} about {topics}"
    recent = len(customer.get("recent_messages") or [])
    return (
        f"[{message.get('priority', priority_queue):6}] {message.get('queue', '?'):14} "
        f"SLA {message.get('sla_deadline', '?')}  {who}\n"
        f"         {message.get('event_name', '?')}{feeling} · "
        f"{message.get('reason') or 'no reason given'} · {recent} recent message(s)"
    )


def tail(
    urls: dict[str, str],
    *,
    take: bool = False,
    follow: bool = False,
    limit: int = 50,
    echo: Callable[[str], None] = print,
) -> int:
    """Print up to ``limit`` routes from the queues (high first); how many were printed."""
    from herald.aws.clients import client

    sqs = client("sqs")
    shown = 0
    while shown < limit:
        got = 0
        for priority, url in urls.items():
            found = sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=min(10, limit - shown),
                WaitTimeSeconds=1 if follow else 0,
                VisibilityTimeout=30 if take else 0,
            ).get("Messages", [])
            for raw in found:
                try:
                    echo(format_route(priority, json.loads(raw["Body"])))
                except ValueError:
                    echo(f"[{priority}] not JSON: {raw['Body'][:200]}")
                if take:
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=raw["ReceiptHandle"])
                shown += 1
                got += 1
        if not got and not follow:
            break
        if not take and not follow:
            break  # peeking: one pass (the same messages would come back)
    return shown


def _tail(args: argparse.Namespace) -> int:
    found = target.resolve(args)
    found.activate()
    urls = {p: found.physical[q] for p, q in QUEUES.items() if found.physical.get(q)}
    try:
        n = tail(urls, take=args.take, follow=args.follow, limit=args.max)
    except KeyboardInterrupt:
        return OK
    print(f"{n} route(s)" + ("" if args.take else " (peeked: still on the queues)"))
    return OK
