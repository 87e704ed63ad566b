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

More consumers go under ``[consumers.<name>]``. ``KAFKA_BOOTSTRAP_SERVERS`` overrides every
``endpoints``. Credentials never live in the file: ``[security]`` names the environment
variables that hold them.
"""
from __future__ import annotations

import difflib
import importlib
import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Callable

from .errors import CodealongError

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib


class ConfigError(CodealongError, ValueError):
    """A configuration key is unknown, missing or of the wrong type."""


PARTITION_STRATEGIES = ("md5", "random")
OFFSET_RESET_POLICIES = {"reset_to_earliest": "earliest", "reset_to_latest": "latest"}
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")


@dataclass(frozen=True)
class SecurityConfig:
    """How to reach a secured cluster. Only the NAMES of the credential variables are kept."""
    protocol: str = "PLAINTEXT"
    sasl_mechanism: str = "PLAIN"
    username_env: str = "KAFKA_USERNAME"
    password_env: str = "KAFKA_PASSWORD"
    ssl_ca_location: str | None = None

    def client_settings(self) -> dict[str, str]:
        settings = {"security.protocol": self.protocol}
        if self.protocol.startswith("SASL"):
            missing = [var for var in (self.username_env, self.password_env) if not os.environ.get(var)]
            if missing:
                raise ConfigError(
                    f"The {self.protocol} connection needs credentials, but {' and '.join(missing)} "
                    f"{'is' if len(missing) == 1 else 'are'} not set in the environment.",
                    f"Export {self.username_env} and {self.password_env} (for example from your "
                    "cluster's API key) before starting Python; never write them into files or notebooks.")
            settings.update({"sasl.mechanisms": self.sasl_mechanism,
                             "sasl.username": os.environ[self.username_env],
                             "sasl.password": os.environ[self.password_env]})
        if self.ssl_ca_location:
            settings["ssl.ca.location"] = self.ssl_ca_location
        return settings


@dataclass(frozen=True)
class ProducerConfig:
    endpoints: tuple[str, ...] = ("localhost:9092",)
    topics: tuple[str, ...] = ()
    partition_strategy: str | Callable = "md5"
    timeout_s: float = 10.0
    compression: str = "none"
    client_name: str = "codealong-producer"
    security: SecurityConfig = field(default_factory=SecurityConfig)

    def client_settings(self) -> dict[str, Any]:
        """confluent-kafka Producer settings: idempotent, acks=all, a deadline in seconds."""
        return {"bootstrap.servers": bootstrap_servers(self.endpoints), "client.id": self.client_name,
                "enable.idempotence": True, "acks": "all",
                "message.timeout.ms": int(self.timeout_s * 1000), "compression.type": self.compression,
                "linger.ms": 5, **self.security.client_settings()}


@dataclass(frozen=True)
class ConsumerConfig:
    endpoints: tuple[str, ...] = ("localhost:9092",)
    topics: tuple[str, ...] = ()
    consumer_group: str = ""
    message_handler: Any = None  # a callable or "module:attribute"
    start_with_earliest_message: bool = False
    offset_reset_policy: str | None = None
    decode: str = "text"  # "text": key and value as str; "bytes": as received
    batch: bool = False   # True: the handler takes a list (Kaffe's GroupMemberSupervisor)
    max_batch_size: int = 500
    session_timeout_ms: int = 10000
    security: SecurityConfig = field(default_factory=SecurityConfig)

    def auto_offset_reset(self) -> str:
        if self.start_with_earliest_message and self.offset_reset_policy == "reset_to_latest":
            raise ConfigError(
                "start_with_earliest_message = true contradicts offset_reset_policy = \"reset_to_latest\": "
                "the Kafka client has one setting (auto.offset.reset) for both.",
                "Keep one of them: start_with_earliest_message = true, or offset_reset_policy.")
        if self.start_with_earliest_message:
            return "earliest"
        return OFFSET_RESET_POLICIES[self.offset_reset_policy or "reset_to_latest"]

    def client_settings(self) -> dict[str, Any]:
        """confluent-kafka Consumer settings for at-least-once: offsets are stored only after
        the handler succeeded, and committed in the background and on close."""
        return {"bootstrap.servers": bootstrap_servers(self.endpoints), "group.id": self.consumer_group,
                "auto.offset.reset": self.auto_offset_reset(), "enable.auto.commit": True,
                "enable.auto.offset.store": False, "auto.commit.interval.ms": 1000,
                "session.timeout.ms": self.session_timeout_ms, **self.security.client_settings()}

    def resolve_handler(self) -> Callable:
        return resolve_handler(self.message_handler)


@dataclass(frozen=True)
class CodealongConfig:
    producer: ProducerConfig | None = None
    consumers: dict[str, ConsumerConfig] = field(default_factory=dict)

    @property
    def consumer(self) -> ConsumerConfig:
        """The consumer configured under [consumer] (Kaffe's single consumer)."""
        if "consumer" not in self.consumers:
            raise ConfigError("No [consumer] section is configured.",
                              "Add a [consumer] table with endpoints, topics, consumer_group and message_handler.")
        return self.consumers["consumer"]


def with_overrides(config, **overrides):
    """A copy of a producer or consumer config with keyword overrides (a single endpoint
    or topic may be given as a plain string)."""
    for key in ("endpoints", "topics"):
        if isinstance(overrides.get(key), str):
            overrides[key] = (overrides[key],)
        elif key in overrides:
            overrides[key] = tuple(overrides[key])
    return replace(config, **overrides)


# ---- parsing ---------------------------------------------------------------------------
def bootstrap_servers(endpoints) -> str:
    """KAFKA_BOOTSTRAP_SERVERS if set, else the endpoints joined as librdkafka expects."""
    return os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "").strip() or ",".join(endpoints)


