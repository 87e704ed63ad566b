"""The checks of chapter 15: data contracts (a schema registry, Avro, evolution).

Each exercise's subjects are made clean with its topics: `fresh_subjects(where, topics)` right
after `chapter.exercise(...)` deletes the topics' subjects (TopicNameStrategy: `topic-value`,
`topic-key`, under the learner's prefix) from the registry beside that Kafka.
"""
from __future__ import annotations

import uuid

from ...client.names import scoped
from ..demos.contracts import (PROPOSALS, fields_of, forget_subjects, registry_for, schema_id_of,
                               subject_of)
from .framework import (MISSING, CheckResult, _checked, _done, _messages_since, _not_yet, prediction,
                        started)


def fresh_subjects(where, topics, registry=None) -> None:
    """Part of an exercise's clean slate: delete the registry subjects of these topics (value and key).
    Pass the notebook's SchemaRegistryClient as `registry`, so that it forgets what it cached about them."""
    registry = registry or registry_for(where)
    subjects = [subject_of(topic, field) for topic in topics for field in ("value", "key")]
    forget_subjects(registry, subjects)
    print("Its registry subjects are gone: " + ", ".join(f"{subject_of(t)!r} and {subject_of(t, 'key')!r}"
                                                         for t in topics) + " hold no versions.")


# ---- 15.1 the schema id in the raw bytes -----------------------------------------------------------
@_checked("15.1", "A plain Consumer (no deserializer) reads the parcel; magic, schema_id = struct.unpack('>bI', "
                  "msg.value()[:5]); SchemaRegistryClient(registry_config).get_schema(schema_id) "
                  "gives its schema_str: the names of its fields, in order.")
def schema_found(where, topic: str, schema_id, fields) -> CheckResult:
    """The id in the header of the parcel written since the exercise began, and its schema's fields."""
    slate = started("15.1")
    written = [m for m in _messages_since(slate, topic) if m["value"]]
    if not written:
        return _not_yet("15.1", f"{scoped(topic)!r} holds no parcel written since the exercise began.",
                        "Run the exercise's first cell: it writes one.")
    magic, real_id = schema_id_of(written[-1]["value"])
    registry = registry_for(where)
    real_fields = fields_of(registry.get_schema(real_id).schema_str)
    if schema_id is MISSING or fields is MISSING:
        return _not_yet("15.1", "PARCEL_SCHEMA_ID or PARCEL_FIELDS is not set yet.",
                        "Read the parcel with a plain Consumer (no deserializer): struct.unpack('>bI', value[:5]) "
                        "gives the magic byte and the id; registry.get_schema(id).schema_str lists the fields.")
    latest = registry.get_latest_version(subject_of(topic))
    if schema_id != real_id:
        said = (" That is the subject's latest version, registered after the parcel was written: the bytes "
                "name the schema the message was really written with." if schema_id == latest.schema_id else "")
        return _not_yet("15.1", f"PARCEL_SCHEMA_ID is {schema_id!r}, not the id in the parcel's header.{said}",
                        "Read bytes 1 to 4 of the value as one big-endian unsigned int (struct '>I').")
    if list(fields) != real_fields:
        return _not_yet("15.1", f"PARCEL_FIELDS is {list(fields)!r}; the registry's schema {real_id} has other "
                                "fields (or another order).",
                        "json.loads(registry.get_schema(PARCEL_SCHEMA_ID).schema_str)['fields']: their names.")
    return _done("15.1", f"The parcel's header says magic byte {magic}, schema id {real_id}, and you found that "
                         f"schema's {len(real_fields)} fields in the registry (the subject's latest version has "
                         f"{len(fields_of(latest.schema.schema_str))}).")


# ---- 15.2 which changes BACKWARD accepts ---------------------------------------------------------
@_checked("15.2", "chapter.predict(\"15.2\", accepted=[...]) with the names of the proposals you expect the "
                  "registry to accept, before the cell that asks it.")
