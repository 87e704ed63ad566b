"""The producer's error diagnosis is a pure function of the facts: tested without a broker."""
from __future__ import annotations

from confluent_kafka import KafkaError

from helpers.client.diagnosis import Delivery, explain_timeout, explain_unreachable, produce_error

FACTS = dict(topic="our_topic", timeout_s=5, servers="127.0.0.1:9092", client_errors=[], leaderless=[],
             failure=None, missing=1, delivered=[])


def error(code: int, text: str = "") -> KafkaError:
    return KafkaError(code, text)


def test_an_unresolvable_advertised_name_is_named():
    err = explain_timeout(**{**FACTS, "client_errors": [error(KafkaError._RESOLVE, "Failed to resolve 'kafka:19592': "
                                                                                   "Name or service not known")]})
    assert err.code == "_RESOLVE" and "its metadata names a broker at 'kafka:19592'" in err.cause
    assert "localhost:29092" in err.fix


def test_a_partition_without_leader_is_named():
    err = explain_timeout(**{**FACTS, "leaderless": [2], "failure": error(KafkaError._MSG_TIMED_OUT)})
    assert err.code == "LEADER_NOT_AVAILABLE" and "partition 2 has no leader" in err.cause
    assert "replication factor above 1" in err.fix


def test_no_broker_and_refused_credentials():
    down = explain_timeout(**{**FACTS, "client_errors": [error(KafkaError._TRANSPORT, "Connection refused")]})
    assert down.code == "_MSG_TIMED_OUT" and "No broker at 127.0.0.1:9092" in down.cause
    assert "codealong broker start" in down.fix
    refused = explain_unreachable("h:1", "t", error(KafkaError._TIMED_OUT), [error(KafkaError._AUTHENTICATION)])
    assert refused.code == "_AUTHENTICATION" and "KAFKA_PASSWORD" in refused.fix
    silent = explain_unreachable("h:1", "t", error(KafkaError._TIMED_OUT, "timed out"), [])
    assert silent.code == "_TIMED_OUT" and "No broker at h:1 answered a metadata request" in silent.cause


def test_without_any_clue_the_deadline_is_stated_honestly():
    delivered = [Delivery("our_topic", 0, 7, "k")]
    err = explain_timeout(**{**FACTS, "missing": 3, "delivered": delivered})
    assert err.code == "_MSG_TIMED_OUT" and "3 message(s)" in err.cause and "may still be written" in err.cause
    assert err.delivered == delivered
    timed_out = explain_timeout(**{**FACTS, "failure": error(KafkaError._MSG_TIMED_OUT, "Local: Message timed out")})
    assert timed_out.code == "_MSG_TIMED_OUT" and "after 5 s" in timed_out.cause


def test_known_broker_errors_get_their_fix():
    err = produce_error(error(KafkaError.MSG_SIZE_TOO_LARGE, "Broker: Message size too large"), "a message to 't'")
    assert err.code == "MSG_SIZE_TOO_LARGE" and "max.message.bytes" in err.fix
    unknown = produce_error(error(KafkaError.INVALID_REQUEST, "Broker: Invalid request"), "a message to 't'")
    assert "codealong broker logs" in unknown.fix


def test_what_the_client_reported_is_kept_apart_from_the_diagnosis():
    timed_out = error(KafkaError._MSG_TIMED_OUT, "Local: Message timed out")
    err = explain_timeout(**{**FACTS, "leaderless": [0], "failure": timed_out})
    assert err.code == "LEADER_NOT_AVAILABLE"  # the helpers' diagnosis ...
    assert err.reported == "Local: Message timed out (_MSG_TIMED_OUT)" and err.side == "client"  # ... of this
    refused = produce_error(error(KafkaError.TOPIC_EXCEPTION, "Broker: Invalid topic"), "a message to 't'")
    assert refused.side == "broker" and refused.reported == "Broker: Invalid topic (TOPIC_EXCEPTION)"
    local = produce_error(error(KafkaError.MSG_SIZE_TOO_LARGE, "Broker: Message size too large"), "a message",
                          refused_locally=True)
    assert local.side == "client" and local.cause.startswith("The client refused")


def test_describe_error_puts_the_clients_words_first():
    from helpers.course.notebook import describe_error

    err = explain_timeout(**{**FACTS, "leaderless": [0], "failure": error(KafkaError._MSG_TIMED_OUT,
                                                                           "Local: Message timed out")})
    lines = describe_error(err).splitlines()
    assert lines[0] == "[client] Local: Message timed out (_MSG_TIMED_OUT)"
    assert lines[1].startswith("helpers' diagnosis [LEADER_NOT_AVAILABLE]: The message to 'our_topic' timed out")
    assert lines[-1].startswith("Fix: Wait and retry")


def test_typed_errors_keep_the_clients_error():
    too_large = error(KafkaError.MSG_SIZE_TOO_LARGE, "Broker: Message size too large")
    err = produce_error(too_large, "a message to 't'")
    assert err.kafka_error is too_large
    assert (err.kafka_error.code(), err.kafka_error.name()) == (KafkaError.MSG_SIZE_TOO_LARGE, "MSG_SIZE_TOO_LARGE")
    assert err.kafka_error.retriable() is False and err.kafka_error.fatal() is False
    timed_out = error(KafkaError._MSG_TIMED_OUT, "Local: Message timed out")
    assert explain_timeout(**{**FACTS, "leaderless": [0], "failure": timed_out}).kafka_error is timed_out
    silent = error(KafkaError._TIMED_OUT, "timed out")
    assert explain_unreachable("h:1", "t", silent, []).kafka_error is silent
    refused = error(KafkaError._AUTHENTICATION)
    assert explain_unreachable("h:1", "t", silent, [refused]).kafka_error is refused
    assert explain_timeout(**FACTS).kafka_error is None  # no report at all: nothing to keep


def test_one_set_of_retriable_codes():
    from helpers.client import diagnosis, topics

    assert topics.RETRIABLE is diagnosis.RETRIABLE
    assert {"UNKNOWN_TOPIC_OR_PART", "LEADER_NOT_AVAILABLE", "_TIMED_OUT"} <= diagnosis.RETRIABLE


def test_a_topic_error_keeps_the_clients_error():
    from confluent_kafka import KafkaError

    from helpers.client.topics import _topic_error

    refused = KafkaError(KafkaError.INVALID_PARTITIONS, "Number of partitions must be larger than 0.")
    err = _topic_error(refused, "create topic 'x'")
    assert err.code == "INVALID_PARTITIONS" and err.kafka_error is refused
    assert err.kafka_error.code() == KafkaError.INVALID_PARTITIONS and not err.kafka_error.retriable()
