"""Every exercise check, on a wrong attempt and on a right one, against the real broker: a check
can fail, says why with a hint, and never raises."""
from __future__ import annotations

import json

import pytest

from helpers import OK, ConsumerConfig, ConsumerWorker, SyncProducer, create_topic
from helpers.course import exercises as ex
from helpers.course.exercises import MISSING, answer


def passes(result) -> bool:
    text = str(result)
    assert text.startswith("✓" if result.passed else "✗") and (result.passed or "Hint:" in text), text
    return result.passed


@pytest.fixture
def send(kafka):
    producer = SyncProducer(endpoints=[kafka], client_settings={"message.max.bytes": 3_000_000})
    yield lambda topic, *pairs, **kw: producer.produce_batch(topic, list(pairs), **kw)
    producer.close()


def test_answer_reads_the_callers_names():
    defined_here = 42  # noqa: F841 (a local: not a global, so not an answer)
    assert answer("no_such_name_anywhere") is MISSING
    assert answer("pytest") is pytest


def test_1_1_and_1_2_topic_and_keys(kafka, unique, send):
    topic = f"ex1-{unique}"
    assert not passes(ex.topic_with_partitions(kafka, topic, 3))  # not there
    create_topic(kafka, topic, partitions=2)
    wrong = ex.topic_with_partitions(kafka, topic, 3)
    assert not passes(wrong) and "2 partition(s), not 3" in wrong.message
    spread = f"ex1b-{unique}"
    create_topic(kafka, spread, partitions=3)
    send(spread, ("Kafka", "a"), ("Kafka", "b"), partition=0)
    send(spread, ("Kafka", "c"), partition=1)
    assert "spread over partitions [0, 1]" in ex.same_key_same_partition(kafka, spread, "Kafka").message
    right = f"ex1c-{unique}"
    create_topic(kafka, right, partitions=3)
    assert not passes(ex.same_key_same_partition(kafka, right, "Kafka"))
    send(right, ("Kafka", "a"), ("Kafka", "b"), ("Kafka", "c"))
    assert passes(ex.topic_with_partitions(kafka, right, 3)) and passes(ex.same_key_same_partition(kafka, right, "Kafka"))


def test_2_1_and_2_2_cluster_facts(kafka):
    assert not passes(ex.broker_count(kafka, MISSING)) and not passes(ex.broker_count(kafka, 3))
    assert passes(ex.broker_count(kafka, 1))
    assert not passes(ex.controller_id(kafka, MISSING)) and not passes(ex.controller_id(kafka, "1"))
    assert passes(ex.controller_id(kafka, 1))


def test_3_1_and_3_2_config_and_plain_send(kafka, unique, send):
    broken = {"producer": {"endpoint": ["127.0.0.1:9092"], "topic": ["our_topic"]}}
    wrong = ex.fixed_producer_config(broken)
    assert not passes(wrong) and "Unknown key 'endpoint'" in wrong.message
    assert not passes(ex.fixed_producer_config({"producer": {"endpoints": ["127.0.0.1:9092"]}}))
    assert passes(ex.fixed_producer_config({"producer": {"endpoints": ["127.0.0.1:9092"], "topics": ["our_topic"]}}))
    topic = f"ex3-{unique}"
    assert not passes(ex.plain_send(kafka, topic, "Amerika", "1927", 0))
    send(topic, ("Amerika", "1927"))
    assert not passes(ex.plain_send(kafka, topic, "Amerika", "1927", MISSING))
    assert passes(ex.plain_send(kafka, topic, "Amerika", "1927", 0))


