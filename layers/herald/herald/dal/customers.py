"""Customer profiles, with the contact log and suppression flags the contact policy reads.

Every write bumps ``rev`` under a condition on the value read, so a profile upsert, a decision
(contact log, ``update_profile``) and a suppression can never overwrite each other. Callers get
and give :class:`~herald.domain.customer.CustomerState` / ``CustomerUpdate``; the item shape
stays here.
"""

from __future__ import annotations

from collections.abc import Callable

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from herald.dal.tables import CustomerItem, SuppressionItem, bind, conditional_failure
from herald.domain.clock import iso, utcnow
from herald.domain.customer import (
    Contact,
    Customer,
    CustomerState,
    CustomerUpdate,
    PushDevice,
    stored_customer,
)
from herald.domain.goal import Exposure, Exposures
from herald.domain.profile import stored_activity
from herald.errors import Conflict

MAX_TRIES = 5  # optimistic-lock retries before a 409


def _state(item: CustomerItem) -> CustomerState:
    profile = stored_customer(item.doc or {}, item.customer_id)
    return CustomerState(
        profile=profile,
        contact_log=tuple(Contact(ch, at) for ch, at in item.contact_log or ()),
        suppressed=dict(item.suppressed or {}),
        revision=int(item.rev or 0),
        exposures=_exposures(item.exposures),
        activity=stored_activity(item.activity),
        aggregates=dict(item.aggregates or {}),
        segments=tuple(item.segments or ()),
    )


def _exposures(stored: dict | None) -> Exposures:
    return {
        rule: tuple(Exposure.from_row(rule, row) for row in rows)
        for rule, rows in (stored or {}).items()
    }


def exposures_doc(exposures: Exposures) -> dict:
    return {rule: [e.to_row() for e in found] for rule, found in exposures.items()}


def item_actions(update: CustomerUpdate) -> list:
    """The item update actions of ``update`` (for this module and the decision's transaction)."""
    changes: dict = {}
    if update.profile is not None:
        changes["doc"] = update.profile.to_doc()
        changes["email"] = update.profile.address("email")
        changes["phone"] = update.profile.phone
    if update.suppressed is not None:
        changes["suppressed"] = dict(update.suppressed)
    if update.contact_log is not None:
        changes["contact_log"] = [[c.channel, c.at] for c in update.contact_log]
    if update.exposures is not None:
        changes["exposures"] = exposures_doc(update.exposures) or None
    if update.activity is not None:
        changes["activity"] = update.activity.to_doc()
    if update.aggregates is not None:
        changes["aggregates"] = dict(update.aggregates) or None
    if update.segments is not None:
        changes["segments"] = list(update.segments) or None
    return [
        getattr(CustomerItem, k).set(v) if v is not None else getattr(CustomerItem, k).remove()
        for k, v in changes.items()
    ]


def get(customer_id: str) -> CustomerState | None:
    """The stored customer, or None for an unknown one (one GetItem)."""
    bind()
    try:
        return _state(CustomerItem.get(customer_id))
    except DoesNotExist:
        return None


def upsert(
    customer: Customer, memberships: Callable[[CustomerState], tuple[str, ...]] | None = None
) -> CustomerState:
    """Create or replace the profile; keeps the contact log, the suppression flags and what the
    send function learned about push devices (endpoints, disabled tokens). ``memberships``
    says the segments of the new state, stored in the same write."""
    bind()
    for _ in range(MAX_TRIES):
        current = get(customer.customer_id)
        suppressed = dict(current.suppressed) if current else {}
        suppressed.update(_suppressions_for(customer))
        profile = customer
        if current:
            learned = {d.token: d for d in current.profile.push}
            profile = _with_learned_devices(customer, learned)
        segments = list(current.segments) if current and current.segments else None
        if memberships is not None:
            base = current or CustomerState(profile)
            new_state = CustomerState(
                profile,
                suppressed=suppressed,
                activity=base.activity,
                aggregates=base.aggregates,
            )
            segments = list(memberships(new_state)) or None
        item = CustomerItem(
            customer.customer_id,
            email=profile.address("email"),
            phone=profile.phone,
            doc=profile.to_doc(),
            suppressed=suppressed,
            contact_log=[[c.channel, c.at] for c in current.contact_log] if current else [],
            exposures=exposures_doc(current.exposures) if current and current.exposures else None,
            activity=current.activity.to_doc() if current and current.activity.size else None,
            aggregates=dict(current.aggregates) if current and current.aggregates else None,
            segments=segments,
            rev=(current.revision if current else 0) + 1,
            updated_at=iso(utcnow()),
        )
        condition = (
            CustomerItem.customer_id.does_not_exist()
            if current is None
            else CustomerItem.rev == current.revision
        )
        try:
            item.save(condition=condition)
            return _state(item)
        except PutError as exc:
            if not conditional_failure(exc):
                raise
    raise Conflict(f"customer {customer.customer_id} is being updated concurrently: retry")


