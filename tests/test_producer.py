"""SyncProducer against the real broker."""
from __future__ import annotations

import time

import pytest

from conftest import read_topic
from helpers import (MessageTypeError, ProduceError, SyncProducer, capture_produced, create_topic)
from helpers.client.partitioner import md5_partition
from helpers.broker import LocalCluster
from helpers.broker.cluster import free_ports
from helpers.client.deadline import Deadline
from helpers.client.errors import CodealongError
from helpers.client.topics import InvalidTopicName


@pytest.fixture
def producer(kafka, unique):
    with SyncProducer(endpoints=[kafka], topics=[f"our_topic-{unique}", f"another_topic-{unique}"]) as p:
        yield p


def test_every_kaffe_call_form(producer, kafka, unique):
    our, another = producer.config.topics
    create_topic(kafka, our, partitions=3)
    first = producer.produce_sync(another, [("Metamorphosis", "Franz Kafka"), ("The Trial", "Franz Kafka")])
    assert [(d.topic, d.offset) for d in first] == [(another, 0), (another, 1)]
    to_first_topic = producer.produce_sync("sample_key", "to the first topic")
    assert to_first_topic.topic == our
    pinned = producer.produce_sync(our, 2, [("k1", "v1"), ("k2", "v2")])
    assert {d.partition for d in pinned} == {2}
    three = producer.produce_sync(our, "The Castle", "Franz Kafka")
    assert three.partition == md5_partition("The Castle", 3)
    four = producer.produce_sync(our, 1, "Amerika", b"Franz Kafka")
    assert four.partition == 1
    stored = read_topic(kafka, our, 5)
    assert sorted((m["partition"], m["key"], m["value"]) for m in stored) == sorted([
        (to_first_topic.partition, "sample_key", "to the first topic"), (2, "k1", "v1"), (2, "k2", "v2"),
        (three.partition, "The Castle", "Franz Kafka"), (1, "Amerika", "Franz Kafka")])
    assert [m["key"] for m in read_topic(kafka, another, 2)] == ["Metamorphosis", "The Trial"]


def test_headers_per_call_and_per_message(producer, kafka):
    topic = producer.config.topics[1]
    producer.produce_sync(topic, "k", "v", headers={"trace": "abc"})
    producer.produce_sync(topic, [("k2", "v2", [("lang", b"de")])])
    stored = read_topic(kafka, topic, 2)
    assert stored[0]["headers"] == [("trace", "abc")]
    assert stored[1]["headers"] == [("lang", "de")]


def test_md5_strategy_puts_every_key_where_kaffe_would(kafka, unique):
    topic = f"md5-{unique}"
    create_topic(kafka, topic, partitions=6)
    keys = [f"key-{i}" for i in range(60)]
    with SyncProducer(endpoints=[kafka]) as p:
        deliveries = p.produce_sync(topic, [(k, "v") for k in keys])
        assert p.produce(topic, "v", key=bytearray(b"key-7")).partition == md5_partition("key-7", 6)
    assert [d.partition for d in deliveries] == [md5_partition(k, 6) for k in keys]
    assert len({d.partition for d in deliveries}) > 1


def test_random_and_function_strategies(kafka, unique):
    topic = f"strategies-{unique}"
    create_topic(kafka, topic, partitions=4)
    with SyncProducer(endpoints=[kafka], partition_strategy="random") as p:
        spread = {d.partition for d in p.produce_sync(topic, [("same-key", str(i)) for i in range(80)])}
    assert spread == {0, 1, 2, 3}
    seen = []

    def last_partition(topic_name, count, key, value):
        seen.append((topic_name, count, key, value))
        return count - 1
    with SyncProducer(endpoints=[kafka], partition_strategy=last_partition) as p:
        assert p.produce_sync(topic, "k", "v").partition == 3
    assert seen == [(topic, 4, "k", "v")]


@pytest.mark.parametrize("name", ["our topic", ".", "..", "t" * 250, "tópico"])
def test_illegal_topic_names_are_refused_before_sending(producer, name):
    started = time.monotonic()
    with pytest.raises(InvalidTopicName):
        producer.produce_sync(name, "k", "v")
    assert time.monotonic() - started < 1


