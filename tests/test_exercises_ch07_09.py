"""The checks of chapters 7, 8 and 9, each tested four ways (untouched, wrong, raising, right twice)
from its exercise's own clean slate, on the real broker; and chapter 8's figure."""
from __future__ import annotations

import json
import logging
from xml.dom import minidom

import psutil
import pytest
from confluent_kafka import Producer

from exercise_ways import four_ways
from helpers import OK, ConsumerConfig, ConsumerWorker, SyncProducer, create_topic, recreate_topic
from helpers.broker import LocalCluster
from helpers.broker.cluster import free_ports
from helpers.course import exercises as ex
from helpers.course.exercises.framework import MISSING, begin
from helpers.course.figures.listeners import listeners

QUIET = logging.getLogger("helpers.librdkafka")


def send(where, topic, *pairs, **settings):
    with SyncProducer(endpoints=[where], timeout_s=15, client_settings=settings or None) as producer:
        for key, value in pairs:
            producer.produce_sync(topic, key, value)


# ---- chapter 7 ------------------------------------------------------------------------------
def test_7_1_scram_config(kafka):
    state = {}
    good = {"producer": {"endpoints": ["pkc.example:9092"]},
            "security": {"protocol": "SASL_SSL", "sasl_mechanism": "SCRAM-SHA-512", "username_env": "MY_KAFKA_USER",
                         "password_env": "MY_KAFKA_PASSWORD"}}  # a variable's NAME may say password

    def start():
        begin("7.1", kafka, quiet=True)
        state["config"] = MISSING

    def wrong():  # the cell above's config: PLAIN, no variables named
        state["config"] = {"producer": {"endpoints": ["pkc.example:9092"]},
                           "security": {"protocol": "SASL_SSL", "sasl_mechanism": "PLAIN"}}

    def raising():
        state["config"] = {**good, "producer": {**good["producer"], "client_settings": {"sasl.password": "hunter2"}}}
        raise RuntimeError("the learner's cell stopped here")

    four_ways(lambda: ex.scram_config(state["config"], "MY_KAFKA_USER", "MY_KAFKA_PASSWORD"), start=start,
              wrong=wrong, raising=raising, right=lambda: state.update(config=good))


BILLING = """[consumer]
topics = ["our_topic"]
consumer_group = "g"
message_handler = "builtins:print"

[consumers.audit]
topics = ["another_topic"]
consumer_group = "a"
message_handler = "builtins:print"

[consumers.billing]
topics = ["our_topic"]
consumer_group = "b"
message_handler = "builtins:print"
"""


def test_7_2_dev_workers_from_another_file(kafka, tmp_path):
    from helpers import Application, load_config

    billing = tmp_path / "billing.toml"
    billing.write_text(BILLING)
    state = {}

    def start():
        begin("7.2", kafka, quiet=True)
        state["answer"] = MISSING

    def raising():
        state["answer"] = [w.name for w in Application(load_config(tmp_path / "no_such.toml")).children("dev")]

    four_ways(lambda: ex.dev_workers(state["answer"], billing), start=start,
              wrong=lambda: state.update(answer=["audit", "consumer"]),  # consumer.toml's answer, copied from above
              raising=raising,
              right=lambda: state.update(answer=[w.name for w in Application(load_config(billing)).children("dev")]))


def test_7_3_env_roster_with_the_plain_producer(kafka, unique, tmp_path):
    config = tmp_path / "consumer.toml"
    config.write_text(BILLING)
    topic = f"env_roster_{unique}"
    truth = {"prod": "consumer", "test": "", "dev": "audit,billing,consumer"}

    def produce(values):
        producer = Producer({"bootstrap.servers": kafka})
        for env, value in values.items():
            producer.produce(topic, key=env, value=value)
        assert producer.flush(15) == 0

    def raising():
        Producer({"bootstrap.servers": kafka}).produce(topic, key="prod", value=["consumer"])

    four_ways(lambda: ex.env_roster(kafka, topic, config),
              start=lambda: begin("7.3", kafka, fresh_topics=[topic], quiet=True),
              wrong=lambda: produce({**truth, "dev": "audit,consumer"}),  # consumer.toml's dev, not this file's
              raising=raising, right=lambda: produce(truth))


