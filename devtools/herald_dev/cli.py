"""The ``herald`` command: the local stack (demo, serve), rules as code, DLQs and keys.

Exit codes: 0 ok, 1 a validation or runtime error (with a message), 2 usage. Each command
imports what it needs inside its function, so ``herald --help`` and ``herald rules validate``
don't pay for moto, boto3 and pynamodb.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from herald.errors import HeraldError
from herald_dev import target
from herald_dev.local.template import REPO_ROOT

if TYPE_CHECKING:
    from herald.domain.trace import Trace
    from herald_dev.local.runner import LocalStack

DEFAULT_RULES_DIR = REPO_ROOT / "rules"
RULES_DIR = Path("rules")  # what the rules commands read and write, from where they are run
RULES_DIR_HELP = "the rules directory, with contents/ and rules/ inside (default: ./rules)"
DEFAULT_AWS_ENDPOINT = "http://127.0.0.1:4566"
OK, FAILED, USAGE = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``herald`` console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):  # a command group without its subcommand
        getattr(args, "group", parser).print_help(sys.stderr)
        return USAGE
    try:
        return int(args.run(args) or OK)
    except HeraldError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return FAILED
    except (OSError, TimeoutError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return FAILED
    except Exception as exc:
        # AWS said no (credentials, permissions, a missing stack): one line, not a traceback.
        # botocore is imported lazily by the commands, so it is recognised by module here.
        if not type(exc).__module__.startswith(("botocore", "pynamodb")):
            raise
        print(f"error: {exc}", file=sys.stderr)
        return FAILED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="herald", description="Herald: marketing decisions on AWS serverless."
    )
    parser.add_argument("--version", action="version", version=f"herald {_version()}")
    commands = parser.add_subparsers(
        title="commands", metavar="{local,rules,dlq,keys,login,users,events,status,stats}"
    )

    local = commands.add_parser("local", help="run Herald on this machine (moto, no Docker)")
    local.set_defaults(group=local)
    local_cmds = local.add_subparsers(title="local commands", metavar="{demo,serve}")
    demo = local_cmds.add_parser(
        "demo", help="load rules/, replay events/demo/, print decisions and messages"
    )
    demo.add_argument(
        "--rules", type=Path, default=DEFAULT_RULES_DIR, help="rules directory (default: rules/)"
    )
    demo.add_argument(
        "--events",
        type=Path,
        default=REPO_ROOT / "events",
        help="events directory (default: events/)",
    )
    demo.set_defaults(run=_demo)
    serve = local_cmds.add_parser(
        "serve", help="keep the local stack running, the API on 127.0.0.1"
    )
    serve.add_argument("--port", type=int, default=3000, help="API port (default 3000)")
    serve.add_argument("--aws-port", type=int, default=4566, help="moto port (default 4566)")
    serve.add_argument(
        "--log-level", default="INFO", help="the functions' log level (default INFO)"
    )
    serve.set_defaults(run=_serve)

    rules = commands.add_parser("rules", help="rules as code: validate, load, push, pull")
    rules.set_defaults(group=rules)
    rules_cmds = rules.add_subparsers(title="rules commands", metavar="{validate,load,push,pull}")
    validate = rules_cmds.add_parser("validate", help="check every rule and content file")
    validate.add_argument("dir", nargs="?", type=Path, default=RULES_DIR, help=RULES_DIR_HELP)
    validate.set_defaults(run=_validate)
    load = rules_cmds.add_parser(
        "load", help="write the files into a running local stack's tables and publish"
    )
    load.add_argument("dir", nargs="?", type=Path, default=RULES_DIR, help=RULES_DIR_HELP)
    load.add_argument(
        "--aws-endpoint",
        default=DEFAULT_AWS_ENDPOINT,
        help=f"moto endpoint (default {DEFAULT_AWS_ENDPOINT})",
    )
    load.add_argument(
        "--user", default="rules-loader", help="who the versions are recorded as created by"
    )
    load.set_defaults(run=_load)
    push = rules_cmds.add_parser(
        "push", help="send the files through the admin API (new versions, publish)"
    )
    push.add_argument("dir", nargs="?", type=Path, default=RULES_DIR, help=RULES_DIR_HELP)
    _api_args(push)
    push.add_argument(
        "--dry-run", action="store_true", help="show what would change; write nothing"
    )
    push.add_argument(
        "--publish-token",
        default=os.environ.get("HERALD_PUBLISH_TOKEN"),
        help="a second approver's token for the publishes (default $HERALD_PUBLISH_TOKEN): "
        "under the two-person rule nobody publishes what they wrote",
    )
    push.set_defaults(run=_push)
    pull = rules_cmds.add_parser("pull", help="write the live rules and contents to files")
    pull.add_argument("dir", nargs="?", type=Path, default=RULES_DIR, help=RULES_DIR_HELP)
    _api_args(pull)
    pull.set_defaults(run=_pull)

    dlq = commands.add_parser(
        "dlq", help="dead-letter queues: see why records were parked, re-drive them"
    )
    dlq.set_defaults(group=dlq)
    dlq_cmds = dlq.add_subparsers(title="dlq commands", metavar="{inspect,redrive}")
    for name, helptext, run in (
        ("inspect", "list parked records and their reasons (nothing is consumed)", _dlq_inspect),
        (
            "redrive",
            "move parked records back (send DLQ → send queue, decide DLQ → bus)",
            _dlq_redrive,
        ),
    ):
        cmd = dlq_cmds.add_parser(name, help=helptext)
        cmd.add_argument("queue", choices=sorted(DLQS), help="which dead-letter queue")
        target.add_arguments(
            cmd,
            "; 'aws' uses your AWS credentials and needs --dlq-url (and --target for redrive)",
        )
        cmd.add_argument(
            "--dlq-url", help="the DLQ's URL (default: the stack's; outputs SendDLQUrl, …)"
        )
        if name == "redrive":
            cmd.add_argument("--target", help="queue URL or bus name to re-drive into")
            cmd.add_argument("--max", type=int, default=None, help="at most this many records")
        else:
            cmd.add_argument("--limit", type=int, default=100, help="records to show (default 100)")
        cmd.set_defaults(run=run)

    keys = commands.add_parser("keys", help="the keys that sign unsubscribe links")
    keys.set_defaults(group=keys)
    keys_cmds = keys.add_subparsers(title="keys commands", metavar="{rotate}")
    rotate = keys_cmds.add_parser(
        "rotate",
        help="add a new signing key and make it active; links signed before keep working",
    )
    rotate.add_argument(
        "--aws-endpoint",
        default=DEFAULT_AWS_ENDPOINT,
        help=f"moto endpoint of the local stack (default {DEFAULT_AWS_ENDPOINT}); "
        "'aws' uses your AWS credentials and needs --secret-id",
    )
    rotate.add_argument(
        "--secret-id", help="the keyring secret's ARN (the stack's UnsubscribeKey resource)"
    )
    rotate.set_defaults(run=_keys_rotate)

    stats = commands.add_parser("stats", help="a rule's performance: arms, rates, verdicts")
    stats.add_argument("rule", help="the rule id")
    stats.add_argument("--version", type=int, help="default: the published version")
    stats.add_argument("--from", dest="first", help="first day, YYYY-MM-DD (default: 30 days ago)")
    stats.add_argument("--to", dest="last", help="last day, YYYY-MM-DD (default: today)")
    stats.add_argument("--json", action="store_true", help="print the API's answer as is")
    stats.add_argument("--api", default="http://127.0.0.1:3000", help="the API's base URL")
    stats.add_argument(
        "--token",
        default=os.environ.get("HERALD_TOKEN", "local:herald:marketers"),
        help="bearer token (default $HERALD_TOKEN, else the local marketer)",
    )
    stats.set_defaults(run=_stats)

    from herald_dev import operations  # login, users add, events put, status

    operations.register(commands)
    from herald_dev import routes  # routes tail

    routes.register(commands)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("herald")
    except PackageNotFoundError:  # run from a checkout without `pip install -e .`
        return "unknown (not installed)"


def _api_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--api",
        help="the API's base URL, e.g. http://127.0.0.1:3000 (default: the one of herald login)",
    )
    parser.add_argument(
        "--token",
        default=os.environ.get("HERALD_TOKEN"),
        help="bearer token (default $HERALD_TOKEN, else herald login's, renewed as needed); "
        "locally local:<user>:<group>[,<group>]",
    )


# ---------------------------------------------------------------------- rules
def _validate(args: argparse.Namespace) -> int:
    from herald_dev import rulesfiles

    found = rulesfiles.problems(args.dir)
    for problem in found:
        print(problem, file=sys.stderr)
    if found:
        print(f"{args.dir}: {len(found)} problem(s)", file=sys.stderr)
        return FAILED
    contents, rules = rulesfiles.validate_dir(args.dir)
    others = rulesfiles.validate_others(args.dir)
    offers = sum(1 for o in others if o.kind == "offers")
    audiences = rulesfiles.validate_audiences(args.dir)
    segments = sum(1 for kind, _ in audiences if kind == "segments")
    schema = " the profile schema," if any(kind == "profiles" for kind, _ in audiences) else ""
    print(
        f"{args.dir}: {len(contents)} contents, {len(rules)} rules, {offers} offers, "
        f"{len(others) - offers} taxonomies,{schema} {segments} segments are valid"
    )
    return OK


def _load(args: argparse.Namespace) -> int:
    from herald import runtime
    from herald.settings import settings
    from herald_dev import rulesfiles

    # The tables of the stack `herald local serve` created: names follow from template.yaml.
    os.environ.update(_stack_environment())
    os.environ["AWS_ENDPOINT_URL"] = args.aws_endpoint
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(key, "local")
    settings.cache_clear()
    runtime.reset()
    print(f"loading {args.dir} into the local stack at {args.aws_endpoint}")
    rulesfiles.load_into_tables(args.dir, user=args.user)
    return OK


def _api_and_token(args: argparse.Namespace) -> tuple[str, str]:
    """--api and --token, else the stored sign-in of `herald login` (renewed when expired)."""
    from herald_dev import tokens

    if args.token:
        if not args.api:
            raise HeraldError("--api is required with --token")
        return args.api, args.token
    return tokens.bearer(args.api)


def _push(args: argparse.Namespace) -> int:
    from herald_dev import rulesfiles

    api, token = _api_and_token(args)
    verb = "checking what pushing would change:" if args.dry_run else "pushing"
    print(f"{verb} {args.dir} to {api}")
    rulesfiles.push(args.dir, api, token, publish_token=args.publish_token, dry_run=args.dry_run)
    return OK


def _pull(args: argparse.Namespace) -> int:
    from herald_dev import rulesfiles

    api, token = _api_and_token(args)
    print(f"pulling the live rules and contents from {api} into {args.dir}")
    written = rulesfiles.pull(api, token, args.dir)
    print(f"{len(written)} file(s) written; unchanged files left as they were")
    return OK


def _stack_environment(region: str = "us-east-1") -> dict[str, str]:
    """The functions' environment of the local stack, from template.yaml, creating nothing."""
    from herald_dev.local import stack

    return stack.describe(region=region).environment()


