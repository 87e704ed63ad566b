"""The rebalance listener and the offset bookkeeping of one group member."""
from __future__ import annotations

import logging
import time
from collections import deque
from typing import Callable

from confluent_kafka import TopicPartition

from ..config import ConsumerConfig
from ..deadline import Deadline
from ..watermarks import watermarks
from .messages import AssignmentChange

log = logging.getLogger(__name__)
PIN_TIMEOUT_S = 10


class Assignment:
    """What this member owns, where each partition resumes, and a timeline of what it was given
    and gave up. `forget(partitions)` is called with the partitions it gave up."""

    def __init__(self, config: ConsumerConfig, forget: Callable[[set[tuple[str, int]]], None]):
        self.config = config
        self._forget = forget
        self.owned: set[tuple[str, int]] = set()
        self.positions: dict[tuple[str, int], int] = {}  # next offset to handle, per partition
        self.log: deque[AssignmentChange] = deque(maxlen=1000)
        self.rebalances = 0  # times the group handed this member partitions

    def handled(self, topic: str, partition: int, next_offset: int) -> None:
        """Everything before `next_offset` of this partition is handled."""
        self.positions[(topic, partition)] = next_offset

    def on_assign(self, consumer, partitions) -> None:
        if self.config.auto_offset_reset() == "latest" and partitions:
            try:
                self._pin_latest(consumer, partitions)
            except Exception as err:  # never out of a callback: it would end the polling thread
                log.warning("Could not pin where %s start (%s); the client resolves 'latest' at its first fetch.",
                            ", ".join(f"{p.topic}[{p.partition}]" for p in partitions), err)
            if self.config.group_protocol == "consumer":  # KIP-848 hands out only what is new
                consumer.incremental_assign(partitions)
            else:
                consumer.assign(partitions)
        self.rebalances += 1
        self.owned |= {(p.topic, p.partition) for p in partitions}
        self._log("assigned", partitions)

    def _pin_latest(self, consumer, partitions) -> None:
        """librdkafka resolves "latest" lazily, at its first fetch: a message produced in between
        would be skipped. Pin the start now, so that "assigned" means "sees everything produced
        from here on". Committed offsets still win. After a client rebuild, a partition that never
        committed resumes where this worker was. (A fresh topic's leader may still be settling: asked
        again within the deadline.)"""
        deadline = Deadline(PIN_TIMEOUT_S)
        committed = consumer.committed(partitions, timeout=deadline.remaining(0.5))
        for partition, done in zip(partitions, committed):
            if done.offset < 0:
                where = (partition.topic, partition.partition)
                if where not in self.positions:
                    self.positions[where] = watermarks(consumer, TopicPartition(*where), deadline)[1]
                partition.offset = self.positions[where]

    def on_revoke(self, consumer, partitions) -> None:
        """Also on_lost: the partitions are gone either way."""
        self._log("revoked", partitions)
        gone = {(p.topic, p.partition) for p in partitions}
        self.owned -= gone
        self._forget(gone)

    def _log(self, change: str, partitions) -> None:
        if partitions:
            self.log.append(AssignmentChange(time.time(), change,
                                             tuple(sorted((p.topic, p.partition) for p in partitions))))
