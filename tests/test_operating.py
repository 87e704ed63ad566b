"""Chapter 16's demonstrations (helpers/course/demos/operating.py): reading kafka-topics' describe
output, a node's log after a mark, the slow consumer whose lag is sampled live (on the real broker),
and the pictures drawn from it."""
from __future__ import annotations

import json
import time

import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient
from matplotlib.figure import Figure

from helpers import recreate_topic
from helpers.client.lag import LagRule
from helpers.course.demos.operating import (HEARTBEAT_LOST, QUORUM_LOST, describe_partition, log_mark, plot_lag_run,
                                            plot_round_trips, quorum_evidence, run_slow_consumer)

DESCRIBED = ("Topic: replicated\tTopicId: abc\tPartitionCount: 2\tReplicationFactor: 3\tConfigs: min.insync.replicas=2\n"
             "\tTopic: replicated\tPartition: 0\tLeader: 1\tReplicas: 1,2,3\tIsr: 1\tElr: 2\tLastKnownElr: \n"
             "\tTopic: replicated\tPartition: 1\tLeader: none\tReplicas: 2,3,1\tIsr: \tElr: 2,3\tLastKnownElr: 3\n")


def test_describe_partition_reads_leader_isr_and_elr():
    assert describe_partition(DESCRIBED, "replicated") == {
        "leader": 1, "Replicas": [1, 2, 3], "Isr": [1], "Elr": [2], "LastKnownElr": []}
    assert describe_partition(DESCRIBED, "replicated", 1) == {
        "leader": None, "Replicas": [2, 3, 1], "Isr": [], "Elr": [2, 3], "LastKnownElr": [3]}
    with pytest.raises(ValueError):
        describe_partition(DESCRIBED, "other")


def test_quorum_evidence_reads_only_what_the_log_says_after_the_mark(tmp_path):
    log = tmp_path / "broker.log"
    old = ("[2026-01-01 10:00:00,000] INFO [RaftManager id=1] Election timed out before receiving sufficient vote "
           "responses to become candidate. (org.apache.kafka.raft.KafkaRaftClient)\n")
    log.write_text(old)
    mark = log_mark(log)
    assert quorum_evidence(log, mark, timeout=0.3) == []  # an earlier outage does not count
    with open(log, "a") as out:
        out.write(old.replace("10:00", "10:05"))
        out.write("[2026-01-01 10:05:01,000] INFO [BrokerLifecycleManager id=1] Unable to send a heartbeat because "
                  "the RPC got timed out before it could be sent. (org.apache.kafka.server.BrokerLifecycleManager)\n")
    assert quorum_evidence(log, mark, timeout=1) == [
        "[RaftManager id=1] Election timed out before receiving sufficient vote responses ..."]
    assert quorum_evidence(log, mark, timeout=1, phrases=QUORUM_LOST + (HEARTBEAT_LOST,)) == [
        "[RaftManager id=1] Election timed out before receiving sufficient vote responses ...",
        "[BrokerLifecycleManager id=1] Unable to send a heartbeat ..."]
    assert log_mark(tmp_path / "missing.log") == 0


def test_a_slow_consumer_falls_behind_the_rule_fires_then_it_catches_up(kafka, unique):
    topic, group = f"views_{unique}", f"slow-{unique}"
    recreate_topic(kafka, topic)
    producer_reports, consumer_reports = [], []
    producer = Producer({"bootstrap.servers": kafka, "statistics.interval.ms": 300,
                         "stats_cb": lambda r: producer_reports.append((time.monotonic(), json.loads(r)))})
    consumer = Consumer({"bootstrap.servers": kafka, "group.id": group, "auto.offset.reset": "earliest",
                         "auto.commit.interval.ms": 200, "statistics.interval.ms": 300,
                         "stats_cb": lambda r: consumer_reports.append((time.monotonic(), json.loads(r)))})
    admin = AdminClient({"bootstrap.servers": kafka})
    run = run_slow_consumer(producer, consumer, admin, topic, group, LagRule(for_s=0.6, tolerance=10),
                            rate=400, produce_s=1.5, work_s=0.005)
    assert run.caught_up and run.consumed == run.produced > 300
    lags = [lag for _, lag in run.samples]
    assert max(lags) > 100 and lags[-1] == 0
    assert run.fired_at is not None and run.cleared_at is not None and run.fired_at < run.cleared_at
    assert producer_reports and consumer_reports
    stats_lag = [(at - run.began, r["topics"][topic]["partitions"]["0"]["consumer_lag"])
                 for at, r in consumer_reports if topic in r["topics"]]
    assert isinstance(plot_lag_run(run, stats_lag), Figure)
    assert isinstance(plot_round_trips(producer_reports, run.began), Figure)