def test_4_1_and_4_2_handler_and_group(kafka, unique, send):
    assert not passes(ex.keyed_only_handler(MISSING))
    assert not passes(ex.keyed_only_handler(lambda message: OK))  # confirms everything

    def keyed_only(message):
        if message["key"] is None:
            raise ValueError("a message without a key")
        return OK
    assert passes(ex.keyed_only_handler(keyed_only))
    topic, group = f"ex4-{unique}", f"ex4-{unique}"
    send(topic, ("k", "1"), ("k", "2"))
    assert not passes(ex.group_read_from_start(kafka, group, topic))
    late = ConsumerConfig(endpoints=(kafka,), topics=(topic,), consumer_group=f"{group}-late")
    with ConsumerWorker(late, lambda message: OK) as worker:
        worker.wait_for_assignment()
    assert not passes(ex.group_read_from_start(kafka, f"{group}-late", topic))  # "latest": commits nothing old
    early = ConsumerConfig(endpoints=(kafka,), topics=(topic,), consumer_group=group, start_with_earliest_message=True)
    with ConsumerWorker(early, lambda message: OK) as worker:
        assert len(worker.wait_for(2, timeout=15)) == 2
    assert passes(ex.group_read_from_start(kafka, group, topic))


def test_5_1_and_5_2_send_and_read(kafka, unique, send):
    topic = f"ex5-{unique}"
    assert not passes(ex.message_in_topic(kafka, topic, "The Trial", "Franz Kafka"))
    send(topic, ("Metamorphosis", "Franz Kafka"), ("The Trial", "Franz Kafka"))
    assert passes(ex.message_in_topic(kafka, topic, "The Trial", "Franz Kafka"))
    assert not passes(ex.first_key(kafka, topic, "The Trial")) and not passes(ex.first_key(kafka, topic, MISSING))
    assert passes(ex.first_key(kafka, topic, b"Metamorphosis"))


def test_6_1_and_6_2_clicks_and_totals(kafka, unique, send):
    topic = f"ex6-{unique}"
    send(topic, *[("clicks", str(i)) for i in range(4)])
    assert not passes(ex.keyed_sends(kafka, topic, "clicks"))
    send(topic, ("clicks", "5"))
    assert passes(ex.keyed_sends(kafka, topic, "clicks"))
    assert not passes(ex.message_total(kafka, topic, 4)) and passes(ex.message_total(kafka, topic, 5))


def test_7_1_and_7_2_config_and_environments():
    good = {"producer": {"endpoints": ["pkc.example:9092"]},
            "security": {"protocol": "SASL_SSL", "sasl_mechanism": "SCRAM-SHA-512", "username_env": "MY_KAFKA_USER",
                         "password_env": "MY_KAFKA_PASSWORD"}}  # a variable's NAME may say password
    assert passes(ex.scram_config(good, "MY_KAFKA_USER", "MY_KAFKA_PASSWORD"))
    plain = {**good, "security": {**good["security"], "sasl_mechanism": "PLAIN"}}
    assert not passes(ex.scram_config(plain, "MY_KAFKA_USER", "MY_KAFKA_PASSWORD"))
    leaked = {**good, "producer": {**good["producer"], "password": "hunter2"}}
    assert not passes(ex.scram_config(leaked, "MY_KAFKA_USER", "MY_KAFKA_PASSWORD"))
    assert not passes(ex.dev_workers(["consumer", "audit"], ["audit", "consumer"]))
    assert passes(ex.dev_workers(["audit", "consumer"], ["audit", "consumer"]))


def test_8_1_and_8_2_names_and_the_silent_consumer(kafka, unique, send):
    assert not passes(ex.valid_name_used(kafka, "my topic!"))
    name = f"my_topic_{unique}"
    assert not passes(ex.valid_name_used(kafka, name))  # valid, but nothing sent yet
    send(name, ("k", "v"))
    assert passes(ex.valid_name_used(kafka, name))
    late = ConsumerConfig(endpoints=(kafka,), topics=(name,), consumer_group=f"late-{unique}")
    result = ex.sees_old_message(kafka, late, name)
    assert not passes(result) and "would receive nothing" in result.message
    early = ConsumerConfig(endpoints=(kafka,), topics=(name,), consumer_group=f"early-{unique}",
                           start_with_earliest_message=True)
    assert passes(ex.sees_old_message(kafka, early, name))


