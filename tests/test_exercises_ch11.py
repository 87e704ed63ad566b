"""The checks of chapter 11, each tested four ways (untouched, wrong, raising, right twice) on the
real broker, from the exercise's own clean slate; the crash test behind 11.4; and the chapter's
two figures (commit order timelines, transaction markers)."""
from __future__ import annotations

import json
import time
from xml.dom import minidom

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition

from exercise_ways import four_ways, passes
from helpers import ConsumerConfig, ConsumerWorker, SyncProducer
from helpers.client.dead_letter import DeadLetter
from helpers.client.deadline import Deadline
from helpers.client.retry import RetryPolicy
from helpers.course import exercises as ex
from helpers.course.demos.delivery import CrashTest, DeliveryCount
from helpers.course.exercises.framework import begin
from helpers.course.figures.delivery_timelines import committed_at_crash, delivery_timelines
from helpers.course.figures.transactions import transaction_markers

FAST = RetryPolicy(backoff_s=(0.05, 0.1))


@pytest.fixture
def send(kafka):
    producer = SyncProducer(endpoints=[kafka])
    yield lambda topic, pairs: producer.produce_batch(topic, list(pairs))
    producer.close()


# ---- 11.1 exactly the poison to the dead-letter topic -------------------------------------------
ORDERS = [("o1", {"qty": 3}), ("o2", {"qty": "three"}), ("o3", {"qty": 1}), ("o4", {"qty": 2.5}), ("o5", {"qty": 2})]


def check_order(message):
    quantity = json.loads(message["value"])["qty"]
    if not isinstance(quantity, int):
        raise ValueError(f"{quantity!r} is not a whole number")
    return "ok"


def test_11_1_exactly_the_poison_is_dead_lettered_and_the_rest_handled(kafka, unique, send):
    topic, dead, group = f"orders-{unique}", f"orders-{unique}.dead", f"checkers-{unique}"
    config = ConsumerConfig(endpoints=(kafka,), topics=(topic,), consumer_group=group, start_with_earliest_message=True)

    def start():
        begin("11.1", kafka, fresh_topics=[topic, dead], forget_groups=[group], quiet=True)
        send(topic, [(key, json.dumps(order)) for key, order in ORDERS])

    def work(handler, dead_letters: int, after: int = 2):
        with ConsumerWorker(config, handler, retry=FAST, dead_letter=DeadLetter(dead, after=after)) as worker:
            assert Deadline(15).until(lambda: len(worker.dead_lettered) == dead_letters)
            worker.wait_for(len(ORDERS) - dead_letters, timeout=15)

    def fails_on_everything(message):  # the old check passed this one: it read only the last copy
        raise ValueError("cannot handle anything")

    def raising():
        with ConsumerWorker(config, check_order, retry=FAST, dead_letter=DeadLetter(dead, after=2)) as worker:
            worker.wait_for(1, timeout=15)
            raise RuntimeError("the learner's cell stops before the dead letters")

    check = lambda: ex.dead_lettered(kafka, topic, dead, group, poison=["o2", "o4"], attempts=2)
    four_ways(check, start=start, wrong=lambda: work(fails_on_everything, len(ORDERS)), raising=raising,
              right=lambda: work(check_order, 2))
    start()
    work(check_order, 2, after=3)
    assert "after=2" in str(check())                  # right copies, but after 3 attempts


# ---- 11.2 a group moved to a time with offsets_for_times ----------------------------------------
def test_11_2_the_group_is_committed_at_the_first_reading_at_or_after_the_time(kafka, unique):
    topic, group = f"readings-{unique}", f"replayers-{unique}"
    wanted = int(time.time() * 1000) - 3_600_000
    conf = {"bootstrap.servers": kafka, "group.id": group, "enable.auto.commit": False}

    def start():
        begin("11.2", kafka, fresh_topics=[topic], forget_groups=[group], quiet=True)
        producer = Producer({"bootstrap.servers": kafka})
        for n, minute in enumerate([-50, -30, -9, 0, 12, 40]):   # the first at or after `wanted`: offset 3
            producer.produce(topic, value=f"reading {n}".encode(), timestamp=wanted + minute * 60_000)
        assert producer.flush(15) == 0

    def commit(shift: int = 0, as_list: bool = True):
        consumer = Consumer(conf)
        try:
            [found] = consumer.offsets_for_times([TopicPartition(topic, 0, wanted)], timeout=10)
            found.offset += shift
            consumer.commit(offsets=[found] if as_list else found, asynchronous=False)
        finally:
            consumer.close()

    check = lambda: ex.group_at_time(kafka, topic, group, wanted)
    four_ways(check, start=start, wrong=lambda: commit(shift=1), raising=lambda: commit(as_list=False),
              right=commit)
    assert "offset 3" in str(check())