# ---------------------------------------------------------------------- dlq
# queue name -> (the DLQ's logical id, that of its re-drive target: a queue or the bus)
DLQS = {
    "send": ("SendDLQ", "SendQueue"),
    "decide": ("DecideDLQ", "EventBus"),
    "feedback": ("FeedbackDLQ", None),
    "feedback-retry": ("FeedbackRetryDLQ", "FeedbackRetryQueue"),
    "counters": ("CountersDLQ", None),  # batch descriptions: dlq.NOT_REDRIVABLE says why
}
BODY_SHOWN = 400  # characters of a parked record's body shown by `dlq inspect`


def _dlq_urls(args: argparse.Namespace) -> tuple[str, str | None]:
    from herald import runtime
    from herald.settings import settings

    dlq_id, target_id = DLQS[args.queue]
    explicit_target = getattr(args, "target", None)
    if args.aws_endpoint == "aws" and not args.stack:
        if not args.dlq_url:
            raise HeraldError("--dlq-url is required with --aws-endpoint aws (or pass --stack)")
        settings.cache_clear()
        runtime.reset()
        return args.dlq_url, explicit_target
    found = target.resolve(args)
    found.activate()
    dlq_url = args.dlq_url or found.physical.get(dlq_id, "")
    if not dlq_url:
        raise HeraldError(f"{found.describe()} has no {dlq_id}")
    return dlq_url, explicit_target or (found.physical.get(target_id) if target_id else None)


