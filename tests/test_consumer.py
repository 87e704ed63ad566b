"""ConsumerWorker against the real broker: the handler contract, supervision, groups."""
from __future__ import annotations

import threading
import time
from collections import deque

import pytest

from helpers import (NO_COMMIT, OK, Application, CommitUpTo, ConfigError, ConsumerWorker, SyncProducer,
                     WorkerFailed, create_topic, parse_config)
from helpers.client.consumer import HandlerError, wait_for_split
from helpers.client.dead_letter import DeadLetter, DeadLetterError, DeadLetterWriter
from helpers.client.deadline import Deadline
from helpers.client.errors import CodealongError
from helpers.client.partitioner import md5_partition
from helpers.client.retry import RetryPolicy


def send(kafka: str, topic: str, pairs) -> list:
    with SyncProducer(endpoints=[kafka]) as producer:
        return producer.produce_sync(topic, list(pairs))


def confirm(message):
    return OK


def test_the_seeds_round_trip_reaches_the_handler(kafka, unique, consumer_config):
    topic = f"another_topic-{unique}"
    create_topic(kafka, topic)
    lines = []

    def handle_message(message):
        lines.append(f"{message['key']}: {message['value']}")
        return OK

    with ConsumerWorker(consumer_config(topic), handle_message) as worker:
        assert worker.wait_for_assignment() == [(topic, 0)]
        sent_at = time.time() * 1000
        delivery = send(kafka, topic, [("Metamorphosis", "Franz Kafka")])[0]
        [message] = worker.wait_for(1, timeout=15)
    assert lines == ["Metamorphosis: Franz Kafka"]
    assert message["key"] == "Metamorphosis" and message["value"] == "Franz Kafka"
    assert (message["topic"], message["partition"], message["offset"]) == (topic, 0, delivery.offset)
    assert message["ts_type"] == "create" and abs(message["ts"] - sent_at) < 10_000
    assert message["headers"] == []


def test_bytes_decoding_on_request(kafka, unique, consumer_config):
    topic = f"bytes-{unique}"
    send(kafka, topic, [("k", b"\xff\x00raw")])
    with ConsumerWorker(consumer_config(topic, decode="bytes"), confirm) as worker:
        [message] = worker.wait_for(1, timeout=15)
    assert message["value"] == b"\xff\x00raw" and message["key"] == b"k"


def test_at_least_once_when_the_handler_fails_sometimes(kafka, unique, consumer_config):
    topic = f"flaky-{unique}"
    create_topic(kafka, topic, partitions=3)
    send(kafka, topic, [(f"k{i}", str(i)) for i in range(300)])
    seen: dict[str, int] = {}
    lock = threading.Lock()

    def flaky(message):
        with lock:
            seen[message["value"]] = seen.get(message["value"], 0) + 1
            first_time = seen[message["value"]] == 1
        if first_time and int(message["value"]) % 50 == 7:
            raise RuntimeError("transient failure")
        return OK

    with ConsumerWorker(consumer_config(topic), flaky, retry=RetryPolicy(20, 60, (0.05, 0.2))) as worker:
        handled = worker.wait_for(300, timeout=60)
    assert sorted(int(m["value"]) for m in handled) == list(range(300))  # every one confirmed once
    failures = [e for e in worker.errors if "transient failure" in str(e)]
    assert len(failures) == 6 and worker.retries == 6
    assert all(seen[str(i)] >= 2 for i in range(300) if i % 50 == 7)
    redelivered = sum(count - 1 for count in seen.values())
    assert redelivered >= 6


def test_ordering_within_a_partition_survives_retries(kafka, unique, consumer_config):
    topic = f"order-{unique}"
    send(kafka, topic, [("same", str(i)) for i in range(50)])
    failed = set()

    def sometimes(message):
        if message["value"] in ("10", "30") and message["value"] not in failed:
            failed.add(message["value"])
            raise ValueError("once")
        return OK

    with ConsumerWorker(consumer_config(topic), sometimes, retry=RetryPolicy(5, 60, (0.05, 0.1))) as worker:
        handled = worker.wait_for(50, timeout=30)
    assert [int(m["value"]) for m in handled] == list(range(50))