def _unknown_key(section: str, key: str, allowed) -> ConfigError:
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f"Did you mean {close[0]!r}? " if close else ""
    return ConfigError(f"Unknown key {key!r} in [{section}].",
                       f"{hint}Allowed keys: {', '.join(sorted(allowed))}.")


def _wrong_type(section: str, key: str, expected: str, value) -> ConfigError:
    return ConfigError(f"[{section}] {key} must be {expected}, not {type(value).__name__} {value!r}.",
                       f"Write {key} as {expected} in the config.")


def _endpoints(section: str, value) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if isinstance(value, dict):  # Kaffe's keyword form: [localhost: 9092]
        value = [f"{host}:{port}" for host, port in value.items()]
    if not isinstance(value, list) or not all(isinstance(v, str) and ":" in v for v in value):
        raise _wrong_type(section, "endpoints", 'a list of "host:port" strings', value)
    return tuple(value)


def _topics(section: str, value) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _wrong_type(section, "topics", "a list of topic names", value)
    return tuple(value)


_SPECIAL = {"endpoints": _endpoints, "topics": _topics}
_TYPES = {str: "a string", bool: "true or false", int: "an integer", float: "a number"}


def _build(cls, section: str, raw: dict, security: SecurityConfig | None = None):
    allowed = {f.name for f in fields(cls)} - {"security"}
    if "password" in raw or "sasl_password" in raw:
        raise ConfigError(f"[{section}] holds a password; credentials must not be stored in files.",
                          "Remove it and export KAFKA_USERNAME / KAFKA_PASSWORD instead (see [security]).")
    values = {}
    hints = {f.name: f.default for f in fields(cls)}
    for key, value in raw.items():
        if key not in allowed:
            raise _unknown_key(section, key, allowed)
        if key in _SPECIAL:
            value = _SPECIAL[key](section, value)
        elif key in ("message_handler", "partition_strategy"):
            if not (isinstance(value, str) or callable(value)):
                raise _wrong_type(section, key, 'a callable or "module:attribute"', value)
        elif key == "offset_reset_policy":
            if value not in OFFSET_RESET_POLICIES:
                raise ConfigError(f"[{section}] offset_reset_policy is {value!r}.",
                                  f"Use one of {', '.join(OFFSET_RESET_POLICIES)}.")
        else:
            expected = type(hints[key])
            ok = isinstance(value, expected) and not (expected is int and isinstance(value, bool))
            if expected is float and isinstance(value, int) and not isinstance(value, bool):
                value, ok = float(value), True
            if not ok:
                raise _wrong_type(section, key, _TYPES.get(expected, expected.__name__), value)
        values[key] = value
    if security is not None:
        values["security"] = security
    return cls(**values)