def _dlq_inspect(args: argparse.Namespace) -> int:
    from herald_dev import dlq

    dlq_url, _ = _dlq_urls(args)
    found = dlq.inspect(dlq_url, limit=args.limit)
    print(f"{args.queue} DLQ: about {found.approximate_count} record(s)")
    for reason, n in sorted(found.reasons().items(), key=lambda kv: -kv[1]):
        print(f"  {n:5}  {reason}")
    for number, record in enumerate(found.records, 1):
        body = record.body if len(record.body) <= BODY_SHOWN else record.body[:BODY_SHOWN] + "…"
        print(f"\n  {number}. {dlq.event_of(record)}")
        print(f"     reason: {record.reason or 'no reason recorded'}")
        print(f"     body:   {body}")
    if found.records:
        print(f"\nfix the cause, then: herald dlq redrive {args.queue}")
    return OK


def _dlq_redrive(args: argparse.Namespace) -> int:
    from herald_dev import dlq

    if refused := dlq.NOT_REDRIVABLE.get(DLQS[args.queue][0]):
        raise HeraldError(refused)
    dlq_url, target = _dlq_urls(args)
    if not target:
        raise HeraldError(f"the {args.queue} DLQ has no default target: pass --target")
    print(f"re-driving the {args.queue} DLQ into {target}")
    result = dlq.redrive(dlq_url, target, max=args.max)
    print(f"moved {result.moved}, kept {result.failed}, {result.remaining} left in the DLQ")
    return FAILED if result.failed else OK


