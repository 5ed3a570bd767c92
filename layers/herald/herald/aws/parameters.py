"""SSM Parameter Store: parameters read through powertools' parameters utility (cached)."""

from __future__ import annotations

import sys

from herald.runtime import register_cache


class ParameterUnavailable(Exception):
    """The parameter doesn't exist or can't be read (its name and the reason, no value)."""


def text(name: str, *, max_age: int) -> str:
    """The parameter's value, cached for ``max_age`` seconds per container."""
    from aws_lambda_powertools.utilities import parameters  # noqa: PLC0415 — first use only

    try:
        return str(parameters.get_parameter(name, max_age=max_age))
    except parameters.exceptions.GetParameterError as exc:
        raise ParameterUnavailable(f"SSM parameter {name}: {exc}") from exc


class _Values:
    """powertools' cache of values, forgotten with the rest (a new stack: new parameters)."""

    def clear(self) -> None:
        loaded = sys.modules.get("aws_lambda_powertools.utilities.parameters")
        if loaded is not None:
            loaded.clear_caches()


register_cache(_Values())
