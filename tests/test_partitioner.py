"""Partition strategies and topic names (no broker needed, but to send with each strategy)."""
from __future__ import annotations

import subprocess

import pytest

from helpers.client.config import ConfigError, ProducerConfig, parse_config
from helpers.client.partitioner import (STRATEGIES, choose_partition, client_partitioner, md5_partition,
                                        murmur2_partition, partition_counts, random_partition, strategy_function)
from helpers.client.topics import InvalidTopicName, check_topic_name


def kaffe_md5_by_coreutils(key: str, count: int) -> int:
    """Kaffe's published rule computed by another implementation: coreutils' md5sum,
    then the digest's 16 bytes summed and taken modulo the partition count."""
    hexdigest = subprocess.run(["md5sum"], input=key.encode(), capture_output=True, check=True).stdout.split()[0]
    return sum(bytes.fromhex(hexdigest.decode())) % count


@pytest.mark.parametrize("key", ["Metamorphosis", "sample_key", "", "Die Verwandlung", "ключ", "a" * 300])
@pytest.mark.parametrize("count", [1, 2, 3, 6, 12])
def test_md5_matches_kaffes_rule(key, count):
    assert md5_partition(key, count) == kaffe_md5_by_coreutils(key, count)
    assert md5_partition(key.encode(), count) == md5_partition(key, count)


def test_md5_values_worked_by_hand():
    # md5("Metamorphosis") = e231f70d375e02851bcc57ff1b1875b4 (md5sum); its 16 bytes sum to 1740
    # (summed with shell arithmetic), so with 6 partitions Kaffe picks 1740 % 6 = 0, with 7: 4.
    assert md5_partition("Metamorphosis", 6) == 0
    assert md5_partition("Metamorphosis", 7) == 4
    assert md5_partition("Metamorphosis", 10_000) == 1740


def test_random_and_custom_strategies():
    assert {random_partition(4) for _ in range(400)} == {0, 1, 2, 3}
    always_last = strategy_function(lambda topic, count, key, value: count - 1)
    assert choose_partition(always_last, "t", 5, b"k", b"v") == 4
    by_name = strategy_function("helpers.client.partitioner:random_partition")
    assert by_name is __import__("helpers.client.partitioner").client.partitioner.random_partition
    with pytest.raises(ConfigError, match="not md5, murmur2, random, client, murmur2_random, or an importable function"):
        strategy_function("nowhere:nothing")


def test_a_strategy_returning_a_bad_partition_is_refused():
    with pytest.raises(ConfigError, match="returned 7 for topic 't', which has 3 partition"):
        choose_partition(lambda *a: 7, "t", 3, None, b"v")


@pytest.mark.parametrize("name, problem", [
    ("our topic", "contains ' '"),
    (".", "reserved"),
    ("..", "reserved"),
    ("t" * 250, "250 characters long; the limit is 249"),
    ("tópico", "contains 'ó'"),
    ("", "non-empty string"),
    ("a/b", "contains '/'"),
])
def test_illegal_topic_names_are_refused_with_a_suggestion(name, problem):
    with pytest.raises(InvalidTopicName) as err:
        check_topic_name(name)
    assert problem in err.value.cause


def test_legal_topic_names_pass():
    for name in ["our_topic", "another_topic", "a.b-c_d", "t" * 249, "..."]:
        assert check_topic_name(name) == name
    with pytest.raises(InvalidTopicName) as err:
        check_topic_name("our topic")
    assert "'our_topic'" in err.value.fix


def test_chapter_10s_murmur2_is_accepted_by_the_config():
    """Chapter 10 tells learners to write partition_strategy="murmur2"."""
    assert ProducerConfig(partition_strategy="murmur2").partition_strategy == "murmur2"
    assert parse_config({"producer": {"partition_strategy": "murmur2"}}).producer.partition_strategy == "murmur2"


@pytest.mark.parametrize("name", list(STRATEGIES))
def test_every_strategy_of_the_partitioner_is_accepted_by_the_config(name):
    assert ProducerConfig(partition_strategy=name).partition_strategy == name
    config = parse_config({"producer": {"partition_strategy": name}}).producer
    settings = config.client_settings()
    choose = strategy_function(name)
    if choose is None:  # librdkafka chooses, with the partitioner the strategy names
        assert settings["partitioner"] == client_partitioner(name) == STRATEGIES[name]
    else:  # the helpers choose; the client's partitioner is left alone
        assert 0 <= choose_partition(choose, "t", 6, b"Metamorphosis", b"v") < 6
        assert "partitioner" not in settings


def test_partition_counts_refuses_what_only_librdkafka_knows():
    assert sum(partition_counts(["a", "b", "c"], 3, "murmur2")) == 3
    with pytest.raises(ConfigError, match="cannot tell where librdkafka's 'client' partitioner"):
        partition_counts(["a"], 3, "client")


KEYS = ["Metamorphosis", "The Trial", "The Castle", "Amerika", "ana", "ben", "eva", "sample_key"]


def test_each_strategy_sends_where_it_says(kafka, unique):
    """murmur2 (ours) and murmur2_random (librdkafka's) put every key where Java's producer does."""
    from helpers import SyncProducer, create_topic

    topic = f"strategies-{unique}"
    create_topic(kafka, topic, partitions=6)
    for name in STRATEGIES:
        with SyncProducer(endpoints=kafka, partition_strategy=name, timeout_s=10) as producer:
            landed = {key: producer.produce(topic, name, key=key).partition for key in KEYS}
        assert all(0 <= partition < 6 for partition in landed.values()), name
        if name in ("murmur2", "murmur2_random"):
            assert landed == {key: murmur2_partition(key, 6) for key in KEYS}, name
        if name == "md5":
            assert landed == {key: md5_partition(key, 6) for key in KEYS}