# ---------------------------------------------------------------------- keys
def _keys_rotate(args: argparse.Namespace) -> int:
    """Add a key to the unsubscribe keyring and make it active; print its kid."""
    from botocore.exceptions import BotoCoreError, ClientError

    from herald import runtime
    from herald.aws.clients import client
    from herald.settings import settings
    from herald.unsubscribe import Keyring, KeyringError

    if args.aws_endpoint == "aws":
        if not args.secret_id:
            raise HeraldError("--secret-id is required with --aws-endpoint aws")
        secret_id = args.secret_id
    else:
        secret_id = args.secret_id or _stack_environment()["UNSUBSCRIBE_KEY_PARAM"]
        os.environ["AWS_ENDPOINT_URL"] = args.aws_endpoint
        for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            os.environ.setdefault(key, "local")
        os.environ.setdefault("AWS_REGION", "us-east-1")
    settings.cache_clear()
    runtime.reset()
    secretsmanager = client("secretsmanager")
    try:
        current = secretsmanager.get_secret_value(SecretId=secret_id)
        if "SecretString" not in current:
            raise HeraldError(f"{secret_id} holds a binary secret, not a keyring")
        rotated = Keyring.parse(current["SecretString"]).rotated()
        secretsmanager.put_secret_value(SecretId=secret_id, SecretString=rotated.to_secret())
    except KeyringError as exc:
        raise HeraldError(f"{secret_id}: {exc}") from exc
    except (BotoCoreError, ClientError) as exc:
        raise HeraldError(f"{secret_id}: {exc}") from exc
    older = ", ".join(sorted(kid for kid in rotated.keys if kid != rotated.active))
    print(
        f"{secret_id}: {rotated.active} now signs; older keys still verify: {older}",
        file=sys.stderr,
    )
    print(rotated.active)
    return OK


