"""Warnings: saved, but said. A save or preview answers with these when the input is valid yet
probably not what the marketer meant (a field no event ever carried, an unknown variable)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldWarning:
    code: str  # unknown_event | unknown_field | unknown_variable | …
    message: str
    field: str  # the JSON path of the document field (``when``, ``channels.email.subject``)
    line: int | None = None  # where in that field's text, when known (1-based)
    column: int | None = None

    def to_dict(self) -> dict:
        doc: dict = {"code": self.code, "message": self.message, "field": self.field}
        if self.line is not None:
            doc["line"] = self.line
        if self.column is not None:
            doc["column"] = self.column
        return doc