def test_a_handler_that_forgets_to_return_ok_is_reported_and_nothing_is_committed(kafka, unique, consumer_config):
    topic = f"noreturn-{unique}"
    send(kafka, topic, [("Metamorphosis", "Franz Kafka")])
    config = consumer_config(topic)

    def forgetful(message):
        pass  # no `return OK`

    worker = ConsumerWorker(config, forgetful, retry=RetryPolicy(2, 60, (0.05, 0.1))).start()
    with pytest.raises(WorkerFailed) as err:
        worker.wait_for(1, timeout=20)
    worker.stop()
    assert "gave up after 2 retries within 60 s" in err.value.cause
    assert any("returned None" in str(e) and "return OK" in e.error.fix for e in worker.errors)
    # The message was never confirmed, so the group hands it to the next member.
    with ConsumerWorker(config, confirm) as fixed:
        assert [m["key"] for m in fixed.wait_for(1, timeout=15)] == ["Metamorphosis"]


def test_a_handler_that_cannot_be_imported_is_refused_at_once(consumer_config):
    with pytest.raises(ConfigError, match="cannot be imported"):
        ConsumerWorker(consumer_config("t"), "example_consumr:handle_message")


def test_restart_resumes_from_committed_offsets(kafka, unique, consumer_config):
    topic = f"resume-{unique}"
    config = consumer_config(topic)
    send(kafka, topic, [("old", str(i)) for i in range(5)])
    with ConsumerWorker(config, confirm) as worker:
        assert len(worker.wait_for(5, timeout=15)) == 5
    send(kafka, topic, [("new", str(i)) for i in range(5, 8)])
    with ConsumerWorker(config, confirm) as worker:
        resumed = worker.wait_for(3, timeout=15)
        assert worker.wait_for(1, timeout=2) == []
    assert [m["value"] for m in resumed] == ["5", "6", "7"]


def test_two_members_of_a_group_split_the_partitions(kafka, unique, consumer_config):
    topic = f"split-{unique}"
    create_topic(kafka, topic, partitions=2)
    config = consumer_config(topic)
    first = ConsumerWorker(config, confirm, name="first").start()
    assert first.wait_for_assignment() == [(topic, 0), (topic, 1)]
    second = ConsumerWorker(config, confirm, name="second").start()
    wait_for_split([first, second], partitions=2, timeout=20)
    assert sorted(first.assignment + second.assignment) == [(topic, 0), (topic, 1)]
    keys = [f"key-{i}" for i in range(20)]
    send(kafka, topic, [(k, "v") for k in keys])
    expected_first = sum(1 for k in keys if (topic, md5_partition(k, 2)) in first.assignment)
    got_first = first.wait_for(expected_first, timeout=15)
    got_second = second.wait_for(20 - expected_first, timeout=15)
    assert {m["partition"] for m in got_first} == {first.assignment[0][1]}
    assert {m["partition"] for m in got_second} == {second.assignment[0][1]}
    assert len(got_first) + len(got_second) == 20


def test_starting_a_worker_again_replaces_the_first(kafka, unique, consumer_config):
    topic = f"rerun-{unique}"
    create_topic(kafka, topic)
    config = consumer_config(topic)
    old = ConsumerWorker(config, confirm, name="cell").start()
    assert old.wait_for_assignment()
    started = time.monotonic()
    new = ConsumerWorker(config, confirm, name="cell").start()  # the re-run notebook cell
    assert not old.is_alive() and ConsumerWorker.running["cell"] is new
    assert new.wait_for_assignment(timeout=15) == [(topic, 0)]
    assert time.monotonic() - started < 10  # no stall waiting for the old member's session
    send(kafka, topic, [("k", "v")])
    assert len(new.wait_for(1, timeout=10)) == 1
    new.start()  # the same object again: still one member
    assert new.wait_for_assignment(timeout=15) == [(topic, 0)]


def test_stop_returns_within_its_deadline(consumer_config, unique, kafka):
    topic = f"stop-{unique}"
    create_topic(kafka, topic)
    worker = ConsumerWorker(consumer_config(topic), confirm).start()
    worker.wait_for_assignment()
    started = time.monotonic()
    assert worker.stop(timeout=10)
    assert time.monotonic() - started < 10 and worker.state == "stopped"