# ---------------------------------------------------------------------- stats
def _stats(args: argparse.Namespace) -> int:
    from herald_dev import stats

    report = stats.fetch(
        args.api,
        args.token,
        args.rule,
        version=args.version,
        **{"from": args.first, "to": args.last},
    )
    print(json.dumps(report, indent=2) if args.json else stats.table(report))
    return OK


# ---------------------------------------------------------------------- local
def _serve(args: argparse.Namespace) -> int:
    from herald_dev.local import server

    server.serve(port=args.port, aws_port=args.aws_port, log_level=args.log_level)
    return OK


def _demo(args: argparse.Namespace) -> int:
    from herald_dev.local.runner import LocalStack

    print("▸ starting the local stack (moto on 127.0.0.1, resources from template.yaml)")
    with LocalStack(aws_port=0) as local:
        print(
            f"  {len(local.stack.physical)} resources, {len(local.functions)} functions, AWS at {local.endpoint}"
        )
        return _demo_steps(local, args.rules, args.events)


def _demo_steps(local: LocalStack, rules_dir: Path, events_dir: Path) -> int:
    """Load rules and customers, replay the demo events one by one, print what happened."""
    from herald.dal import customers
    from herald.domain.customer import parse_customer
    from herald_dev import rulesfiles

    print(f"▸ loading {_rel(rules_dir)}")
    rulesfiles.load_into_tables(rules_dir, user="demo")
    profiles = json.loads((events_dir / "customers.json").read_text(encoding="utf-8"))
    print(f"▸ upserting {len(profiles)} customers from {_rel(events_dir / 'customers.json')}")
    for profile in profiles:
        customers.upsert(parse_customer(profile))
    files = sorted((events_dir / "demo").glob("*.json"))
    print(f"▸ replaying {len(files)} event files from {_rel(events_dir / 'demo')}")
    for file in files:
        _replay(local, file)
    from herald_dev import outcomes_demo

    stats_tables = outcomes_demo.run(local)
    from herald_dev import offers_demo

    offers_demo.run(local)

    from herald_dev import broadcasts as broadcasts_demo

    broadcasts_demo.demo(local)
    return _demo_summary(local, closing=stats_tables)


def _replay(local: LocalStack, file: Path) -> None:
    from herald.dal import records
    from herald_dev import decision_lines

    loaded = json.loads(file.read_text(encoding="utf-8"))
    envelopes = loaded if isinstance(loaded, list) else [loaded]
    first = len(local.invocations)
    ids = local.put_events(envelopes)
    local.drain(timeout=60)
    statuses = {
        inv.result.get("event_id"): inv.result.get("status")
        for inv in local.invocations[first:]
        if isinstance(inv.result, dict) and inv.result.get("event_id")
    }
    rejected = [
        f"rejected ({inv.result.get('reason')})"
        for inv in local.invocations[first:]
        if isinstance(inv.result, dict) and inv.result.get("status") == "rejected"
    ]
    for envelope, event_bus_id in zip(envelopes, ids, strict=True):
        detail = envelope.get("detail") or {}
        event_id = detail.get("event_id") or event_bus_id
        print(
            f"\n  {file.name}: {envelope.get('detail-type')} for {detail.get('customer_id', '?')} ({event_id})"
        )
        trace = records.get_trace(str(detail.get("customer_id")), event_id)
        if trace is None:
            print(
                f"    no decision recorded: {rejected.pop(0) if rejected else 'no function took it'}"
            )
            continue
        if statuses.get(event_id) == "replay":  # the first delivery's trace, not a new send
            print(f"    {decision_lines.REDELIVERED}")
            continue
        for line in _trace_lines(trace):
            print(f"    {line}")


