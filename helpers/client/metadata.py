"""How many partitions a topic has, for the producer's partition strategies: asked once, kept
for 30 s, and forgotten at once when an error shows the picture is stale (a partition the
client does not know, a leader that moved) or when the caller says so (refresh_metadata).
"""
from __future__ import annotations

import time

from confluent_kafka import KafkaError, KafkaException, Producer
from tenacity import Retrying, retry_if_exception, stop_after_delay, wait_exponential

from .deadline import Deadline
from .diagnosis import RETRIABLE, ProduceError, explain_unreachable, produce_error

TTL_S = 30.0
#: Errors saying the cached count (or the client's own metadata) is out of date.
STALE = frozenset({"_UNKNOWN_PARTITION", "_UNKNOWN_TOPIC", "UNKNOWN_TOPIC_OR_PART", "NOT_LEADER_OR_FOLLOWER",
                   "LEADER_NOT_AVAILABLE"})


class PartitionCounts:
    """The producer's one cache of partition counts, filled from the client's metadata requests
    (which also refresh the client's own view, so it accepts the partitions it learns of)."""

    def __init__(self, client: Producer, servers: str, client_errors: list[KafkaError]):
        self._client = client
        self._servers = servers
        self._client_errors = client_errors
        self._counts: dict[str, tuple[int, float]] = {}

    def get(self, topic: str, deadline: Deadline) -> int:
        """The topic's partition count, cached or asked within `deadline` (asking creates the
        topic when the broker auto-creates topics)."""
        cached = self._counts.get(topic)
        if cached and cached[1] > time.monotonic():
            return cached[0]
        retrying = Retrying(stop=stop_after_delay(deadline.remaining()),
                            wait=wait_exponential(multiplier=0.05, max=1),
                            retry=retry_if_exception(lambda e: isinstance(e, ProduceError) and e.code in RETRIABLE),
                            reraise=True)
        count = retrying(self._ask, topic, deadline)
        self.remember(topic, count)
        return count

    def remember(self, topic: str, count: int) -> None:
        self._counts[topic] = (count, time.monotonic() + TTL_S)

    def forget(self, topic: str | None = None) -> None:
        """Ask again next time: for `topic`, or for every topic."""
        if topic is None:
            self._counts.clear()
        else:
            self._counts.pop(topic, None)

    def forget_if_stale(self, topic: str, err: KafkaError) -> None:
        if err.name() in STALE:
            self.forget(topic)

    def _ask(self, topic: str, deadline: Deadline) -> int:
        try:
            metadata = self._client.list_topics(topic, timeout=min(deadline.remaining(0.1),
                                                                   max(0.5, deadline.seconds / 4)))
        except KafkaException as err:
            self._client.poll(0)  # serve error callbacks: they tell why (e.g. authentication)
            raise explain_unreachable(self._servers, topic, err.args[0], self._client_errors) from None
        found = metadata.topics[topic]
        if found.error is not None:
            raise produce_error(found.error, f"topic {topic!r}")
        return len(found.partitions)
