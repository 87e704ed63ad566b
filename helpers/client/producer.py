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

The parts: this module is the send engine; batch.py one call's messages and reports;
metadata.py the partition counts; kaffe_forms.py Kaffe's ``produce_sync`` forms.
"""
from __future__ import annotations

import logging
from typing import Iterable

from confluent_kafka import KafkaError, KafkaException, Producer

from .batch import Call, MessageTypeError, gc_paused, split, targets
from .config import ProducerConfig, with_overrides
from .deadline import Deadline
from .diagnosis import Delivery, ProduceError, explain_timeout, produce_error
from .errors import CLIENT_LOG
from .kaffe_forms import KaffeForms
from .metadata import PartitionCounts
from .names import check_topic_name, scoped
from .partitioner import strategy_function

log = logging.getLogger(__name__)

__all__ = ["Delivery", "MessageTypeError", "ProduceError", "SyncProducer"]

#: What a send may spend explaining a timeout (one quick metadata request), beyond its deadline.
DIAGNOSIS_S = 0.5
#: How long past the deadline a call waits for the client's own time-out reports (due then too).
REPORT_GRACE_S = 0.25


class SyncProducer(KaffeForms):
    """Kaffe's ``Kaffe.Producer`` on confluent-kafka: ``produce``, ``produce_batch`` and the
    five ``produce_sync`` forms."""

    def __init__(self, config: ProducerConfig | None = None, *, check_topic_names: bool = True,
                 client_settings: dict | None = None, **overrides):
        """`overrides` replace config fields (endpoints=..., topics=..., timeout_s=...);
        `client_settings` adds raw librdkafka settings, e.g. {"message.max.bytes": 3_000_000}."""
        self.config = with_overrides(config or ProducerConfig(), **overrides)
        self.check_topic_names = check_topic_names
        strategy = self.config.partition_strategy
        # "md5" is computed in bulk (batch.targets); None: librdkafka's own partitioner chooses.
        self._strategy = strategy if strategy == "md5" else None if strategy == "client" else strategy_function(strategy)
        settings = {**self.config.client_settings(), **(client_settings or {})}
        # Equal keys land on one partition unless librdkafka is told to pick at random.
        self._keyed_partitioner = settings.get("partitioner", "consistent_random") != "random"
        self._client_errors: list[KafkaError] = []
        self._closed = False
        self._client = Producer({**settings, "error_cb": self._client_errors.append}, logger=CLIENT_LOG)
        self._counts = PartitionCounts(self._client, self.servers, self._client_errors)

    def __repr__(self) -> str:  # never shows client settings: they may hold credentials
        return f"SyncProducer(endpoints={list(self.config.endpoints)}, topics={list(self.config.topics)})"

    @property
    def servers(self) -> str:
        return self.config.connection.bootstrap

    def produce(self, topic: str, value, *, key=None, partition: int | None = None, headers=None) -> Delivery:
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
        keys, values, each_headers = split(messages, headers)
        if partition is not None:
            partitions = [partition] * len(keys)
        elif self._strategy is not None:
            partitions = targets(self._strategy, topic, self._counts.get(topic, deadline), keys, values)
        else:
            partitions = None
        call = Call(topic, keys, values, each_headers, partitions, by_key=self._keyed_partitioner and all(keys))
        self._client_errors.clear()
        with gc_paused(len(keys)):
            refusal = call.send(self._client, deadline)
            self._await(call, deadline)
            outcome = call.outcome()
        if refusal is not None:  # what was queued before the refusal is written: say so
            self._counts.forget_if_stale(topic, refusal)
            raise produce_error(refusal, f"a message to {topic!r}", delivered=outcome[0], refused_locally=True)
        return self._collect(call, *outcome)

    def partitions_count(self, topic: str, deadline: Deadline | None = None) -> int:
        """How many partitions the topic has (asking the broker creates it if auto-creation is on).
        Counts are cached for 30 s; within `deadline` (the producer's timeout by default)."""
        return self._counts.get(scoped(topic), deadline or Deadline(self.config.timeout_s))

    def refresh_metadata(self, topic: str | None = None) -> int | None:
        """Forget the cached partition counts, e.g. after adding partitions: of `topic`, asked
        again at once (its count is returned), or of every topic, asked again on next use."""
        if topic is None:
            return self._counts.forget()
        self._counts.forget(scoped(topic))
        return self.partitions_count(topic)

    def _await(self, call: Call, deadline: Deadline) -> None:
        """Serve delivery reports until every sent message has one or the deadline passes. The
        client's own time-out reports are due at that same moment: a short grace lets them say so."""
        flush = self._client.flush
        while not deadline.expired():
            if flush(min(0.5, deadline.remaining())) == 0 and call.complete():
                return
        flush(REPORT_GRACE_S)

    def _collect(self, call: Call, delivered: list[Delivery], failures: list[KafkaError], missing: int
                 ) -> list[Delivery]:
        if not failures and not missing:
            return delivered
        topic = call.topic
        timed_out = [e for e in failures if e.code() == KafkaError._MSG_TIMED_OUT]
        if failures and not timed_out:
            self._counts.forget_if_stale(topic, failures[0])
            raise produce_error(failures[0], f"{len(failures)} of {call.sent} message(s) to {topic!r}", delivered)
        raise explain_timeout(
            topic=topic, timeout_s=self.config.timeout_s, servers=self.servers,
            client_errors=list(self._client_errors), leaderless=self._leaderless(topic),
            failure=timed_out[0] if timed_out else None, missing=missing, delivered=delivered)

    def _leaderless(self, topic: str) -> list[int]:
        """Partitions the metadata shows without a leader (one quick request, DIAGNOSIS_S at most)."""
        try:
            metadata = self._client.list_topics(topic, timeout=DIAGNOSIS_S)
        except KafkaException:
            return []
        found = metadata.topics.get(topic)
        if found is None:
            return []
        return sorted(p.id for p in found.partitions.values()
                      if p.error is not None and p.error.code() == KafkaError.LEADER_NOT_AVAILABLE)

    def flush(self, timeout: float = 10) -> int:
        return self._client.flush(timeout)

    def close(self, timeout: float = 10) -> None:
        """Wait (at most `timeout` s) for anything still in flight, then close the client.
        What is still unacknowledged then is dropped (and logged), so close() keeps its deadline."""
        if self._closed:
            return
        self._closed = True
        remaining = self._client.flush(timeout)
        if remaining:
            log.warning("%d message(s) were still unacknowledged when the producer closed; they are dropped.",
                        remaining)
            self._client.purge()
            self._client.flush(0)
        self._client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
