"""A consumer group's lag, and a rule that says when to worry about it.

    lags = group_lag(admin, "billing", "orders")      # partition -> PartitionLag(committed, end, lag)
    rule = LagRule(for_s=30)
    if rule.feed(time.monotonic(), total_lag(lags)):  # True while the lag has grown for 30 s
        page_someone()

The lag of a group on a partition is the partition's end (the high watermark: what consumers can
read) minus the group's committed offset (the next offset it will read), as `kafka-consumer-groups`
computes it. A partition the group never committed on has no lag in that sense (the tool prints
"-" for it while a member has it assigned, and leaves it out for a group with no members): here its
lag is None.

`LagRule` is pure: it sees (time, lag) samples, nothing else, so it is tested without a broker.
A lag that is high but steady is a consumer keeping up with a backlog (or a group nobody runs);
a lag that keeps growing is a consumer falling behind: that is what the rule fires on.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition

NO_OFFSET = -1001  # librdkafka's OFFSET_INVALID: the group has no committed offset there


@dataclass(frozen=True)
class PartitionLag:
    committed: int | None   # the next offset the group will read; None if it never committed
    end: int                # the high watermark
    lag: int | None         # end - committed; None without a committed offset


def group_lag(admin, group: str, topic: str, partitions: int | list[int] | None = None,
              timeout: float = 10.0) -> dict[int, PartitionLag]:
    """partition -> PartitionLag of `group` on `topic`, from two AdminClient calls: the group's
    committed offsets (list_consumer_group_offsets) and the partitions' ends (list_offsets with
    OffsetSpec.latest()). `partitions`: a count, a list, or None (ask the broker how many)."""
    from confluent_kafka.admin import OffsetSpec

    if partitions is None:  # all topics listed: asking for one by name may create it
        metadata = admin.list_topics(timeout=timeout).topics.get(topic)
        if metadata is None or metadata.error is not None:
            raise LookupError(f"There is no topic {topic!r} to measure a lag on.")
        partitions = len(metadata.partitions)
    ids = list(range(partitions)) if isinstance(partitions, int) else list(partitions)
    request = ConsumerGroupTopicPartitions(group, [TopicPartition(topic, p) for p in ids])
    answer = admin.list_consumer_group_offsets([request], request_timeout=timeout)[group].result(timeout)
    committed = {tp.partition: tp.offset for tp in answer.topic_partitions}
    futures = admin.list_offsets({TopicPartition(topic, p): OffsetSpec.latest() for p in ids}, request_timeout=timeout)
    ends = {tp.partition: future.result(timeout).offset for tp, future in futures.items()}
    lags = {}
    for p in ids:
        done = committed.get(p, NO_OFFSET)
        done = None if done < 0 else done
        lags[p] = PartitionLag(done, ends[p], None if done is None else ends[p] - done)
    return lags


def total_lag(lags: dict[int, PartitionLag]) -> int:
    """The group's lag on the topic: the sum over the partitions that have one."""
    return sum(p.lag for p in lags.values() if p.lag is not None)


class LagRule:
    """Fires while a lag has grown for `for_s` seconds: the newest sample is more than `tolerance`
    above the sample taken `for_s` seconds earlier (the last one at or before then), and no sample
    since fell more than `tolerance` below that one. So noise within `tolerance` (a lag read from
    commits moves in steps) changes nothing, a flat lag never fires, and a lag that falls back
    clears it.

        rule = LagRule(for_s=2.0, tolerance=5)
        rule.feed(0.0, 10); rule.feed(1.0, 40); rule.feed(2.0, 90)   # -> True: grown for 2 s
    """

    def __init__(self, for_s: float, tolerance: int = 0):
        if for_s <= 0:
            raise ValueError("for_s must be positive")
        self.for_s, self.tolerance = for_s, tolerance
        self._samples: deque[tuple[float, int]] = deque()
        self.firing = False
        self.fired_at: float | None = None    # when it last began to fire
        self.cleared_at: float | None = None  # when it last stopped firing

    def feed(self, at: float, lag: int) -> bool:
        """Add a sample (seconds on any clock that only goes forward, lag in messages); whether the rule fires now."""
        if self._samples and at < self._samples[-1][0]:
            raise ValueError(f"samples must come in time order ({at} after {self._samples[-1][0]})")
        self._samples.append((at, lag))
        # Keep one sample at or before the start of the window: the lag "for_s seconds ago".
        while len(self._samples) >= 2 and self._samples[1][0] <= at - self.for_s:
            self._samples.popleft()
        firing = self._grown()
        if firing and not self.firing:
            self.fired_at = at
        elif self.firing and not firing:
            self.cleared_at = at
        self.firing = firing
        return firing

    def _grown(self) -> bool:
        (then, before), (_, now) = self._samples[0], self._samples[-1]
        if then > self._samples[-1][0] - self.for_s:
            return False  # not yet `for_s` seconds of samples
        if now <= before + self.tolerance:
            return False
        return all(lag >= before - self.tolerance for _, lag in list(self._samples)[1:])
