"""A synchronous producer in Kaffe's style: every call waits for the broker's acknowledgement.

    producer = SyncProducer(endpoints=["localhost:9092"], topics=["our_topic", "another_topic"])
    producer.produce_sync("another_topic", "Metamorphosis", "Franz Kafka")

Each call returns what was written (topic, partition, offset) or raises ProduceError with
the broker's error code, the cause and the fix, within the configured deadline (10 s by
default, not librdkafka's 5 minutes). Idempotent and acks=all, so a retried send is not
written twice and an acknowledged one is on every in-sync replica.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from functools import partial
from typing import Any, Iterable

from confluent_kafka import KafkaError, KafkaException, Producer
from tenacity import Retrying, retry_if_exception, stop_after_delay, wait_exponential
from tqdm.auto import tqdm

from .config import ProducerConfig, bootstrap_servers, with_overrides
from .errors import CLIENT_LOG, CodealongError
from .partitioner import choose_partition, strategy_function
from .topics import check_topic_name

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    """Where the broker wrote a message."""
    topic: str
    partition: int
    offset: int
    key: Any = None


class ProduceError(CodealongError):
    """The broker did not accept a message. ``code`` is Kafka's error name
    (e.g. "TOPIC_EXCEPTION"); ``delivered`` lists what was written before the failure."""

    def __init__(self, cause: str, fix: str, code: str | None = None, delivered: Iterable[Delivery] = ()):
        super().__init__(cause, fix)
        self.code = code
        self.delivered = list(delivered)


class MessageTypeError(CodealongError, TypeError):
    """A key or value that is not str, bytes or None."""


FIXES = {
    "TOPIC_EXCEPTION": "Use a topic name made of ASCII letters, digits, '.', '_' and '-' (no spaces), "
                       "at most 249 characters.",
    "LEADER_NOT_AVAILABLE": "Wait and retry: the partition's leader is starting up or its broker is down. "
                            "Topics with a replication factor above 1 keep a leader when one broker stops.",
    "NOT_LEADER_OR_FOLLOWER": "Retry: leadership moved to another broker.",
    "MSG_SIZE_TOO_LARGE": "Send smaller messages (split or compress them), or raise message.max.bytes on the "
                          "client, the broker and the topic (max.message.bytes) together.",
    "UNKNOWN_TOPIC_OR_PART": "Create the topic first (helpers.topics.create_topic), or enable "
                             "auto.create.topics.enable on the broker.",
    "_UNKNOWN_PARTITION": "Send to a partition that exists (0 to partitions - 1), or let the strategy choose.",
    "_MSG_TIMED_OUT": "Check that the broker is running and reachable (`codealong broker status`), then retry.",
    "_TRANSPORT": "Start the broker (`codealong broker start`) or correct the endpoints / KAFKA_BOOTSTRAP_SERVERS.",
    "TOPIC_AUTHORIZATION_FAILED": "Ask the cluster's operator for write access to the topic.",
    "_TIMED_OUT": "Check that the broker is running and reachable (`codealong broker status`), then retry.",
}
RETRIABLE_METADATA = {"UNKNOWN_TOPIC_OR_PART", "LEADER_NOT_AVAILABLE"}
PARTITION_COUNT_TTL_S = 30.0


def _produce_error(err: KafkaError, where: str, delivered=(), extra: str = "") -> ProduceError:
    return ProduceError(f"Kafka refused {where}: {err.name()} ({err.str()}){extra}.",
                        FIXES.get(err.name(), "See the broker's log (`codealong broker logs`)."),
                        code=err.name(), delivered=delivered)


def _store_result(results: dict, index: int, key, err, msg) -> None:
    """Delivery callback: remember each message's outcome under its place in the call."""
    results[index] = (err, msg, key)


def _check_payload(kind: str, data) -> None:
    if data is not None and not isinstance(data, (str, bytes, bytearray, memoryview)):
        raise MessageTypeError(
            f"The message {kind} is a {type(data).__name__}; Kafka stores bytes, so a {kind} must be str, "
            "bytes or None.",
            f"Serialize it first, e.g. json.dumps({kind}) for a dict or list, or str({kind}) for a number.")


