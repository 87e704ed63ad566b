"""A synchronous producer in Kaffe's style: every call waits for the broker's acknowledgement.

    producer = SyncProducer(endpoints=["localhost:9092"], topics=["our_topic", "another_topic"])
    producer.produce("another_topic", "Franz Kafka", key="Metamorphosis")      # explicit keywords
    producer.produce_batch("another_topic", [("Metamorphosis", "Franz Kafka")])  # many, one wait
    producer.produce_sync("another_topic", "Metamorphosis", "Franz Kafka")     # Kaffe's forms

Each call returns what was written (topic, partition, offset) or raises ProduceError with
the broker's error code, the cause and the fix. Each call has ONE deadline (`timeout_s`, 10 s
by default, not librdkafka's 5 minutes): looking up the topic, sending and explaining a
failure all share it. Idempotent and acks=all, so a retried send is not written twice and
an acknowledged one is on every in-sync replica.
"""
from __future__ import annotations

import logging
import types
from functools import partial
from itertools import repeat
from typing import Iterable, Iterator

from confluent_kafka import KafkaError, KafkaException, Producer
from tenacity import Retrying, retry_if_exception, stop_after_delay, wait_exponential
from tqdm.auto import tqdm

from .config import ProducerConfig, with_overrides
from .deadline import Deadline
from .diagnosis import (FIXES, RETRIABLE_METADATA, Delivery, ProduceError, explain_timeout, explain_unreachable,
                        produce_error)
from .errors import CLIENT_LOG, CodealongError
from .names import scoped, check_topic_name
from .partitioner import choose_partition, strategy_function

log = logging.getLogger(__name__)

__all__ = ["Delivery", "MessageTypeError", "ProduceError", "SyncProducer"]

PARTITION_COUNT_TTL_S = 30.0
#: What a send may spend explaining a timeout (one quick metadata request), beyond its deadline.
DIAGNOSIS_S = 0.5
#: How long past the deadline a call waits for the client's own time-out reports (due then too).
REPORT_GRACE_S = 0.25
_PAYLOAD_TYPES = {str, bytes, type(None)}
_CLIENT_CHOOSES = -1  # librdkafka's "unassigned partition": its own partitioner picks one
_NO_HEADERS: dict = {}


class MessageTypeError(CodealongError, TypeError):
    """A key or value that is not str, bytes or None."""


def _check_payload(kind: str, data) -> None:
    if type(data) not in _PAYLOAD_TYPES and not isinstance(data, (str, bytes, bytearray, memoryview)):
        raise MessageTypeError(
            f"The message {kind} is a {type(data).__name__}; Kafka stores bytes, so a {kind} must be str, "
            "bytes or None.",
            f"Serialize it first, e.g. json.dumps({kind}) for a dict or list, or str({kind}) for a number.")


def _store_report(reports: list, index: int, err, msg) -> None:
    """Delivery callback: the outcome of the message at `index` of the call."""
    reports[index] = (err, msg)


def _is_messages(arg) -> bool:
    """A list, tuple, generator or iterator of messages (never a str or bytes payload)."""
    return isinstance(arg, (list, tuple, types.GeneratorType, Iterator))