# ---- chapter 8 ------------------------------------------------------------------------------
def test_8_1_a_valid_name_and_a_message_sent_after_the_start(kafka, unique):
    state = {}
    name = f"my_topic_{unique}"

    def start():
        begin("8.1", kafka, quiet=True)
        state["name"] = MISSING

    def wrong():  # another valid topic that already holds messages: not "my topic!" fixed
        send(kafka, f"our_topic_{unique}", ("k", "v"))
        state["name"] = f"our_topic_{unique}"

    def raising():
        state["name"] = name
        raise RuntimeError("the cell stopped before the send")

    def right():
        state["name"] = name
        send(kafka, name, ("The Trial", "Franz Kafka"))

    four_ways(lambda: ex.valid_name_used(kafka, state["name"]), start=start, wrong=wrong, raising=raising, right=right)


def test_8_1_a_message_sent_before_the_exercise_began_does_not_count(kafka, unique):
    name = f"my_topic_{unique}"
    send(kafka, name, ("k", "v"))
    begin("8.1", kafka, quiet=True)
    assert not ex.valid_name_used(kafka, name).passed


def test_8_2_a_new_group_from_the_earliest_message(kafka, unique):
    topic, readers = f"history_{unique}", f"early_readers_{unique}"
    state = {}

    def start():
        begin("8.2", kafka, fresh_topics=[topic], forget_groups=[readers], quiet=True)
        send(kafka, topic, ("The Castle", "Franz Kafka"))
        config = ConsumerConfig(endpoints=(kafka,), topics=(topic,), consumer_group=readers,
                                start_with_earliest_message=True)
        with ConsumerWorker(config, lambda message: OK, name=f"readers-{unique}") as worker:
            assert len(worker.wait_for(1, timeout=15)) == 1
        state["config"] = MISSING

    def config(group, earliest):
        return ConsumerConfig(endpoints=(kafka,), topics=(topic,), consumer_group=group,
                              start_with_earliest_message=earliest)

    def wrong():  # the group that already read it: earliest does not apply where it committed
        state["config"] = config(readers, True)

    def raising():
        state["config"] = config(f"new-{unique}", False)
        raise RuntimeError("stopped before the fix")

    four_ways(lambda: ex.sees_old_message(kafka, state["config"], topic), start=start, wrong=wrong, raising=raising,
              right=lambda: state.update(config=config(f"new-{unique}", True)))


@pytest.fixture
def two_listeners(tmp_path, monkeypatch):
    """A single node whose INTERNAL listener advertises "kafka" (as in a Docker network)."""
    monkeypatch.setenv("CODEALONG_STATE_DIR", str(tmp_path / "state"))
    cluster = LocalCluster(port=free_ports(3), internal_host="kafka")
    cluster.start()
    yield cluster
    cluster.stop(timeout=5)


def test_8_3_the_listener_that_advertises_a_reachable_address(kafka, unique, two_listeners):
    outside, inside = two_listeners.bootstrap, two_listeners.internal_bootstrap
    topic = f"listener_{unique}"

    def send_through(bootstrap):
        producer = Producer({"bootstrap.servers": bootstrap, "message.timeout.ms": 1500, "logger": QUIET})
        producer.produce(topic, b"The Trial")
        producer.flush(5)

    def start():
        begin("8.3", kafka, quiet=True)
        recreate_topic(outside, topic)

    def raising():
        Producer({"bootstrap.servers": outside, "logger": QUIET}).produce(topic, {"title": "The Trial"})

    four_ways(lambda: ex.listener_fixed(outside, topic), start=start, wrong=lambda: send_through(inside),
              raising=raising, right=lambda: send_through(outside))
    assert not ex.listener_fixed(MISSING, topic).passed
    # Both listeners (and the controller's) listen on loopback only.
    jvm = psutil.Process(two_listeners.status()[0].pid)
    listening = {c.laddr for c in jvm.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN}
    assert {a.ip.removeprefix("::ffff:") for a in listening} == {"127.0.0.1"}
    assert int(inside.rsplit(":", 1)[1]) in {a.port for a in listening}


