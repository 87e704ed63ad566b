"""The checks of chapters 4 to 6, each tested four ways (untouched, wrong, raising, right twice) on
the real broker, from the exercise's own clean slate; and the lag figure."""
from __future__ import annotations

import random
import time
from xml.dom import minidom

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from exercise_ways import four_ways, passes
from helpers import OK, ConsumerConfig, ConsumerWorker, SyncProducer, create_topic
from helpers.course import exercises as ex
from helpers.course.exercises import MISSING
from helpers.course.exercises.framework import _SLATES, begin, predict, reveal
from helpers.course.figures.lag import lag, partition_lag

TITLES = ["Amerika", "The Castle", "The Judgment", "The Burrow", "A Hunger Artist", "In the Penal Colony",
          "A Country Doctor", "The Stoker", "Contemplation", "Investigations of a Dog"]


@pytest.fixture
def send(kafka):
    producer = SyncProducer(endpoints=[kafka])
    yield lambda topic, *pairs, **kw: producer.produce_batch(topic, list(pairs), **kw)
    producer.close()


def plain_fill(kafka, topic, counts, key="m"):
    """Write counts[p] messages to partition p with the plain producer."""
    producer = Producer({"bootstrap.servers": kafka})
    for partition, count in enumerate(counts):
        for n in range(count):
            producer.produce(topic, key=f"{key}-{partition}-{n}", value="v", partition=partition)
    assert producer.flush(15) == 0


# ---- chapter 4 ----------------------------------------------------------------------------------
def test_4_1_keyed_only_handler():
    ns = {}

    def keyed_only(message):
        if message["key"] is None:
            raise ValueError("no key")
        return OK

    def truthy(message):  # the usual slip: b"" and "" are keys too
        return OK if message["key"] else None

    def broken(message):
        return OK if message["Key"] is not None else None

    def raising():
        ns["keyed_only"] = broken
        broken({"key": "k"})

    four_ways(lambda: ex.keyed_only_handler(ns["keyed_only"]),
              start=lambda: (begin("4.1", None, quiet=True), ns.update(keyed_only=MISSING)),
              wrong=lambda: ns.update(keyed_only=truthy), raising=raising,
              right=lambda: ns.update(keyed_only=keyed_only))
    handle_message = lambda message: OK  # noqa: E731 (the cell above: confirms everything)
    assert "was confirmed" in ex.keyed_only_handler(handle_message).message
    assert "key=''" in ex.keyed_only_handler(truthy).message and "b''" in ex.keyed_only_handler(truthy).hint


def test_a_check_before_its_exercise_began_names_the_first_cell():
    _SLATES.pop("4.1", None)
    result = ex.keyed_only_handler(lambda message: OK)
    assert not passes(result) and 'chapter.exercise("4.1"' in result.hint


def test_4_2_a_new_group_reads_from_the_start(kafka, unique, send):
    topic, group = f"ex42-{unique}", f"ex42-{unique}"

    def start():
        begin("4.2", kafka, fresh_topics=[topic], partitions=2, forget_groups=[group], quiet=True)
        send(topic, *[(title, "Franz Kafka") for title in TITLES[:6]])

    def read(earliest):
        config = ConsumerConfig(endpoints=(kafka,), topics=(topic,), consumer_group=group,
                                start_with_earliest_message=earliest)
        with ConsumerWorker(config, lambda message: OK) as worker:
            if earliest:
                assert len(worker.wait_for(6, timeout=15)) == 6
            else:
                worker.wait_for_assignment(timeout=15)

    def raising():
        ConsumerConfig(endpoints=(kafka,), topics=(topic,), consumer_group=group, start_with_earliest=True)

    four_ways(lambda: ex.group_read_from_start(kafka, group, topic), start=start,
              wrong=lambda: read(earliest=False), raising=raising, right=lambda: read(earliest=True))


