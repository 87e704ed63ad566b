"""The checks of chapter 16, each tested four ways (untouched, wrong, raising, right twice) from its
exercise's own clean slate, on real brokers (16.1 on a three-node cluster of its own); and the
chapter's figure."""
from __future__ import annotations

import json
import logging
import random
import time
from xml.dom import minidom

import pytest
from confluent_kafka import Consumer, ConsumerGroupTopicPartitions, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic, OffsetSpec

from exercise_ways import four_ways, passes
from helpers import recreate_topic
from helpers.client.deadline import Deadline
from helpers.course import exercises as ex
from helpers.course.demos.operating import wait_for_preferred_leader
from helpers.course.exercises.ch16 import BACK, WRITES
from helpers.course.exercises.framework import MISSING, begin, predict
from helpers.course.figures.replica_states import ReplicaState, replica_states

QUIET = logging.getLogger("helpers.librdkafka")
RIGHT = {"one_down_acks_all": "ok", "one_down_acks_1": "ok", "two_down_acks_all": "fails", "two_down_acks_1": "ok"}


# ---- 16.1 ------------------------------------------------------------------------------------------
def write(bootstrap, topic, label, acks, **settings):
    reports = []
    producer = Producer({"bootstrap.servers": bootstrap, "acks": acks, "logger": QUIET, **settings})
    producer.produce(topic, value=label.encode(), on_delivery=lambda err, msg: reports.append(err))
    producer.flush(15)
    return reports[0]


def isr(bootstrap, topic):
    from confluent_kafka import TopicCollection
    admin = AdminClient({"bootstrap.servers": bootstrap, "logger": QUIET})
    return [n.id for n in admin.describe_topics(TopicCollection([topic]))[topic].result(10).partitions[0].isr]


def the_chapters_writes(trio, topic):
    """Section 1-3 of the chapter: the four labelled writes with one and two brokers down, then the brokers back."""
    bootstrap = trio.bootstrap
    admin = AdminClient({"bootstrap.servers": bootstrap, "logger": QUIET})
    admin.create_topics([NewTopic(topic, num_partitions=1, replica_assignment=[[1, 2, 3]],
                                  config={"min.insync.replicas": "2"})])[topic].result(15)
    wait_for_preferred_leader(bootstrap, topic)
    assert write(bootstrap, topic, "all up, acks=all", "all") is None
    trio.stop(node=3)
    outcomes = {name: write(bootstrap, topic, WRITES[name], acks)
                for name, acks in (("one_down_acks_all", "all"), ("one_down_acks_1", "1"))}
    trio.stop(node=2)
    outcomes["two_down_acks_all"] = write(bootstrap, topic, WRITES["two_down_acks_all"], "all", retries=0)
    outcomes["two_down_acks_1"] = write(bootstrap, topic, WRITES["two_down_acks_1"], "1")
    trio.start()
    assert Deadline(15).until(lambda: len(isr(bootstrap, topic)) == 3, step=0.1)
    assert write(bootstrap, topic, BACK, "all") is None
    return outcomes


@pytest.mark.multinode
def test_16_1_which_writes_fail_with_one_and_two_brokers_down(kafka, unique, three_nodes):
    three_nodes.start()
    topic = f"replicated_{unique}"
    outcomes = the_chapters_writes(three_nodes, topic)
    assert [name for name, err in outcomes.items() if err is not None] == ["two_down_acks_all"]
    assert outcomes["two_down_acks_all"].name() == "NOT_ENOUGH_REPLICAS"

    def raising():
        predict("16.1", one_down_acks_all="ok", one_down_acks_1="ok")  # half written, then the cell failed
        raise RuntimeError("stopped before the rest of the prediction")

    four_ways(lambda: ex.writes_predicted(three_nodes.bootstrap, topic),
              start=lambda: begin("16.1", kafka, quiet=True),
              wrong=lambda: predict("16.1", **{**RIGHT, "two_down_acks_1": "fails"}),  # acks=1 thought to fail too
              raising=raising, right=lambda: predict("16.1", **RIGHT))
    begin("16.1", kafka, quiet=True)
    predict("16.1", **{name: "ok" for name in RIGHT})  # nothing fails: wrong, and the reason is named
    verdict = ex.writes_predicted(three_nodes.bootstrap, topic)
    assert not passes(verdict) and "NOT_ENOUGH_REPLICAS" in str(verdict)
    predict("16.1", **{**RIGHT, "one_down_acks_all": "maybe"})
    assert "each \"ok\" or \"fails\"" in str(ex.writes_predicted(three_nodes.bootstrap, topic))


def test_16_1_needs_the_brokers_back_before_it_judges(kafka, unique):
    topic = f"replicated_{unique}"
    recreate_topic(kafka, topic)
    write(kafka, topic, "all up, acks=all", "all")  # the demo stopped halfway: no write after the brokers came back
    begin("16.1", kafka, quiet=True)
    predict("16.1", **RIGHT)
    verdict = ex.writes_predicted(kafka, topic)
    assert not passes(verdict) and "came back" in str(verdict)
    assert not passes(ex.writes_predicted(MISSING, topic))