def test_opting_out_shows_the_brokers_own_answer(kafka):
    with SyncProducer(endpoints=[kafka], check_topic_names=False, timeout_s=5) as p:
        with pytest.raises(ProduceError) as err:
            p.produce_sync("our topic", "k", "v")
    assert err.value.code == "TOPIC_EXCEPTION"
    assert "Broker: Invalid topic" in err.value.cause and "no spaces" in err.value.fix


def test_a_dict_value_is_refused_and_nothing_of_the_batch_is_written(producer, kafka):
    topic = producer.config.topics[0]
    producer.produce_sync(topic, "before", "kept")
    with capture_produced(topic, kafka) as captured:
        with pytest.raises(MessageTypeError) as err:
            producer.produce_sync(topic, [("ok", "fine"), ("bad", {"title": "Metamorphosis"})])
    assert "value is a dict" in err.value.cause and "json.dumps" in err.value.fix
    assert isinstance(err.value, TypeError)
    assert captured.messages == []
    assert [m["value"] for m in read_topic(kafka, topic, 1)] == ["kept"]


def test_an_oversize_message_is_refused_and_earlier_ones_are_kept(producer, kafka):
    topic = producer.config.topics[0]
    producer.produce_sync(topic, "small", "kept")
    with pytest.raises(ProduceError) as err:
        producer.produce_sync(topic, "big", "x" * 2_000_000)
    assert err.value.code == "MSG_SIZE_TOO_LARGE" and "max.message.bytes" in err.value.fix
    assert err.value.side == "client" and err.value.cause.startswith("The client refused")  # before sending
    assert [m["value"] for m in read_topic(kafka, topic, 1)] == ["kept"]


def test_with_the_clients_limit_raised_the_broker_refuses_the_oversize_message(kafka, unique):
    topic = f"big-{unique}"
    create_topic(kafka, topic)  # the topic keeps its 1 MB max.message.bytes
    with SyncProducer(endpoints=[kafka], client_settings={"message.max.bytes": 3_000_000}) as producer:
        with pytest.raises(ProduceError) as err:
            producer.produce(topic, "x" * 2_000_000, key="scan")
    assert err.value.side == "broker" and err.value.reported == "Broker: Message size too large (MSG_SIZE_TOO_LARGE)"


def test_an_unreachable_broker_fails_within_the_deadline():
    started = time.monotonic()
    with SyncProducer(endpoints=["127.0.0.1:1"], timeout_s=3) as p:
        with pytest.raises(ProduceError) as err:
            p.produce_sync("our_topic", "k", "v")
    assert time.monotonic() - started < 10
    assert "No broker at 127.0.0.1:1" in err.value.cause and "codealong broker start" in err.value.fix


def test_the_first_topic_form_needs_configured_topics(kafka):
    with SyncProducer(endpoints=[kafka]) as p:
        with pytest.raises(CodealongError, match="no topics are configured"):
            p.produce_sync("k", "v")


def test_capture_produced_sees_only_the_block(producer, kafka):
    topic = producer.config.topics[1]
    producer.produce_sync(topic, "earlier", "not captured")
    with capture_produced(topic, kafka) as captured:
        producer.produce_sync(topic, "Metamorphosis", "Franz Kafka")
    assert captured.pairs() == [("Metamorphosis", "Franz Kafka")]


def test_repr_never_shows_settings(monkeypatch, kafka):
    assert "bootstrap" not in repr(SyncProducer(endpoints=[kafka]))


def test_a_wrong_advertised_hostname_is_explained(tmp_path, monkeypatch):
    monkeypatch.setenv("CODEALONG_STATE_DIR", str(tmp_path))
    port = free_ports(2)
    broker = LocalCluster(port=port, name="advertises-kafka", advertised_host="kafka")
    try:
        broker.start()
        with SyncProducer(endpoints=[broker.bootstrap], timeout_s=4) as p:
            with pytest.raises(ProduceError) as err:
                p.produce_sync("our_topic", "k", "v")
        assert err.value.code == "_RESOLVE"
        assert f"its metadata names a broker at 'kafka:{port}'" in err.value.cause and "localhost:29092" in err.value.fix
    finally:
        broker.stop()


