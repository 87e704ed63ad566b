"""Per-partition retry: a partition sent back to its failed message waits out a backoff, paused,
while the member's other partitions go on (no rebalance, the group never notices)."""
from __future__ import annotations

import time

from confluent_kafka import Consumer, TopicPartition


class Pauses:
    """The partitions paused for a retry, each with when it resumes and at which offset."""

    def __init__(self):
        self._paused: dict[tuple[str, int], tuple[float, int]] = {}  # partition -> (resume at, offset)

    def __bool__(self) -> bool:
        return bool(self._paused)

    def __contains__(self, partition: tuple[str, int]) -> bool:
        return partition in self._paused

    def pause(self, consumer: Consumer, topic: str, partition: int, offset: int, seconds: float) -> None:
        """Send the partition back to `offset` and hold it for `seconds`."""
        tp = TopicPartition(topic, partition, offset)
        consumer.pause([tp])
        consumer.seek(tp)
        self._paused[(topic, partition)] = (time.monotonic() + seconds, offset)

    def resume_due(self, consumer: Consumer) -> bool:
        """Resume the partitions whose backoff ended. True if this left none paused."""
        if not self._paused:
            return False
        now = time.monotonic()
        for (topic, partition), (resume_at, offset) in list(self._paused.items()):
            if resume_at <= now:
                tp = TopicPartition(topic, partition, offset)
                consumer.seek(tp)  # again: what was fetched before the pause must not move the position
                consumer.resume([tp])
                del self._paused[(topic, partition)]
        return not self._paused

    def forget(self, partitions: set[tuple[str, int]]) -> None:
        """Partitions given up: their owner-to-be starts at the committed offset."""
        for partition in partitions:
            self._paused.pop(partition, None)

    def clear(self) -> None:
        self._paused.clear()