def test_batch_mode_ok_no_commit_and_commit_up_to(kafka, unique, consumer_config):
    topic = f"batch-{unique}"
    send(kafka, topic, [("k", str(i)) for i in range(10)])
    config = consumer_config(topic, batch=True)
    batches = []

    def keep_nothing(messages):
        batches.append([m["value"] for m in messages])
        return NO_COMMIT

    with ConsumerWorker(config, keep_nothing) as worker:
        assert len(worker.wait_for(10, timeout=15)) == 10
    with ConsumerWorker(config, lambda messages: CommitUpTo(messages[0]["offset"] + 3)) as worker:
        assert len(worker.wait_for(10, timeout=15)) == 10  # NO_COMMIT: all of them again
    with ConsumerWorker(config, lambda messages: OK) as worker:
        again = worker.wait_for(10, timeout=15)
    assert [m["value"] for m in again] == [str(i) for i in range(4, 10)]  # committed up to offset 3
    with ConsumerWorker(config, lambda messages: OK) as worker:
        assert worker.wait_for_assignment() and worker.wait_for(10, timeout=3) == []  # OK committed the rest
    assert [v for batch in batches for v in batch] == [str(i) for i in range(10)]


def test_subscribing_to_a_missing_topic_is_reported(kafka, unique, consumer_config):
    with ConsumerWorker(consumer_config(f"missing-{unique}"), confirm) as worker:
        Deadline(15).until(lambda: worker.errors)
    assert worker.errors, "no report of the missing topic"
    assert "Unknown topic or partition" in str(worker.errors[0].error)
    assert "Create the topic first" in worker.errors[0].error.fix


def test_application_children_per_environment(kafka, unique):
    topic = f"app-{unique}"
    create_topic(kafka, topic)
    config = parse_config({
        "consumer": {"endpoints": [kafka], "topics": [topic], "consumer_group": f"app-{unique}",
                     "message_handler": "helpers.client.consumer:message_dict", "start_with_earliest_message": True},
        "consumers": {"audit": {"endpoints": [kafka], "topics": [topic], "consumer_group": f"audit-{unique}",
                                "message_handler": "helpers.client.consumer:message_dict"}}})
    app = Application(config)
    assert app.start("test") == []
    prod = app.start("prod")
    assert [w.name for w in prod] == ["consumer"] and prod[0].is_alive()
    dev = app.start("dev")
    assert [w.name for w in dev] == ["audit", "consumer"] and all(w.is_alive() for w in dev)
    assert not prod[0].is_alive()
    app.stop()
    assert not any(w.is_alive() for w in dev) and app.workers == []
    with pytest.raises(ConfigError, match="Unknown environment 'staging'"):
        app.start("staging")


def test_latest_start_sees_everything_produced_once_assigned(kafka, unique, consumer_config):
    topic = f"latest-{unique}"
    create_topic(kafka, topic, partitions=2)
    send(kafka, topic, [("before", "not seen")])
    for attempt in range(5):  # the race this guards against needs several tries to show
        config = consumer_config(topic, start_with_earliest_message=False, consumer_group=f"latest-{unique}-{attempt}")
        with ConsumerWorker(config, confirm) as worker:
            assert len(worker.wait_for_assignment()) == 2
            send(kafka, topic, [(f"after-{attempt}", "seen")])
            got = worker.wait_for(1, timeout=10)
        assert [m["key"] for m in got] == [f"after-{attempt}"]


def test_latest_start_redelivers_a_failed_message_before_anything_was_committed(kafka, unique, consumer_config):
    # A group with no commits starts at the end; after the handler fails and the worker
    # restarts, it must resume at the failed message, not jump to the (new) end.
    topic = f"latest-retry-{unique}"
    create_topic(kafka, topic)
    calls = []

    def fails_first(message):
        calls.append(message["key"])
        if len(calls) == 1:
            raise RuntimeError("first attempt fails")
        return OK
    config = consumer_config(topic, start_with_earliest_message=False)
    with ConsumerWorker(config, fails_first, retry=RetryPolicy(5, 60, (0.1, 0.5))) as worker:
        assert worker.wait_for_assignment()
        send(kafka, topic, [("only", "once")])
        got = worker.wait_for(1, timeout=20)
    assert [m["key"] for m in got] == ["only"] and calls == ["only", "only"] and worker.retries == 1


def test_two_members_split_the_partitions_and_one_takes_over_when_the_other_leaves(kafka, unique, consumer_config):
    topic = f"split-{unique}"
    create_topic(kafka, topic, partitions=4)
    config = consumer_config(topic)
    a = ConsumerWorker(config, confirm, name=f"a-{unique}").start()
    b = ConsumerWorker(config, confirm, name=f"b-{unique}").start()
    try:
        split = wait_for_split([a, b], partitions=4, timeout=20)
        assert sorted(len(p) for p in split.values()) == [2, 2]
        assert sorted(p for partitions in split.values() for _, p in partitions) == [0, 1, 2, 3]
        b.stop()
        assert [p for _, p in wait_for_split([a], partitions=4, timeout=20)[a.name]] == [0, 1, 2, 3]
    finally:
        a.stop()
        b.stop()