@pytest.mark.multinode
def test_leader_not_available_is_diagnosed_and_replication_survives(three_nodes):
    from confluent_kafka.admin import AdminClient, NewTopic

    trio = three_nodes
    trio.start()
    admin = AdminClient({"bootstrap.servers": trio.bootstrap})
    admin.create_topics([NewTopic("lonely", num_partitions=1, replica_assignment=[[3]])])["lonely"].result(10)
    create_topic(trio.bootstrap, "safe", partitions=1, replication_factor=3)
    trio.stop(node=3)
    with SyncProducer(endpoints=[trio.bootstrap], timeout_s=4) as p:
        began = time.monotonic()  # the brokers answer metadata, but nobody can acknowledge
        with pytest.raises(ProduceError) as err:
            p.produce_sync("lonely", "k", "v")
        assert time.monotonic() - began < 4 + 1  # one deadline for lookup, send and diagnosis
        assert err.value.code == "LEADER_NOT_AVAILABLE" and "replication factor above 1" in err.value.fix
        assert p.produce_sync("safe", "k", "v").topic == "safe"

def test_recreate_topic_starts_offsets_again(kafka, unique):
    from helpers import recreate_topic

    topic = f"again-{unique}"
    with SyncProducer(endpoints=[kafka]) as p:
        p.produce_sync(topic, [("k", "1"), ("k", "2")])
        recreate_topic(kafka, topic, partitions=2)
        assert SyncProducer(endpoints=[kafka]).partitions_count(topic) == 2  # a new producer asks afresh
        assert len(read_topic(kafka, topic, 1, timeout=2)) == 0
        create_topic(kafka, topic)  # an existing topic is left as it is
        assert p.refresh_metadata(topic) == 2


def test_the_explicit_api_and_messages_as_tuple_or_generator(kafka, unique):
    topic = f"explicit-{unique}"
    create_topic(kafka, topic, partitions=3)
    with SyncProducer(endpoints=[kafka]) as p:
        one = p.produce(topic, "Franz Kafka", key="Metamorphosis", headers={"lang": "de"})
        pinned = p.produce(topic, b"raw", partition=2)
        batch = p.produce_batch(topic, ((f"k{i}", str(i)) for i in range(5)))  # a generator
        as_tuple = p.produce_sync(topic, (("t1", "a"), ("t2", "b")))  # a tuple of messages
        as_generator = p.produce_sync(topic, 1, ((f"g{i}", "x") for i in range(2)))
    assert one.partition == md5_partition("Metamorphosis", 3) and pinned.partition == 2
    assert [d.key for d in batch] == [f"k{i}" for i in range(5)]
    assert [d.key for d in as_tuple] == ["t1", "t2"] and {d.partition for d in as_generator} == {1}
    stored = {m["key"]: m for m in read_topic(kafka, topic, 11)}
    assert stored["Metamorphosis"]["value"] == "Franz Kafka" and stored["Metamorphosis"]["headers"] == [("lang", "de")]
    assert len(stored) == 11


def test_the_clients_own_partitioner_keeps_each_key_on_one_partition(kafka, unique):
    topic = f"client-part-{unique}"
    create_topic(kafka, topic, partitions=4)
    with SyncProducer(endpoints=[kafka], partition_strategy="client") as p:
        deliveries = p.produce_batch(topic, [(f"user-{i % 10}", str(i)) for i in range(100)])
    by_key: dict[str, set[int]] = {}
    for d in deliveries:
        by_key.setdefault(d.key, set()).add(d.partition)
    assert all(len(parts) == 1 for parts in by_key.values())  # one partition per key
    assert len({d.partition for d in deliveries}) > 1
    assert [d.key for d in deliveries] == [f"user-{i % 10}" for i in range(100)]  # in call order


