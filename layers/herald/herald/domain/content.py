"""Content: versioned Liquid templates per channel, with locale overrides, and references to it.

``parse_content`` checks a document's shape; Liquid syntax and limits are checked by
:mod:`herald.rendering`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from herald.domain.channel import CHANNEL_FIELDS, CONTENT_CHANNELS, Channel
from herald.domain.document import ValidationError, check_id, optional, require, unknown_keys

CONTENT_FIELDS = frozenset({"id", "name", "channels", "locales"})
CONTENT_REF_PATTERN = re.compile(r"^([a-z0-9-]{1,64})(?:@([1-9]\d{0,8}))?$")
LOCALE_PATTERN = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?$")


@dataclass(frozen=True, slots=True)
class ContentRef:
    """``content-id`` (the published version at decision time) or ``content-id@3`` (pinned)."""

    id: str
    version: int | None = None

    @classmethod
    def parse(cls, value: Any, field_name: str) -> ContentRef:
        if not isinstance(value, str) or not (m := CONTENT_REF_PATTERN.match(value)):
            shown = value[:80] if isinstance(value, str) else value
            raise ValidationError(
                f"{field_name} must be a content id, optionally @version: {shown!r}",
                field=field_name,
            )
        return cls(m.group(1), int(m.group(2)) if m.group(2) else None)

    def __str__(self) -> str:
        return self.id if self.version is None else f"{self.id}@{self.version}"


@dataclass(frozen=True, slots=True)
class Content:
    """One version of a piece of content: Liquid templates per channel, locale overrides."""

    id: str
    channels: dict[str, dict]
    locales: dict[str, dict] = field(default_factory=dict)
    name: str | None = None
    version: int = 1

    def block(self, channel: str, locale: str | None) -> dict:
        """The channel's template fields, with the locale's overrides (``fr-CA`` → ``fr``)."""
        base = self.channels[channel]
        if locale:
            for key in (locale, locale.split("-")[0].split("_")[0]):
                override = self.locales.get(key, {}).get(channel)
                if override:
                    return {**base, **override}
        return base

    def blocks(self) -> list[tuple[str, dict]]:
        """Every (field path, template block): the channels, then each locale's overrides."""
        found = [(f"channels.{ch}", block) for ch, block in self.channels.items()]
        for locale, overrides in self.locales.items():
            found += [(f"locales.{locale}.{ch}", block) for ch, block in overrides.items()]
        return found

    def to_doc(self) -> dict:
        doc: dict[str, Any] = {"id": self.id}
        if self.name:
            doc["name"] = self.name
        doc["channels"] = self.channels
        if self.locales:
            doc["locales"] = self.locales
        return doc


def _check_channel_block(channel: Any, block: Any, path: str) -> None:
    if channel not in CONTENT_CHANNELS:
        raise ValidationError(
            f"unknown channel {channel!r} (one of {', '.join(CONTENT_CHANNELS)})",
            field=f"{path}{channel}",
        )
    if not isinstance(block, dict):
        raise ValidationError(f"{path}{channel} must be an object", field=f"{path}{channel}")
    fields = CHANNEL_FIELDS[Channel(channel)]
    unknown_keys(block, set(fields), f"{path}{channel}.")
    for name, value in block.items():
        fp = f"{path}{channel}.{name}"
        if name == "data":
            if not isinstance(value, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()
            ):
                raise ValidationError(f"{fp} must map text to text", field=fp)
        elif not isinstance(value, str):
            raise ValidationError(f"{fp} must be text (a Liquid template)", field=fp)


def parse_content(doc: Any, version: int = 1) -> Content:
    """Validate a content document's shape (Liquid syntax is checked by herald.rendering)."""
    if not isinstance(doc, dict):
        raise ValidationError("content must be an object", field="content")
    unknown_keys(doc, CONTENT_FIELDS)
    content_id = check_id(doc.get("id"))
    name = optional(doc, "name", str)
    channels = require(doc, "channels", dict)
    if not channels:
        raise ValidationError("channels needs at least one channel", field="channels")
    for channel, block in channels.items():
        _check_channel_block(channel, block, "channels.")
        for required, needed in CHANNEL_FIELDS[Channel(channel)].items():
            if needed and not block.get(required):
                raise ValidationError(
                    f"channels.{channel}.{required} is required",
                    field=f"channels.{channel}.{required}",
                )
        if channel == Channel.EMAIL and not (block.get("html") or block.get("text")):
            raise ValidationError(
                "channels.email needs html or text (ideally both)", field="channels.email"
            )
    locales = optional(doc, "locales", dict, default={})
    for locale, blocks in locales.items():
        lp = f"locales.{locale}"
        if not isinstance(locale, str) or not LOCALE_PATTERN.match(locale):
            raise ValidationError(f"{lp} is not a locale tag (e.g. fr or fr-CA)", field=lp)
        if not isinstance(blocks, dict):
            raise ValidationError(f"{lp} must be an object of channels", field=lp)
        for channel, block in blocks.items():
            _check_channel_block(channel, block, f"{lp}.")
            if channel not in channels:
                raise ValidationError(
                    f"{lp}.{channel} overrides a channel the content lacks", field=f"{lp}.{channel}"
                )
    return Content(content_id, dict(channels), dict(locales), name, version)