class SyncProducer:
    """Kaffe's ``Kaffe.Producer`` on confluent-kafka. See ``produce_sync`` for the call forms."""

    def __init__(self, config: ProducerConfig | None = None, *, check_topic_names: bool = True,
                 client_settings: dict | None = None, **overrides):
        """`overrides` replace config fields (endpoints=..., topics=..., timeout_s=...);
        `client_settings` adds raw librdkafka settings, e.g. {"message.max.bytes": 3_000_000}."""
        self.config = with_overrides(config or ProducerConfig(), **overrides)
        self.check_topic_names = check_topic_names
        self._strategy = strategy_function(self.config.partition_strategy)
        self._partition_counts: dict[str, tuple[int, float]] = {}
        self._client_errors: list[KafkaError] = []
        self._producer = Producer({**self.config.client_settings(), **(client_settings or {}),
                                   "error_cb": self._on_client_error},
                                  logger=CLIENT_LOG)

    def __repr__(self) -> str:  # never shows client settings: they may hold credentials
        return f"SyncProducer(endpoints={list(self.config.endpoints)}, topics={list(self.config.topics)})"

    def _on_client_error(self, err: KafkaError) -> None:
        self._client_errors.append(err)

    # ---- the Kaffe call forms -----------------------------------------------------------
    def produce_sync(self, *args, headers=None):
        """Send and wait for the acknowledgement. The forms, as in Kaffe:

        - ``produce_sync(topic, [(key, value), ...])``      -> list[Delivery]
        - ``produce_sync(key, value)``                       -> Delivery, to the first configured topic
        - ``produce_sync(topic, partition, [(key, value)])``  -> list[Delivery]
        - ``produce_sync(topic, key, value)``                -> Delivery
        - ``produce_sync(topic, partition, key, value)``     -> Delivery

        Messages in a list may carry their own headers as ``(key, value, headers)``;
        ``headers=`` applies to every message of the call. An explicit partition skips the
        partition strategy.
        """
        if len(args) == 2 and isinstance(args[1], list):
            return self.send(args[0], None, args[1], headers)
        if len(args) == 2:
            if not self.config.topics:
                raise CodealongError("produce_sync(key, value) sends to the first configured topic, but no "
                                     "topics are configured.", "Pass topics=[...] to SyncProducer, or name the "
                                     "topic: produce_sync(topic, key, value).")
            return self.send(self.config.topics[0], None, [(args[0], args[1])], headers)[0]
        if len(args) == 3 and isinstance(args[1], int) and not isinstance(args[1], bool) and isinstance(args[2], list):
            return self.send(args[0], args[1], args[2], headers)
        if len(args) == 3:
            return self.send(args[0], None, [(args[1], args[2])], headers)[0]
        if len(args) == 4:
            return self.send(args[0], args[1], [(args[2], args[3])], headers)[0]
        raise TypeError("produce_sync takes (topic, messages), (key, value), (topic, partition, messages), "
                        "(topic, key, value) or (topic, partition, key, value)")

    def produce_many(self, topic: str, messages, chunk: int = 100, progress: bool = True) -> list[Delivery]:
        """Send many (key, value) pairs, `chunk` per acknowledged call, with a progress bar.

        On a failure the ProduceError's ``delivered`` lists everything written before it."""
        messages = list(messages)
        deliveries: list[Delivery] = []
        with tqdm(total=len(messages), unit="msg", desc=f"sending to {topic}", disable=not progress) as bar:
            for start in range(0, len(messages), chunk):
                part = messages[start:start + chunk]
                try:
                    deliveries.extend(self.send(topic, None, part, None))
                except ProduceError as err:
                    err.delivered = deliveries + err.delivered
                    raise
                bar.update(len(part))
        return deliveries

    # ---- the work -------------------------------------------------------------------------
    def partitions_count(self, topic: str) -> int:
        """How many partitions the topic has (asking the broker creates it if auto-creation is on)."""
        cached = self._partition_counts.get(topic)
        if cached and cached[1] > time.monotonic():
            return cached[0]
        budget = self.config.timeout_s

        def ask() -> int:
            try:
                metadata = self._producer.list_topics(topic, timeout=max(0.5, budget / 4))
            except KafkaException as err:
                servers = bootstrap_servers(self.config.endpoints)
                self._producer.poll(0)  # serve error callbacks: they tell why (e.g. authentication)
                if any(e.code() == KafkaError._AUTHENTICATION for e in self._client_errors):
                    raise ProduceError(f"The broker at {servers} refused the credentials (SASL authentication "
                                       "failed).", "Check the username and password in the environment variables "
                                       "named by [security] (KAFKA_USERNAME / KAFKA_PASSWORD by default), and the "
                                       "sasl_mechanism.", code="_AUTHENTICATION") from None
                raise ProduceError(f"No broker at {servers} answered a metadata request for {topic!r} "
                                   f"({err.args[0].str()}).", FIXES["_TRANSPORT"], code=err.args[0].name()) from None
            found = metadata.topics[topic]
            if found.error is not None:
                raise _produce_error(found.error, f"topic {topic!r}")
            return len(found.partitions)

        retrying = Retrying(stop=stop_after_delay(budget), wait=wait_exponential(multiplier=0.05, max=1),
                            retry=retry_if_exception(lambda e: isinstance(e, ProduceError) and
                                                     e.code in RETRIABLE_METADATA | {"_TRANSPORT", "_TIMED_OUT"}),
                            reraise=True)
        count = retrying(ask)
        self._partition_counts[topic] = (count, time.monotonic() + PARTITION_COUNT_TTL_S)
        return count

    def send(self, topic: str, partition: int | None, messages: list, headers=None) -> list[Delivery]:
        """Send a list of (key, value) or (key, value, headers) to one topic; wait for all."""
        if self.check_topic_names:
            check_topic_name(topic)
        batch = []
        for message in messages:
            if not isinstance(message, tuple) or len(message) not in (2, 3):
                raise TypeError(f"each message must be a (key, value) or (key, value, headers) tuple, "
                                f"not {message!r}")
            key, value, *own = message
            _check_payload("key", key)
            _check_payload("value", value)
            batch.append((key, value, own[0] if own else headers))
        if partition is None:
            count = self.partitions_count(topic)
            targets = [choose_partition(self._strategy, topic, count, k, v) for k, v, _ in batch]
        else:
            targets = [partition] * len(batch)

        results: dict[int, tuple] = {}
        deadline = time.monotonic() + self.config.timeout_s + 2
        self._client_errors = []
        produce = self._producer.produce
        for index, ((key, value, hdrs), target) in enumerate(zip(batch, targets)):
            report = partial(_store_result, results, index, key)
            try:
                produce(topic, value, key, partition=target, headers=hdrs, on_delivery=report)
            except BufferError:  # the local queue is full: let deliveries drain, then retry
                self._produce_when_room(deadline, topic, value, key, partition=target, headers=hdrs,
                                        on_delivery=report)
            except KafkaException as err:
                raise _produce_error(err.args[0], f"a message to {topic!r}",
                                     delivered=self._delivered(results)) from None
        while len(results) < len(batch) and time.monotonic() < deadline:
            self._producer.flush(min(0.5, max(0.0, deadline - time.monotonic())))
        return self._collect(topic, batch, results)

    def _produce_when_room(self, deadline: float, *args, **kwargs) -> None:
        while time.monotonic() < deadline:
            self._producer.poll(0.1)
            try:
                return self._producer.produce(*args, **kwargs)
            except BufferError:
                continue
        raise ProduceError("The producer's local queue stayed full.", FIXES["_MSG_TIMED_OUT"], code="_QUEUE_FULL")

    @staticmethod
    def _delivered(results) -> list[Delivery]:
        return [Delivery(m.topic(), m.partition(), m.offset(), key)
                for _, (err, m, key) in sorted(results.items()) if err is None]

    def _collect(self, topic, batch, results) -> list[Delivery]:
        delivered = self._delivered(results)
        failures = [(i, err) for i, (err, _, _) in sorted(results.items()) if err is not None]
        if len(results) < len(batch) and not failures:
            raise ProduceError(f"{len(batch) - len(results)} message(s) to {topic!r} were not acknowledged "
                               f"within {self.config.timeout_s:g} s.", FIXES["_MSG_TIMED_OUT"],
                               code="_MSG_TIMED_OUT", delivered=delivered)
        if not failures:
            return delivered
        err = failures[0][1]
        if err.code() == KafkaError._MSG_TIMED_OUT:
            raise self._explain_timeout(topic, err, delivered)
        self._partition_counts.pop(topic, None)
        raise _produce_error(err, f"{len(failures)} of {len(batch)} message(s) to {topic!r}", delivered)

    def _explain_timeout(self, topic: str, err: KafkaError, delivered) -> ProduceError:
        """A timed-out message says little; find out why (broker down, or no leader)."""
        servers = bootstrap_servers(self.config.endpoints)
        unresolved = [e for e in self._client_errors if e.code() == KafkaError._RESOLVE]
        if unresolved:
            name = unresolved[0].str().split("Failed to resolve '")[-1].split("'")[0]
            return ProduceError(
                f"The broker at {servers} answered, but it advertises itself as {name!r}, which this machine "
                f"cannot resolve, so the message was not acknowledged within {self.config.timeout_s:g} s.",
                "Make the broker advertise an address clients can reach: with Docker, a second listener "
                "advertised as localhost:29092 (see docker-compose.yml) and KAFKA_BOOTSTRAP_SERVERS=localhost:29092.",
                code="_RESOLVE", delivered=delivered)
        try:
            metadata = self._producer.list_topics(topic, timeout=2)
            leaderless = [p for p in metadata.topics[topic].partitions.values()
                          if p.error is not None and p.error.name() == "LEADER_NOT_AVAILABLE"]
        except KafkaException:
            leaderless = []
        if leaderless:
            return ProduceError(f"The message to {topic!r} timed out after {self.config.timeout_s:g} s: partition "
                                f"{leaderless[0].id} has no leader (LEADER_NOT_AVAILABLE).",
                                FIXES["LEADER_NOT_AVAILABLE"], code="LEADER_NOT_AVAILABLE", delivered=delivered)
        down = [e for e in self._client_errors if e.code() in (KafkaError._ALL_BROKERS_DOWN, KafkaError._TRANSPORT)]
        if down:
            return ProduceError(f"No broker at {servers} acknowledged the message within "
                                f"{self.config.timeout_s:g} s ({down[-1].str()}).", FIXES["_TRANSPORT"],
                                code="_MSG_TIMED_OUT", delivered=delivered)
        return _produce_error(err, f"a message to {topic!r}", delivered,
                              extra=f" after {self.config.timeout_s:g} s")

    def flush(self, timeout: float = 10) -> int:
        return self._producer.flush(timeout)

    def close(self, timeout: float = 10) -> None:
        """Wait (at most `timeout` s) for anything still in flight."""
        remaining = self._producer.flush(timeout)
        if remaining:
            log.warning("%d message(s) were still unacknowledged when the producer closed.", remaining)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