def _with_learned_devices(customer: Customer, learned: dict[str, PushDevice]) -> Customer:
    from dataclasses import replace  # noqa: PLC0415 — profile writes only

    devices = tuple(
        replace(d, endpoint_arn=known.endpoint_arn, disabled=known.disabled)
        if (known := learned.get(d.token))
        else d
        for d in customer.push
    )
    return replace(customer, push=devices)


def _suppressions_for(customer: Customer) -> dict:
    """A new or changed address that is already on the suppression list stays suppressed."""
    found = {}
    for channel in ("email", "sms"):
        address = customer.address(channel)
        if not address:
            continue
        try:
            found[channel] = SuppressionItem.get(address).reason
        except DoesNotExist:
            continue
    return found


def update(customer_id: str, revision: int, change: CustomerUpdate) -> None:
    """Conditional update of a stored customer at ``revision`` (409 if it moved meanwhile)."""
    bind()
    actions = item_actions(change) + [
        CustomerItem.rev.set(revision + 1),
        CustomerItem.updated_at.set(iso(utcnow())),
    ]
    condition = CustomerItem.rev == revision if revision else CustomerItem.rev.does_not_exist()
    try:
        CustomerItem(customer_id).update(actions=actions, condition=condition)
    except UpdateError as exc:
        if conditional_failure(exc):
            raise Conflict(f"customer {customer_id} changed meanwhile", field="rev") from exc
        raise


def change(
    customer_id: str, change_for: Callable[[CustomerState], CustomerUpdate]
) -> CustomerState | None:
    """Read-modify-write under the revision lock: ``change_for(current)`` says what to change;
    re-read and re-applied if the customer changed meanwhile. Returns the state it changed,
    or None for an unknown customer."""
    for _ in range(MAX_TRIES):
        current = get(customer_id)
        if current is None:
            return None
        try:
            update(customer_id, current.revision, change_for(current))
            return current
        except Conflict:
            continue
    raise Conflict(f"customer {customer_id} is being updated concurrently: retry", field="rev")


def suppress(address: str, channel: str, reason: str) -> list[str]:
    """Put an address on the suppression list and flag every customer using it."""
    bind()
    address = address.lower() if channel == "email" else address
    SuppressionItem(address, channel=channel, reason=reason, at=iso(utcnow())).save()
    index = {"email": CustomerItem.by_email, "sms": CustomerItem.by_phone}.get(channel)
    flagged = []
    if index is not None:
        for key in index.query(address):
            change(
                key.customer_id,
                lambda current: CustomerUpdate(suppressed={**current.suppressed, channel: reason}),
            )
            flagged.append(key.customer_id)
    return flagged


def suppression_reason(address: str) -> str | None:
    bind()
    try:
        return SuppressionItem.get(address).reason
    except DoesNotExist:
        return None


def state_from_raw(raw: dict) -> CustomerState:
    """A customer item as a low-level read returned it (a BatchGetItem across tables)."""
    return _state(CustomerItem.from_raw_data(raw))


def scan_page(
    segment: int,
    total_segments: int,
    limit: int,
    start: dict | None = None,
) -> tuple[list[CustomerState], dict | None]:
    """Up to ``limit`` customers of one parallel-scan segment of the table, from ``start`` (the
    key the previous page ended at); returns them and the key to go on from (None: the segment
    is done). A page is one Scan call (DynamoDB stops a page at 1 MB)."""
    bind()
    results = CustomerItem.scan(
        segment=segment,
        total_segments=total_segments,
        limit=limit,
        page_size=limit,
        last_evaluated_key=start,
    )
    found = [_state(item) for item in results]
    return found, results.last_evaluated_key


def approximate_count() -> int:
    """The table's item count as DynamoDB last measured it (refreshed about every 6 hours)."""
    bind()
    return int(CustomerItem.describe_table().get("ItemCount") or 0)
