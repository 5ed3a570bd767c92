"""The local stack: template.yaml served on one laptop with moto, no Docker, no network.

Never imported by a Lambda handler (it needs moto and PyYAML, which the layer doesn't ship).
"""
