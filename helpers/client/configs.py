"""The config dataclasses (Connection, ProducerConfig, ConsumerConfig, CodealongConfig) and
the functions that copy or convert them. Import them from helpers.client.config."""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field, fields, replace
from typing import Any, Callable, ClassVar, Literal

from .environment import default_endpoints, security_for
from .errors import ConfigError
from .names import scoped
from .partitioner import client_partitioner
from .security import SecurityConfig
from .validation import Checked, ranged, unknown_key

OFFSET_RESET_POLICIES = {"reset_to_earliest": "earliest", "reset_to_latest": "latest"}
SECRET_SETTINGS = ("sasl.password", "ssl.key.password", "sasl.oauthbearer.client.secret")


def _resolve_security(config) -> None:
    """Choose an unset `security` from the environment (see security_for). A choice made for
    other endpoints, as in a copy given new endpoints, is made again for these."""
    security = config.security
    if security is None or security.resolved_for not in (None, config.endpoints):
        object.__setattr__(config, "security", security_for(config.endpoints))


@dataclass(frozen=True)
class Connection(Checked):
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
class ProducerConfig(Checked):
    _section: ClassVar[str] = "producer"
    endpoints: tuple[str, ...] = field(default_factory=default_endpoints)
    topics: tuple[str, ...] = ()
    partition_strategy: str | Callable = "md5"  # a name of partitioner.STRATEGIES, a function or "module:function"
    timeout_s: float = ranged(10.0, 0.1, 3600.0, " (seconds each call may wait for the broker)")
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
        partitioner = client_partitioner(self.partition_strategy)  # set when librdkafka chooses
        return {**self.connection.client_settings(), "client.id": self.client_name,
                "enable.idempotence": True, "acks": "all",
                "message.timeout.ms": self.message_timeout_ms, "compression.type": self.compression,
                "linger.ms": 5, **({"partitioner": partitioner} if partitioner else {})}


@dataclass(frozen=True)
class ConsumerConfig(Checked):
    _section: ClassVar[str] = "consumer"
    endpoints: tuple[str, ...] = field(default_factory=default_endpoints)
    topics: tuple[str, ...] = ()
    consumer_group: str = ""
    message_handler: Any = None  # a callable or "module:attribute"
    start_with_earliest_message: bool = False
    offset_reset_policy: Literal["reset_to_earliest", "reset_to_latest"] | None = None
    decode: Literal["text", "bytes"] = "text"  # "text": key and value as str; "bytes": as received
    batch: bool = False   # True: the handler takes a list (Kaffe's GroupMemberSupervisor)
    max_batch_size: int = ranged(500, 1, 100_000, " (messages handed over at once)")
    session_timeout_ms: int = ranged(10000, 1000, 3_600_000)
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
    """A copy of a config with keyword overrides, checked like any other config. Security the
    environment chose is chosen anew if the endpoints change (see _resolve_security)."""
    allowed = {f.name for f in fields(config)}
    for key in overrides:
        if key not in allowed:
            raise unknown_key(config._section, key, allowed)
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


def redact(settings: dict) -> dict:
    """A copy of client settings that is safe to show: secrets replaced by '***'."""
    return {key: "***" if key in SECRET_SETTINGS else value for key, value in settings.items()}


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
