"""Customer profiles, with the contact log and suppression flags the contact policy reads.

Every write bumps ``rev`` under a condition on the value read, so a profile upsert, a decision
(contact log, ``update_profile``) and a suppression can never overwrite each other.
"""

from __future__ import annotations

from collections.abc import Callable

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from herald.dal.tables import CustomerItem, SuppressionItem, bind
from herald.errors import Conflict
from herald.model import Customer, iso, utcnow

MAX_TRIES = 5  # optimistic-lock retries before a 409


def _doc(item: CustomerItem) -> dict:
    """The customer document the engine and policy read: profile + policy state."""
    doc = dict(item.doc or {"customer_id": item.customer_id, "attributes": {}, "consent": {}})
    doc["suppressed"] = item.suppressed or {}
    doc["contact_log"] = item.contact_log or []
    doc["rev"] = int(item.rev or 0)
    doc["stats"] = item.stats or {}
    return doc


def unsaved(customer: Customer) -> dict:
    """The document ``get`` would return for this profile with no history (previews)."""
    return {**customer.to_doc(), "suppressed": {}, "contact_log": [], "rev": 0, "stats": {}}


def get(customer_id: str) -> dict | None:
    """The stored customer document, or None for an unknown customer (one GetItem)."""
    bind()
    try:
        return _doc(CustomerItem.get(customer_id))
    except DoesNotExist:
        return None


def upsert(customer: Customer) -> dict:
    """Create or replace the profile; keeps contact log, stats and suppression flags."""
    bind()
    now = iso(utcnow())
    for _ in range(MAX_TRIES):
        current = get(customer.customer_id)
        suppressed = dict((current or {}).get("suppressed") or {})
        suppressed.update(_suppressions_for(customer))
        profile = customer.to_doc()
        if current:  # keep device endpoints learned by the send function
            learned = {d.get("token"): d for d in current.get("push") or []}
            profile["push"] = [{**learned.get(d["token"], {}), **d} for d in profile["push"]]
        item = CustomerItem(
            customer.customer_id,
            email=customer.email.lower() if customer.email else None,
            phone=customer.phone,
            doc=profile,
            suppressed=suppressed,
            contact_log=(current or {}).get("contact_log") or [],
            stats=(current or {}).get("stats") or {},
            rev=((current or {}).get("rev") or 0) + 1,
            updated_at=now,
        )
        condition = (
            CustomerItem.customer_id.does_not_exist()
            if current is None
            else CustomerItem.rev == current["rev"]
        )
        try:
            item.save(condition=condition)
            return _doc(item)
        except PutError as exc:
            if not _conditional(exc):
                raise
    raise Conflict(f"customer {customer.customer_id} is being updated concurrently: retry")


def _suppressions_for(customer: Customer) -> dict:
    """A new or changed address that is already on the suppression list stays suppressed."""
    found = {}
    for channel, address in (
        ("email", customer.email and customer.email.lower()),
        ("sms", customer.phone),
    ):
        if not address:
            continue
        try:
            found[channel] = SuppressionItem.get(address).reason
        except DoesNotExist:
            continue
    return found


def update_state(customer_id: str, rev: int, **changes) -> None:
    """Conditional update of policy state (suppressed, contact_log, doc, stats) at ``rev``."""
    bind()
    actions = [getattr(CustomerItem, k).set(v) for k, v in changes.items()]
    actions += [CustomerItem.rev.set(rev + 1), CustomerItem.updated_at.set(iso(utcnow()))]
    condition = CustomerItem.rev == rev if rev else CustomerItem.rev.does_not_exist()
    try:
        CustomerItem(customer_id).update(actions=actions, condition=condition)
    except UpdateError as exc:
        if _conditional(exc):
            raise Conflict(f"customer {customer_id} changed meanwhile", field="rev") from exc
        raise


def suppress(address: str, channel: str, reason: str) -> list[str]:
    """Put an address on the suppression list and flag every customer using it."""
    bind()
    address = address.lower() if channel == "email" else address
    now = iso(utcnow())
    SuppressionItem(address, channel=channel, reason=reason, at=now).save()
    index = (
        CustomerItem.by_email
        if channel == "email"
        else CustomerItem.by_phone
        if channel == "sms"
        else None
    )
    flagged = []
    if index is not None:
        for key in index.query(address):
            _flag(key.customer_id, channel, reason)
            flagged.append(key.customer_id)
    return flagged


def _flag(customer_id: str, channel: str, reason: str) -> None:
    change(customer_id, lambda current: {"suppressed": {**current["suppressed"], channel: reason}})


def change(customer_id: str, changes_for: Callable[[dict], dict]) -> dict | None:
    """Read-modify-write under the ``rev`` lock: ``changes_for(current document)`` returns the
    fields to set (``doc``, ``suppressed``, …); re-read and re-applied if the customer changed
    meanwhile. Returns the document it changed, or None for an unknown customer."""
    for _ in range(MAX_TRIES):
        current = get(customer_id)
        if current is None:
            return None
        try:
            update_state(customer_id, current["rev"], **changes_for(current))
            return current
        except Conflict:
            continue
    raise Conflict(f"customer {customer_id} is being updated concurrently: retry", field="rev")


def suppression_reason(address: str) -> str | None:
    bind()
    try:
        return SuppressionItem.get(address).reason
    except DoesNotExist:
        return None


def _conditional(exc: Exception) -> bool:
    cause = getattr(exc, "cause_response_code", None)
    return cause == "ConditionalCheckFailedException"
