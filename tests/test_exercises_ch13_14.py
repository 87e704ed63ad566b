"""The checks of chapters 13 (the new consumer protocol) and 14 (share groups), each tested four
ways (untouched, wrong, raising, right twice) on the real broker, from the exercise's own clean
slate; and the share-group states figure."""
from __future__ import annotations

import random
import time
from xml.dom import minidom

import pytest
from confluent_kafka import AcknowledgeType, Consumer, ShareConsumer, TopicPartition
from confluent_kafka.admin import AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource, ResourceType

from exercise_ways import four_ways, passes
from helpers import OK, SyncProducer, recreate_topic
from helpers.client.share import REJECT, configure_share_group
from helpers.course import exercises as ex
from helpers.course.demos.rebalance import rebalance_timeline
from helpers.course.demos.share_demo import dead_letter_topic_for
from helpers.course.exercises.framework import begin, predict, reveal
from helpers.course.figures.share_states import STATES, share_states

JOBS = ["7", "12", "seven", "40", "", "-3", "4.5", "99"]      # exercise 14.3's; offsets 2, 4, 6 are not numbers


# ---- chapter 13 ---------------------------------------------------------------------------------
def read_all(kafka, topic, group, count, protocol="consumer", commit=True, close=True, values=None, **settings):
    """A learner's 13.1 loop: read `count` messages (their values appended to `values`), commit, close."""
    consumer = Consumer({"bootstrap.servers": kafka, "group.id": group, "group.protocol": protocol,
                         "auto.offset.reset": "earliest", "enable.auto.commit": False, **settings})
    values = [] if values is None else values
    try:
        consumer.subscribe([topic])
        deadline = time.monotonic() + 15
        while len(values) < count and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is not None and message.error() is None:
                values.append(message.value().decode())
        if commit:
            consumer.commit(asynchronous=False)
    finally:
        if close:
            consumer.close()
    return consumer


def test_13_1_a_consumer_protocol_group_read_everything(kafka, unique):
    topic, group = f"ex131-{unique}", f"ex131-{unique}"
    read = {}
    check = lambda: ex.modern_group_read_everything(kafka, topic, group, read.get("values", ex.MISSING))  # noqa: E731

    def start():
        read.clear()
        begin("13.1", kafka, fresh_topics=[topic], partitions=4, forget_groups=[group], quiet=True)
        with SyncProducer(endpoints=[kafka]) as producer:
            producer.produce_batch(topic, [(f"order-{n}", f"order {n}: {random.randint(1, 99)} EUR")
                                           for n in range(12)])

    def right():
        read["values"] = []
        read_all(kafka, topic, group, 12, values=read["values"])

    four_ways(check, start=start,
              wrong=lambda: read_all(kafka, topic, group, 12, protocol="classic"),
              raising=lambda: read_all(kafka, topic, group, 12, **{"session.timeout.ms": 10000}),
              right=right)
    start()                                                       # commits the ends without reading: a cheat
    cheat = Consumer({"bootstrap.servers": kafka, "group.id": group, "group.protocol": "consumer"})
    try:
        cheat.subscribe([topic])
        deadline = time.monotonic() + 15
        while len(cheat.assignment()) < 4 and time.monotonic() < deadline:
            cheat.poll(0.2)                                        # joins; what it polls is not kept
        ends = [TopicPartition(topic, p, cheat.get_watermark_offsets(TopicPartition(topic, p), 10)[1])
                for p in range(4)]
        cheat.commit(offsets=ends, asynchronous=False)
    finally:
        cheat.close()
    read["values"] = [f"order {n}" for n in range(12)]            # what the cell above once wrote
    result = check()
    assert not passes(result) and "not the 12 messages" in result.message
    start()
    read_all(kafka, topic, group, 12, protocol="classic")
    assert "classic group" in check().message
    start()
    read_all(kafka, topic, group, 12, commit=False)
    assert "committed nothing" in check().message
    start()
    left_open = read_all(kafka, topic, group, 12, close=False)
    try:
        assert "still in the group" in check().message
    finally:
        left_open.close()


@pytest.fixture(scope="module")
def timelines(kafka):
    topic = f"ex132-{time.time_ns()}"
    recreate_topic(kafka, topic, partitions=4)
    return [rebalance_timeline(kafka, topic, protocol) for protocol in ("classic", "consumer")]


