"""Kaffe-style configuration, read from TOML, translated to confluent-kafka settings.

The seed configures Kaffe with a `producer` block (endpoints, topics) and a `consumer`
block (endpoints, topics, consumer_group, message_handler). The same keys work here:

    [producer]
    endpoints = ["localhost:9092"]          # or { localhost = 9092 }, as in Kaffe
    topics = ["our_topic", "another_topic"]

    [consumer]
    endpoints = ["localhost:9092"]
    topics = ["our_topic", "another_topic"]
    consumer_group = "example-consumer-group"
    message_handler = "example_consumer:handle_message"

More consumers go under ``[consumers.<name>]``. A config that names no ``endpoints`` uses
``KAFKA_BOOTSTRAP_SERVERS`` if set, else the embedded broker; endpoints named in a file or
in code always win. Credentials never live in the file: ``[security]`` names the
environment variables that hold them.

Every config is checked when it is made, however it is made (TOML, a dict, keywords,
``with_overrides``): the checks follow the fields' annotations, so a wrong type, an
unknown choice or a value out of range is a ConfigError naming the key and the fix.

This module gathers the names; the code lives in the modules below, in the order they
build on each other:

- ``validation``: the annotation-driven checks
- ``security``: SecurityConfig, how to log in
- ``environment``: what KAFKA_BOOTSTRAP_SERVERS and the security variables say
- ``configs``: Connection, ProducerConfig, ConsumerConfig, CodealongConfig, with_overrides, ...
- ``loading``: TOML files and dicts shaped like them
"""
from __future__ import annotations

from .configs import (OFFSET_RESET_POLICIES, SECRET_SETTINGS, CodealongConfig, Connection, ConsumerConfig,
                      Credentials, ProducerConfig, as_connection, credentials, redact, resolve_handler,
                      with_overrides)
from .environment import (BOOTSTRAP_VARIABLE, MECHANISM_VARIABLE, PROTOCOL_VARIABLE, default_endpoints,
                          env_bootstrap, env_security, security_for)
from .errors import ConfigError
from .loading import load_config, parse_config, tomllib
from .partitioner import STRATEGIES
from .security import SecurityConfig

#: The partition strategy names the config accepts (the partitioner's list).
PARTITION_STRATEGIES = tuple(STRATEGIES)

__all__ = [
    "BOOTSTRAP_VARIABLE", "MECHANISM_VARIABLE", "OFFSET_RESET_POLICIES", "PARTITION_STRATEGIES",
    "PROTOCOL_VARIABLE", "SECRET_SETTINGS", "CodealongConfig", "ConfigError", "Connection", "ConsumerConfig",
    "Credentials", "ProducerConfig", "SecurityConfig", "as_connection", "credentials", "default_endpoints",
    "env_bootstrap", "env_security", "load_config", "parse_config", "redact", "resolve_handler",
    "security_for", "tomllib", "with_overrides",
]
