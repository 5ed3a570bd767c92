"""Rules and contents as marketers change them: drafts, publish, rollback, pause, archive.

Versions are immutable: a save writes a new draft version (409 on a stale
``expected_version``), publish and rollback only move the live pointer. Every change is
validated first (nothing invalid is stored or goes live) and lands in the audit trail.
"""

from __future__ import annotations

from collections.abc import Callable

from herald.admin import validation
from herald.admin.users import APPROVERS, Forbidden, User
from herald.dal.versions import VersionStore
from herald.dal.versions import contents as content_store
from herald.dal.versions import offers as offer_store
from herald.dal.versions import rules as rule_store
from herald.dal.versions import taxonomies as taxonomy_store
from herald.domain.document import ValidationError, check_id
from herald.domain.rule import parse_rule
from herald.domain.version import Head, State, Version, check_version
from herald.domain.warning import FieldWarning
from herald.errors import Conflict
from herald.settings import settings


def view(version: Version, head: Head, warnings: tuple[FieldWarning, ...] = ()) -> dict:
    """A version as the API shows it: the document plus where it stands."""
    shown = {
        **version.doc,
        "id": version.id,
        "version": version.version,
        "state": str(head.version_state(version)),
        "entity_state": str(head.state),
        "published_version": head.published_version,
        "latest_version": head.latest_version,
        "live": head.live_version == version.version,
        "created_by": version.created_by,
        "created_at": version.created_at,
        "paused": head.paused,
        "submitted": head.submitted.to_dict() if head.submitted else None,
    }
    if warnings:
        shown["warnings"] = [w.to_dict() for w in warnings]
    return shown


def summary(head: Head) -> dict:
    return {
        "id": head.id,
        "state": str(head.state),
        "latest_version": head.latest_version,
        "published_version": head.published_version,
        "updated_at": head.updated_at,
        "updated_by": head.updated_by,
        "submitted": head.submitted.to_dict() if head.submitted else None,
    }


