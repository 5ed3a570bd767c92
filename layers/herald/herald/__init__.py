"""Herald's Lambda package: the domain, the decision engine, rendering, data access, channels.

Shipped to Lambda as the ``herald`` layer, which holds exactly what the functions import.
Modules import only what they need so each function's cold start stays lean. Local tooling
(the local stack, the CLI, the fault harness, rules-as-code files) lives in ``herald_dev``,
outside the layer.
"""