def _consumer(section: str, raw: dict, security: SecurityConfig) -> ConsumerConfig:
    allowed = {f.name for f in fields(ConsumerConfig)} - {"security"}
    for key in raw:  # a misspelt key first: it is usually why a required one looks missing
        if key not in allowed:
            raise _unknown_key(section, key, allowed)
    for key in ("topics", "consumer_group", "message_handler"):
        if key not in raw:
            raise ConfigError(f"[{section}] has no {key}.",
                              f"Add {key} to [{section}] (see the seed's consumer block).")
    config = _build(ConsumerConfig, section, raw, security)
    if config.decode not in ("text", "bytes"):
        raise ConfigError(f"[{section}] decode is {config.decode!r}.", 'Use "text" or "bytes".')
    config.auto_offset_reset()  # contradictions are reported now, not at start
    return config


def parse_config(data: dict) -> CodealongConfig:
    """Build a CodealongConfig from a dict shaped like the TOML file."""
    allowed = {"producer", "consumer", "consumers", "security"}
    for key in data:
        if key not in allowed:
            raise _unknown_key("top level", key, allowed)
    security = _build(SecurityConfig, "security", data.get("security", {}))
    if security.protocol not in SECURITY_PROTOCOLS:
        raise ConfigError(f"[security] protocol is {security.protocol!r}.", f"Use one of {', '.join(SECURITY_PROTOCOLS)}.")
    if security.sasl_mechanism not in SASL_MECHANISMS:
        raise ConfigError(f"[security] sasl_mechanism is {security.sasl_mechanism!r}.",
                          f"Use one of {', '.join(SASL_MECHANISMS)}.")
    producer = _build(ProducerConfig, "producer", data["producer"], security) if "producer" in data else None
    if producer and isinstance(producer.partition_strategy, str) and \
            producer.partition_strategy not in PARTITION_STRATEGIES and ":" not in producer.partition_strategy:
        raise ConfigError(f"[producer] partition_strategy is {producer.partition_strategy!r}.",
                          'Use "md5", "random", or a function as "module:function".')
    consumers = {}
    if "consumer" in data:
        consumers["consumer"] = _consumer("consumer", data["consumer"], security)
    for name, raw in data.get("consumers", {}).items():
        consumers[name] = _consumer(f"consumers.{name}", raw, security)
    return CodealongConfig(producer, consumers)


def load_config(*paths: str | Path) -> CodealongConfig:
    """Read one or more TOML files (later files add sections; see the module docstring)."""
    data: dict = {}
    for path in map(Path, paths):
        try:
            part = tomllib.loads(path.read_text())
        except FileNotFoundError:
            raise ConfigError(f"Config file {path} does not exist.", "Check the path, or create it.") from None
        except tomllib.TOMLDecodeError as err:
            raise ConfigError(f"{path} is not valid TOML: {err}.", "Fix the syntax at the line named.") from None
        for section, table in part.items():
            if section in data and section != "consumers":
                raise ConfigError(f"[{section}] is configured in more than one file ({path} repeats it).",
                                  "Keep each section in one file.")
            data.setdefault(section, {}).update(table)
    return parse_config(data)


SECRET_SETTINGS = ("sasl.password", "ssl.key.password", "sasl.oauthbearer.client.secret")


def redact(settings: dict) -> dict:
    """A copy of client settings that is safe to show: secrets replaced by '***'."""
    return {key: "***" if key in SECRET_SETTINGS else value for key, value in settings.items()}


def resolve_handler(spec) -> Callable:
    """A handler given as a callable, or as "module:attribute" (imported now)."""
    if callable(spec):
        return spec
    if not isinstance(spec, str) or ":" not in spec:
        raise ConfigError(f"message_handler {spec!r} is neither a callable nor \"module:attribute\".",
                          'Pass a function, or a string such as "example_consumer:handle_message".')
    module_name, _, attribute = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise ConfigError(f"message_handler {spec!r}: module {module_name!r} cannot be imported ({err}).",
                          "Check the module name and that its folder is on sys.path "
                          "(the notebooks' folder is).") from None
    try:
        handler = getattr(module, attribute.split(".")[0])
        for part in attribute.split(".")[1:]:
            handler = getattr(handler, part)
    except AttributeError:
        raise ConfigError(f"message_handler {spec!r}: {module_name} has no {attribute!r}.",
                          f"Define {attribute} in {module_name}, or fix the name.") from None
    if not callable(handler):
        raise ConfigError(f"message_handler {spec!r} is not callable.", "Point it at a function.")
    return handler