def plain_loop(kafka, topic, group, ns, *, until=9, process=lambda msg: msg.value().decode(), auto_commit=False):
    """The learner's loop of 4.3: callbacks record the TopicPartitions they get into ns; with
    auto-commit off, commit after processing; with it on (the cheat), commit nothing by hand."""
    ns.update(assigned=[], revoked=[], processed=[])
    ns["config"] = {"bootstrap.servers": kafka, "group.id": group, "auto.offset.reset": "earliest",
                    **({} if auto_commit else {"enable.auto.commit": False})}
    consumer = Consumer(ns["config"])
    try:
        consumer.subscribe([topic], on_assign=lambda c, ps: ns["assigned"].extend(ps),
                           on_revoke=lambda c, ps: ns["revoked"].extend(ps))
        deadline = time.monotonic() + 15
        while len(ns["processed"]) < until and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None or msg.error():
                continue
            ns["processed"].append(process(msg))
            if not auto_commit:
                consumer.commit(message=msg, asynchronous=False)
    finally:
        consumer.close()  # with auto-commit on, close() commits what was consumed


def test_4_3_the_plain_loop_commits_the_end_and_records_its_partitions(kafka, unique):
    topic, group, ns = f"ex43-{unique}", f"ex43-{unique}", {}

    def start():
        begin("4.3", kafka, fresh_topics=[topic], partitions=3, forget_groups=[group], quiet=True)
        producer = Producer({"bootstrap.servers": kafka})
        for page in range(9):
            producer.produce(topic, value=f"page {page}", key=f"page-{page}", partition=page % 3)
        assert producer.flush(15) == 0
        ns.update(assigned=MISSING, revoked=MISSING, processed=MISSING, config=MISSING)

    def check():
        return ex.plain_loop_committed(kafka, group, topic, ns["assigned"], ns["revoked"], ns["processed"],
                                       ns["config"])

    four_ways(check, start=start,
              wrong=lambda: plain_loop(kafka, topic, group, ns, until=1),  # the cell above: one message
              raising=lambda: plain_loop(kafka, topic, group, ns, process=lambda msg: int(msg.value())),
              right=lambda: plain_loop(kafka, topic, group, ns))
    good = check()
    assert "auto-commit off" in good.message and "TopicPartitions" in good.message

    start()  # the default auto-commit: close() commits the end, but the loop committed nothing itself
    plain_loop(kafka, topic, group, ns, auto_commit=True)
    assert "auto-commit" in check().message and not passes(check())

    start()
    plain_loop(kafka, topic, group, ns)
    ns.update(assigned=[0, 1, 2], revoked=[0, 1, 2])  # literals, not what the callbacks were given
    assert "assigned holds [0, 1, 2]" in check().message
    ns.update(assigned=[TopicPartition(topic, p) for p in range(3)], revoked=[(topic, p) for p in range(3)])
    assert "revoked holds" in check().message
    ns["revoked"] = MISSING
    assert "revoked is not defined" in check().message
    ns.update(revoked=[TopicPartition(topic, p) for p in range(3)], processed=list(reversed(ns["processed"])))
    assert "processed does not hold" in check().message  # each partition's messages out of order

    start()  # a ConsumerWorker commits; the callbacks' lists are made up
    config = ConsumerConfig(endpoints=(kafka,), topics=(topic,), consumer_group=group,
                            start_with_earliest_message=True)
    with ConsumerWorker(config, lambda message: OK) as worker:
        ns["processed"] = [m["value"] for m in worker.wait_for(9, timeout=15)]
    ns.update(assigned=[0, 1, 2], revoked=[0, 1, 2], config={"enable.auto.commit": False})
    assert not passes(check())


# ---- chapter 5 ----------------------------------------------------------------------------------
def test_5_1_only_a_message_sent_after_the_exercise_began_counts(kafka, unique, send):
    topic = f"ex51-{unique}"
    send(topic, ("The Trial", "Franz Kafka"))  # an earlier run's
    four_ways(lambda: ex.message_in_topic(kafka, topic, "The Trial", "Franz Kafka"),
              start=lambda: begin("5.1", kafka, watch_topics=[topic], quiet=True),
              wrong=lambda: send(topic, ("Metamorphosis", "Franz Kafka")),  # the cell above's
              raising=lambda: send(f"{topic} typo", ("The Trial", "Franz Kafka")),
              right=lambda: send(topic, ("The Trial", "Franz Kafka")))