# ---- 11.3 consume, transform, produce in one transaction ----------------------------------------
AMOUNTS = [("alice", "12"), ("bob", "7"), ("carol", "30")]


def test_11_3_records_and_offsets_are_committed_in_one_transaction(kafka, unique, send):
    source, output, group, tid = f"euros-{unique}", f"cents-{unique}", f"converters-{unique}", f"converter-{unique}"

    def start():
        begin("11.3", kafka, fresh_topics=[source, output], forget_groups=[group], quiet=True)
        send(source, AMOUNTS)

    def read_all() -> tuple[Consumer, list]:
        consumer = Consumer({"bootstrap.servers": kafka, "group.id": group, "auto.offset.reset": "earliest",
                             "enable.auto.commit": False, "enable.partition.eof": True})
        consumer.subscribe([source])
        batch, deadline = [], Deadline(15)
        while not deadline.expired():
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            if msg.error() is not None:
                assert msg.error().code() == KafkaError._PARTITION_EOF, msg.error()
                break
            batch.append(msg)
        return consumer, batch

    def cents(msg) -> bytes:
        return str(int(msg.value()) * 100).encode()

    def transform(offsets_in_transaction: bool = True, commit: bool = True, begin_first: bool = True):
        consumer, batch = read_all()
        producer = Producer({"bootstrap.servers": kafka, "transactional.id": tid})
        try:
            producer.init_transactions(15)
            if begin_first:
                producer.begin_transaction()
            for msg in batch:
                producer.produce(output, key=msg.key(), value=cents(msg))
            if offsets_in_transaction:
                producer.send_offsets_to_transaction(consumer.position(consumer.assignment()),
                                                     consumer.consumer_group_metadata(), 15)
            else:
                consumer.commit(asynchronous=False)
            producer.commit_transaction(15) if commit else producer.abort_transaction(15)
        finally:
            consumer.close()

    def without_a_transaction():
        consumer, batch = read_all()
        producer = Producer({"bootstrap.servers": kafka})
        for msg in batch:
            producer.produce(output, key=msg.key(), value=cents(msg))
        assert producer.flush(15) == 0
        consumer.commit(asynchronous=False)
        consumer.close()

    check = lambda: ex.converted_in_a_transaction(kafka, source, output, group, tid)
    # raising: producing before begin_transaction(), which the client refuses
    four_ways(check, start=start, wrong=without_a_transaction, raising=lambda: transform(begin_first=False),
              right=transform)
    assert "in the same transaction" in str(check())
    start()
    transform(offsets_in_transaction=False)        # committed records, but the offsets outside the transaction
    assert "not committed together" in str(check())
    start()
    transform(commit=False)                        # aborted: written, but nothing committed
    assert "none is committed" in str(check())


