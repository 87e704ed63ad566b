"""Chapter 15's schemas and the registry chores around its demos and exercises.

    registry = registry_for(BOOTSTRAP_SERVERS)          # confluent-kafka's SchemaRegistryClient
    forget_subjects(registry, ["books-value"])          # a demo starts from no versions
    magic, schema_id = schema_id_of(message.value())     # the 5-byte header of a framed message

The schemas are Avro records as JSON text, the form AvroSerializer and register_schema take.
"""
from __future__ import annotations

import json
import random
import struct
import uuid

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

from ...client.names import scoped


def _record(name: str, fields: list[dict], namespace: str = "shop", **extra) -> str:
    return json.dumps({"type": "record", "name": name, "namespace": namespace, **extra, "fields": fields})


TITLE, PAGES, YEAR = ({"name": "title", "type": "string"}, {"name": "pages", "type": "int"},
                      {"name": "year", "type": "int"})
BOOK_V1 = _record("Book", [TITLE, PAGES, YEAR])
BOOK_V2 = _record("Book", [TITLE, PAGES, YEAR, {"name": "lang", "type": "string", "default": "en"}])
BOOK_WITH_ISBN = _record("Book", [TITLE, PAGES, YEAR, {"name": "isbn", "type": "string"}])  # no default
BOOK_V3 = _record("Book", [TITLE, PAGES, YEAR, {"name": "lang", "type": "string", "default": "en"},
                           {"name": "series", "type": ["null", "string"], "default": None}])  # never registered

#: Exercise 15.2: three changes proposed to BOOK_V1, and why BACKWARD accepts or refuses each.
PROPOSALS = {
    "drop_year": (_record("Book", [TITLE, PAGES]),
                  "a reader without `year` skips that field in data written with it"),
    "pages_as_long": (_record("Book", [TITLE, {"name": "pages", "type": "long"}, YEAR]),
                      "Avro promotes an int the writer wrote to a long the reader wants"),
    "title_renamed": (_record("Book", [{"name": "name", "type": "string"}, PAGES, YEAR]),
                      "a reader wanting `name` finds no such field in old data and has no default for it"),
}

#: Exercise 15.3: the order schema registered ahead, and a developer's local copy that grew a field.
ORDER_V1 = _record("Order", [{"name": "id", "type": "string"}, {"name": "amount_cents", "type": "long"}])
ORDER_LOCAL = _record("Order", [{"name": "id", "type": "string"}, {"name": "amount_cents", "type": "long"},
                                {"name": "coupon", "type": "string", "default": ""}])

_PARCEL_FIELDS = [("weight_g", "int"), ("city", "string"), ("express", "boolean"), ("price_cents", "long"),
                  ("sender", "string"), ("zip", "string")]


#: Seconds a registry request may take before the client gives up on it and retries (its default: forever).
REQUEST_TIMEOUT_S = 5


def registry_for(where) -> SchemaRegistryClient:
    """A SchemaRegistryClient for the registry beside the Kafka at `where` (see helpers.registry.registry_url)."""
    from ...registry import registry_url

    return SchemaRegistryClient({"url": registry_url(where), "timeout": REQUEST_TIMEOUT_S})


def subject_of(topic: str, field: str = "value") -> str:
    """TopicNameStrategy's subject for a topic of this learner: 'ana.books-value' in a workshop."""
    return f"{scoped(topic)}-{field}"


def forget_subjects(registry: SchemaRegistryClient, subjects) -> list[str]:
    """Delete each subject for good (soft, then permanent: the registry wants both steps), with its
    versions and its compatibility setting. A subject that does not exist is fine. Returns those deleted.
    This client forgets what it cached about them (another client's caches keep what they hold)."""
    registry.clear_latest_caches()  # kept without expiry unless the client sets cache.latest.ttl.sec
    deleted = []
    for subject in subjects:
        try:
            registry.delete_subject(subject)
        except SchemaRegistryError as err:
            if err.http_status_code != 404:
                raise
            if err.error_code != 40404:  # 40401: no such subject; 40404: soft-deleted already: purge it below
                continue
        registry.delete_subject(subject, permanent=True)
        deleted.append(subject)
    return deleted


