"""Chapters 1-3: every check tested four ways (untouched, wrong, raising, right twice) from its
exercise's own slate, on the real broker; and the chapters' concept figures."""
from __future__ import annotations

from xml.dom import minidom

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
from exercise_ways import four_ways, passes

from helpers import ConfigError, SyncProducer, create_topic, parse_config
from helpers.client.partitioner import md5_partition
from helpers.client.topic_state import partition_offsets
from helpers.course import exercises as ex
from helpers.course.exercises import MISSING
from helpers.course.exercises.framework import begin, predict, reveal
from helpers.course.figures.cluster import cluster
from helpers.course.figures.quorum import quorum
from helpers.course.figures.write_path import failover, write_path


@pytest.fixture
def send(kafka):
    producer = SyncProducer(endpoints=[kafka])
    yield lambda topic, *pairs, **kw: producer.produce_batch(topic, list(pairs), **kw)
    producer.close()


def _create(kafka, topic: str, partitions: int) -> None:
    admin = AdminClient({"bootstrap.servers": kafka})  # kept alive until the future is done
    admin.create_topics([NewTopic(topic, partitions, 1)])[topic].result(10)


def test_1_1_a_topic_the_learner_creates_with_three_partitions(kafka, unique):
    topic = f"ex11-{unique}"
    four_ways(lambda: ex.topic_with_partitions(kafka, topic, 3),
              start=lambda: begin("1.1", kafka, absent_topics=[topic], quiet=True),
              wrong=lambda: _create(kafka, topic, 2),
              raising=lambda: _create(kafka, topic, 0),   # Kafka refuses 0 partitions: result() raises
              right=lambda: _create(kafka, topic, 3))
    begin("1.1", kafka, absent_topics=[topic], quiet=True)  # made before the exercise began: gone, not counted
    assert "no topic" in ex.topic_with_partitions(kafka, topic, 3).message


def test_1_2_one_key_one_partition_after_the_exercise_began(kafka, unique, send):
    topic = f"ex12-{unique}"
    four_ways(lambda: ex.same_key_same_partition(kafka, topic, "Kafka"),
              start=lambda: begin("1.2", kafka, fresh_topics=[topic], partitions=3, quiet=True),
              wrong=lambda: [send(topic, ("Kafka", str(p)), partition=p) for p in range(3)],
              raising=lambda: (send(topic, ("Kafka", "1")), int("two")),
              right=lambda: send(topic, ("Kafka", "1"), ("Kafka", "2"), ("Kafka", "3")))
    assert passes(ex.same_key_same_partition(kafka, topic, "Kafka"))
    picked = md5_partition("Kafka", 3)
    send(topic, ("Kafka", "4"), partition=(picked + 1) % 3)
    assert "spread over partitions" in ex.same_key_same_partition(kafka, topic, "Kafka").message
    begin("1.2", kafka, fresh_topics=[topic], partitions=3, quiet=True)  # all in one, but not the key's choice
    send(topic, ("Kafka", "1"), ("Kafka", "2"), ("Kafka", "3"), partition=(picked + 1) % 3)
    chosen = ex.same_key_same_partition(kafka, topic, "Kafka")
    assert not passes(chosen) and f"puts 'Kafka' in partition {picked}" in chosen.message


def test_1_3_predict_where_the_next_message_goes(kafka, unique, send):
    topic = f"ex13-{unique}"
    create_topic(kafka, topic, partitions=2)
    first = send(topic, ("Amerika", "1927"), ("Metamorphosis", "1915"))[0]

    def truth() -> dict:
        return {"partition": first.partition, "offset": partition_offsets(kafka, topic)[first.partition][1]}

    def run_the_reveal_cell():
        reveal("1.3")
        send(topic, ("Amerika", "1927, again"))

    def predict_and_run(**values):
        predict("1.3", **values)
        run_the_reveal_cell()

    four_ways(lambda: ex.predicted_partition_and_offset(kafka, topic, "Amerika"),
              start=lambda: begin("1.3", kafka, watch_topics=[topic], quiet=True),
              wrong=lambda: predict_and_run(partition=first.partition, offset=first.offset),  # its old place
              raising=lambda: predict_and_run(partition=int("zero"), offset=0),
              right=lambda: predict_and_run(**truth()))
    begin("1.3", kafka, watch_topics=[topic], quiet=True)
    missed = truth()
    predict_and_run(partition=1 - missed["partition"], offset=missed["offset"])
    explained = ex.predicted_partition_and_offset(kafka, topic, "Amerika")
    assert not passes(explained) and f"went to partition {missed['partition']}" in explained.message
    begin("1.3", kafka, watch_topics=[topic], quiet=True)
    written, after = truth(), run_the_reveal_cell()
    predict("1.3", **written)                                  # written after the answer was shown
    assert "after the answer was shown" in ex.predicted_partition_and_offset(kafka, topic, "Amerika").message


