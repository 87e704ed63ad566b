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
"""
from __future__ import annotations

import difflib
import importlib
import os
import types
import typing
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Callable, ClassVar, Literal, Union

from .. import settings
from .errors import CodealongError
from .names import InvalidTopicName, check_topic_name, scoped

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib


class ConfigError(CodealongError, ValueError):
    """A configuration key is unknown, missing or of the wrong type."""


#: "client" leaves the choice to librdkafka's own partitioner (consistent_random): fastest, but
#: a key does not land where Kaffe's md5 would put it.
PARTITION_STRATEGIES = ("md5", "random", "client")
OFFSET_RESET_POLICIES = {"reset_to_earliest": "earliest", "reset_to_latest": "latest"}
BOOTSTRAP_VARIABLE = "KAFKA_BOOTSTRAP_SERVERS"
PROTOCOL_VARIABLE = "KAFKA_SECURITY_PROTOCOL"
MECHANISM_VARIABLE = "KAFKA_SASL_MECHANISM"


# ---- where the brokers are: the one place that reads KAFKA_BOOTSTRAP_SERVERS ----------
def env_bootstrap() -> str | None:
    """The servers in $KAFKA_BOOTSTRAP_SERVERS, or None when it is unset or empty."""
    return os.environ.get(BOOTSTRAP_VARIABLE, "").strip() or None


def default_endpoints() -> tuple[str, ...]:
    """Endpoints for a config that names none: $KAFKA_BOOTSTRAP_SERVERS, else the embedded broker."""
    servers = env_bootstrap()
    if servers:
        return tuple(s.strip() for s in servers.split(",") if s.strip())
    return (f"127.0.0.1:{settings.base_port()}",)


# ---- the checks, driven by the annotations -------------------------------------------------
def _quoted_choices(choices) -> str:
    quoted = [f'"{c}"' for c in choices]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def _unknown_key(section: str, key: str, allowed) -> ConfigError:
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f"Did you mean {close[0]!r}? " if close else ""
    return ConfigError(f"Unknown key {key!r} in [{section}].",
                       f"{hint}Allowed keys: {', '.join(sorted(allowed))}.")


def _wrong_type(section: str, key: str, expected: str, value) -> ConfigError:
    shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
    return ConfigError(f"[{section}] {key} must be {expected}, not {type(value).__name__} {shown}.",
                       f"Write {key} as {expected}.")


def _endpoints(section: str, value) -> tuple[str, ...]:
    if isinstance(value, str):  # one "host:port", or a bootstrap string "a:1,b:2"
        value = [part.strip() for part in value.split(",")]
    if isinstance(value, dict):  # Kaffe's keyword form: [localhost: 9092]
        value = [f"{host}:{port}" for host, port in value.items()]
    if not isinstance(value, (list, tuple)) or not value or \
            not all(isinstance(v, str) and ":" in v for v in value):
        raise _wrong_type(section, "endpoints", 'a list of "host:port" strings', value)
    return tuple(value)


def _topics(section: str, value) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise _wrong_type(section, "topics", "a list of topic names", value)
    for topic in value:
        try:
            check_topic_name(topic)
        except InvalidTopicName as err:
            raise ConfigError(f"[{section}] topics: {err.cause}", err.fix) from None
    return tuple(value)


def _callable_or_path(section: str, key: str, value, names=()):
    if callable(value) or value in names or (isinstance(value, str) and ":" in value):
        return value
    if value is None and key == "message_handler":
        return value  # checked when a worker needs it
    choices = f"{_quoted_choices(names)}, " if names else ""
    raise ConfigError(f"[{section}] {key} is {value!r}: neither {choices.replace(' or ', ', ')}a callable nor "
                      "a \"module:function\" name.",
                      f"Pass a function, {choices}or a \"module:function\" name.")


_SPECIAL = {
    "endpoints": _endpoints,
    "topics": _topics,
    "message_handler": lambda section, value: _callable_or_path(section, "message_handler", value),
    "partition_strategy": lambda section, value: _callable_or_path(section, "partition_strategy", value,
                                                                   PARTITION_STRATEGIES),
}
_TYPE_NAMES = {str: "a string", bool: "true or false", int: "an integer", float: "a number"}


def _check_value(section: str, key: str, value, hint):
    """The value, converted where that is lossless (an int for a float), or a ConfigError."""
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        problems = []
        for option in (o for o in options if o is not type(None)):
            try:
                return _check_value(section, key, value, option)
            except ConfigError as err:
                problems.append(err)
        raise problems[0]
    if origin is Literal:
        choices = typing.get_args(hint)
        if value not in choices:
            raise ConfigError(f"[{section}] {key} is {value!r}.", f"Use {_quoted_choices(choices)}.")
        return value
    if hint is Any:
        return value
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint is int and isinstance(value, bool):
        raise _wrong_type(section, key, _TYPE_NAMES[int], value)
    if isinstance(hint, type) and not isinstance(value, hint):
        raise _wrong_type(section, key, _TYPE_NAMES.get(hint, hint.__name__), value)
    return value


def _check_range(section: str, key: str, value, metadata) -> None:
    low, high = metadata.get("min"), metadata.get("max")
    if (low is not None and value < low) or (high is not None and value > high):
        limits = (f"from {low:g} to {high:g}" if low is not None and high is not None
                  else f"at least {low:g}" if low is not None else f"at most {high:g}")
        raise ConfigError(f"[{section}] {key} is {value!r}; it must be {limits}.",
                          f"Set {key} to a value {limits}{metadata.get('why', '')}.")


class _Checked:
    """Mixin for frozen config dataclasses: every field is checked (and normalised) on creation."""
    _section: ClassVar[str] = "config"

    def __post_init__(self):
        hints = typing.get_type_hints(type(self))
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in _SPECIAL:
                checked = _SPECIAL[f.name](self._section, value)
            else:
                checked = _check_value(self._section, f.name, value, hints[f.name])
                _check_range(self._section, f.name, checked, f.metadata)
            if checked is not value:
                object.__setattr__(self, f.name, checked)


def _range(default, low=None, high=None, why=""):
    return field(default=default, metadata={"min": low, "max": high, "why": why})


# ---- the configs -----------------------------------------------------------------------------
@dataclass(frozen=True)
class SecurityConfig(_Checked):
    """How to reach a secured cluster. Only the NAMES of the credential variables are kept."""
    _section: ClassVar[str] = "security"
    protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "PLAIN"
    username_env: str = "KAFKA_USERNAME"
    password_env: str = "KAFKA_PASSWORD"
    ssl_ca_location: str | None = None

    def client_settings(self) -> dict[str, str]:
        settings_ = {"security.protocol": self.protocol}
        if self.protocol.startswith("SASL"):
            missing = [var for var in (self.username_env, self.password_env) if not os.environ.get(var)]
            if missing:
                raise ConfigError(
                    f"The {self.protocol} connection needs credentials, but {' and '.join(missing)} "
                    f"{'is' if len(missing) == 1 else 'are'} not set in the environment.",
                    f"Export {self.username_env} and {self.password_env} (for example from your "
                    "cluster's API key) before starting Python; never write them into files or notebooks.")
            settings_.update({"sasl.mechanisms": self.sasl_mechanism,
                              "sasl.username": os.environ[self.username_env],
                              "sasl.password": os.environ[self.password_env]})
        if self.ssl_ca_location:
            settings_["ssl.ca.location"] = self.ssl_ca_location
        return settings_


def env_security() -> SecurityConfig:
    """How to log in to the cluster in $KAFKA_BOOTSTRAP_SERVERS: $KAFKA_SECURITY_PROTOCOL and
    $KAFKA_SASL_MECHANISM (a workshop's join lines set them), else plain text."""
    chosen = {key: os.environ[var].strip() for key, var in
              (("protocol", PROTOCOL_VARIABLE), ("sasl_mechanism", MECHANISM_VARIABLE)) if os.environ.get(var, "").strip()}
    return SecurityConfig(**chosen)


def security_for(endpoints) -> SecurityConfig:
    """The environment's credentials belong to the environment's cluster only: a scratch broker
    a chapter starts on other ports is spoken to in plain text."""
    return env_security() if tuple(endpoints) == default_endpoints() else SecurityConfig()


def _resolve_security(config) -> None:
    """Fill a config's unset `security` from the environment (see security_for)."""
    if config.security is None:
        object.__setattr__(config, "security", security_for(config.endpoints))
        object.__setattr__(config, "_security_resolved", True)  # so other endpoints resolve it again


@dataclass(frozen=True)
class Connection(_Checked):
    """Where the brokers are and how to authenticate: what every client the helpers make needs.
    Functions that talk to Kafka take one of these, a config (its connection is used), or a
    plain bootstrap string such as "127.0.0.1:9092"."""
    _section: ClassVar[str] = "connection"
    endpoints: tuple[str, ...] = field(default_factory=default_endpoints)
    security: SecurityConfig | None = None  # None: security_for(endpoints)

    def __post_init__(self):
        super().__post_init__()
        _resolve_security(self)

    @property
    def bootstrap(self) -> str:
        return ",".join(self.endpoints)

    def client_settings(self) -> dict[str, Any]:
        return {"bootstrap.servers": self.bootstrap, **self.security.client_settings()}


@dataclass(frozen=True)
class ProducerConfig(_Checked):
    _section: ClassVar[str] = "producer"
    endpoints: tuple[str, ...] = field(default_factory=default_endpoints)
    topics: tuple[str, ...] = ()
    partition_strategy: str | Callable = "md5"
    timeout_s: float = _range(10.0, 0.1, 3600.0, " (seconds each call may wait for the broker)")
    compression: Literal["none", "gzip", "snappy", "lz4", "zstd"] = "none"
    client_name: str = "codealong-producer"
    security: SecurityConfig | None = None  # None: security_for(endpoints)

    def __post_init__(self):
        super().__post_init__()
        _resolve_security(self)
        object.__setattr__(self, "topics", tuple(scoped(t) for t in self.topics))

    @property
    def connection(self) -> Connection:
        return Connection(self.endpoints, self.security)

    @property
    def message_timeout_ms(self) -> int:
        """The client's own give-up time per message: inside the call's deadline by 1.5 s (half
        of it for short ones), because librdkafka checks queued messages once a second; so its
        own time-out report arrives while the call still waits, and can be shown as it is."""
        return int(1000 * (self.timeout_s - min(1.5, self.timeout_s / 2)))

    def client_settings(self) -> dict[str, Any]:
        """confluent-kafka Producer settings: idempotent, acks=all, a deadline in seconds."""
        return {**self.connection.client_settings(), "client.id": self.client_name,
                "enable.idempotence": True, "acks": "all",
                "message.timeout.ms": self.message_timeout_ms, "compression.type": self.compression,
                "linger.ms": 5}


@dataclass(frozen=True)
class ConsumerConfig(_Checked):
    _section: ClassVar[str] = "consumer"
    endpoints: tuple[str, ...] = field(default_factory=default_endpoints)
    topics: tuple[str, ...] = ()
    consumer_group: str = ""
    message_handler: Any = None  # a callable or "module:attribute"
    start_with_earliest_message: bool = False
    offset_reset_policy: Literal["reset_to_earliest", "reset_to_latest"] | None = None
    decode: Literal["text", "bytes"] = "text"  # "text": key and value as str; "bytes": as received
    batch: bool = False   # True: the handler takes a list (Kaffe's GroupMemberSupervisor)
    max_batch_size: int = _range(500, 1, 100_000, " (messages handed over at once)")
    session_timeout_ms: int = _range(10000, 1000, 3_600_000)
    # "consumer": Kafka 4's rebalance protocol (KIP-848): the broker assigns, members keep the
    # partitions they do not give up, and the session is the broker's setting (not ours).
    group_protocol: Literal["classic", "consumer"] = "classic"
    security: SecurityConfig | None = None  # None: security_for(endpoints)

    def __post_init__(self):
        super().__post_init__()
        _resolve_security(self)
        object.__setattr__(self, "topics", tuple(scoped(t) for t in self.topics))
        object.__setattr__(self, "consumer_group", scoped(self.consumer_group) if self.consumer_group else "")
        self.auto_offset_reset()  # contradictions are reported now, not at start

    @property
    def connection(self) -> Connection:
        return Connection(self.endpoints, self.security)

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
        if not self.consumer_group:
            raise ConfigError(f"[{self._section}] has no consumer_group: Kafka keeps a consumer's progress "
                              "per group.", "Name the group: consumer_group = \"example-consumer-group\".")
        group = ({"group.protocol": "consumer"} if self.group_protocol == "consumer"
                 else {"session.timeout.ms": self.session_timeout_ms})
        return {**self.connection.client_settings(), "group.id": self.consumer_group,
                "auto.offset.reset": self.auto_offset_reset(), "enable.auto.commit": True,
                "enable.auto.offset.store": False, "auto.commit.interval.ms": 1000, **group}

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
    """A copy of a config with keyword overrides, checked like any other config."""
    allowed = {f.name for f in fields(config)}
    for key in overrides:
        if key not in allowed:
            raise _unknown_key(config._section, key, allowed)
    if "endpoints" in overrides and "security" not in overrides and getattr(config, "_security_resolved", False):
        overrides["security"] = None  # the environment's login was for the old endpoints' cluster
    return replace(config, **overrides) if overrides else config


def as_connection(where) -> Connection:
    """A Connection from a bootstrap string ("host:port,..."), a config, a Connection or None
    (None: the default endpoints)."""
    if where is None:
        return Connection()
    if isinstance(where, Connection):
        return where
    if isinstance(where, (ProducerConfig, ConsumerConfig)):
        return where.connection
    if isinstance(where, str):
        return Connection(endpoints=where)  # security_for(endpoints): the environment's for its own cluster
    raise ConfigError(f"Cannot tell where Kafka is from a {type(where).__name__} ({where!r}).",
                      'Pass a bootstrap string such as "127.0.0.1:9092", a Connection, or a producer or '
                      "consumer config.")


# ---- parsing ---------------------------------------------------------------------------
def _build(cls, section: str, raw: dict, security: SecurityConfig | None = None):
    if "password" in raw or "sasl_password" in raw:
        raise ConfigError(f"[{section}] holds a password; credentials must not be stored in files.",
                          "Remove it and export KAFKA_USERNAME / KAFKA_PASSWORD instead (see [security]).")
    allowed = {f.name for f in fields(cls)} - {"security"}
    for key in raw:
        if key not in allowed:
            raise _unknown_key(section, key, allowed)
    try:
        return cls(**raw, **({"security": security} if security is not None else {}))
    except ConfigError as err:  # name the section as the file does ([consumers.audit])
        raise ConfigError(err.cause.replace(f"[{cls._section}]", f"[{section}]", 1), err.fix) from None


def _consumer(section: str, raw: dict, security: SecurityConfig) -> ConsumerConfig:
    allowed = {f.name for f in fields(ConsumerConfig)} - {"security"}
    for key in raw:  # a misspelt key first: it is usually why a required one looks missing
        if key not in allowed:
            raise _unknown_key(section, key, allowed)
    for key in ("topics", "consumer_group", "message_handler"):
        if key not in raw:
            raise ConfigError(f"[{section}] has no {key}.",
                              f"Add {key} to [{section}] (see the seed's consumer block).")
    return _build(ConsumerConfig, section, raw, security)


def parse_config(data: dict) -> CodealongConfig:
    """Build a CodealongConfig from a dict shaped like the TOML file."""
    allowed = {"producer", "consumer", "consumers", "security"}
    for key in data:
        if key not in allowed:
            raise _unknown_key("top level", key, allowed)
    # No [security] table: the environment's (see security_for), so one file serves solo and workshop use.
    security = _build(SecurityConfig, "security", data["security"]) if "security" in data else None
    producer = _build(ProducerConfig, "producer", data["producer"], security) if "producer" in data else None
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


class Credentials(dict):
    """Login settings for a plain confluent-kafka client; shown with the password hidden."""

    def __repr__(self) -> str:
        return repr(redact(self))


def credentials(where=None) -> Credentials:
    """What a plain confluent-kafka client needs beside bootstrap.servers to log in to `where`:
    nothing for a plain-text cluster (the embedded broker), the SASL settings from the
    environment for a workshop's. Spread it into the client's settings:
    ``Producer({"bootstrap.servers": BOOTSTRAP_SERVERS, **credentials(BOOTSTRAP_SERVERS)})``."""
    security = as_connection(where).security
    return Credentials() if security.protocol == "PLAINTEXT" else Credentials(security.client_settings())