class Versioned:
    """The admin use cases of one kind of versioned document (rules or contents)."""

    every: list[Versioned] = []  # each kind, in the order created (the approvals queue reads it)

    def __init__(
        self,
        store: VersionStore,
        check: Callable[[dict], validation.Checked],
        publishable: Callable[[Version], None],
        report: Callable[[dict], validation.Report] | None = None,
    ):
        self.store = store
        self.kind = store.kind
        self.check = check  # shape, meaning, references → the normal document and warnings
        self.publishable = publishable  # raises when the version can't go live as things stand
        # what a save would say, without saving (every error found); default: the check's
        self.report = report or (lambda doc: validation.report(check, doc))
        Versioned.every.append(self)

    # ------------------------------------------------------------------ reads
    def list(self, user: User) -> list[dict]:
        user.require_editor()
        return [summary(h) for h in sorted(self.store.heads(), key=lambda h: h.id)]

    def get(self, user: User, entity_id: str) -> dict:
        user.require_editor()
        head = self.store.head(check_id(entity_id))
        return view(self.store.version(entity_id, head.latest_version), head)

    def versions(self, user: User, entity_id: str) -> list[dict]:
        user.require_editor()
        head = self.store.head(check_id(entity_id))
        return [view(v, head) for v in self.store.versions(entity_id)]

    def validate(self, user: User, doc: dict) -> dict:
        """Errors and warnings a save of ``doc`` would answer with; nothing is stored."""
        user.require_editor()
        return self.report(doc).to_dict()

    # ------------------------------------------------------------------ drafts
    def create(self, user: User, doc: dict) -> dict:
        """Version 1 as a draft; 409 if the id exists."""
        user.require_editor()
        checked = self.check(doc)
        normal = checked.value.to_doc()
        created = self.store.create(normal["id"], normal, user.name)
        return view(created, self.store.head(created.id), checked.warnings)

    def save(self, user: User, entity_id: str, doc: dict, expected_version: int) -> dict:
        """A new draft version; ``expected_version`` must be the latest version."""
        user.require_editor()
        check_id(entity_id)
        expected = check_version(expected_version, "expected_version")
        doc = {**doc, "id": doc.get("id") or entity_id}
        if doc["id"] != entity_id:
            raise ValidationError(
                f"id {doc['id']!r} differs from the URL's {entity_id!r}", field="id"
            )
        checked = self.check(doc)
        saved = self.store.save(entity_id, checked.value.to_doc(), expected, user.name)
        return view(saved, self.store.head(entity_id), checked.warnings)

    # ------------------------------------------------------------------ approval
    def submit(self, user: User, entity_id: str, version: int) -> dict:
        """Ask an approver to publish ``version`` (marketers and approvers); audited."""
        user.require_editor()
        head = self._live_head(entity_id)
        target = self.store.version(entity_id, check_version(version))
        if head.live_version == target.version:
            raise Conflict(
                f"version {target.version} of {self.kind} {entity_id} is live already",
                field="version",
            )
        return view(target, self.store.submit(entity_id, target.version, user.name))

    def publish_blocked(self, user: User, target: Version, action: str = "publish") -> str | None:
        """Why ``user`` may not make ``target`` live (groups, two-person rule), or None."""
        if APPROVERS not in user.groups:
            return f"{action} needs the {APPROVERS} group; {user.name} is not in it"
        if settings().two_person_rule and target.created_by == user.name:
            return (
                f"two-person rule: {user.name} wrote version {target.version} of "
                f"{self.kind} {target.id}; another approver must {action} it"
            )
        return None

    # ------------------------------------------------------------------ live pointer
    def publish(self, user: User, entity_id: str, version: int) -> dict:
        """Make ``version`` live (approvers; two-person rule when enabled)."""
        user.require_approver("publishing")
        head = self._live_head(entity_id)
        target = self.store.version(entity_id, check_version(version))
        if head.live_version == target.version:
            return view(target, head)  # already live: nothing to change, nothing to audit
        return self._go_live(user, head, target, "publish")

    def rollback(self, user: User, entity_id: str, version: int) -> dict:
        """Make an older version than the published one live again."""
        user.require_approver("rolling back")
        head = self._live_head(entity_id)
        target_version = check_version(version)
        if not head.published_version or target_version >= head.published_version:
            raise Conflict(
                f"roll back goes to a version older than the published one "
                f"({head.published_version or 'none'}); publish {target_version} instead",
                field="version",
            )
        return self._go_live(user, head, self.store.version(entity_id, target_version), "rollback")

    def _live_head(self, entity_id: str) -> Head:
        head = self.store.head(check_id(entity_id))
        if head.state == State.ARCHIVED:
            raise Conflict(f"{self.kind} {entity_id} is archived", field="id")
        return head

    def _go_live(self, user: User, head: Head, target: Version, action: str) -> dict:
        blocked = self.publish_blocked(user, target, action)
        if blocked:
            raise Forbidden(blocked)
        self.publishable(target)
        _, after = self.store.set_live(target.id, target.version, State.LIVE, user.name, action)
        return view(target, after)

    def pause(self, user: User, entity_id: str) -> dict:
        """Stop matching: the rule keeps its versions and published pointer, nothing is live."""
        user.require_approver("pausing")
        head = self._live_head(entity_id)
        if head.state != State.LIVE:
            raise Conflict(f"{self.kind} {entity_id} is not live ({head.state})", field="id")
        return self._stop(user, head, State.PAUSED, "pause")

    def resume(self, user: User, entity_id: str) -> dict:
        """Make a paused rule's published version live again (approvers). No two-person rule:
        that version was approved when it first went live; the approver resuming it (after a
        guardrail's pause, say) decides that the cause is dealt with."""
        user.require_approver("resuming")
        head = self._live_head(entity_id)
        if head.state != State.PAUSED or not head.published_version:
            raise Conflict(f"{self.kind} {entity_id} is not paused ({head.state})", field="id")
        target = self.store.version(entity_id, head.published_version)
        self.publishable(target)
        _, after = self.store.set_live(entity_id, target.version, State.LIVE, user.name, "resume")
        return view(target, after)

    def archive(self, user: User, entity_id: str) -> dict:
        """Retire for good: not live, no new versions; history and audit stay."""
        user.require_approver("archiving")
        head = self.store.head(check_id(entity_id))
        if head.state == State.ARCHIVED:
            return self._latest_view(head)
        return self._stop(user, head, State.ARCHIVED, "archive")

    def _stop(self, user: User, head: Head, state: State, action: str) -> dict:
        _, after = self.store.set_live(head.id, None, state, user.name, action)
        return self._latest_view(after)

    def _latest_view(self, head: Head) -> dict:
        return view(self.store.version(head.id, head.latest_version), head)


def _rule_publishable(target: Version) -> None:
    validation.rule_publishable(parse_rule(target.doc, target.version))


def _content_publishable(target: Version) -> None:
    validation.content_publishable(target.id, target.doc, rule_store.live())


rules = Versioned(rule_store, validation.rule, _rule_publishable, validation.rule_report)
contents = Versioned(
    content_store, validation.content, _content_publishable, validation.content_report
)


def _offer_check(doc: dict) -> validation.Checked:
    from herald.service import offer_catalogue  # noqa: PLC0415 — the offers routes only

    return validation.Checked(offer_catalogue.check(doc).offer)


def _offer_publishable(target: Version) -> None:
    _offer_check(target.doc)


def _taxonomy_check(doc: dict) -> validation.Checked:
    from herald.service import customer_feedback  # noqa: PLC0415

    return validation.Checked(customer_feedback.check(doc))


def _taxonomy_publishable(target: Version) -> None:
    _taxonomy_check(target.doc)


offers = Versioned(offer_store, _offer_check, _offer_publishable)
taxonomies = Versioned(taxonomy_store, _taxonomy_check, _taxonomy_publishable)