def _answer_ways(check, exercise: str, kafka, wrong_value, compute_right):
    state = {"answer": MISSING}

    def start():
        begin(exercise, kafka, quiet=True)
        state["answer"] = MISSING

    def raising():
        state["answer"] = compute_right(broken=True)

    four_ways(lambda: check(kafka, state["answer"]), start=start,
              wrong=lambda: state.update(answer=wrong_value), raising=raising,
              right=lambda: state.update(answer=compute_right()))


def test_2_1_the_cluster_id_from_an_admin_client(kafka):
    def cluster_id(broken=False):
        admin = AdminClient({"bootstrap.servers": kafka})
        described = admin.describe_cluster(request_timeout=10).result(10)
        return described.clusterid if broken else described.cluster_id   # AttributeError when broken

    _answer_ways(ex.cluster_id, "2.1", kafka, "MkU3OEVBNTcwNTJENDM2Qg", cluster_id)
    assert not passes(ex.cluster_id(kafka, 1))


def test_2_2_the_finalized_metadata_version(kafka):
    from helpers.course.kafka_tools import kafka as tool

    def finalized(broken=False):
        out = tool("kafka-features", "describe", where=kafka).stdout.splitlines()
        line = next(line for line in out if line.split()[1:2] == ["metadata.version"])
        return line.split("FinalizedVersionLevel:" if not broken else "FinalVersion:")[1].split()[0]

    supported_max = next(line for line in tool("kafka-features", "describe", where=kafka).stdout.splitlines()
                         if "metadata.version" in line).split("SupportedMinVersion:")[1].split()[0]
    _answer_ways(ex.metadata_version, "2.2", kafka, supported_max, finalized)


def test_2_3_a_producer_pointed_at_the_broker_not_the_controller(kafka, unique):
    topic = f"ex23-{unique}"
    host, port = kafka.rsplit(":", 1)

    def send(bootstrap: str, **extra):
        producer = Producer({"bootstrap.servers": bootstrap, "message.timeout.ms": 1500, **extra})
        producer.produce(topic, value=b"it works")
        return producer.flush(5)

    four_ways(lambda: ex.fixed_bootstrap(kafka, topic),
              start=lambda: begin("2.3", kafka, fresh_topics=[topic], quiet=True),
              wrong=lambda: send(f"{host}:{int(port) + 1}"),       # the broken cell: the controller's port
              raising=lambda: send(kafka, acks="sometimes"),       # the client refuses the setting
              right=lambda: send(kafka))


def test_3_1_the_config_fixed_not_copied(kafka):
    broken = {"producer": {"endpoints": ["127.0.0.1:9092"], "topic": ["exercise_config"],
                           "partition_stategy": "murmur2"}}
    fixed = {"producer": {"endpoints": ["127.0.0.1:9092"], "topics": ["exercise_config"],
                          "partition_strategy": "murmur2"}}
    state = {"fixed": MISSING}

    def start():
        begin("3.1", kafka, quiet=True)
        state["fixed"] = MISSING

    def raising():
        state["fixed"] = parse_config(broken)  # ConfigError: the learner's own call raises

    four_ways(lambda: ex.fixed_producer_config(state["fixed"]), start=start,
              wrong=lambda: state.update(fixed={"producer": {"endpoints": ["127.0.0.1:9092"],
                                                             "topics": ["exercise_config"]}}),  # a key dropped
              raising=raising, right=lambda: state.update(fixed=fixed))
    copied = {"producer": {"endpoints": ["127.0.0.1:9092"], "topics": ["our_topic"]}}  # the fix shown above
    assert not passes(ex.fixed_producer_config(copied))
    assert not passes(ex.fixed_producer_config(parse_config(fixed)))
    with pytest.raises(ConfigError):
        parse_config(broken)