def test_13_2_the_prediction_meets_the_measured_timelines(kafka, timelines):
    measured = {}

    def measure():  # the given cell: reveal, then the truth (measured once, stamped now)
        reveal("13.2")
        for t in timelines:
            t.began = time.time()
        measured["t"] = timelines

    check = lambda: ex.rebalance_prediction(measured.get("t", ex.MISSING))  # noqa: E731

    def start():
        measured.clear()
        begin("13.2", kafka, quiet=True)

    def predicted(**values):
        predict("13.2", **values)
        measure()

    assert [t.gave_up["second joins"] for t in timelines] == [4, 2]
    four_ways(check, start=start,
              wrong=lambda: predicted(classic=2, consumer=2),
              raising=lambda: predicted(classic=int("four"), consumer=2),
              right=lambda: predicted(classic=4, consumer=2))
    start()
    predicted(classic=2, consumer=2)
    assert "eager" in check().message
    start()
    measure()
    predict("13.2", classic=4, consumer=2)              # written after the truth was shown
    assert "after the answer was shown" in check().message
    start()
    predict("13.2", classic=4)
    measure()
    assert "not both" in check().message


# ---- chapter 14 ---------------------------------------------------------------------------------
def set_group(kafka, group, **configs):
    admin = AdminClient({"bootstrap.servers": kafka})
    resource = ConfigResource(ResourceType.GROUP, group, incremental_configs=[
        ConfigEntry(name.replace("_", "."), value, incremental_operation=AlterConfigOpType.SET)
        for name, value in configs.items()])
    for future in admin.incremental_alter_configs([resource]).values():
        future.result(10)


def test_14_1_the_group_configs_set_with_the_admin_client(kafka, unique):
    group = f"ex141-{unique}"
    check = lambda: ex.share_group_configured(kafka, group)  # noqa: E731

    def start():
        begin("14.1", kafka, quiet=True)
        configure_share_group(kafka, group, {"share.auto.offset.reset": "latest", "share.delivery.count.limit": "5"})

    four_ways(check, start=start,
              wrong=lambda: set_group(kafka, group, share_auto_offset_reset="earliest"),   # the limit left at 5
              raising=lambda: set_group(kafka, group, share_auto_offset_reset="earliest",
                                        share_delivery_count_limit="1"),                  # below the broker's floor
              right=lambda: set_group(kafka, group, share_auto_offset_reset="earliest",
                                      share_delivery_count_limit="3"))
    start()
    set_group(kafka, group, share_auto_offset_reset="earliest")
    assert "share.delivery.count.limit=5" in check().message


def test_14_2_the_handler_accepts_numbers_and_rejects_the_rest():
    def right(record):
        try:
            int(record["value"])
        except (TypeError, ValueError):
            return REJECT
        return OK

    def digits_only(record):     # the old solution: "-7" and " 12 " are numbers too
        return OK if record["value"].strip().isdigit() else REJECT

    handler = {}
    check = lambda: ex.number_jobs_handler(handler.get("f", ex.MISSING))  # noqa: E731
    four_ways(check, start=handler.clear,
              wrong=lambda: handler.update(f=digits_only),
              raising=lambda: handler.update(f=lambda record: OK if int(record["value"]) >= 0 else REJECT) or
              handler["f"]({"value": "seven"}),                                   # the learner tries it: ValueError
              right=lambda: handler.update(f=right))
    for wrong, needle in ((digits_only, "'-7'"), (lambda r: OK if int(r["value"]) or True else REJECT, "raised"),
                          (lambda r: REJECT if r["value"] is None else OK, "'3.5'")):
        handler["f"] = wrong
        assert needle in check().message


def acknowledge_jobs(kafka, topic, group, verdict=None, close=True, stop_after=None):
    """A learner's 14.3 loop; `verdict(record)` picks the acknowledgement (default: the right one).
    Returns (rejected offsets, the consumer)."""
    rejected = []
    consumer = ShareConsumer({"bootstrap.servers": kafka, "group.id": group, "share.acknowledgement.mode": "explicit",
                              "log_level": 3})
    try:
        consumer.subscribe([topic])
        seen, deadline = 0, time.monotonic() + 15
        while seen < (stop_after or len(JOBS)) and time.monotonic() < deadline:
            for record in consumer.poll(0.5):
                if record.error() is not None:
                    continue
                seen += 1
                if stop_after and seen > stop_after:
                    break
                if verdict is None:
                    try:
                        int(record.value())
                        kind = AcknowledgeType.ACCEPT
                    except ValueError:
                        kind = AcknowledgeType.REJECT
                else:
                    kind = verdict(record)
                consumer.acknowledge(record, kind)
                if kind == AcknowledgeType.REJECT:
                    rejected.append(record.offset())
            consumer.commit_sync(15)
    finally:
        if close:
            consumer.close()
    return rejected, consumer