def _trace_lines(trace: Trace) -> list[str]:
    """A decision trace as a few readable lines: rules considered, then each action's outcome."""
    from herald.dal import customers, records
    from herald_dev import decision_lines

    customer = customers.get(trace.customer_id)
    timezone = customer.profile.timezone if customer else None
    lines = []
    for rule in trace.rules:
        if rule.matched is None:
            verdict = rule.skipped or rule.error or "not evaluated"
        else:
            verdict = (
                f"{'matched' if rule.matched else 'not matched'} → {rule.branch or 'no actions'}"
            )
        lines.append(f"rule {rule.rule_id} v{rule.version}: {verdict}")
    if not trace.rules:
        lines.append("no published rule listens to this event")
    effects = {  # each rule's routes, alerts and updates, matched in order to its `run` actions
        rule.rule_id: decision_lines.effects(rule.rule_id, rule.version, rule.branch)
        for rule in trace.rules
        if rule.matched is not None
    }
    for action in trace.actions:
        outcome = action.outcome
        message = records.get_message(action.message_id) if action.message_id else None
        if message is not None:
            outcome = message.status
        reason = (message.reason if message else None) or action.reason
        send_at = (message.send_at if message else None) or action.send_at
        lines.append(
            decision_lines.action_line(
                action,
                body=effects[action.rule_id].pop(0)
                if action.outcome == "run" and effects.get(action.rule_id)
                else None,
                status=str(outcome),
                reason=reason,
                send_at=send_at,
                timezone=timezone,
            )
        )
    return lines


def _demo_summary(local: LocalStack, closing: str = "") -> int:
    from herald_dev.local import outbox

    accepted = outbox.messages(local.region)
    print(f"\n▸ {len(accepted)} message(s) accepted by SES/SNS")
    for line in _accepted_lines(accepted):
        print(line)
    waiting = local.schedules()
    if waiting:
        print(f"▸ {len(waiting)} message(s) deferred to a later time (EventBridge Scheduler)")
        for schedule in waiting:
            print(f"  {_deferral(schedule)}")
    failures, dead = local.failures(), local.dead_letters()
    for failure in failures:
        print(f"✗ {failure.function} raised on {failure.trigger}: {failure.error}", file=sys.stderr)
    for queue, count in dead.items():
        print(f"✗ {count} message(s) in dead-letter queue {queue}", file=sys.stderr)
    if closing:
        print(closing)
    if failures or dead:
        return FAILED
    print("▸ done")
    return OK


def _accepted_lines(accepted: list[dict], per_channel: int = 5) -> list[str]:
    """The accepted messages, at most ``per_channel`` of each channel, then how many more."""
    shown: dict[str, int] = {}
    lines = []
    for m in accepted:
        shown[m["channel"]] = shown.get(m["channel"], 0) + 1
        if shown[m["channel"]] <= per_channel:
            lines.append(f"  {m['channel']:5} {m['recipient']:32} {m['subject_or_first_line']}")
    for channel, count in shown.items():
        if count > per_channel:
            lines.append(
                f"  … {count - per_channel} more {channel} message(s) (GET /local/outbox lists all)"
            )
    return lines


def _deferral(schedule: dict) -> str:
    """A waiting schedule as: customer, channel, when in the customer's time zone."""
    from herald.dal import customers, records
    from herald_dev import decision_lines

    message_id = schedule["name"].removeprefix("msg-")
    message = records.get_message(message_id)
    if message is None or not message.send_at:
        return f"{schedule['name']} {schedule['expression']}"
    customer = customers.get(message.customer_id)
    timezone = customer.profile.timezone if customer else None
    when = decision_lines.local_time(message.send_at, timezone)
    return f"{message.channel:5} for {message.customer_id:8} at {when}"


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(main())