def test_5_2_the_key_at_an_offset_read_with_assign(kafka, unique):
    topic, ns = f"ex52-{unique}", {}

    def start():
        begin("5.2", kafka, fresh_topics=[topic], partitions=2, quiet=True)
        titles = random.sample(TITLES, len(TITLES))
        producer = Producer({"bootstrap.servers": kafka})
        for i, title in enumerate(titles):
            producer.produce(topic, key=title, value="Franz Kafka", partition=i % 2)
        assert producer.flush(15) == 0
        ns["the_key"] = MISSING

    def read(partition, offset, wait=15):
        reader = Consumer({"bootstrap.servers": kafka, "group.id": f"r-{unique}", "enable.auto.commit": False})
        try:
            reader.assign([TopicPartition(topic, partition, offset)])
            msg, deadline = None, time.monotonic() + wait
            while time.monotonic() < deadline:
                msg = reader.poll(0.2)
                if msg is not None and not msg.error():
                    break
            ns["the_key"] = msg.key().decode()
        finally:
            reader.close()

    four_ways(lambda: ex.key_at(kafka, topic, 1, 3, ns["the_key"]), start=start,
              wrong=lambda: read(0, 0),  # the cell above's partition and offset
              raising=lambda: read(5, 0, wait=1),  # no partition 5: nothing comes, msg is None
              right=lambda: read(1, 3))


def test_5_3_predict_the_next_offset_of_a_partition(kafka, unique):
    topic, producer = f"ex53-{unique}", Producer({"bootstrap.servers": kafka})

    def start():
        begin("5.3", kafka, fresh_topics=[topic], partitions=3, quiet=True)
        plain_fill(kafka, topic, (4, 2, 3))

    def run(offset):
        predict("5.3", offset=offset)
        reveal("5.3")
        producer.produce(topic, key="next", value="one more", partition=2)
        assert producer.flush(15) == 0

    def raising():
        predict("5.3", offset=int("three"))

    check = lambda: ex.next_offset_prediction(kafka, topic, 2, "next")  # noqa: E731
    four_ways(check, start=start, wrong=lambda: run(9), raising=raising, right=lambda: run(3))
    start()
    run(9)
    assert "each partition counts its own offsets from 0" in check().message
    start()
    reveal("5.3")
    predict("5.3", offset=3)  # after the truth was shown: does not count
    assert "after the answer was shown" in check().message


# ---- chapter 6 ----------------------------------------------------------------------------------
def test_6_1_five_sends_with_the_key_after_the_exercise_began(kafka, unique, send):
    from helpers.course.widgets import ProducerForm

    topic = f"ex61-{unique}"
    create_topic(kafka, topic, partitions=3)
    send(topic, *[("clicks", str(n)) for n in range(5)])  # an earlier run's
    form = ProducerForm(kafka, topic=topic, timeout_s=15)

    def clicks(times):
        form.key.value = "clicks"
        for _ in range(times):
            form.send()

    def raising():
        form.key.value = "clicks"
        form.sned()

    try:
        four_ways(lambda: ex.keyed_sends(kafka, topic, "clicks"),
                  start=lambda: begin("6.1", kafka, watch_topics=[topic], quiet=True),
                  wrong=lambda: clicks(4), raising=raising, right=lambda: clicks(5))
    finally:
        form.close()


