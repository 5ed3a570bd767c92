"""Secrets Manager: secrets read through powertools' parameters utility (cached per container)."""

from __future__ import annotations


def text(name: str, *, max_age: int, refresh: bool = False) -> str:
    """The secret's string, cached for ``max_age`` seconds (``refresh`` reads it again now)."""
    from aws_lambda_powertools.utilities import parameters  # noqa: PLC0415 — first use only

    secret = parameters.get_secret(name, max_age=max_age, force_fetch=refresh)
    return secret.decode() if isinstance(secret, bytes) else str(secret)