def test_a_failing_message_costs_no_rebalance_and_the_other_member_goes_on(kafka, unique, consumer_config):
    """One handler fails 10 times on one message: same members and assignments throughout, the
    other member keeps consuming, and the message comes again (in order) until confirmed."""
    from confluent_kafka.admin import AdminClient

    topic, group = f"nobalance-{unique}", f"nobalance-{unique}"
    create_topic(kafka, topic, partitions=2)
    config = consumer_config(topic, consumer_group=group)
    attempts = {"count": 0}
    seen: dict[str, list[str]] = {"a": [], "b": []}

    def handler_for(name):
        def handle(message):
            if message["value"] == "poison" and attempts["count"] < 10:
                attempts["count"] += 1
                raise RuntimeError(f"attempt {attempts['count']} fails")
            seen[name].append(message["value"])
            return OK
        return handle

    policy = lambda: RetryPolicy(max_retries=20, window_s=60, backoff_s=(0.05, 0.2))  # noqa: E731
    a = ConsumerWorker(config, handler_for("a"), name=f"a-{unique}", retry=policy()).start()
    b = ConsumerWorker(config, handler_for("b"), name=f"b-{unique}", retry=policy()).start()
    admin = AdminClient({"bootstrap.servers": kafka})

    def members():
        described = admin.describe_consumer_groups([group])[group].result(10)
        return sorted(m.member_id for m in described.members)
    try:
        split = wait_for_split([a, b], partitions=2, timeout=20)
        before, rebalances = members(), (a.rebalances, b.rebalances)
        poisoned = a.assignment[0][1]   # a's partition gets the poison message, b's the steady stream
        steady = b.assignment[0][1]
        with SyncProducer(endpoints=[kafka]) as producer:
            producer.produce_batch(topic, [("k", "before"), ("k", "poison"), ("k", "after")], partition=poisoned)
            assert Deadline(15).until(lambda: attempts["count"] >= 1), "a never met the poison message"
            got_b = []
            for i in range(20):  # while a's partition is paused and retried, b handles each as it comes
                producer.produce(topic, f"steady-{i}", partition=steady)
                got_b += b.wait_for(1, timeout=10)
        got_a = a.wait_for(3, timeout=30)
        assert members() == before  # the same member ids throughout: nobody left or joined
        assert (a.rebalances, b.rebalances) == rebalances
        assert {w.name: w.assignment for w in (a, b)} == split
    finally:
        a.stop()
        b.stop()
    assert attempts["count"] == 10 and a.retries == 10 and b.retries == 0
    assert [m["value"] for m in got_a] == ["before", "poison", "after"]  # nothing lost, order kept
    assert seen["a"] == ["before", "poison", "after"]
    assert [m["value"] for m in got_b] == [f"steady-{i}" for i in range(20)]


def test_stop_from_inside_the_handler_stops_the_worker(kafka, unique, consumer_config):
    topic = f"selfstop-{unique}"
    create_topic(kafka, topic)
    box = {}

    def stop_after_this(message):
        box["worker"].stop()  # joining its own thread would deadlock; it must just ask to stop
        return OK
    worker = box["worker"] = ConsumerWorker(consumer_config(topic), stop_after_this)
    worker.start()
    send(kafka, topic, [("k", "v")])
    assert worker.wait_for(1, timeout=15)
    assert Deadline(10).until(lambda: not worker.is_alive()), "the worker kept running"
    assert worker.state == "stopped"


def test_start_after_a_stop_that_timed_out_refuses_a_second_thread(kafka, unique, consumer_config):
    topic = f"busy-{unique}"
    create_topic(kafka, topic)
    inside, release = threading.Event(), threading.Event()

    def busy(message):
        inside.set()
        release.wait(20)  # a handler that takes its time
        return OK
    worker = ConsumerWorker(consumer_config(topic), busy).start()
    try:
        send(kafka, topic, [("k", "v")])
        assert inside.wait(15), "the handler was never called"
        assert worker.stop(timeout=0.2) is False
        with pytest.raises(CodealongError, match="did not stop within its deadline"):
            worker.start()
        assert len([t for t in threading.enumerate() if t.name == f"consumer-{worker.name}"]) == 1
    finally:
        release.set()
        assert worker.stop(timeout=10)