def test_9_1_and_9_2_json_and_large_messages(kafka, unique, send):
    topic = f"ex9-{unique}"
    send(topic, ("book", "{'title': 'not JSON'}"))
    assert not passes(ex.json_message(kafka, topic, "title"))
    send(topic, ("book", json.dumps({"title": "Metamorphosis"})))
    assert passes(ex.json_message(kafka, topic, "title"))
    roomy = f"ex9b-{unique}"
    create_topic(kafka, roomy, config={"max.message.bytes": "2000000"})
    assert not passes(ex.large_message(kafka, roomy, 1_500_000))
    send(roomy, ("scan", "x" * 1_600_000))
    assert passes(ex.large_message(kafka, roomy, 1_500_000))


def test_10_1_and_10_2_partitioners_and_growth(kafka, unique, send):
    from confluent_kafka import Producer
    from confluent_kafka.admin import NewPartitions

    from helpers.client.topics import admin_for

    topic = f"ex10-{unique}"
    create_topic(kafka, topic, partitions=6)
    assert not passes(ex.lands_where_java_would(kafka, topic, "gregor", "v"))
    plain = Producer({"bootstrap.servers": kafka})            # consistent_random: not Java's partition for gregor
    plain.produce(topic, b"v", key=b"gregor")
    plain.flush(10)
    assert not passes(ex.lands_where_java_would(kafka, topic, "gregor", "v"))
    grow = f"ex10b-{unique}"
    create_topic(kafka, grow, partitions=6)
    java_like = Producer({"bootstrap.servers": kafka, "partitioner": "murmur2_random"})
    java_like.produce(grow, b"v", key=b"gregor")
    java_like.flush(10)
    assert passes(ex.lands_where_java_would(kafka, grow, "gregor", "v"))
    growing = f"ex10c-{unique}"
    create_topic(kafka, growing, partitions=2)
    assert not passes(ex.key_after_growth(kafka, growing, "gregor", 4))
    admin = admin_for(kafka)
    admin.create_partitions([NewPartitions(growing, 4)])[growing].result(10)
    with SyncProducer(endpoints=[kafka]) as fresh:
        fresh.produce(growing, "v", key="gregor")
    assert passes(ex.key_after_growth(kafka, growing, "gregor", 4))


def test_11_1_and_11_2_dead_letters_and_time(kafka, unique, send):
    import time as clock

    from helpers.client.dead_letter import DeadLetter
    from helpers.client.retry import RetryPolicy

    topic, dead = f"ex11-{unique}", f"ex11-{unique}.dead"
    create_topic(kafka, topic)
    create_topic(kafka, dead)
    assert not passes(ex.dead_lettered(kafka, dead, topic, 2))
    send(topic, ("order", "bad"))
    config = ConsumerConfig(endpoints=(kafka,), topics=(topic,), consumer_group=f"g-{unique}",
                            start_with_earliest_message=True)
    with ConsumerWorker(config, lambda m: 1 / 0, retry=RetryPolicy(backoff_s=(0.05, 0.1)),
                        dead_letter=DeadLetter(dead, after=3)) as worker:
        from helpers.client.deadline import Deadline
        Deadline(15).until(lambda: worker.dead_lettered)
    assert not passes(ex.dead_lettered(kafka, dead, topic, 2))    # after 3, not 2
    assert passes(ex.dead_lettered(kafka, dead, topic, 3))
    mark = int(clock.time() * 1000)
    send(topic, ("later", "1"), ("later", "2"))
    assert not passes(ex.offset_at_time(kafka, topic, mark, MISSING))
    assert not passes(ex.offset_at_time(kafka, topic, mark, 0))
    assert passes(ex.offset_at_time(kafka, topic, mark, 1))


def test_12_1_and_12_2_compaction_and_tombstones(kafka, unique, send):
    topic = f"ex12-{unique}"
    create_topic(kafka, topic)
    assert not passes(ex.compacted_topic(kafka, topic))
    compacted = f"ex12b-{unique}"
    create_topic(kafka, compacted, config={"cleanup.policy": "compact"})
    assert passes(ex.compacted_topic(kafka, compacted))
    send(compacted, ("ben", "Prague"))
    assert not passes(ex.tombstone_for(kafka, compacted, "ben"))
    send(compacted, ("ben", None))
    assert passes(ex.tombstone_for(kafka, compacted, "ben"))