def test_a_paused_broker_costs_one_deadline_not_several(scratch_cluster, unique):
    """The broker stops answering (SIGSTOP): a call returns within timeout_s + 1 s, whether it
    is waiting for metadata or for the acknowledgement."""
    import psutil

    scratch_cluster.start()
    topic = f"paused-{unique}"
    create_topic(scratch_cluster.bootstrap, topic)
    warm = SyncProducer(endpoints=[scratch_cluster.bootstrap], timeout_s=2)
    # A fresh broker may answer "coordinator load in progress" to the idempotent producer's first
    # request for a few seconds: retry the warm-up until it lands (metadata and producer id cached,
    # so the next call goes straight to sending).
    assert Deadline(60).until(lambda: _produced(warm, topic, "before"), step=0.2), "the warm-up never landed"
    broker = psutil.Process(scratch_cluster.status()[0].pid)
    broker.suspend()
    try:
        for producer in (warm, SyncProducer(endpoints=[scratch_cluster.bootstrap], timeout_s=2)):
            began = time.monotonic()
            with pytest.raises(ProduceError) as err:
                producer.produce(topic, "lost in the pause")
            assert time.monotonic() - began < 2 + 1, err.value
            assert err.value.code in ("_MSG_TIMED_OUT", "_TIMED_OUT", "_TRANSPORT"), err.value
    finally:
        broker.resume()
    warm.close(timeout=2)


def _produced(producer: SyncProducer, topic: str, value: str) -> bool:
    try:
        producer.produce(topic, value)
        return True
    except ProduceError:
        return False


def test_close_keeps_its_deadline_and_may_be_called_twice(kafka, unique, caplog):
    topic = f"close-{unique}"
    producer = SyncProducer(endpoints=[kafka])
    written = producer.produce(topic, "v")
    producer.close()
    producer.close()  # the second call is a no-op, not an error
    assert [(m["partition"], m["offset"], m["value"]) for m in read_topic(kafka, topic, 1)] == \
        [(written.partition, written.offset, "v")]
    # A message nobody can acknowledge (no broker) is dropped and logged when close's time is up.
    stranded = SyncProducer(endpoints=["127.0.0.1:1"])
    stranded._client.produce("nowhere", b"never acknowledged")  # queued, no call waiting for it
    began = time.monotonic()
    stranded.close(timeout=0.5)
    assert time.monotonic() - began < 0.5 + 2
    assert "1 message(s) were still unacknowledged" in caplog.text


def test_named_endpoints_win_over_the_environment(kafka, unique, monkeypatch):
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")  # the Docker route, pointing elsewhere
    with SyncProducer(endpoints=[kafka], timeout_s=5) as producer:
        delivery = producer.produce(f"named-{unique}", "reached the named cluster")
    assert delivery.offset == 0
    with pytest.raises(ProduceError, match="No broker at 127.0.0.1:1"):
        SyncProducer(timeout_s=2).produce(f"named-{unique}", "no endpoints: the variable is the default")


