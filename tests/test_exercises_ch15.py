"""The checks of chapter 15 (data contracts), each tested four ways (untouched, wrong, raising, right
twice) on the real broker and the real schema registry, from the exercise's own clean slate."""
from __future__ import annotations

import json
import struct
import time

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from exercise_ways import four_ways, passes
from helpers.course import exercises as ex
from helpers.course.demos.contracts import BOOK_V1, ORDER_LOCAL, ORDER_V1, forget_subjects, write_mystery_parcel
from helpers.course.exercises.framework import begin, predict, reveal
from helpers.registry import registry_url


@pytest.fixture(scope="module")
def registry(kafka):
    """The default schema registry on the default Kafka (started if needed: 10-25 s)."""
    return SchemaRegistryClient({"url": registry_url(kafka), "timeout": 5})


def raw_value(kafka, topic: str) -> bytes:
    """The first value of the topic, as bytes: a plain consumer without a deserializer."""
    consumer = Consumer({"bootstrap.servers": kafka, "group.id": f"raw-{topic}", "enable.auto.commit": False})
    try:
        consumer.assign([TopicPartition(topic, 0, 0)])
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                return msg.value()
    finally:
        consumer.close()
    raise TimeoutError(f"nothing in {topic}")


# ---- 15.1 ---------------------------------------------------------------------------------------
def test_15_1_the_schema_id_read_from_the_raw_bytes(kafka, registry, unique):
    topic, found = f"ex151-{unique}", {}

    def check():
        return ex.schema_found(kafka, topic, found.get("id", ex.MISSING), found.get("fields", ex.MISSING))

    def start():
        found.clear()
        begin("15.1", kafka, fresh_topics=[topic], quiet=True)
        ex.fresh_subjects(kafka, [topic], registry)
        write_mystery_parcel(kafka, topic)

    def fields(schema_id):
        return [f["name"] for f in json.loads(registry.get_schema(schema_id).schema_str)["fields"]]

    def latest():                                      # the subject's latest version: not the parcel's schema
        newest = SchemaRegistryClient({"url": registry_url(kafka), "timeout": 5}).get_latest_version(f"{topic}-value")
        found.update(id=newest.schema_id, fields=fields(newest.schema_id))

    def right():
        _, schema_id = struct.unpack(">bI", raw_value(kafka, topic)[:5])
        found.update(id=schema_id, fields=fields(schema_id))

    def raising():
        struct.unpack(">bI", b"")                      # a learner's slip: no bytes read yet

    four_ways(check, start=start, wrong=latest, raising=raising, right=right)
    stale = dict(found)                                # the answer of an earlier run of the exercise
    start()
    found.update(stale)
    assert not passes(check())
    start()
    right()
    found["fields"] = list(reversed(found["fields"]))  # the right names in another order
    assert not passes(check())
    forget_subjects(registry, [f"{topic}-value"])


# ---- 15.2 ---------------------------------------------------------------------------------------
def test_15_2_which_changes_backward_accepts(kafka, registry, unique):
    topic = f"ex152-{unique}"
    check = lambda: ex.backward_predicted(kafka, topic)  # noqa: E731

    def start():
        begin("15.2", kafka, quiet=True)
        ex.fresh_subjects(kafka, [topic], registry)
        registry.register_schema(f"{topic}-value", Schema(BOOK_V1, "AVRO"))
        registry.set_compatibility(f"{topic}-value", "BACKWARD")

    def raising():
        predict("15.2", accepted=sorted(name for name in undefined_names))  # noqa: F821

    four_ways(check, start=start,
              wrong=lambda: predict("15.2", accepted=["drop_year", "pages_as_long", "title_renamed"]),
              raising=raising,
              right=lambda: predict("15.2", accepted=["pages_as_long", "drop_year"]))
    result = check()
    assert "accepts ['drop_year', 'pages_as_long']" in result.message
    start()                                             # a prediction written after the answer was shown
    reveal("15.2")
    predict("15.2", accepted=["drop_year", "pages_as_long"])
    assert not passes(check())
    start()
    predict("15.2", accepted=["drop_year"])             # a miss is explained
    result = check()
    assert not passes(result) and "pages_as_long: accepted, because Avro promotes" in result.message
    start()
    registry.set_compatibility(f"{topic}-value", "NONE")  # the subject is not under BACKWARD any more
    predict("15.2", accepted=["drop_year", "pages_as_long"])
    assert "not BACKWARD" in check().message
    forget_subjects(registry, [f"{topic}-value"])


# ---- 15.3 ---------------------------------------------------------------------------------------
def produce_orders(kafka, registry, topic: str, serializer) -> None:
    producer = Producer({"bootstrap.servers": kafka})
    for n in range(3):
        order = {"id": f"order-{n}", "amount_cents": 1250 * (n + 1), "coupon": ""}
        producer.produce(topic, key=order["id"].encode(),
                         value=serializer(order, SerializationContext(topic, MessageField.VALUE)))
    assert producer.flush(15) == 0


def test_15_3_a_producer_that_refuses_to_register(kafka, registry, unique):
    topic, learner = f"ex153-{unique}", {}
    check = lambda: ex.no_rogue_schema(kafka, topic, learner.get("serializer", ex.MISSING))  # noqa: E731

    def start():
        learner.clear()
        begin("15.3", kafka, fresh_topics=[topic], quiet=True)
        ex.fresh_subjects(kafka, [topic], registry)
        registry.register_schema(f"{topic}-value", Schema(ORDER_V1, "AVRO"))
        registry.set_compatibility(f"{topic}-value", "BACKWARD")

    def attempt(schema, **conf):
        learner["serializer"] = AvroSerializer(registry, schema, conf=conf or None)
        produce_orders(kafka, registry, topic, learner["serializer"])

    four_ways(check, start=start,
              wrong=lambda: attempt(ORDER_LOCAL),                                   # the broken cell: version 2
              raising=lambda: attempt(ORDER_LOCAL, **{"auto.register.schemas": False}),  # 404: not registered
              right=lambda: attempt(ORDER_LOCAL, **{"auto.register.schemas": False, "use.latest.version": True}))
    assert registry.get_versions(f"{topic}-value") == [1]
    assert not [s for s in registry.get_subjects() if s.startswith(f"{topic}-probe")]  # the probe left nothing
    start()                            # the registered schema, but a serializer that would register the next one
    attempt(ORDER_V1)
    result = check()
    assert not passes(result) and "registered a schema for a subject that had none" in result.message
    assert not [s for s in registry.get_subjects() if s.startswith(f"{topic}-probe")]
    start()                            # a right serializer, but no order written since the exercise began
    learner["serializer"] = AvroSerializer(registry, ORDER_LOCAL, conf={"auto.register.schemas": False,
                                                                       "use.latest.version": True})
    assert "No order was written" in check().message
    forget_subjects(registry, [f"{topic}-value"])