# ---- chapter 9 ------------------------------------------------------------------------------
def test_9_1_json_whose_numbers_stay_numbers(kafka, unique):
    topic = f"json_{unique}"
    book = {"title": "The Trial", "author": "Franz Kafka", "year": 1925}

    def raising():
        SyncProducer(endpoints=[kafka]).produce_sync(topic, "The Trial", book)  # a dict: refused by the client

    four_ways(lambda: ex.json_message(kafka, topic, "year", 1925),
              start=lambda: begin("9.1", kafka, fresh_topics=[topic], quiet=True),
              wrong=lambda: send(kafka, topic, ("The Trial", str(book)), ("The Trial", json.dumps({**book, "year": "1925"}))),
              raising=raising, right=lambda: send(kafka, topic, ("The Trial", json.dumps(book))))


def test_9_2_both_limits_raised(kafka, unique):
    topic = f"roomy_{unique}"

    def wrong():  # the topic's limit raised, a small message sent
        create_topic(kafka, topic, config={"max.message.bytes": "2000000"})
        send(kafka, topic, ("scan", "x" * 1000))

    def raising():  # the client's limit left as it is: produce() refuses at once
        create_topic(kafka, topic, config={"max.message.bytes": "2000000"})
        send(kafka, topic, ("scan", "x" * 1_500_000))

    def right():
        create_topic(kafka, topic, config={"max.message.bytes": "2000000"})
        send(kafka, topic, ("scan", "x" * 1_500_000), **{"message.max.bytes": 2_000_000})

    four_ways(lambda: ex.large_message(kafka, topic, 1_500_000),
              start=lambda: begin("9.2", kafka, absent_topics=[topic], quiet=True),
              wrong=wrong, raising=raising, right=right)


def test_9_3_flush_before_returning(kafka, unique):
    topic = f"books_{unique}"

    def send_books(count, flush):
        producer = Producer({"bootstrap.servers": kafka, "linger.ms": 500, "logger": QUIET})
        for i in range(count):
            producer.produce(topic, key=f"book-{i}", value=f"copy {i}")
        if flush:
            assert producer.flush(15) == 0

    def raising():
        send_books(3, flush=True)
        raise RuntimeError("stopped after three of five")

    four_ways(lambda: ex.all_books_sent(kafka, topic, 5),
              start=lambda: begin("9.3", kafka, fresh_topics=[topic], quiet=True),
              wrong=lambda: send_books(5, flush=False), raising=raising, right=lambda: send_books(5, flush=True))


# ---- chapter 8's figure ---------------------------------------------------------------------
def test_the_listeners_figure_is_valid_svg_with_both_hops_and_the_failure():
    figure = listeners("127.0.0.1:1", "127.0.0.1:2", "kafka:2")
    svg = figure.to_svg()
    texts = " ".join(node.firstChild.data for node in minidom.parseString(svg).getElementsByTagName("text"))
    for label in ("bootstrap.servers = 127.0.0.1:1", "broker 1 is at 127.0.0.1:1", "works",
                  "bootstrap.servers = 127.0.0.1:2", "broker 1 is at kafka:2", "connect to kafka:2",
                  "Failed to resolve 'kafka:2'", "advertises kafka:2", "listener PLAINTEXT", "listener INTERNAL"):
        assert label in texts, label
    assert repr(figure) == "[figure: Bootstrap vs advertised listener: two hops]"
