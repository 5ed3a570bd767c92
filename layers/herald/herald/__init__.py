"""Herald's domain package: rules, content, the decision engine, contact policy, channels.

Shipped to Lambda as the ``herald`` layer. Modules import only what they need so each
function's cold start stays lean; ``herald.local`` and ``herald.cli`` are never imported by a
Lambda handler.
"""