def test_3_2_a_plain_send_that_was_flushed(kafka, unique, send):
    topic = f"ex32-{unique}"
    state = {}

    def start():
        begin("3.2", kafka, fresh_topics=[topic], quiet=True)
        state.update(unsent=MISSING, producer=MISSING, reports=[])
        state["conf"] = {"bootstrap.servers": kafka,
                         "on_delivery": lambda err, msg: state["reports"].append((err, msg))}

    def check():
        return ex.plain_send(kafka, topic, "Amerika", "1927", state["unsent"], state["producer"], state["reports"])

    def produce(flush: bool, value=b"1927"):
        state["producer"] = Producer(state["conf"])
        state["producer"].produce(topic, value=value, key=b"Amerika")
        state["unsent"] = state["producer"].flush(10) if flush else 0   # without flush: the copied `= 0`

    four_ways(check, start=start, wrong=lambda: produce(flush=False),
              raising=lambda: produce(flush=True, value=1927),   # TypeError: a value must be bytes or str
              right=lambda: produce(flush=True))
    assert "served its delivery report" in check().message
    start()  # the cheat: an unused my_producer, the message sent another way, unsent = 0 copied
    state["producer"] = Producer(state["conf"])
    send(topic, ("Amerika", "1927"))
    state["unsent"] = 0
    cheat = check()
    assert not passes(cheat) and "sent some other way" in cheat.message


def test_3_3_delivery_reports_the_learner_records(kafka, unique, send):
    topic = f"ex33-{unique}"
    state = {}

    def start():
        begin("3.3", kafka, fresh_topics=[topic], partitions=3, quiet=True)
        state.update(delivered=MISSING, record=MISSING)

    def check():
        return ex.delivery_reports(kafka, topic, state["delivered"], state["record"])

    def produce(record, flush=True):
        state["delivered"], state["record"] = [], record
        producer = Producer({"bootstrap.servers": kafka})
        for n, key in enumerate(["Josef K.", "Gregor", "Karl", "Georg", "Frieda"]):
            producer.produce(topic, value=str(n).encode(), key=key.encode(), on_delivery=record)
        producer.flush(10) if flush else producer.poll(0)

    def right(err, msg):
        if err is None:
            state["delivered"].append((msg.partition(), msg.offset()))
        else:
            print("failed:", err.str())

    four_ways(check, start=start,
              wrong=lambda: produce(right, flush=False),                             # reports never served
              raising=lambda: produce(lambda err, msg: state["delivered"].append(msg.partitions())),
              right=lambda: produce(right))
    assert check().message.endswith("nothing for a failed one.") and len(state["delivered"]) == 5
    start()
    produce(lambda err, msg: state["delivered"].append((msg.partition(), msg.offset() + 1)))
    assert "does not match the broker" in check().message
    start()  # ignores err: records a failed delivery as if it were one
    produce(lambda err, msg: state["delivered"].append((msg.partition(), msg.offset())))
    assert "failed delivery" in check().message and len(state["delivered"]) == 5
    start()  # the cheat: the list made from SyncProducer's results, no callback at all
    state["delivered"] = [(r.partition, r.offset) for r in send(topic, *[(k, "v") for k in "abcde"])]
    assert "no function record" in check().message


@pytest.mark.parametrize("figure, labels", [
    (cluster(), ["LEADER", "follower", "consumer group", "ISR", "produce", "fetch"]),
    (quorum(), ["ACTIVE", "standby", "__cluster_metadata", "majority", "broker 4", "heartbeat"]),
    (quorum(combined_node=1), ["node 1 is broker and controller", "combined mode"]),
    (write_path(), ["acks=all", "min.insync.replicas=2", "high watermark = 4", "NOT_ENOUGH_REPLICAS",
                    "replica.lag.time.max.ms", "1. produce (the leader gives it offset 5)", "KIP-966"]),
    (failover(), ["NEW leader", "ISR = {2, 3}", "the controller elects", "high watermark",
                  "recognised as a duplicate", "truncates its own 5"]),
])
def test_figures_are_valid_svg_with_their_labels(figure, labels):
    svg = figure.to_svg()
    document = minidom.parseString(svg)
    assert document.documentElement.tagName == "svg"
    words = " ".join(node.firstChild.data for node in document.getElementsByTagName("text") if node.firstChild)
    for label in labels:
        assert label in words, label
    assert repr(figure) == f"[figure: {figure.title}]"
