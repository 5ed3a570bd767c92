"""Save-time and publish-time checks of rules and contents: nothing invalid is stored or live,
and what is valid but probably a mistake is said.

Every error names the field a marketer must fix: ``when`` (with the line and column of a ZEN
mistake), ``channels.email.html`` (with the line of a Liquid error), ``then[0].send.content``
(an unknown content, version or channel). Warnings (saved, but said) come from the event
catalogue: an event name never seen, a field no event or profile ever carried, a template
variable that isn't in the context.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from herald import expressions, rendering
from herald.dal import catalogue
from herald.dal.versions import contents
from herald.domain.catalogue import Catalogue
from herald.domain.content import Content, ContentRef, parse_content
from herald.domain.document import ValidationError
from herald.domain.rule import Rule, parse_rule
from herald.domain.warning import FieldWarning, Reference, check_event_name, check_references
from herald.errors import Conflict, HeraldError, NotFound

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Checked(Generic[T]):
    """A valid document, and the warnings a save answers with."""

    value: T
    warnings: tuple[FieldWarning, ...] = ()


def content(doc: dict) -> Checked[Content]:
    """Shape, Liquid syntax and limits of a content document; warnings for unknown variables."""
    parsed = parse_content(doc)
    rendering.check_content(parsed)
    return Checked(parsed, tuple(template_warnings(parsed, catalogue.read())))


def template_warnings(parsed: Content, known: Catalogue) -> list[FieldWarning]:
    """Variables outside ``customer``/``event``/``message``, and fields nothing ever carried."""
    found = list(rendering.unknown_roots(parsed))
    by_field: dict[str, list[Reference]] = {}
    for use in rendering.variables(parsed):
        by_field.setdefault(use.field, []).append(Reference(use.path, use.line, use.column))
    for field, references in by_field.items():
        found += check_references(references, known, field)
    return found


def live_aggregates() -> frozenset[str]:
    """The aggregates the live profile schema declares (``customer.aggregates.*``)."""
    from herald.dal.versions import profiles  # noqa: PLC0415
    from herald.domain.profile import parse_profile_schema  # noqa: PLC0415

    live = profiles.live()
    return parse_profile_schema(live[0].doc).names if live else frozenset()


def profile_schema(doc: dict) -> Checked:
    """Shape of a profile schema document (aggregates, event names, windows)."""
    from herald.domain.profile import parse_profile_schema  # noqa: PLC0415

    parsed = parse_profile_schema(doc)
    known = catalogue.read()
    warnings: list[FieldWarning] = []
    for aggregate in parsed.aggregates:
        kind = str(aggregate.kind)
        warnings += check_event_name(aggregate.event, known, f"aggregates.{aggregate.name}.{kind}")
    return Checked(parsed, tuple(warnings))


def segment(doc: dict) -> Checked:
    """Shape and condition of a segment (over customer and now, checked and bounded like a
    rule's); warnings for profile fields or aggregates nothing declares."""
    from herald.domain.segment import parse_segment  # noqa: PLC0415
    from herald.service.audience import compile_segment  # noqa: PLC0415

    parsed = parse_segment(doc)
    compiled = compile_segment(parsed)
    references = [Reference(r.path, r.line, r.column) for r in compiled.condition.references]
    warnings = check_references(
        references, catalogue.read(), "when", None, aggregates=live_aggregates()
    )
    return Checked(parsed, tuple(warnings))


def rule(doc: dict) -> Checked[Rule]:
    """Shape, condition (meaning and cost) and content references (against the stored
    contents); warnings for an event name or fields never seen."""
    parsed = parse_rule(doc)
    known = catalogue.read()
    warnings = check_event_name(parsed.on, known)
    if parsed.when is not None:
        condition = expressions.compile_condition(parsed.when)
        references = [Reference(r.path, r.line, r.column) for r in condition.references]
        warnings += check_references(
            references, known, "when", parsed.on, aggregates=live_aggregates()
        )
    if parsed.goal is not None and parsed.goal.value is not None:
        value = expressions.compile_value(parsed.goal.value, "goal.value")
        references = [Reference(r.path, r.line, r.column) for r in value.references]
        warnings += check_event_name(parsed.goal.event, known)
        warnings += check_references(references, known, "goal.value", parsed.goal.event)
    channels: dict[tuple[str, int | None], frozenset[str]] = {}
    for use in parsed.content_uses():
        key = (use.ref.id, use.ref.version)
        if key not in channels:
            channels[key] = _channels_for_save(use.ref, use.field)
        if use.channel and use.channel not in channels[key]:
            raise ValidationError(
                f"{use.field}: content {use.ref} has no {use.channel} channel", field=use.field
            )
    return Checked(parsed, tuple(warnings))


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


@dataclass(frozen=True, slots=True)
class Report:
    """What a save would say, without saving: every error found, and the warnings."""

    errors: tuple[HeraldError, ...] = ()
    warnings: tuple[FieldWarning, ...] = ()

    def to_dict(self) -> dict:
        return {
            "valid": not self.errors,
            "errors": [e.to_dict() for e in self.errors],
            "warnings": [w.to_dict() for w in self.warnings],
        }


def _unique(items: list) -> tuple:
    seen, out = set(), []
    for item in items:
        key = repr(item.to_dict())
        if key not in seen:
            seen.add(key)
            out.append(item)
    return tuple(out)


def report(check, doc: dict) -> Report:
    """The whole document's check: its first error, or its warnings."""
    try:
        return Report(warnings=check(doc).warnings)
    except ValidationError as exc:
        return Report(errors=(exc,))


def rule_report(doc: dict) -> Report:
    """A rule as an editor has it so far: the condition is checked on its own (an error there
    is said even while other fields are missing), then the whole rule."""
    errors: list[HeraldError] = []
    warnings: list[FieldWarning] = []
    when, on = doc.get("when"), doc.get("on")
    if isinstance(when, str) and when.strip():
        known = catalogue.read()
        try:
            condition = expressions.compile_condition(when)
        except ValidationError as exc:
            errors.append(exc)
        else:
            references = [Reference(r.path, r.line, r.column) for r in condition.references]
            name = on if isinstance(on, str) else None
            warnings += check_references(references, known, "when", name)
    whole = report(rule, doc)
    return Report(_unique(errors + list(whole.errors)), _unique(warnings + list(whole.warnings)))


def content_report(doc: dict) -> Report:
    """A content as an editor has it so far: every template that doesn't compile (not only
    the first), then the warnings of a valid one."""
    try:
        parsed = parse_content(doc)
    except ValidationError as exc:
        return Report(errors=(exc,))
    errors: list[HeraldError] = []
    for field, source, html in rendering.template_fields(parsed):
        try:
            rendering.compile_template(source, html, field)
        except ValidationError as exc:
            errors.append(exc)
    if errors:
        return Report(errors=tuple(errors))
    return report(content, doc)


def rule_publishable(parsed: Rule) -> None:
    """A rule goes live only if each content it uses is live (or pinned) with its channel."""
    for use in parsed.content_uses():
        ref, field = use.ref, use.field
        try:
            head = contents.head(ref.id)
        except NotFound as exc:
            raise Conflict(f"{field}: content {ref.id!r} does not exist", field=field) from exc
        version = ref.version
        if version is None:
            if head.live_version is None:
                raise Conflict(
                    f"{field}: content {ref.id} has no published version: publish it first "
                    f"(or pin a version, {ref.id}@N)",
                    field=field,
                )
            version = head.live_version
        elif version > head.latest_version:
            raise Conflict(f"{field}: content {ref.id} has no version {version}", field=field)
        offered = contents.version(ref.id, version).doc.get("channels") or {}
        if use.channel and use.channel not in offered:
            raise Conflict(
                f"{field}: content {ref.id}@{version} has no {use.channel} channel", field=field
            )


def content_publishable(content_id: str, target: dict, live_rules: list) -> None:
    """A content version goes live only if it keeps every channel a live rule sends it on."""
    offered = set(target.get("channels") or {})
    for stored in live_rules:
        try:
            parsed = parse_rule(stored.doc, stored.version)
        except ValidationError:
            continue  # an invalid stored rule is skipped by decide as well
        for use in parsed.content_uses():
            if (
                use.ref.id == content_id
                and use.ref.version is None
                and use.channel
                and use.channel not in offered
            ):
                raise Conflict(
                    f"live rule {parsed.id} sends {content_id} by {use.channel} ({use.field}), "
                    f"which this version lacks",
                    field="version",
                )
