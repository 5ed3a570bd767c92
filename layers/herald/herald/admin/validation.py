"""Save-time and publish-time checks of rules and contents: nothing invalid is stored or live.

Every error names the field a marketer must fix: ``when`` (with the column of a ZEN syntax
error), ``channels.email.html`` (with the line of a Liquid error), ``then[0].send.content``
(an unknown content, version or channel).
"""

from __future__ import annotations

from herald import expressions, rendering
from herald.dal.versions import contents
from herald.errors import Conflict, NotFound, ValidationError
from herald.model import Content, ContentRef, Rule, parse_content, parse_rule


def content(doc: dict) -> Content:
    """Shape and Liquid syntax of a content document."""
    parsed = parse_content(doc)
    rendering.check_content(parsed)
    return parsed


def rule(doc: dict) -> Rule:
    """Shape, ZEN syntax and content references (against the stored contents)."""
    parsed = parse_rule(doc)
    if parsed.when is not None:
        expressions.validate(parsed.when, "when")
    channels: dict[tuple[str, int | None], frozenset[str]] = {}
    for field, ref, channel in parsed.content_refs():
        key = (ref.id, ref.version)
        if key not in channels:
            channels[key] = _channels_for_save(ref, field)
        if channel and channel not in channels[key]:
            raise ValidationError(f"{field}: content {ref} has no {channel} channel", field=field)
    return parsed


def _channels_for_save(ref: ContentRef, field: str) -> frozenset[str]:
    """The pinned version's channels, or the latest version's (drafts may use drafts)."""
    try:
        head = contents.head(ref.id)
    except NotFound as exc:
        raise ValidationError(f"{field}: unknown content {ref.id!r}", field=field) from exc
    version = ref.version or head.latest_version
    if version > head.latest_version:
        raise ValidationError(f"{field}: content {ref.id} has no version {version}", field=field)
    return frozenset(contents.version(ref.id, version).doc.get("channels") or {})


def rule_publishable(parsed: Rule) -> None:
    """A rule goes live only if each content it uses is live (or pinned) with its channel."""
    for field, ref, channel in parsed.content_refs():
        try:
            head = contents.head(ref.id)
        except NotFound as exc:
            raise Conflict(f"{field}: content {ref.id!r} does not exist", field=field) from exc
        version = ref.version
        if version is None:
            if head.state != "published" or not head.published_version:
                raise Conflict(
                    f"{field}: content {ref.id} has no published version: publish it first "
                    f"(or pin a version, {ref.id}@N)",
                    field=field,
                )
            version = head.published_version
        elif version > head.latest_version:
            raise Conflict(f"{field}: content {ref.id} has no version {version}", field=field)
        if channel and channel not in (contents.version(ref.id, version).doc.get("channels") or {}):
            raise Conflict(
                f"{field}: content {ref.id}@{version} has no {channel} channel", field=field
            )


def content_publishable(content_id: str, target: dict, live_rules: list) -> None:
    """A content version goes live only if it keeps every channel a live rule sends it on."""
    offered = set(target.get("channels") or {})
    for stored in live_rules:
        try:
            parsed = parse_rule(stored.doc, stored.version)
        except ValidationError:
            continue  # an invalid stored rule is skipped by decide as well
        for field, ref, channel in parsed.content_refs():
            if ref.id == content_id and ref.version is None and channel and channel not in offered:
                raise Conflict(
                    f"live rule {parsed.id} sends {content_id} by {channel} ({field}), "
                    f"which this version lacks",
                    field="version",
                )
