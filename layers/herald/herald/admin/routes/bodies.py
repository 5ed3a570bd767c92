"""Request bodies checked at the edge by the event handler (and described in the OpenAPI).

Rule, content, policy and simulation documents are plain JSON objects here: the domain parsers
validate them and name the offending field in the marketer's terms (``then[0].send.content``).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictInt

MAX_VERSION = 999_999_999


class VersionBody(BaseModel):
    """Which version to make live."""

    model_config = ConfigDict(extra="forbid")

    version: StrictInt = Field(ge=1, le=MAX_VERSION)
