"""Logger and Metrics, created once per container (powertools). No personal data in logs:
log ids (event, message, customer), never addresses, tokens or rendered content."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

logger = Logger(service="herald")
metrics = Metrics(namespace="Herald", service="herald")