def test_state_observers_run_outside_the_workers_lock(kafka, unique, consumer_config):
    topic = f"observer-{unique}"
    create_topic(kafka, topic)
    worker = ConsumerWorker(consumer_config(topic), confirm)
    held = []
    # An observer that waits on the worker's own lock from another thread would deadlock if
    # the worker called it while holding that lock.
    def observe(state):
        probe = threading.Thread(target=lambda: held.append(worker._cond.acquire(timeout=2) and
                                                            (worker._cond.release() or True)))
        probe.start()
        probe.join()
    worker.on_state = observe
    with worker:
        worker.wait_for_assignment()
    assert held and all(held)


def test_handled_messages_are_bounded_by_default(kafka, unique, consumer_config):
    from helpers.client.consumer import DEFAULT_KEEP

    topic = f"bounded-{unique}"
    with SyncProducer(endpoints=[kafka]) as producer:
        producer.produce_batch(topic, [("k", str(i)) for i in range(DEFAULT_KEEP + 200)])
    worker = ConsumerWorker(consumer_config(topic), confirm).start()
    try:
        # All were handled once the newest DEFAULT_KEEP are kept and the oldest 200 dropped.
        assert Deadline(30).until(lambda: worker.dropped == 200), f"dropped {worker.dropped}"
        kept = worker.wait_for(DEFAULT_KEEP, timeout=0)
        assert [m["value"] for m in kept] == [str(i) for i in range(200, DEFAULT_KEEP + 200)]
        assert worker.wait_for(1, timeout=0) == [] and worker.dropped == 200
    finally:
        worker.stop()


def test_a_dead_letter_copy_that_does_not_fit_is_an_error_on_that_message_not_a_rebuild(kafka, unique,
                                                                                        consumer_config):
    """The copy carries headers saying why: a message just under the producer's size limit fits,
    its copy does not, and produce() refuses it locally. That one message stays uncommitted and is
    retried under the retry policy; the client is never rebuilt."""
    from confluent_kafka import KafkaError

    topic, dead = f"big-{unique}", f"big-{unique}.dead"
    create_topic(kafka, topic)
    create_topic(kafka, dead)
    send(kafka, topic, [("big", "x" * 998_000)])  # the producer's message.max.bytes is 1,000,000

    def refuse(message):
        raise ValueError("too long to explain " + "y" * 3000)  # the copy's error header outgrows the limit
    worker = ConsumerWorker(consumer_config(topic), refuse, retry=RetryPolicy(max_retries=2, backoff_s=(0.05, 0.1)),
                            dead_letter=DeadLetter(dead, after=1))
    with worker:
        assert Deadline(30).until(lambda: worker.state == "failed"), worker.state
    assert worker.rebuilds == 0 and not any(report.where == "client" for report in worker.errors)
    refused = [report.error for report in worker.errors if isinstance(report.error, DeadLetterError)]
    assert len(refused) == 3 and worker.retries == 2  # tried, retried twice, then the policy gave up
    assert refused[0].kafka_error.code() == KafkaError.MSG_SIZE_TOO_LARGE
    assert "dead-letter topic" in refused[0].cause and worker.dead_lettered == deque()
    seen = []
    with ConsumerWorker(consumer_config(topic), lambda m: seen.append(m["key"]) or OK, name=f"b-{unique}") as again:
        again.wait_for(1, timeout=15)
    assert seen == ["big"]  # not committed: the group delivers it again


def test_a_dead_letter_writer_refuses_with_a_typed_error_once_closed(kafka, unique):
    """close() closes the writer's producer; a write after that is a DeadLetterError, not a crash."""
    from helpers.client.config import Connection

    writer = DeadLetterWriter(DeadLetter(f"closed-{unique}.dead"), Connection(endpoints=(kafka,)))
    writer.close()
    assert writer.closed
    with pytest.raises(DeadLetterError) as err:
        writer.write(FakeMessage(), "why", 1)
    assert isinstance(err.value.__cause__, RuntimeError) and err.value.kafka_error is None
    writer.close()  # twice is harmless


class FakeMessage:
    """Enough of a confluent-kafka Message for a dead-letter copy."""
    def topic(self): return "t"
    def partition(self): return 0
    def offset(self): return 7
    def key(self): return b"k"
    def value(self): return b"v"
    def headers(self): return None


