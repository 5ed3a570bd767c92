"""Herald's domain: one module per concept, each defined once.

- ``clock``     — the one time format Herald stores and compares (ISO-8601 UTC, ``Z``)
- ``document``  — reading marketer documents field by field, errors naming the field
- ``channel``   — channels (email, sms, push, web), categories, each channel's content fields
- ``content``   — versioned content: Liquid templates per channel, locale overrides; content refs
- ``action``    — what a rule does: send, offer, route, alert, update_profile
- ``rule``      — versioned treatment rules: event, condition, then/else actions
- ``customer``  — the profile and the customer's policy state (contact log, suppression)
- ``event``     — a customer event as the decide function receives it
- ``message``   — one message to one customer, its statuses and deterministic id
- ``trace``     — the decision trace: each rule considered, each action and why
- ``policy``    — the contact policy: consent, suppression, caps, quiet hours (pure logic)
- ``version``   — the lifecycle of versioned documents (draft, live, paused, superseded, archived)
- ``audit``     — who changed what, when, from which version to which
- ``catalogue`` — the event catalogue: event names and fields seen, and profile fields seen

Modules here import nothing but the standard library, ``herald.errors`` and each other; data
access, channels and the engine depend on them, never the other way round.
"""
