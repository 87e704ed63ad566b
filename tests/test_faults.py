"""Injected faults against the real broker: nothing acknowledged is lost, nothing handled is
skipped. Each test is bounded in messages and time, and reports its figures at the end of
the run (see conftest.pytest_terminal_summary)."""
from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time

import pytest

from conftest import FAULT_FIGURES, read_topic
from helpers.client.deadline import Deadline
from helpers import OK, ConsumerConfig, ConsumerWorker, ProduceError, RetryPolicy, SyncProducer, create_topic

pytestmark = pytest.mark.faults


def produce_numbered(bootstrap: str, topic: str, count: int, batch: int = 1000, timeout_s: float = 10) -> None:
    with SyncProducer(endpoints=[bootstrap], timeout_s=timeout_s) as producer:
        for start in range(0, count, batch):
            producer.produce_sync(topic, [(str(i), str(i)) for i in range(start, min(count, start + batch))])


def test_handler_crashes_lose_nothing(kafka, unique, consumer_config):
    topic, total = f"crash-{unique}", 20_000
    create_topic(kafka, topic, partitions=4)
    produce_numbered(kafka, topic, total)
    calls: dict[int, int] = {}
    lock = threading.Lock()

    def flaky(message):
        number = int(message["value"])
        with lock:
            calls[number] = calls.get(number, 0) + 1
            first = calls[number] == 1
        if first and number % 100 == 42:  # 1%: fails the first time it is seen
            raise RuntimeError(f"injected failure on {number}")
        return OK

    with ConsumerWorker(consumer_config(topic), flaky, retry=RetryPolicy(10_000, 60, (0.01, 0.05)),
                        keep=total) as worker:
        handled = worker.wait_for(total, timeout=240)
    failures = sum(1 for n in range(total) if n % 100 == 42)
    confirmed = {int(m["value"]) for m in handled}
    redelivered = sum(c - 1 for c in calls.values())
    assert confirmed == set(range(total)), f"lost: {len(set(range(total)) - confirmed)}"
    assert len(handled) == total  # each confirmed exactly once
    assert redelivered <= failures + 500, "re-deliveries beyond the failures and one uncommitted batch"
    assert worker.retries == failures and worker.rebalances == 1  # one assignment: no rebalance per failure
    FAULT_FIGURES.append(f"handler crashes: {total} messages, {failures} handler failures injected, "
                         f"{redelivered} re-deliveries, 0 lost")


