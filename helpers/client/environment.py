"""What the environment says about the cluster: the one place that reads
KAFKA_BOOTSTRAP_SERVERS, KAFKA_SECURITY_PROTOCOL and KAFKA_SASL_MECHANISM.

A config that names no endpoints uses $KAFKA_BOOTSTRAP_SERVERS if set, else the embedded
broker; a config that names no security logs in as the environment says, but only to the
environment's own cluster.
"""
from __future__ import annotations

import os
from dataclasses import replace

from .. import settings
from .security import SecurityConfig

BOOTSTRAP_VARIABLE = "KAFKA_BOOTSTRAP_SERVERS"
PROTOCOL_VARIABLE = "KAFKA_SECURITY_PROTOCOL"
MECHANISM_VARIABLE = "KAFKA_SASL_MECHANISM"


def env_bootstrap() -> str | None:
    """The servers in $KAFKA_BOOTSTRAP_SERVERS, or None when it is unset or empty."""
    return os.environ.get(BOOTSTRAP_VARIABLE, "").strip() or None


def default_endpoints() -> tuple[str, ...]:
    """Endpoints for a config that names none: $KAFKA_BOOTSTRAP_SERVERS, else the embedded broker."""
    servers = env_bootstrap()
    if servers:
        return tuple(s.strip() for s in servers.split(",") if s.strip())
    return (f"127.0.0.1:{settings.base_port()}",)


def env_security() -> SecurityConfig:
    """How to log in to the cluster in $KAFKA_BOOTSTRAP_SERVERS: $KAFKA_SECURITY_PROTOCOL and
    $KAFKA_SASL_MECHANISM (a workshop's join lines set them), else plain text."""
    chosen = {key: os.environ[var].strip() for key, var in
              (("protocol", PROTOCOL_VARIABLE), ("sasl_mechanism", MECHANISM_VARIABLE)) if os.environ.get(var, "").strip()}
    return SecurityConfig(**chosen)


def security_for(endpoints) -> SecurityConfig:
    """The environment's credentials belong to the environment's cluster only: a scratch broker
    a chapter starts on other ports is spoken to in plain text. The result remembers the
    endpoints it was chosen for (resolved_for)."""
    endpoints = tuple(endpoints)
    chosen = env_security() if endpoints == default_endpoints() else SecurityConfig()
    return replace(chosen, resolved_for=endpoints)