# ---- 16.2 ------------------------------------------------------------------------------------------
def test_16_2_the_lag_query_with_the_admin_client(kafka, unique):
    topic, group = f"audit_log_{unique}", f"auditors-{unique}"
    state = {}

    def start():
        begin("16.2", kafka, fresh_topics=[topic], partitions=3, forget_groups=[group], quiet=True)
        producer = Producer({"bootstrap.servers": kafka})
        for partition in range(3):
            for n in range(random.randint(5, 30)):
                producer.produce(topic, value=b"entry", partition=partition)
        assert producer.flush(15) == 0
        committer = Consumer({"bootstrap.servers": kafka, "group.id": group, "enable.auto.commit": False})
        try:
            committer.commit(offsets=[TopicPartition(topic, p, random.randint(0, 5)) for p in random.sample(range(3), 2)],
                             asynchronous=False)
        finally:
            committer.close()
        state["lag"] = MISSING

    def measure(naive=False):
        admin = AdminClient({"bootstrap.servers": kafka})
        partitions = [TopicPartition(topic, p) for p in range(3)]
        listed = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group, partitions)])[group].result(10)
        committed = {tp.partition: tp.offset for tp in listed.topic_partitions}
        ends = {tp.partition: f.result(10).offset
                for tp, f in admin.list_offsets({tp: OffsetSpec.latest() for tp in partitions}).items()}
        return {p: ends[p] - committed[p] if naive or committed[p] >= 0 else None for p in range(3)}

    def raising():
        AdminClient({"bootstrap.servers": kafka}).list_offsets({TopicPartition(topic, 0): "latest"})  # not an OffsetSpec

    four_ways(lambda: ex.lag_measured(kafka, state["lag"], topic, group), start=start,
              wrong=lambda: state.update(lag=measure(naive=True)),  # -1001 taken for an offset
              raising=raising, right=lambda: state.update(lag=measure()))
    assert not passes(ex.lag_measured(kafka, [1, 2, 3], topic, group))


# ---- 16.3 ------------------------------------------------------------------------------------------
def metered(kafka, topic, state, interval=None, poll=True, wait_s=5.0, read=True):
    """The exercise's cell: broken (no interval, sleeping instead of polling) or fixed."""
    reports = []
    settings = {"bootstrap.servers": kafka, "stats_cb": reports.append, "logger": QUIET}
    if interval:
        settings["statistics.interval.ms"] = interval
    producer = Producer(settings)
    for n in range(random.randint(20, 40)):
        producer.produce(topic, value=f"reading {n}".encode())
    producer.flush(15)
    before, deadline = len(reports), time.monotonic() + wait_s
    while len(reports) == before and time.monotonic() < deadline:   # a report made after the flush
        producer.poll(0.1) if poll else time.sleep(0.1)
    state["reports"] = reports
    if read:
        state["sent"] = json.loads(reports[-1])["topics"][topic]["partitions"]["0"]["txmsgs"]


def test_16_3_a_stats_callback_that_fires_and_one_figure_read(kafka, unique):
    topic = f"metered_{unique}"
    state = {}

    def start():
        begin("16.3", kafka, fresh_topics=[topic], quiet=True)
        state.update(reports=MISSING, sent=MISSING)

    four_ways(lambda: ex.stats_read(kafka, state["reports"], state["sent"], topic), start=start,
              wrong=lambda: metered(kafka, topic, state, interval=None, poll=False, wait_s=0.5, read=False),
              raising=lambda: metered(kafka, topic, state, interval=500, poll=False, wait_s=0.5),  # no poll: IndexError
              right=lambda: metered(kafka, topic, state, interval=500))
    # as in the notebook: the broken cell wrote first, then the fixed copy
    start()
    metered(kafka, topic, state, interval=None, poll=False, wait_s=0.3, read=False)
    metered(kafka, topic, state, interval=500)
    assert passes(ex.stats_read(kafka, state["reports"], state["sent"], topic))
    # the interval set but no poll() while waiting: still no report
    start()
    metered(kafka, topic, state, interval=500, poll=False, wait_s=1.0, read=False)
    assert state["reports"] == [] and not passes(ex.stats_read(kafka, state["reports"], state["sent"], topic))
    # a figure that is not the report's
    start()
    metered(kafka, topic, state, interval=500)
    assert not passes(ex.stats_read(kafka, state["reports"], state["sent"] + 1, topic))
    # a report about another topic's producer
    other = f"other_{unique}"
    recreate_topic(kafka, other)
    elsewhere = {}
    metered(kafka, other, elsewhere, interval=500)
    assert "did not write to it" in str(ex.stats_read(kafka, elsewhere["reports"], elsewhere["sent"], topic))


# ---- the figure ------------------------------------------------------------------------------------
def test_the_replica_states_figure_draws_isr_elr_and_the_writes():
    figure = replica_states([
        ReplicaState("all up", 1, [1, 2, 3], [1, 2, 3], writes={"acks=all": "ok"}),
        ReplicaState("broker 3 stopped", 1, [1, 2, 3], [1, 2], down=[3], writes={"acks=all": "ok", "acks=1": "ok"}),
        ReplicaState("brokers 2, 3 stopped", 1, [1, 2, 3], [1], elr=[2], down=[2, 3],
                     writes={"acks=all": "NOT_ENOUGH_REPLICAS", "acks=1": "ok"}),
    ], topic="replicated")
    svg = figure.to_svg()
    texts = " ".join(node.firstChild.data for node in minidom.parseString(svg).getElementsByTagName("text"))
    for label in ("broker 1", "broker 3", "leader, ISR", "in sync (ISR)", "ELR", "(stopped)", "out of sync",
                  "ISR {1, 2}", "ISR {1}, ELR {2}", "acks=all: NOT_ENOUGH_REPLICAS", "acks=1: ok",
                  "min.insync.replicas = 2", "brokers 2, 3 stopped"):
        assert label in texts, label
    assert repr(figure).startswith("[figure: Partition 0 of 'replicated': the ISR as brokers stop")
