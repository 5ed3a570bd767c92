"""Versioned documents (rules and contents): immutable versions, a head item, a live pointer.

Every save writes a new version item; publish, rollback, pause and archive only move the head's
pointer and the sparse ``live`` marker, in one transaction that also bumps the ruleset revision
(so warm decide functions notice within their refresh interval). Each write carries its audit
entry in the same transaction: a change is never stored without its who/when/from/to.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from herald.dal import audit
from herald.dal.tables import (
    HEAD,
    VERSIONED_MODELS,
    SettingItem,
    bind,
    cancellation_codes,
    connection,
)
from herald.domain.approval import Submission
from herald.domain.audit import AuditEntry
from herald.domain.clock import iso, utcnow
from herald.domain.version import Head, State, Version, VersionedKind
from herald.errors import Conflict, NotFound

RULESET = "ruleset"


def _head(item) -> Head:
    return Head(
        item.id,
        int(item.latest_version or 0),
        int(item.published_version) if item.published_version else None,
        State.stored(item.state),
        item.updated_at,
        item.updated_by,
        item.pause if State.stored(item.state) == State.PAUSED else None,
        Submission.stored(item.submitted),
    )


def _version(item) -> Version:
    return Version(
        item.id,
        int(item.version),
        item.doc,
        item.created_at or "",
        item.created_by or "",
        bool(item.live),
        bool(item.went_live_at or item.live),
    )


class VersionStore:
    """The versions of one kind of document (``kind`` names it in messages and the audit)."""

    def __init__(self, kind: VersionedKind):
        self.kind = kind
        self.model = VERSIONED_MODELS[kind]

    # ------------------------------------------------------------------ reads
    def head(self, entity_id: str) -> Head:
        bind()
        try:
            return _head(self.model.get(entity_id, HEAD, consistent_read=True))
        except DoesNotExist as exc:
            raise NotFound(f"{self.kind} {entity_id} does not exist", field="id") from exc

    def heads(self) -> list[Head]:
        bind()
        return [_head(i) for i in self.model.scan(self.model.version == HEAD)]

    def version(self, entity_id: str, version: int) -> Version:
        bind()
        try:
            return _version(self.model.get(entity_id, version))
        except DoesNotExist as exc:
            raise NotFound(
                f"{self.kind} {entity_id} has no version {version}", field="version"
            ) from exc

    def versions(self, entity_id: str) -> list[Version]:
        bind()
        items = self.model.query(entity_id, self.model.version > HEAD, scan_index_forward=False)
        found = [_version(i) for i in items]
        if not found:
            raise NotFound(f"{self.kind} {entity_id} does not exist", field="id")
        return found

    def live(self) -> list[Version]:
        """Every live (published, not paused or archived) version, via the sparse index."""
        bind()
        return [_version(i) for i in self.model.live_index.query("1")]

    # ------------------------------------------------------------------ writes
    def _audit(
        self, entity_id: str, action: str, user: str, now: str, frm: int | None, to: int | None
    ):
        return audit.item(AuditEntry(self.kind, entity_id, action, user, now, frm, to))

    def create(self, entity_id: str, doc: dict, user: str) -> Version:
        bind()
        now = iso(utcnow())
        head = self.model(
            entity_id, HEAD, latest_version=1, state=State.DRAFT, updated_at=now, updated_by=user
        )
        item = self.model(entity_id, 1, doc=doc, created_at=now, created_by=user)
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.save(head, condition=self.model.id.does_not_exist())
                tx.save(item, condition=self.model.id.does_not_exist())
                tx.save(self._audit(entity_id, "create", user, now, None, 1))
        except TransactWriteError as exc:
            if "ConditionalCheckFailed" in cancellation_codes(exc):
                raise Conflict(f"{self.kind} {entity_id} already exists", field="id") from exc
            raise
        return _version(item)

    def save(self, entity_id: str, doc: dict, expected_version: int, user: str) -> Version:
        """A new draft version; ``expected_version`` must be the latest, else 409."""
        bind()
        head = self._head_item(entity_id)
        latest = int(head.latest_version or 0)
        if head.state == State.ARCHIVED:
            raise Conflict(f"{self.kind} {entity_id} is archived", field="id")
        if expected_version != latest:
            raise Conflict(
                f"{self.kind} {entity_id} is at version {latest}, not {expected_version}: "
                "reload and reapply your change",
                field="expected_version",
            )
        now = iso(utcnow())
        item = self.model(entity_id, latest + 1, doc=doc, created_at=now, created_by=user)
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.update(
                    head,
                    actions=[
                        self.model.latest_version.set(latest + 1),
                        self.model.updated_at.set(now),
                        self.model.updated_by.set(user),
                    ],
                    condition=self.model.latest_version == latest,
                )
                tx.save(item, condition=self.model.id.does_not_exist())
                tx.save(self._audit(entity_id, "save", user, now, latest, latest + 1))
        except TransactWriteError as exc:
            if "ConditionalCheckFailed" in cancellation_codes(exc):
                raise Conflict(
                    f"{self.kind} {entity_id} changed meanwhile: reload and reapply your change",
                    field="expected_version",
                ) from exc
            raise
        return _version(item)

    def set_live(
        self,
        entity_id: str,
        version: int | None,
        state: State,
        user: str,
        action: str = "publish",
        reason: str | None = None,
        expect_live: int | None = None,
    ) -> tuple[Head, Head]:
        """Make ``version`` live (publish/rollback/resume) or none (pause/archive). Returns
        (before, after).

        ``action`` names the change in the audit trail (publish, rollback, pause, archive);
        ``reason`` says why a pause happened (kept on the head while paused); with
        ``expect_live``, the change happens only while that version is the live one (a
        guardrail pausing what it measured, not what an approver published since).
        """
        bind()
        head = self._head_item(entity_id)
        before = _head(head)
        if version is not None and not 1 <= version <= before.latest_version:
            raise NotFound(f"{self.kind} {entity_id} has no version {version}", field="version")
        now = iso(utcnow())
        actions = [
            self.model.state.set(state),
            self.model.updated_at.set(now),
            self.model.updated_by.set(user),
        ]
        if version is not None:
            actions.append(self.model.published_version.set(version))
        if state == State.PAUSED:
            pause = {"reason": reason or f"paused by {user}", "at": now, "by": user}
            actions.append(self.model.pause.set(pause))
        else:
            actions.append(self.model.pause.remove())
        condition = self.model.latest_version == before.latest_version
        if expect_live is not None:
            if before.live_version != expect_live:
                raise Conflict(
                    f"{self.kind} {entity_id} is no longer live at version {expect_live}",
                    field="version",
                )
            condition &= self.model.published_version == expect_live
            condition &= self.model.state == State.LIVE
        submitted = before.submitted
        if submitted and (state == State.ARCHIVED or submitted.version == version):
            actions.append(self.model.submitted.remove())  # approved (or moot): off the queue
        old_live = before.live_version
        with self._changing(entity_id) as tx:
            tx.update(head, actions=actions, condition=condition)
            if old_live and old_live != version:
                tx.update(
                    self.model(entity_id, old_live),
                    actions=[self.model.live.remove()],
                    condition=self.model.id.exists(),
                    add_version_condition=False,
                )
            if version is not None:
                tx.update(
                    self.model(entity_id, version),
                    actions=[
                        self.model.live.set("1"),
                        self.model.went_live_at.set(self.model.went_live_at | now),
                    ],
                    condition=self.model.id.exists(),
                    add_version_condition=False,
                )
            tx.save(self._audit(entity_id, action, user, now, old_live, version))
            tx.update(
                SettingItem(RULESET),
                actions=[SettingItem.revision.add(1), SettingItem.updated_at.set(now)],
                add_version_condition=False,  # a counter: concurrent bumps must all land
            )
        return before, self.head(entity_id)

    def submit(self, entity_id: str, version: int, user: str) -> Head:
        """Put ``version`` on the approvers' queue (replacing an earlier submission), audited."""
        bind()
        head = self._head_item(entity_id)
        before = _head(head)
        if not 1 <= version <= before.latest_version:
            raise NotFound(f"{self.kind} {entity_id} has no version {version}", field="version")
        now = iso(utcnow())
        submission = Submission(version, user, now)
        with self._changing(entity_id) as tx:
            tx.update(
                head,
                actions=[self.model.submitted.set(submission.to_dict())],
                # the head's lock refuses a concurrent publish, pause or archive
                condition=self.model.latest_version == before.latest_version,
            )
            tx.save(self._audit(entity_id, "submit", user, now, before.live_version, version))
        return self.head(entity_id)

    @contextmanager
    def _changing(self, entity_id: str) -> Iterator[TransactWrite]:
        """A transaction on the head; a failed condition (someone changed it) is a 409."""
        try:
            with TransactWrite(connection=connection()) as tx:
                yield tx
        except TransactWriteError as exc:
            if "ConditionalCheckFailed" in cancellation_codes(exc):
                raise Conflict(
                    f"{self.kind} {entity_id} changed meanwhile: retry", field="id"
                ) from exc
            raise

    def _head_item(self, entity_id: str):
        try:
            return self.model.get(entity_id, HEAD, consistent_read=True)
        except DoesNotExist as exc:
            raise NotFound(f"{self.kind} {entity_id} does not exist", field="id") from exc


rules = VersionStore(VersionedKind.RULE)
contents = VersionStore(VersionedKind.CONTENT)
profiles = VersionStore(VersionedKind.PROFILE)
segments = VersionStore(VersionedKind.SEGMENT)


def ruleset_revision() -> int:
    """The counter every publish/rollback/pause/archive bumps (one GetItem)."""
    bind()
    try:
        return int(SettingItem.get(RULESET).revision or 0)
    except DoesNotExist:
        return 0


offers = VersionStore(VersionedKind.OFFER)
taxonomies = VersionStore(VersionedKind.TAXONOMY)