def backward_predicted(where, topic: str) -> CheckResult:
    """The learner's prediction against the registry's own answer for each proposal (test_compatibility
    against version 1 of the exercise's subject, which must be under BACKWARD)."""
    from confluent_kafka.schema_registry import Schema

    started("15.2")
    predicted = prediction("15.2").get("accepted", MISSING)
    if predicted is MISSING or isinstance(predicted, str):
        return _not_yet("15.2", "The prediction has no list named accepted.",
                        "chapter.predict(\"15.2\", accepted=[\"...\", ...]): the names of the proposals.")
    unknown = sorted(set(predicted) - set(PROPOSALS))
    if unknown:
        return _not_yet("15.2", f"{unknown} are not among the proposals {sorted(PROPOSALS)}.",
                        "Name the proposals as the exercise's cell lists them.")
    registry, subject = registry_for(where), subject_of(topic)
    level = registry.get_compatibility(subject)
    if level != "BACKWARD":
        return _not_yet("15.2", f"Subject {subject!r} is under {level}, not BACKWARD.",
                        "Run the exercise's first cell again: it registers version 1 and sets BACKWARD.")
    truth = {name for name, (schema, _) in PROPOSALS.items()
             if registry.test_compatibility(subject, Schema(schema, "AVRO"), version=1)}
    if set(predicted) != truth:
        wrong = sorted(set(predicted) ^ truth)
        why = "; ".join(f"{name}: {'accepted' if name in truth else 'refused'}, because {PROPOSALS[name][1]}"
                        for name in wrong)
        return _not_yet("15.2", f"The registry accepts {sorted(truth)}; you predicted {sorted(predicted)}. {why}.",
                        "BACKWARD: the NEW schema must read data written with the old one.")
    return _done("15.2", f"Right: under BACKWARD the registry accepts {sorted(truth)} and refuses the rest.")


# ---- 15.3 a producer that refuses to register -----------------------------------------------------
def _registers(serializer, topic: str) -> bool:
    """Whether the serializer registers a schema itself: it is asked to serialize for a subject that has
    none. One that refuses raises (the registry answers 404); one that registers is undone."""
    from confluent_kafka.schema_registry.error import SchemaRegistryError
    from confluent_kafka.serialization import MessageField, SerializationContext

    probe = f"{scoped(topic)}-probe-{uuid.uuid4().hex[:8]}"
    try:
        serializer({"id": "probe", "amount_cents": 1, "coupon": ""}, SerializationContext(probe, MessageField.VALUE))
    except SchemaRegistryError as err:
        if err.http_status_code == 404:
            return False
        raise
    finally:
        registry = getattr(serializer, "_registry", None)
        if registry is not None:
            forget_subjects(registry, [f"{probe}-value"])
    return True


@_checked("15.3", "AvroSerializer(registry, ORDER_LOCAL, conf={\"auto.register.schemas\": False, "
                  "\"use.latest.version\": True}): it registers nothing and writes with the version registered ahead.")
def no_rogue_schema(where, topic: str, serializer) -> CheckResult:
    """No version was added to the subject since the exercise registered version 1; every order written
    since carries version 1's id; and the learner's serializer refuses to register on its own."""
    slate = started("15.3")
    registry, subject = registry_for(where), subject_of(topic)
    versions = registry.get_versions(subject)
    if versions != [1]:
        return _not_yet("15.3", f"Subject {subject!r} has versions {versions}: a producer registered a schema "
                                "nobody reviewed.", "Turn auto.register.schemas off and write with the version "
                        "registered ahead (\"use.latest.version\": True); keep start_orders() first in your cell: it "
                        "starts the subject and the topic over.")
    ahead = registry.get_version(subject, 1).schema_id
    orders = _messages_since(slate, topic)
    if not orders:
        return _not_yet("15.3", f"No order was written to {scoped(topic)!r} since the exercise began.",
                        "Produce the three orders with the fixed serializer, and flush.")
    ids = sorted({schema_id_of(m["value"])[1] for m in orders})
    if ids != [ahead]:
        return _not_yet("15.3", f"The orders carry schema ids {ids}, not only {ahead} (version 1, registered ahead).",
                        "Write with the registered schema: \"use.latest.version\": True.")
    if serializer is MISSING:
        return _not_yet("15.3", "order_serializer is not defined.", "Name your AvroSerializer order_serializer.")
    if _registers(serializer, topic):
        return _not_yet("15.3", "order_serializer registered a schema for a subject that had none: it would do "
                                "the same with the next unreviewed change.",
                        "conf={\"auto.register.schemas\": False, ...}: it then only looks schemas up.")
    return _done("15.3", f"{len(orders)} orders carry schema id {ahead}, version 1 of {subject!r}, which still has "
                         "no other version; and your serializer refuses to register a schema on its own.")


__all__ = [name for name, value in list(globals().items())
           if callable(value) and getattr(value, "__module__", None) == __name__ and not name.startswith("_")]
