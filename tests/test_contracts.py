"""Chapter 15's helpers (helpers/course/demos/contracts.py) and its wire-format figure: the hand
decoder against fastavro's encoder, the registry chores against the real registry."""
from __future__ import annotations

import io
import json
import struct
from xml.dom import minidom

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from fastavro import parse_schema, schemaless_writer

from helpers.course.demos.contracts import (BOOK_V1, BOOK_V2, BOOK_V3, BOOK_WITH_ISBN, ORDER_LOCAL, ORDER_V1,
                                            PROPOSALS, decode_fields, fields_of, forget_subjects, schema_id_of,
                                            write_mystery_parcel, zigzag_varint)
from helpers.course.figures.wire_format import wire_format
from helpers.registry import registry_url

BOOK_FIELDS = [("title", "string"), ("pages", "int"), ("year", "int")]


def avro(schema: str, record: dict) -> bytes:
    out = io.BytesIO()
    schemaless_writer(out, parse_schema(json.loads(schema)), record)
    return out.getvalue()


@pytest.mark.parametrize("number", [0, -1, 1, -2, 63, -64, 64, 541, -725, 2**31 - 1, -2**31, 2**40, -2**63])
def test_the_hand_decoder_reads_what_avro_writes(number):
    encoded = avro(json.dumps({"type": "record", "name": "N", "fields": [{"name": "n", "type": "long"}]}),
                   {"n": number})
    assert zigzag_varint(encoded, 0) == (number, len(encoded))


def test_a_record_decoded_field_by_field():
    payload = avro(BOOK_V1, {"title": "L'Odyssée", "pages": 541, "year": -725})
    parts = decode_fields(payload, BOOK_FIELDS)
    assert [(name, value) for name, _, value in parts] == [("title", "L'Odyssée"), ("pages", 541), ("year", -725)]
    assert b"".join(raw for _, raw, _ in parts) == payload
    assert decode_fields(bytes.fromhex("0e4f647973736579ba08a90b"), BOOK_FIELDS)[2] == ("year", b"\xa9\x0b", -725)
    with pytest.raises(ValueError, match="left after"):
        decode_fields(payload + b"\x00", BOOK_FIELDS)


def test_the_header_and_the_schemas():
    assert schema_id_of(b"\x00\x00\x00\x01\x07rest") == (0, 263)
    with pytest.raises(ValueError, match="too short"):
        schema_id_of(b"\x00\x00")
    assert fields_of(BOOK_V2) == ["title", "pages", "year", "lang"]
    assert fields_of(BOOK_V3)[-1] == "series" and fields_of(BOOK_WITH_ISBN)[-1] == "isbn"
    assert fields_of(ORDER_LOCAL) == fields_of(ORDER_V1) + ["coupon"]
    assert set(PROPOSALS) == {"drop_year", "pages_as_long", "title_renamed"}


def test_the_wire_format_figure_is_drawn_from_the_bytes():
    framed = b"\x00" + struct.pack(">I", 263) + avro(BOOK_V1, {"title": "Odyssey", "pages": 541, "year": -725})
    figure = wire_format(framed, BOOK_FIELDS)
    document = minidom.parseString(figure.to_svg())
    assert document.documentElement.tagName == "svg"
    words = [node.firstChild.data for node in document.getElementsByTagName("text") if node.firstChild]
    for label in ["magic byte", "schema id", "263 (big-endian)", "title", "'Odyssey'", "541", "-725", "ba", "a9",
                  "0b", "header: 5 bytes", "One message's value: 17 bytes"]:
        assert label in words or any(label in word for word in words), label
    assert repr(figure) == "[figure: The wire format of one Avro message]"


# ---- against the real registry ------------------------------------------------------------------
@pytest.fixture(scope="module")
def registry(kafka):
    return SchemaRegistryClient({"url": registry_url(kafka), "timeout": 5})


def test_forgetting_subjects_deletes_them_for_good_and_a_missing_one_is_fine(registry, unique):
    subject = f"contracts-{unique}-value"
    registry.register_schema(subject, Schema(BOOK_V1, "AVRO"))
    registry.set_compatibility(subject, "BACKWARD")
    registry.get_latest_version(subject)                          # cached by this client
    assert forget_subjects(registry, [subject, f"contracts-{unique}-key"]) == [subject]
    assert subject not in registry.get_subjects()
    assert registry.register_schema(subject, Schema(BOOK_V2, "AVRO"))   # a new subject: version 1 again
    assert registry.get_versions(subject) == [1]
    assert fields_of(registry.get_latest_version(subject).schema.schema_str)[-1] == "lang"  # not the cached one
    assert registry.get_compatibility(subject) != "BACKWARD"      # its old setting went with it
    forget_subjects(registry, [subject])


def test_the_mystery_parcel_names_a_schema_older_than_the_subjects_latest(kafka, registry, unique, capsys,
                                                                            monkeypatch):
    import helpers.course.demos.contracts as contracts
    from helpers.client.topic_state import read_messages
    from helpers.client.topics import recreate_topic

    topic = f"parcels-{unique}"
    for drafts_bound, parcel_version in ((2, 2), (3, 3)):   # one draft before it, or two
        forget_subjects(registry, [f"{topic}-value"])
        recreate_topic(kafka, topic)
        monkeypatch.setattr(contracts.random, "randint", lambda low, high, bound=drafts_bound: bound)
        write_mystery_parcel(kafka, topic)
        assert "holds other versions registered before and after" in capsys.readouterr().out
        [parcel] = read_messages(kafka, topic)
        magic, schema_id = schema_id_of(parcel["value"])
        latest = registry.get_latest_version(f"{topic}-value")
        assert magic == 0 and schema_id != latest.schema_id and latest.version == parcel_version + 1
        assert registry.get_version(f"{topic}-value", parcel_version).schema_id == schema_id
        written = fields_of(registry.get_schema(schema_id).schema_str)
        assert len(written) == 3 and fields_of(latest.schema.schema_str)[:3] == written
    forget_subjects(registry, [f"{topic}-value"])


def test_forgetting_a_subject_that_was_only_soft_deleted_purges_it(registry, unique):
    """A subject deleted halfway (soft only: an interrupted clean-up, or another tool) is purged
    too, so that registering again starts at version 1."""
    from confluent_kafka.schema_registry import Schema

    subject = f"half-deleted-{unique}-value"
    registry.register_schema(subject, Schema(BOOK_V1, "AVRO"))
    registry.delete_subject(subject)                       # soft: the registry keeps its versions
    assert forget_subjects(registry, [subject]) == [subject]
    registry.register_schema(subject, Schema(BOOK_V1, "AVRO"))
    assert registry.get_versions(subject) == [1]
    forget_subjects(registry, [subject])
    assert subject not in registry.get_subjects(deleted=True)            # purged, not merely hidden