def implicit_loop(kafka, topic, group):
    """A cheat: implicit mode accepts everything polled; the offsets of the non-numbers computed aside."""
    consumer = ShareConsumer({"bootstrap.servers": kafka, "group.id": group, "log_level": 3})
    try:
        consumer.subscribe([topic])
        seen, deadline = 0, time.monotonic() + 15
        while seen < len(JOBS) and time.monotonic() < deadline:
            seen += len([r for r in consumer.poll(0.5) if r.error() is None])
        consumer.commit_sync(15)                                                 # implicit: accepts what it polled
    finally:
        consumer.close()


def test_14_3_every_job_acknowledged_by_a_plain_share_consumer(kafka, unique):
    topic, group = f"ex143-{unique}", f"ex143-{unique}"
    check = lambda: ex.share_records_acknowledged(kafka, topic, group)  # noqa: E731

    def start():
        begin("14.3", kafka, fresh_topics=[topic], quiet=True)
        assert dead_letter_topic_for(kafka, group, topic) == f"dlq.{topic}"
        with SyncProducer(endpoints=[kafka]) as producer:
            producer.produce_batch(topic, [(f"job-{n}", value) for n, value in enumerate(JOBS)])

    def raising():
        acknowledge_jobs(kafka, topic, group, verdict=lambda r: AcknowledgeType.ACCEPT if int(r.value()) else None)

    try:
        four_ways(check, start=start,
                  wrong=lambda: acknowledge_jobs(kafka, topic, group, verdict=lambda r: AcknowledgeType.ACCEPT),
                  raising=raising,                                               # int("seven") raises mid-poll
                  right=lambda: acknowledge_jobs(kafka, topic, group))
        start()                                                                  # implicit mode: all accepted
        implicit_loop(kafka, topic, group)
        result = check()
        assert not passes(result) and "[2, 4, 6]" in result.message and "accepted" in result.message
        start()                                                                  # a number rejected too
        acknowledge_jobs(kafka, topic, group, verdict=lambda r: AcknowledgeType.REJECT if r.offset() in (0, 2, 4, 6)
                         else AcknowledgeType.ACCEPT)
        result = check()
        assert not passes(result) and "[0]" in result.message
        start()                                                                  # released, not rejected
        acknowledge_jobs(kafka, topic, group, verdict=lambda r: AcknowledgeType.RELEASE if r.offset() in (2, 4, 6)
                         else AcknowledgeType.ACCEPT)
        result = check()
        assert "[2, 4, 6]" in result.message and "again" in result.message
        assert "cannot pass any more" in check().message                         # the check took them back
        start()
        _, left_open = acknowledge_jobs(kafka, topic, group, close=False)
        try:
            assert "still open" in check().message
        finally:
            left_open.close()
        assert passes(check())                                                   # closed: every ack arrived
    finally:
        AdminClient({"bootstrap.servers": kafka}).delete_topics([f"dlq.{topic}"])


def test_14_3_in_a_workshop_the_dead_letter_topic_is_under_dlq_and_the_learners_prefix(kafka, unique):
    from helpers.client.names import learner_scope, scoped

    learner = f"w{unique}"
    with learner_scope(learner):
        begin("14.3", kafka, fresh_topics=["exercise_jobs"], quiet=True)
        assert dead_letter_topic_for(kafka, "exercise-workers", "exercise_jobs") == f"dlq.{learner}.exercise_jobs"
        with SyncProducer(endpoints=[kafka]) as producer:
            producer.produce_batch("exercise_jobs", [(f"job-{n}", value) for n, value in enumerate(JOBS)])
        try:
            acknowledge_jobs(kafka, scoped("exercise_jobs"), scoped("exercise-workers"))
            result = ex.share_records_acknowledged(kafka, "exercise_jobs", "exercise-workers")
            assert passes(result) and f"dlq.{learner}.exercise_jobs" in result.message
        finally:
            AdminClient({"bootstrap.servers": kafka}).delete_topics([f"dlq.{learner}.exercise_jobs"])


# ---- the figure -----------------------------------------------------------------------------------
def test_the_share_states_figure_names_the_states_and_the_transitions():
    figure = share_states(lock_ms=2000, delivery_limit=3)
    svg = figure.to_svg()
    minidom.parseString(svg)                                                     # valid XML
    for label in [*STATES, "ACCEPT", "REJECT", "RELEASE, lock expired,", "delivery count + 1", "locked 2 s",
                  "session ended", "on delivery 3 (the limit)", "RENEW:", "share.record.lock.duration.ms (2000 ms)", "share.delivery.count.limit"]:
        assert label in svg, label
    assert repr(figure) == "[figure: A share-group record's states]"
