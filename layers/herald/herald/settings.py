"""Configuration from the environment, read once per container and checked at cold start.

Names match template.yaml's ``Environment.Variables``; a missing required variable fails the
cold start with a clear message instead of a KeyError on the first event.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from functools import cache


class ConfigError(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class Settings:
    stage: str = "dev"
    region: str = "us-east-1"
    rules_table: str = ""
    contents_table: str = ""
    customers_table: str = ""
    messages_table: str = ""
    settings_table: str = ""
    audit_table: str = ""
    suppression_table: str = ""
    catalogue_table: str = ""
    counters_table: str = ""
    event_bus_name: str = ""
    send_queue_url: str = ""
    send_queue_arn: str = ""
    send_dlq_url: str = ""
    decide_dlq_url: str = ""
    feedback_dlq_url: str = ""
    send_max_attempts: int = 5
    route_queue_url: str = ""
    route_high_queue_url: str = ""
    alerts_topic_arn: str = ""
    sender_email: str = ""
    ses_configuration_set: str = ""
    apns_app_arn: str = ""
    fcm_app_arn: str = ""
    unsubscribe_base_url: str = ""
    unsubscribe_key_param: str = ""
    scheduler_role_arn: str = ""
    scheduler_group: str = "default"
    ruleset_refresh_seconds: float = 2.0
    trace_ttl_days: int = 90
    two_person_rule: bool = True  # as the template deploys it: another approver publishes
    console_config_param: str = ""  # SSM parameter: the console's sign-in configuration
    offers_table: str = ""
    taxonomies_table: str = ""
    offers_refresh_seconds: float = 5.0  # how often a warm offers function reloads live offers
    feedback_retry_queue_url: str = ""
    profiles_table: str = ""  # the profile schema's versions (aggregates)
    segments_table: str = ""
    broadcast_state_machine_arn: str = ""
    broadcast_scheduler_role_arn: str = ""  # may start the broadcast state machine
    broadcast_send_rate: float = 0.0  # messages/s a broadcast queues, all workers (0: no cap)
    broadcast_workers: int = 100  # the Distributed Map's concurrency (the rate is shared)
    broadcast_page_size: int = 500  # customers per Scan page

    def require(self, *names: str) -> Settings:
        missing = [n for n in names if not getattr(self, n)]
        if missing:
            env = ", ".join(n.upper() for n in missing)
            raise ConfigError(f"missing environment variable(s): {env}")
        return self


def _coerce(raw: str, kind: type):
    if kind is bool:
        return raw.strip().lower() in ("1", "true", "yes", "on")
    return kind(raw)


@cache
def settings() -> Settings:
    """The container's settings (cached; tests call ``settings.cache_clear()``)."""
    values = {}
    for f in fields(Settings):
        env = "AWS_REGION" if f.name == "region" else f.name.upper()
        raw = os.environ.get(env)
        if f.name == "region" and not raw:
            raw = os.environ.get("AWS_DEFAULT_REGION")
        if raw not in (None, ""):
            kind = type(f.default)
            values[f.name] = _coerce(raw, kind)
    return Settings(**values)
