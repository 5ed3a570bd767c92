"""Content versions are immutable, so a container caches each (id, version) it reads forever."""

from __future__ import annotations

from herald import rendering
from herald.dal.versions import contents
from herald.domain.content import Content, parse_content
from herald.domain.document import ValidationError
from herald.errors import DeliveryError, NotFound
from herald.runtime import register_cache


class ContentCache(dict):
    def get(self, content_id: str, version: int) -> Content:  # type: ignore[override]
        key = (content_id, version)
        found = super().get(key)
        if found is None:
            try:
                stored = contents.version(content_id, version)
            except NotFound as exc:
                raise DeliveryError(f"content {content_id}@{version} does not exist") from exc
            try:
                found = parse_content(stored.doc, version)
                rendering.check_content(found)
            except ValidationError as exc:
                raise DeliveryError(
                    f"content {content_id}@{version} is invalid: {exc.message}"
                ) from exc
            self[key] = found
        return found


cache = register_cache(ContentCache())