def schema_id_of(framed: bytes) -> tuple[int, int]:
    """(magic byte, schema id) from a value framed by confluent-kafka's serializers: 1 byte, then 4 big-endian."""
    if not framed or len(framed) < 5:
        raise ValueError(f"{len(framed or b'')} bytes: too short for the 5-byte header")
    return struct.unpack(">bI", framed[:5])


def fields_of(schema_str: str) -> list[str]:
    """The field names of an Avro record schema, in order."""
    return [f["name"] for f in json.loads(schema_str)["fields"]]


def write_mystery_parcel(where, topic: str) -> None:
    """Exercise 15.1: register one or two drafts, write one parcel to `topic` with a schema drawn at
    random (a unique one, so its id is new), then register a later version of the subject: neither
    the latest version nor a fixed version number is the message's schema."""
    from confluent_kafka import Producer
    from confluent_kafka.schema_registry.avro import AvroSerializer
    from confluent_kafka.serialization import MessageField, SerializationContext

    from ...client.config import as_connection
    from ...client.errors import CLIENT_LOG

    chosen = random.sample(_PARCEL_FIELDS, 4)
    written, later = chosen[:3], chosen[3]
    doc = f"parcel {uuid.uuid4().hex[:12]}"
    schema = _record("Parcel", [{"name": n, "type": t} for n, t in written], namespace="post", doc=doc)
    values = {"int": 1200, "string": "x", "boolean": True, "long": 990}
    registry = registry_for(where)
    for size in range(1, random.randint(2, 3)):  # drafts of 1 (and 2) fields: the parcel's version is not fixed
        registry.register_schema(subject_of(topic), Schema(_record(
            "Parcel", [{"name": n, "type": t} for n, t in written[:size]], namespace="post", doc=doc), "AVRO"))
    serializer = AvroSerializer(registry, schema)
    value = serializer({n: values[t] for n, t in written}, SerializationContext(scoped(topic), MessageField.VALUE))
    producer = Producer({**as_connection(where).client_settings(), "logger": CLIENT_LOG})
    producer.produce(scoped(topic), key=b"parcel-1", value=value)
    if producer.flush(10):
        raise RuntimeError(f"the parcel was not delivered to {scoped(topic)!r} within 10 s")
    newer = _record("Parcel", [*({"name": n, "type": t} for n, t in written),
                               {"name": later[0], "type": ["null", later[1]], "default": None}], namespace="post",
                    doc=doc)
    registry.register_schema(subject_of(topic), Schema(newer, "AVRO"))
    print(f"One parcel written to {scoped(topic)!r}; its subject {subject_of(topic)!r} holds other versions "
          f"registered before and after the parcel's.")


def zigzag_varint(data: bytes, at: int) -> tuple[int, int]:
    """Avro's int and long: a varint (7 bits a byte, low bits first, high bit = more follow) holding
    the zig-zag code (0, -1, 1, -2 ... as 0, 1, 2, 3 ...). Returns (the value, where the next field starts)."""
    code = shift = 0
    byte = 0x80
    while byte & 0x80:  # a set high bit: another byte follows
        byte = data[at]
        code |= (byte & 0x7F) << shift
        at, shift = at + 1, shift + 7
    return (code >> 1) ^ -(code & 1), at


def decode_fields(payload: bytes, fields: list[tuple[str, str]]) -> list[tuple[str, bytes, object]]:
    """The Avro binary of a record of "string", "int" and "long" fields, field by field:
    (name, its bytes, its value). A string is a zig-zag length, then that many UTF-8 bytes."""
    parts, at = [], 0
    for name, kind in fields:
        start = at
        number, at = zigzag_varint(payload, at)
        if kind == "string":
            number, at = payload[at:at + number].decode("utf-8"), at + number
        elif kind not in ("int", "long"):
            raise ValueError(f"{name}: only string, int and long fields are decoded here, not {kind}")
        parts.append((name, payload[start:at], number))
    if at != len(payload):
        raise ValueError(f"{len(payload) - at} bytes left after the last field")
    return parts