def end_offsets(bootstrap: str, topic: str) -> dict[int, int]:
    """Each partition's high watermark: how many messages it holds (none are deleted here)."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "watermarks"})
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        return {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in partitions}
    finally:
        consumer.close()


def test_an_abort_mid_batch_lists_what_is_written(kafka, unique):
    """The 3rd message is refused by the client before sending: the call stops there, and
    `delivered` lists the two queued before it, which the broker does write."""
    topic = f"abort-{unique}"
    create_topic(kafka, topic, partitions=1)
    with SyncProducer(endpoints=[kafka]) as producer:
        with pytest.raises(ProduceError) as err:
            producer.produce_batch(topic, [("a", "1"), ("b", "2"), ("big", "x" * 2_000_000), ("d", "4")])
    assert err.value.code == "MSG_SIZE_TOO_LARGE" and err.value.side == "client"
    assert [(d.key, d.partition, d.offset) for d in err.value.delivered] == [("a", 0, 0), ("b", 0, 1)]
    assert end_offsets(kafka, topic) == {0: 2}
    assert [(m["key"], m["offset"]) for m in read_topic(kafka, topic, 2)] == [("a", 0), ("b", 1)]


def test_produce_many_keeps_its_promise_after_an_abort(kafka, unique):
    topic = f"many-{unique}"
    create_topic(kafka, topic, partitions=1)
    messages = [(f"k{i}", "x" * 2_000_000 if i == 7 else str(i)) for i in range(10)]
    with SyncProducer(endpoints=[kafka]) as producer:
        with pytest.raises(ProduceError) as err:
            producer.produce_many(topic, messages, chunk=3, progress=False)
    assert [d.key for d in err.value.delivered] == [f"k{i}" for i in range(7)]
    assert end_offsets(kafka, topic) == {0: 7}


def test_refresh_metadata_sees_partitions_added_since(kafka, unique):
    from confluent_kafka.admin import NewPartitions

    from helpers.client.topics import admin_for

    topic = f"growing-{unique}"
    create_topic(kafka, topic, partitions=2)
    keys = [f"key-{i}" for i in range(40)]
    late = [k for k in keys if md5_partition(k, 4) >= 2][:6]  # keys md5 sends to the new partitions
    with SyncProducer(endpoints=[kafka]) as producer:
        assert producer.produce(topic, "before", key=late[0]).partition == md5_partition(late[0], 2)
        admin = admin_for(kafka)  # kept: a collected client cancels its pending requests
        admin.create_partitions([NewPartitions(topic, 4)])[topic].result(10)
        assert producer.refresh_metadata() is None  # forgets every cached count
        assert producer.partitions_count(topic) == 4
        deliveries = producer.produce_batch(topic, [(k, "after") for k in late])
    assert [d.partition for d in deliveries] == [md5_partition(k, 4) for k in late]
    assert {d.partition for d in deliveries} <= {2, 3}
    stored = read_topic(kafka, topic, 1 + len(late))
    assert sorted((m["key"], m["partition"]) for m in stored if m["value"] == "after") == \
        sorted((k, md5_partition(k, 4)) for k in late)


def test_a_refusal_naming_a_partition_refreshes_the_count(kafka, unique):
    """A stale count (the topic was recreated with fewer partitions) sends to a partition that
    no longer exists: the client refuses it, and the next call uses the topic's real count."""
    topic = f"shrunk-{unique}"
    create_topic(kafka, topic, partitions=2)
    key = next(f"key-{i}" for i in range(100) if md5_partition(f"key-{i}", 8) >= 2)
    with SyncProducer(endpoints=[kafka]) as producer:
        assert producer.partitions_count(topic) == 2
        producer._counts.remember(topic, 8)  # as if it had 8 partitions when last asked
        with pytest.raises(ProduceError) as err:
            producer.produce(topic, "v", key=key)
        assert err.value.code == "_UNKNOWN_PARTITION"
        assert producer.produce(topic, "v", key=key).partition == md5_partition(key, 2)


def test_every_delivery_matches_its_message_across_partitions(kafka, unique):
    """Delivery reports of different partitions interleave: each Delivery must still be the
    one of its own message, whatever the strategy (checked against what the topic stores)."""
    topic = f"match-{unique}"
    create_topic(kafka, topic, partitions=6)
    messages = [(f"user-{i % 37}", f"value-{i}") for i in range(600)]
    messages += [(None, f"keyless-{i}") for i in range(60)] + [(b"", f"empty-key-{i}") for i in range(30)]
    sent = []
    for strategy in ("client", "md5", "random"):
        with SyncProducer(endpoints=[kafka], partition_strategy=strategy) as producer:
            tagged = [(k, f"{strategy}-{v}") for k, v in messages]
            deliveries = producer.produce_batch(topic, tagged)
            pinned = producer.produce_batch(topic, tagged[:20], partition=5)
        assert [d.key for d in deliveries] == [k for k, _ in tagged]
        assert {d.partition for d in pinned} == {5}
        if strategy == "md5":  # computed in bulk, each distinct key once: still Kaffe's partition
            assert [d.partition for d in deliveries] == [md5_partition(k, 6) for k, _ in tagged]
        sent += list(zip(deliveries, tagged)) + list(zip(pinned, tagged[:20]))
    stored = {(m["partition"], m["offset"]): m["value"] for m in read_topic(kafka, topic, len(sent))}
    assert len(stored) == len(sent)
    assert all(stored[(d.partition, d.offset)] == value for d, (_, value) in sent)
    assert len({d.partition for d, _ in sent}) == 6


def test_the_key_is_a_keyword_and_typed_errors_keep_the_clients_error(producer):
    from confluent_kafka import KafkaError

    topic = producer.config.topics[0]
    with pytest.raises(TypeError):
        producer.produce(topic, "value", "key")  # positional key: is it the key or the value?
    with pytest.raises(ProduceError) as err:
        producer.produce(topic, "x" * 2_000_000, key="big")
    original = err.value.kafka_error
    assert isinstance(original, KafkaError) and original.code() == KafkaError.MSG_SIZE_TOO_LARGE
    assert original.name() == "MSG_SIZE_TOO_LARGE" and not original.retriable() and not original.fatal()
