"""helpers.client.lag: the lag rule (pure: samples in, a verdict out, no broker) and the lag query
(two AdminClient calls, against the real broker)."""
from __future__ import annotations

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

from helpers import recreate_topic
from helpers.client.lag import LagRule, PartitionLag, group_lag, total_lag


def feed(rule: LagRule, samples) -> list[bool]:
    return [rule.feed(at, lag) for at, lag in samples]


# ---- the rule, without a broker ------------------------------------------------------------------
def test_a_lag_that_grows_fires_once_it_has_grown_for_the_whole_window():
    rule = LagRule(for_s=2.0)
    verdicts = feed(rule, [(t * 0.5, 10 * t) for t in range(9)])  # 0 .. 4 s, +20 a second
    assert verdicts == [False] * 4 + [True] * 5   # from t = 2.0 s: the sample of t = 0 is 2 s old
    assert rule.firing and rule.fired_at == 2.0 and rule.cleared_at is None


def test_a_flat_lag_never_fires_however_high():
    rule = LagRule(for_s=1.0)
    assert not any(feed(rule, [(t * 0.25, 5000) for t in range(40)]))


def test_noise_within_the_tolerance_neither_fires_on_a_flat_lag_nor_stops_a_growing_one():
    flat = LagRule(for_s=1.0, tolerance=5)
    assert not any(feed(flat, [(t * 0.25, 100 + (4 if t % 2 else -4)) for t in range(40)]))
    growing = LagRule(for_s=1.0, tolerance=5)
    # +10 a step with a dip of 4 every other step: still growing
    verdicts = feed(growing, [(t * 0.25, 10 * t - (4 if t % 2 else 0)) for t in range(12)])
    assert verdicts[4:] == [True] * 8


def test_a_dip_beyond_the_tolerance_holds_the_rule_back_until_the_window_has_passed_it():
    rule = LagRule(for_s=1.0, tolerance=2)
    samples = [(0.0, 50), (0.5, 60), (1.0, 70), (1.5, 40), (2.0, 80), (2.5, 90), (3.0, 100)]
    assert feed(rule, samples) == [False, False, True, False, False, True, True]
    # at 2.0 the window starts at 1.0 (70) and 40 fell below it: no; at 2.5 it starts at 1.5 (40): yes


def test_a_lag_that_falls_back_clears_the_rule():
    rule = LagRule(for_s=1.0)
    rising = [(t * 0.5, 30 * t) for t in range(6)]           # 0 .. 2.5 s up to 150
    draining = [(3.0 + t * 0.5, 150 - 40 * t) for t in range(1, 5)]  # back down to -10 -> 0
    verdicts = feed(rule, rising + [(at, max(lag, 0)) for at, lag in draining])
    assert verdicts == [False, False, True, True, True, True, False, False, False, False]
    assert rule.fired_at == 1.0 and rule.cleared_at == 3.5 and not rule.firing


def test_it_fires_again_when_the_lag_grows_again():
    rule = LagRule(for_s=1.0)
    feed(rule, [(0.0, 0), (1.0, 50), (2.0, 0), (3.0, 0), (4.0, 60)])
    assert rule.firing and rule.fired_at == 4.0 and rule.cleared_at == 2.0


def test_too_short_a_history_never_fires():
    rule = LagRule(for_s=5.0)
    assert not any(feed(rule, [(t * 0.5, 1000 * t) for t in range(10)]))  # 4.5 s of steep growth


def test_zero_lag_and_bad_input():
    rule = LagRule(for_s=1.0)
    assert not any(feed(rule, [(t, 0) for t in range(5)]))
    with pytest.raises(ValueError):
        rule.feed(3.0, 0)  # back in time
    with pytest.raises(ValueError):
        LagRule(for_s=0)


def test_total_lag_skips_partitions_without_a_committed_offset():
    lags = {0: PartitionLag(5, 8, 3), 1: PartitionLag(None, 4, None), 2: PartitionLag(2, 2, 0)}
    assert total_lag(lags) == 3


# ---- the query, against the real broker ----------------------------------------------------------
def test_group_lag_is_the_end_minus_the_committed_offset_per_partition(kafka, unique):
    topic, group = f"lag_query_{unique}", f"lag-query-{unique}"
    recreate_topic(kafka, topic, partitions=3)
    producer = Producer({"bootstrap.servers": kafka})
    for partition, count in ((0, 7), (1, 4), (2, 3)):
        for n in range(count):
            producer.produce(topic, value=b"x", partition=partition)
    assert producer.flush(15) == 0
    committer = Consumer({"bootstrap.servers": kafka, "group.id": group, "enable.auto.commit": False})
    try:
        committer.commit(offsets=[TopicPartition(topic, 0, 2), TopicPartition(topic, 1, 4)], asynchronous=False)
    finally:
        committer.close()
    admin = AdminClient({"bootstrap.servers": kafka})
    lags = group_lag(admin, group, topic)
    assert lags == {0: PartitionLag(2, 7, 5), 1: PartitionLag(4, 4, 0), 2: PartitionLag(None, 3, None)}
    assert total_lag(lags) == 5
    assert group_lag(admin, group, topic, partitions=[0]) == {0: PartitionLag(2, 7, 5)}