def test_13_1_and_13_2_share_groups(kafka, unique):
    from helpers.client.share import REJECT, configure_share_group

    group = f"queue-{unique}"
    assert not passes(ex.share_group_reads_from_start(kafka, group))
    configure_share_group(kafka, group, {"share.auto.offset.reset": "earliest"})
    assert passes(ex.share_group_reads_from_start(kafka, group))
    assert not passes(ex.number_jobs_handler(MISSING))
    assert not passes(ex.number_jobs_handler(lambda m: int(m["value"]) and OK))   # text raises: released
    assert passes(ex.number_jobs_handler(lambda m: OK if m["value"].isdigit() else REJECT))


def test_a_broker_that_is_down_is_a_not_yet_not_a_crash():
    result = ex.topic_with_partitions("127.0.0.1:1", "anything", 3)
    assert not result.passed and "could not finish" in result.message


def test_the_catalogue_lists_every_check_defined():
    """The progress board counts checks from the catalogue, without importing the checks."""
    from helpers.course import catalogue, exercises
    assert list(exercises.DEFINED) == list(catalogue.EXERCISE_IDS)


# ---- how the checks read topics: from the start, without a group, to the end --------------------
def test_read_messages_reads_to_the_end_past_a_transaction_marker_and_from_given_offsets(kafka, unique):
    import time

    from confluent_kafka import Producer

    from helpers.client.topic_state import read_messages

    topic = f"read-{unique}"
    create_topic(kafka, topic)
    producer = Producer({"bootstrap.servers": kafka, "transactional.id": f"read-{unique}"})
    producer.init_transactions(10)
    producer.begin_transaction()
    producer.produce(topic, b"1", key=b"a")
    producer.produce(topic, b"2", key=b"b")
    producer.commit_transaction(10)   # the log ends with a commit marker no reader is ever given
    began = time.monotonic()
    assert [m["value"] for m in read_messages(kafka, topic, timeout=10)] == [b"1", b"2"]
    assert time.monotonic() - began < 5                                   # the end is known, not waited out
    assert [m["key"] for m in read_messages(kafka, topic, start={0: 1}, decode="text")] == ["b"]
    assert read_messages(kafka, f"no-such-topic-{unique}") == []


# ---- a check never raises, whatever the learner's code throws -----------------------------------
def test_a_check_catches_anything_the_learners_code_raises_and_still_reports_it(monkeypatch):
    from helpers.course import progress

    reported = []
    monkeypatch.setattr(progress, "report_check", lambda check, passed: reported.append((check, passed)))

    def broken(message):
        return message.no_such_attribute          # AttributeError, on the keyed message already
    result = ex.keyed_only_handler(broken)
    assert not passes(result) and "AttributeError" in result.message and "no_such_attribute" in result.message
    empty = ex.keyed_only_handler(lambda message: next(iter([])))    # StopIteration is an Exception too
    assert not passes(empty) and "StopIteration" in empty.message
    assert reported == [("4.1", False), ("4.1", False)]

    def interrupted(message):
        raise KeyboardInterrupt                   # the learner pressed stop: that is not a "not yet"
    with pytest.raises(KeyboardInterrupt):
        ex.keyed_only_handler(interrupted)


# ---- a check gives the same answer every time it runs --------------------------------------------
#: exercise -> a setup that makes a right attempt (on its own topics) and returns the check to run.
RIGHT_ATTEMPTS = {}


def right_attempt(exercise: str):
    def register(setup):
        RIGHT_ATTEMPTS[exercise] = setup
        return setup
    return register


@right_attempt("1.1")
def _(kafka, unique, send):
    create_topic(kafka, f"twice-{unique}", partitions=3)
    return lambda: ex.topic_with_partitions(kafka, f"twice-{unique}", 3)