def test_broker_killed_during_production_keeps_every_acknowledged_message(scratch_cluster, unique):
    scratch_cluster.start()
    bootstrap, topic, total = scratch_cluster.bootstrap, f"kill-{unique}", 20_000
    create_topic(bootstrap, topic, partitions=2)
    acknowledged: list[str] = []
    failed_calls = []
    done = threading.Event()

    def produce():
        with SyncProducer(endpoints=[bootstrap], timeout_s=5) as producer:
            for start in range(0, total, 200):
                batch = [(str(i), str(i)) for i in range(start, start + 200)]
                try:
                    acknowledged.extend(d.key for d in producer.produce_sync(topic, batch))
                except ProduceError as err:  # not acknowledged: not promised; never re-sent here
                    acknowledged.extend(d.key for d in err.delivered)
                    failed_calls.append(err.code)
        done.set()

    sender = threading.Thread(target=produce)
    sender.start()
    assert Deadline(60).until(lambda: len(acknowledged) >= total // 4, step=0.01), "the producer stalled"
    scratch_cluster.kill(1)  # SIGKILL, as a crash
    scratch_cluster.start()
    sender.join(300)
    assert done.is_set()
    stored = [m["key"] for m in read_topic(bootstrap, topic, total, timeout=60)]
    assert set(acknowledged) <= set(stored), f"lost: {len(set(acknowledged) - set(stored))}"
    assert len(stored) == len(set(stored)), "a message was written twice"
    assert len(acknowledged) >= total // 2
    FAULT_FIGURES.append(f"broker SIGKILL during production: {total} messages sent, 1 broker kill, "
                         f"{len(acknowledged)} acknowledged, {len(failed_calls)} calls failed, 0 acknowledged lost, "
                         "0 duplicates")


CONSUMER_SCRIPT = textwrap.dedent('''
    import sys, time
    from helpers import OK, ConsumerConfig, ConsumerWorker
    bootstrap, topic, group, log_path = sys.argv[1:5]
    log = open(log_path, "a", buffering=1)

    def slow(message):
        time.sleep(0.001)
        log.write(message["value"] + "\\n")  # handled: written before OK is returned
        return OK

    config = ConsumerConfig(endpoints=(bootstrap,), topics=(topic,), consumer_group=group,
                            start_with_earliest_message=True)
    ConsumerWorker(config, slow).start()
    time.sleep(120)
''')


def test_consumer_process_killed_resumes_from_committed_offsets(kafka, unique, tmp_path):
    topic, total = f"resume-kill-{unique}", 5_000
    create_topic(kafka, topic, partitions=2)
    produce_numbered(kafka, topic, total)
    log = tmp_path / "handled.txt"
    args = [sys.executable, "-c", CONSUMER_SCRIPT, kafka, topic, f"group-{unique}", str(log)]
    first = subprocess.Popen(args)
    deadline = time.monotonic() + 60
    while (not log.exists() or len(log.read_text().split()) < total // 3) and time.monotonic() < deadline:
        time.sleep(0.05)
    first.kill()  # SIGKILL mid-stream
    first.wait(10)
    before = len(log.read_text().split())
    assert 0 < before < total
    second = subprocess.Popen(args)
    try:
        deadline = time.monotonic() + 120
        while len(set(log.read_text().split())) < total and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        second.kill()
        second.wait(10)
    handled = log.read_text().split()
    assert set(handled) == {str(i) for i in range(total)}, "a message was never handled"
    again = len(handled) - total
    assert again <= before  # the second process resumed, it did not start over
    FAULT_FIGURES.append(f"consumer SIGKILL: {total} messages, 1 consumer kill after {before} handled, "
                         f"{again} handled again, 0 unprocessed")


@pytest.mark.multinode
def test_leader_killed_with_replication_keeps_acknowledged_messages(three_nodes, unique):
    three_nodes.start()
    bootstrap, topic, total = three_nodes.bootstrap, f"failover-{unique}", 5_000
    create_topic(bootstrap, topic, partitions=1, replication_factor=3, config={"min.insync.replicas": "2"})
    acknowledged: list[str] = []

    def produce():
        with SyncProducer(endpoints=[bootstrap], timeout_s=10) as producer:
            for start in range(0, total, 100):
                try:
                    acknowledged.extend(d.key for d in producer.produce_sync(
                        topic, [(str(i), str(i)) for i in range(start, start + 100)]))
                except ProduceError as err:
                    acknowledged.extend(d.key for d in err.delivered)

    from confluent_kafka.admin import AdminClient
    leader = AdminClient({"bootstrap.servers": bootstrap}).list_topics(topic, timeout=10).topics[topic].partitions[0].leader
    sender = threading.Thread(target=produce)
    sender.start()
    assert Deadline(60).until(lambda: len(acknowledged) >= total // 4, step=0.01), "the producer stalled"
    three_nodes.kill(leader)
    sender.join(300)
    new_leader = AdminClient({"bootstrap.servers": bootstrap}).list_topics(topic, timeout=10).topics[topic].partitions[0].leader
    stored = [m["key"] for m in read_topic(bootstrap, topic, total, timeout=60)]
    assert new_leader not in (-1, leader)
    assert set(acknowledged) <= set(stored), f"lost: {len(set(acknowledged) - set(stored))}"
    assert len(acknowledged) > total // 2
    FAULT_FIGURES.append(f"leader SIGKILL (3 nodes, RF 3, min ISR 2): {total} messages sent, leader {leader} killed, "
                         f"new leader {new_leader}, {len(acknowledged)} acknowledged, 0 lost")


def test_clients_recover_when_the_broker_starts_late(scratch_cluster, unique):
    bootstrap, topic = scratch_cluster.bootstrap, f"late-{unique}"
    config = ConsumerConfig(endpoints=(bootstrap,), topics=(topic,), consumer_group=f"late-{unique}",
                            start_with_earliest_message=True)
    with ConsumerWorker(config, lambda message: OK, name=f"late-{unique}") as worker:
        producer = SyncProducer(endpoints=[bootstrap], timeout_s=3)
        with pytest.raises(ProduceError):
            producer.produce_sync(topic, "early", "refused")  # nothing listens yet
        scratch_cluster.start()
        began = time.monotonic()
        create_topic(bootstrap, topic)
        producer.produce_sync(topic, "Metamorphosis", "Franz Kafka")  # the same producer, no restart
        got = worker.wait_for(1, timeout=60)
        recovered = time.monotonic() - began
    assert [m["key"] for m in got] == ["Metamorphosis"]
    assert recovered < 60
    FAULT_FIGURES.append(f"broker started late: producer and consumer recovered by themselves "
                         f"{recovered:.1f} s after it started, 0 lost")