def test_a_handler_error_keeps_the_handlers_exception_as_its_cause(kafka, unique, consumer_config):
    topic = f"cause-{unique}"
    send(kafka, topic, [("k", "v")])
    raised = []

    def fails_once(message):
        if not raised:
            raised.append(KeyError("customer 42"))
            raise raised[0]
        return OK
    with ConsumerWorker(consumer_config(topic), fails_once, retry=RetryPolicy(5, 60, (0.05, 0.1))) as worker:
        assert len(worker.wait_for(1, timeout=15)) == 1
    [report] = worker.errors
    assert isinstance(report.error, HandlerError) and report.error.__cause__ is raised[0]
    assert "KeyError" in report.error.cause


def test_a_worker_that_gave_up_survives_a_failure_again_after_a_restart(kafka, unique, consumer_config):
    topic = f"restart-{unique}"
    send(kafka, topic, [("k", "v")])
    calls = []

    def fails_three_times(message):
        calls.append(message["offset"])
        if len(calls) <= 3:
            raise RuntimeError(f"failure {len(calls)}")
        return OK
    worker = ConsumerWorker(consumer_config(topic), fails_three_times, retry=RetryPolicy(1, 60, (0.05, 0.1)))
    with worker:
        assert Deadline(20).until(lambda: worker.state == "failed")  # failures 1 and 2: gave up
    with worker:  # started again: failure 3 is the first of a new run, so it is retried
        assert [m["value"] for m in worker.wait_for(1, timeout=20)] == ["v"]
    assert len(calls) == 4 and worker.state == "stopped"


EXIT_SCRIPT = """
import sys
from helpers import OK, ConsumerConfig, ConsumerWorker, SyncProducer
bootstrap, topic, group = sys.argv[1:4]
config = ConsumerConfig(endpoints=(bootstrap,), topics=(topic,), consumer_group=group, start_with_earliest_message=True)
worker = ConsumerWorker(config, lambda message: OK).start()
assert len(worker.wait_for(3, timeout=30)) == 3
# no stop(): the interpreter exits with the worker running
"""


def test_at_interpreter_exit_running_workers_commit_what_was_confirmed(kafka, unique):
    import subprocess
    import sys

    from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition
    from confluent_kafka.admin import AdminClient

    topic, group = f"atexit-{unique}", f"atexit-{unique}"
    send(kafka, topic, [("k", str(i)) for i in range(3)])
    done = subprocess.run([sys.executable, "-c", EXIT_SCRIPT, kafka, topic, group], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    request = ConsumerGroupTopicPartitions(group, [TopicPartition(topic, 0)])
    admin = AdminClient({"bootstrap.servers": kafka})  # kept in a variable: a collected client drops its futures
    committed = admin.list_consumer_group_offsets([request])[group].result(10)
    assert committed.topic_partitions[0].offset == 3


def test_a_rebalance_listener_never_raises_into_the_poll_loop():
    """A fresh topic's leader may still be settling when the group hands it out: pinning "latest"
    asks again while it settles, and an answer that will not change is logged, not raised (raised
    from the callback, it ended the worker's thread: seen in CI as the playground panel dying)."""
    from confluent_kafka import KafkaError, KafkaException, TopicPartition

    from helpers import ConsumerConfig
    from helpers.client.consumer.rebalance import Assignment

    class FakeConsumer:
        def __init__(self, failures: list[int]):
            self.failures, self.assigned = failures, None

        def committed(self, partitions, timeout):
            return [TopicPartition(p.topic, p.partition, -1001) for p in partitions]

        def get_watermark_offsets(self, partition, timeout):
            if self.failures:
                raise KafkaException(KafkaError(self.failures.pop(0)))
            return (0, 42)

        def assign(self, partitions):
            self.assigned = [(p.topic, p.partition, p.offset) for p in partitions]

    config = ConsumerConfig(endpoints=("127.0.0.1:1",), topics=("t",), consumer_group="g")
    settling = FakeConsumer([KafkaError.NOT_LEADER_FOR_PARTITION, KafkaError.LEADER_NOT_AVAILABLE])
    Assignment(config, lambda gone: None).on_assign(settling, [TopicPartition("t", 0)])
    assert settling.assigned == [("t", 0, 42)]                  # asked again, then pinned at the end
    refused = FakeConsumer([KafkaError.TOPIC_AUTHORIZATION_FAILED])
    Assignment(config, lambda gone: None).on_assign(refused, [TopicPartition("t", 0)])
    assert refused.assigned == [("t", 0, -1001)]                # not pinned, but assigned: no exception