@right_attempt("1.2")
def _(kafka, unique, send):
    create_topic(kafka, f"twice-{unique}", partitions=3)
    send(f"twice-{unique}", ("Kafka", "a"), ("Kafka", "b"), ("Kafka", "c"))
    return lambda: ex.same_key_same_partition(kafka, f"twice-{unique}", "Kafka")


@right_attempt("2.1")
def _(kafka, unique, send):
    return lambda: ex.broker_count(kafka, 1)


@right_attempt("2.2")
def _(kafka, unique, send):
    return lambda: ex.controller_id(kafka, 1)


@right_attempt("3.1")
def _(kafka, unique, send):
    return lambda: ex.fixed_producer_config({"producer": {"endpoints": [kafka], "topics": ["our_topic"]}})


@right_attempt("3.2")
def _(kafka, unique, send):
    send(f"twice-{unique}", ("Amerika", "1927"))
    return lambda: ex.plain_send(kafka, f"twice-{unique}", "Amerika", "1927", 0)


@right_attempt("4.1")
def _(kafka, unique, send):
    def keyed_only(message):
        if message["key"] is None:
            raise ValueError("a message without a key")
        return OK
    return lambda: ex.keyed_only_handler(keyed_only)


@right_attempt("4.2")
def _(kafka, unique, send):
    topic = group = f"twice-{unique}"
    send(topic, ("k", "1"), ("k", "2"))
    early = ConsumerConfig(endpoints=(kafka,), topics=(topic,), consumer_group=group, start_with_earliest_message=True)
    with ConsumerWorker(early, lambda message: OK) as worker:
        assert len(worker.wait_for(2, timeout=15)) == 2
    return lambda: ex.group_read_from_start(kafka, group, topic)


@right_attempt("5.1")
def _(kafka, unique, send):
    send(f"twice-{unique}", ("The Trial", "Franz Kafka"))
    return lambda: ex.message_in_topic(kafka, f"twice-{unique}", "The Trial", "Franz Kafka")


@right_attempt("5.2")
def _(kafka, unique, send):
    send(f"twice-{unique}", ("Metamorphosis", "Franz Kafka"), ("The Trial", "Franz Kafka"))
    return lambda: ex.first_key(kafka, f"twice-{unique}", "Metamorphosis")


@right_attempt("6.1")
def _(kafka, unique, send):
    send(f"twice-{unique}", *[("clicks", str(i)) for i in range(5)])
    return lambda: ex.keyed_sends(kafka, f"twice-{unique}", "clicks")


@right_attempt("6.2")
def _(kafka, unique, send):
    send(f"twice-{unique}", *[("clicks", str(i)) for i in range(5)])
    return lambda: ex.message_total(kafka, f"twice-{unique}", 5)


@right_attempt("7.1")
def _(kafka, unique, send):
    config = {"producer": {"endpoints": ["pkc.example:9092"]},
              "security": {"protocol": "SASL_SSL", "sasl_mechanism": "SCRAM-SHA-512", "username_env": "USER_VAR",
                           "password_env": "PASSWORD_VAR"}}
    return lambda: ex.scram_config(config, "USER_VAR", "PASSWORD_VAR")


@right_attempt("7.2")
def _(kafka, unique, send):
    return lambda: ex.dev_workers(["audit", "consumer"], ["audit", "consumer"])


@right_attempt("8.1")
def _(kafka, unique, send):
    send(f"twice_{unique}", ("k", "v"))
    return lambda: ex.valid_name_used(kafka, f"twice_{unique}")


@right_attempt("8.2")
def _(kafka, unique, send):
    send(f"twice-{unique}", ("k", "v"))
    early = ConsumerConfig(endpoints=(kafka,), topics=(f"twice-{unique}",), consumer_group=f"early-{unique}",
                           start_with_earliest_message=True)
    return lambda: ex.sees_old_message(kafka, early, f"twice-{unique}")