def test_6_2_the_total_counted_after_the_exercise_began(kafka, unique, send):
    from helpers.course.widgets import TopicView

    topic, ns = f"ex62-{unique}", {}
    create_topic(kafka, topic, partitions=3)
    send(topic, *[(f"k{n}", "v") for n in range(7)])
    view = TopicView(kafka, topic)
    view.refresh()  # an old reading
    stale = view.state

    def start():
        begin("6.2", kafka, quiet=True)
        send(topic, *[(f"extra-{n}", "v") for n in range(random.randint(3, 9))])
        ns["total"] = MISSING

    def count(state):
        ns["total"] = sum(p.next_offset - p.first_offset for p in state.partitions)

    def raising():
        ns["total"] = sum(p.next_offset - p.first_offset for p in view.refresh().partition)

    try:
        four_ways(lambda: ex.message_total(kafka, topic, ns["total"]), start=start,
                  wrong=lambda: count(stale), raising=raising, right=lambda: count(view.refresh()))
    finally:
        view.close()


def lag_scenario(kafka, topic, group):
    """The given cell of 6.3: 8 per partition; partition 0 processed to offset 4, partition 1 to 7,
    committing after each; then 3 more to partition 1. The lag is 3 + 3."""
    plain_fill(kafka, topic, (8, 8))
    consumer = Consumer({"bootstrap.servers": kafka, "group.id": group, "enable.auto.commit": False})
    last = {0: -1, 1: -1}
    try:
        consumer.assign([TopicPartition(topic, 0, 0), TopicPartition(topic, 1, 0)])
        deadline = time.monotonic() + 15
        while (last[0] < 4 or last[1] < 7) and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None or msg.error() or (msg.partition() == 0 and msg.offset() > 4):
                continue
            last[msg.partition()] = msg.offset()
            consumer.commit(message=msg, asynchronous=False)
    finally:
        consumer.close()
    assert last == {0: 4, 1: 7}
    plain_fill(kafka, topic, (0, 3), key="late")


def test_6_3_predict_the_lag(kafka, unique):
    topic, group = f"ex63-{unique}", f"ex63-{unique}"

    def start():
        begin("6.3", kafka, fresh_topics=[topic], partitions=2, forget_groups=[group], quiet=True)
        lag_scenario(kafka, topic, group)

    def run(value):
        predict("6.3", lag=value)
        reveal("6.3")

    def raising():
        predict("6.3", lag=8 - 4 + 11 - "7")

    check = lambda: ex.lag_prediction(kafka, group, topic)  # noqa: E731
    four_ways(check, start=start, wrong=lambda: run(8), raising=raising, right=lambda: run(6))
    start()
    run(8)  # end - last processed offset: one too many per partition
    missed = check().message
    assert "partition 0: end 8 - committed 5 = 3" in missed and "partition 1: end 11 - committed 8 = 3" in missed


# ---- the lag figure -----------------------------------------------------------------------------
def svg_texts(diagram) -> list[str]:
    dom = minidom.parseString(diagram.to_svg())
    return [t.firstChild.data for t in dom.getElementsByTagName("text") if t.firstChild]


def test_the_lag_figure_draws_committed_end_and_lag_per_partition():
    figure = lag({0: (0, 5, 8), 1: (0, 8, 11)}, topic="exercise_lag", group="exercise-lag")
    assert repr(figure) == "[figure: Lag of group 'exercise-lag' on 'exercise_lag': 6]"
    texts = svg_texts(figure)
    for label in ("partition 0", "committed 5", "end 8", "lag 3", "partition 1", "committed 8", "end 11"):
        assert label in texts, label
    assert texts.count("lag 3") == 2 and "4" in texts  # small logs: one numbered cell per offset
    assert any("high watermark" in t and "NEXT offset" in t for t in texts)


def test_the_lag_figure_scales_long_logs_and_shows_what_is_missing():
    figure = lag({0: (100, None, 400), 1: (0, 250, 500), 2: (0, None, 0)})
    texts = svg_texts(figure)
    assert repr(figure) == "[figure: Lag: 550]"
    assert "nothing committed" in texts and "empty" in texts and "lag 300" in texts and "lag 250" in texts
    assert "399" not in texts  # too many offsets for a cell each
    assert partition_lag(100, None, 400) == 300  # never committed: from the log start
    assert partition_lag(100, 50, 400) == 350  # Kafka's end - committed, even below the log start