# ---- 11.4 commit after processing ---------------------------------------------------------------
def test_11_4_nothing_is_lost_when_the_loop_commits_after_processing(kafka, unique, send):
    topic, effects, group = f"invoices-{unique}", f"invoices-{unique}.done", f"invoicers-{unique}"
    state = {}

    def start():
        begin("11.4", kafka, fresh_topics=[topic, effects], forget_groups=[group], quiet=True)
        send(topic, [(f"inv-{n:02d}", "5 EUR") for n in range(12)])
        state["test"] = CrashTest(kafka, topic, effects, group=group, crash_after=7)

    def loop(commit: str, from_zero: bool = False):
        """One life of the learner's loop: commit "before" or "after" processing, or "never";
        `from_zero`: assign offset 0 at every start instead of subscribing (a cheat)."""
        consumer = Consumer({"bootstrap.servers": kafka, "group.id": group, "auto.offset.reset": "earliest",
                             "enable.auto.commit": False, "enable.partition.eof": True})
        try:
            if from_zero:
                consumer.assign([TopicPartition(topic, 0, 0)])
            else:
                consumer.subscribe([topic])
            at_end, deadline = False, Deadline(15)
            while not at_end and not deadline.expired():
                batch = []
                for msg in consumer.consume(5, timeout=0.5):
                    if msg.error() is None:
                        batch.append(msg)
                    elif msg.error().code() == KafkaError._PARTITION_EOF:
                        at_end = True
                    else:
                        raise KafkaException(msg.error())
                if batch and commit == "before":
                    consumer.commit(asynchronous=False)
                for msg in batch:
                    state["test"].process(msg)
                if batch and commit == "after":
                    consumer.commit(asynchronous=False)
        finally:
            consumer.close()

    def run(commit: str):
        state["test"].run(lambda: loop(commit))
        return state["test"].report

    def raising():
        state["test"].run(lambda: 1 / 0)     # the learner's loop raises at once

    check = lambda: ex.nothing_lost_after_crash(kafka, topic, effects, group)
    four_ways(check, start=start, wrong=lambda: run("before"), raising=raising, right=lambda: run("after"))
    assert state["test"].report.twice == ["inv-05", "inv-06"] and not state["test"].report.lost
    start()
    assert run("before").lost == ["inv-07", "inv-08", "inv-09"]     # the batch 5-9 was committed first
    assert "never processed" in str(check())
    start()
    assert run("never").lost == []                                   # nothing lost, but nothing committed
    assert "committed nothing" in str(check())
    start()                                                          # commit first, but every life from 0
    state["test"].run(lambda: loop("before", from_zero=True))
    assert not state["test"].report.lost
    result = check()
    assert not passes(result) and "did again 7 invoices" in result.message


# ---- the figures ---------------------------------------------------------------------------------
def _labels(svg: str) -> str:
    return " ".join(node.firstChild.data for node in minidom.parseString(svg).getElementsByTagName("text")
                    if node.firstChild is not None)


def test_the_commit_order_figure_draws_the_measured_losses_and_repeats():
    keys = [f"pay-{n:02d}" for n in range(20)]
    counts = [DeliveryCount("commit-first", 20, keys[:7] + keys[10:], True),
              DeliveryCount("process-first", 20, keys[:7] + keys[5:], True)]
    figure = delivery_timelines(counts, keys, crash_after=7, batch_size=5)
    labels = _labels(figure.to_svg())
    assert repr(figure) == "[figure: Commit first or process first: a crash after 7 messages]"
    for label in ("commit-first", "process-first", "lost 3, twice 0", "lost 0, twice 2", "SIGKILL",
                  "committed at the crash: 10", "committed at the crash: 5"):
        assert label in labels, label
    assert labels.count("lost") - labels.count("lost 0") - labels.count("lost 3") - labels.count("lost:") == 3
    assert labels.count("2x") == 2
    assert (committed_at_crash("commit-first", 7, 5), committed_at_crash("process-first", 7, 5)) == (10, 5)


def test_the_transaction_figure_shows_markers_and_what_each_isolation_level_returns():
    committed, uncommitted = {0: "credit 100", 1: "fee 1"}, {0: "credit 100", 1: "fee 1", 3: "debit 100"}
    figure = transaction_markers(committed, uncommitted, end=5)
    labels = _labels(figure.to_svg())
    assert repr(figure) == "[figure: Transaction markers in the log]"
    assert labels.count("COMMIT marker") == 1 and labels.count("ABORT marker") == 1
    assert labels.index("COMMIT marker") < labels.index("debit 100") < labels.index("ABORT marker")
    assert "aborted data" in labels and labels.count("committed data") == 2
    assert "read_committed gets" in labels and "read_uncommitted gets" in labels
    for offset in range(5):
        assert f"offset {offset}" in labels