@right_attempt("9.1")
def _(kafka, unique, send):
    send(f"twice-{unique}", ("book", json.dumps({"title": "Metamorphosis"})))
    return lambda: ex.json_message(kafka, f"twice-{unique}", "title")


@right_attempt("9.2")
def _(kafka, unique, send):
    create_topic(kafka, f"twice-{unique}", config={"max.message.bytes": "2000000"})
    send(f"twice-{unique}", ("scan", "x" * 1_600_000))
    return lambda: ex.large_message(kafka, f"twice-{unique}", 1_500_000)


@right_attempt("10.1")
def _(kafka, unique, send):
    from confluent_kafka import Producer

    create_topic(kafka, f"twice-{unique}", partitions=6)
    java_like = Producer({"bootstrap.servers": kafka, "partitioner": "murmur2_random"})
    java_like.produce(f"twice-{unique}", b"v", key=b"gregor")
    java_like.flush(10)
    return lambda: ex.lands_where_java_would(kafka, f"twice-{unique}", "gregor", "v")


@right_attempt("10.2")
def _(kafka, unique, send):
    create_topic(kafka, f"twice-{unique}", partitions=4)
    send(f"twice-{unique}", ("gregor", "v"))
    return lambda: ex.key_after_growth(kafka, f"twice-{unique}", "gregor", 4)


@right_attempt("11.1")
def _(kafka, unique, send):
    from helpers.client.dead_letter import DeadLetter
    from helpers.client.deadline import Deadline
    from helpers.client.retry import RetryPolicy

    topic, dead = f"twice-{unique}", f"twice-{unique}.dead"
    create_topic(kafka, topic)
    create_topic(kafka, dead)
    send(topic, ("order", "bad"))
    config = ConsumerConfig(endpoints=(kafka,), topics=(topic,), consumer_group=f"g-{unique}",
                            start_with_earliest_message=True)
    with ConsumerWorker(config, lambda m: 1 / 0, retry=RetryPolicy(backoff_s=(0.05, 0.1)),
                        dead_letter=DeadLetter(dead, after=2)) as worker:
        assert Deadline(15).until(lambda: worker.dead_lettered)
    return lambda: ex.dead_lettered(kafka, dead, topic, 2)


@right_attempt("11.2")
def _(kafka, unique, send):
    send(f"twice-{unique}", ("early", "0"), ("later", "1"))
    return lambda: ex.offset_at_time(kafka, f"twice-{unique}", 0, 0)


@right_attempt("12.1")
def _(kafka, unique, send):
    create_topic(kafka, f"twice-{unique}", config={"cleanup.policy": "compact"})
    return lambda: ex.compacted_topic(kafka, f"twice-{unique}")


@right_attempt("12.2")
def _(kafka, unique, send):
    create_topic(kafka, f"twice-{unique}", config={"cleanup.policy": "compact"})
    send(f"twice-{unique}", ("ben", "Prague"), ("ben", None))
    return lambda: ex.tombstone_for(kafka, f"twice-{unique}", "ben")


@right_attempt("13.1")
def _(kafka, unique, send):
    from helpers.client.share import configure_share_group

    configure_share_group(kafka, f"twice-{unique}", {"share.auto.offset.reset": "earliest"})
    return lambda: ex.share_group_reads_from_start(kafka, f"twice-{unique}")


@right_attempt("13.2")
def _(kafka, unique, send):
    from helpers.client.share import REJECT

    return lambda: ex.number_jobs_handler(lambda m: OK if m["value"].isdigit() else REJECT)


def test_there_is_a_right_attempt_for_every_check():
    assert sorted(RIGHT_ATTEMPTS) == sorted(ex.DEFINED)


@pytest.mark.parametrize("exercise", list(RIGHT_ATTEMPTS))
def test_every_check_gives_the_same_answer_when_run_twice(exercise, kafka, unique, send):
    check = RIGHT_ATTEMPTS[exercise](kafka, unique, send)
    first, second = check(), check()
    assert first.passed, str(first)
    assert (second.passed, second.message) == (first.passed, first.message)