class SyncProducer:
    """Kaffe's ``Kaffe.Producer`` on confluent-kafka: ``produce``, ``produce_batch`` and the
    five ``produce_sync`` forms."""

    def __init__(self, config: ProducerConfig | None = None, *, check_topic_names: bool = True,
                 client_settings: dict | None = None, **overrides):
        """`overrides` replace config fields (endpoints=..., topics=..., timeout_s=...);
        `client_settings` adds raw librdkafka settings, e.g. {"message.max.bytes": 3_000_000}."""
        self.config = with_overrides(config or ProducerConfig(), **overrides)
        self.check_topic_names = check_topic_names
        strategy = self.config.partition_strategy
        self._strategy = None if strategy == "client" else strategy_function(strategy)
        self._partition_counts: dict[str, tuple[int, float]] = {}
        self._client_errors: list[KafkaError] = []
        self._closed = False
        self._producer = Producer({**self.config.client_settings(), **(client_settings or {}),
                                   "error_cb": self._client_errors.append},
                                  logger=CLIENT_LOG)

    def __repr__(self) -> str:  # never shows client settings: they may hold credentials
        return f"SyncProducer(endpoints={list(self.config.endpoints)}, topics={list(self.config.topics)})"

    @property
    def servers(self) -> str:
        return self.config.connection.bootstrap

    # ---- the explicit API ---------------------------------------------------------------
    def produce(self, topic: str, value, key=None, *, partition: int | None = None, headers=None) -> Delivery:
        """Send one message and wait for its acknowledgement."""
        return self.produce_batch(topic, [(key, value)], partition=partition, headers=headers)[0]

    def produce_batch(self, topic: str, messages: Iterable[tuple], *, partition: int | None = None,
                      headers=None) -> list[Delivery]:
        """Send (key, value) or (key, value, headers) tuples to one topic and wait for all of
        them, within one deadline. `headers` applies to messages that bring none. Returns the
        deliveries in the order given; nothing is sent if any message is malformed."""
        deadline = Deadline(self.config.timeout_s)
        topic = scoped(topic)  # the learner's own topic in a workshop (unchanged otherwise)
        if self.check_topic_names:
            check_topic_name(topic)
        batch = self._prepare(messages, headers)
        targets = self._targets(topic, batch, partition, deadline)
        reports: list = [None] * len(batch)
        self._client_errors.clear()
        self._send(topic, batch, targets, reports, deadline)
        self._await(reports, deadline)
        return self._collect(topic, batch, reports)

    # ---- the Kaffe call forms -----------------------------------------------------------
    def produce_sync(self, *args, headers=None):
        """Send and wait for the acknowledgement. The forms, as in Kaffe:

        - ``produce_sync(topic, [(key, value), ...])``      -> list[Delivery]
        - ``produce_sync(key, value)``                       -> Delivery, to the first configured topic
        - ``produce_sync(topic, partition, [(key, value)])``  -> list[Delivery]
        - ``produce_sync(topic, key, value)``                -> Delivery
        - ``produce_sync(topic, partition, key, value)``     -> Delivery

        Messages may be a list, tuple or generator, each may carry its own headers as
        ``(key, value, headers)``; ``headers=`` applies to every message of the call. An
        explicit partition skips the partition strategy.
        """
        if len(args) == 2 and _is_messages(args[1]):
            return self.produce_batch(args[0], args[1], headers=headers)
        if len(args) == 2:
            if not self.config.topics:
                raise CodealongError("produce_sync(key, value) sends to the first configured topic, but no "
                                     "topics are configured.", "Pass topics=[...] to SyncProducer, or name the "
                                     "topic: produce_sync(topic, key, value).")
            return self.produce(self.config.topics[0], args[1], args[0], headers=headers)
        if len(args) == 3 and isinstance(args[1], int) and not isinstance(args[1], bool) and _is_messages(args[2]):
            return self.produce_batch(args[0], args[2], partition=args[1], headers=headers)
        if len(args) == 3:
            return self.produce(args[0], args[2], args[1], headers=headers)
        if len(args) == 4:
            return self.produce(args[0], args[3], args[2], partition=args[1], headers=headers)
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
                    deliveries.extend(self.produce_batch(topic, part))
                except ProduceError as err:
                    err.delivered = deliveries + err.delivered
                    raise
                bar.update(len(part))
        return deliveries

    # ---- the work -------------------------------------------------------------------------
    @staticmethod
    def _prepare(messages, headers) -> list[tuple]:
        """Check every message before any is sent: (key, value[, headers]) of str, bytes or None.
        Returns the messages as given (a list), or with `headers` added where they bring none."""
        batch = messages if isinstance(messages, list) else list(messages)
        payload_types = _PAYLOAD_TYPES
        for message in batch:
            if type(message) is not tuple or not 2 <= len(message) <= 3:
                raise TypeError(f"each message must be a (key, value) or (key, value, headers) tuple, "
                                f"not {message!r}")
            if type(message[0]) not in payload_types:
                _check_payload("key", message[0])
            if type(message[1]) not in payload_types:
                _check_payload("value", message[1])
        if headers:
            batch = [m if len(m) == 3 else (m[0], m[1], headers) for m in batch]
        return batch

    def _targets(self, topic: str, batch: list, partition: int | None, deadline: Deadline) -> list | None:
        """The partition of each message; None when the client's own partitioner chooses."""
        if partition is not None:
            return [partition] * len(batch)
        if self._strategy is None:
            return None
        count = self.partitions_count(topic, deadline)
        strategy = self._strategy
        return [choose_partition(strategy, topic, count, m[0], m[1]) for m in batch]

    def partitions_count(self, topic: str, deadline: Deadline | None = None) -> int:
        """How many partitions the topic has (asking the broker creates it if auto-creation is on).
        Counts are cached for 30 s; within `deadline` (the producer's timeout by default)."""
        topic = scoped(topic)
        cached = self._partition_counts.get(topic)
        if cached and cached[1] > Deadline(0).at:
            return cached[0]
        deadline = deadline or Deadline(self.config.timeout_s)

        def ask() -> int:
            try:
                metadata = self._producer.list_topics(topic, timeout=min(deadline.remaining(0.1),
                                                                         max(0.5, deadline.seconds / 4)))
            except KafkaException as err:
                self._producer.poll(0)  # serve error callbacks: they tell why (e.g. authentication)
                raise explain_unreachable(self.servers, topic, err.args[0], self._client_errors) from None
            found = metadata.topics[topic]
            if found.error is not None:
                raise produce_error(found.error, f"topic {topic!r}")
            return len(found.partitions)

        retrying = Retrying(stop=stop_after_delay(deadline.remaining()),
                            wait=wait_exponential(multiplier=0.05, max=1),
                            retry=retry_if_exception(lambda e: isinstance(e, ProduceError) and
                                                     e.code in RETRIABLE_METADATA),
                            reraise=True)
        count = retrying(ask)
        self._partition_counts[topic] = (count, Deadline(PARTITION_COUNT_TTL_S).at)
        return count

    def _send(self, topic: str, batch: list, targets: list | None, reports: list, deadline: Deadline) -> None:
        produce = self._producer.produce
        partitions = targets or repeat(_CLIENT_CHOOSES)
        for index, (message, partition) in enumerate(zip(batch, partitions)):
            report = partial(_store_report, reports, index)
            # Positional arguments: (topic, value, key, partition, on_delivery); the hot path of the producer.
            args = (topic, message[1], message[0], partition, report)
            extra = {"headers": message[2]} if len(message) == 3 and message[2] else _NO_HEADERS
            try:
                produce(*args, **extra)
            except BufferError:  # the local queue is full: let deliveries drain, then retry
                self._produce_when_room(deadline, *args, **extra)
            except KafkaException as err:  # produce() raised: the client refused it before sending
                raise produce_error(err.args[0], f"a message to {topic!r}", delivered=self._delivered(batch, reports),
                                    refused_locally=True) from None

    def _produce_when_room(self, deadline: Deadline, *args, **kwargs) -> None:
        while deadline.wait(0):
            self._producer.poll(min(0.1, deadline.remaining()))
            try:
                return self._producer.produce(*args, **kwargs)
            except BufferError:
                continue
        raise ProduceError("The producer's local queue stayed full until the deadline.", FIXES["_MSG_TIMED_OUT"],
                           code="_QUEUE_FULL")

    def _await(self, reports: list, deadline: Deadline) -> None:
        """Serve delivery reports until every message has one or the deadline passes. The client's
        own time-out reports are due at that same moment: a short grace lets them say so."""
        flush = self._producer.flush
        while not deadline.expired():
            if flush(min(0.5, deadline.remaining())) == 0 and None not in reports:
                return
        flush(REPORT_GRACE_S)

    @staticmethod
    def _delivered(batch: list, reports: list) -> list[Delivery]:
        """What the broker acknowledged, in call order."""
        make = Delivery._make
        return [make((msg.topic(), msg.partition(), msg.offset(), message[0]))
                for message, (err, msg) in zip(batch, reports) if err is None] if None not in reports else \
            [make((report[1].topic(), report[1].partition(), report[1].offset(), message[0]))
             for message, report in zip(batch, reports) if report is not None and report[0] is None]

    def _collect(self, topic: str, batch: list, reports: list) -> list[Delivery]:
        failures = [report[0] for report in reports if report is not None and report[0] is not None]
        missing = reports.count(None)
        delivered = self._delivered(batch, reports)
        if not failures and not missing:
            return delivered
        timed_out = [e for e in failures if e.code() == KafkaError._MSG_TIMED_OUT]
        if failures and not timed_out:
            self._partition_counts.pop(topic, None)
            raise produce_error(failures[0], f"{len(failures)} of {len(batch)} message(s) to {topic!r}",
                                delivered)
        raise explain_timeout(
            topic=topic, timeout_s=self.config.timeout_s, servers=self.servers,
            client_errors=list(self._client_errors), leaderless=self._leaderless(topic),
            failure=timed_out[0] if timed_out else None, missing=missing, delivered=delivered)

    def _leaderless(self, topic: str) -> list[int]:
        """Partitions the metadata shows without a leader (one quick request, DIAGNOSIS_S at most)."""
        try:
            metadata = self._producer.list_topics(topic, timeout=DIAGNOSIS_S)
        except KafkaException:
            return []
        found = metadata.topics.get(topic)
        if found is None:
            return []
        return sorted(p.id for p in found.partitions.values()
                      if p.error is not None and p.error.code() == KafkaError.LEADER_NOT_AVAILABLE)

    def flush(self, timeout: float = 10) -> int:
        return self._producer.flush(timeout)

    def close(self, timeout: float = 10) -> None:
        """Wait (at most `timeout` s) for anything still in flight, then close the client.
        What is still unacknowledged then is dropped (and logged), so close() keeps its deadline."""
        if self._closed:
            return
        self._closed = True
        remaining = self._producer.flush(timeout)
        if remaining:
            log.warning("%d message(s) were still unacknowledged when the producer closed; they are dropped.",
                        remaining)
            self._producer.purge()
            self._producer.flush(0)
        self._producer.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
