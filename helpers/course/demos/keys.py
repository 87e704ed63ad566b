"""Where does a key land? The same keys sent by four producers, and the partitions they chose.

    table = where_keys_land(BOOTSTRAP_SERVERS, "mixed", ["ana", "ben", "eva"])
    table["ana"]   # {"Java console producer": 1, "confluent-kafka default": 0, ...}

Each producer's choice is read back from the broker (the delivery report, or for the Java
tool, the topic itself), never computed, so the table shows what really happened.
"""
from __future__ import annotations

from ...client.config import as_connection
from ...client.errors import CodealongError
from ..kafka_tools import kafka
from ...client.names import scoped
from ...client.producer import SyncProducer
from ...client.topic_state import read_messages

JAVA = "Java console producer"
#: label -> SyncProducer arguments; "client" leaves the choice to librdkafka's partitioner.
PYTHON_PRODUCERS = {
    "confluent-kafka default": {"partition_strategy": "client"},                     # consistent_random
    "confluent-kafka murmur2_random": {"partition_strategy": "client",
                                       "client_settings": {"partitioner": "murmur2_random"}},
    "helpers (md5, Kaffe's)": {},                                                      # partition_strategy="md5"
}
PRODUCERS = (JAVA, *PYTHON_PRODUCERS)


def where_keys_land(where, topic: str, keys: list[str], java: bool = True) -> dict[str, dict[str, int]]:
    """key -> producer -> partition, for keys sent to `topic` (which exists) by each producer.
    `java=False` leaves out Kafka's console producer (it needs Java)."""
    table: dict[str, dict[str, int]] = {key: {} for key in keys}
    if java:
        lines = "".join(f"{key}:{JAVA}\n" for key in keys)
        sent = kafka("kafka-console-producer", "--topic", scoped(topic), "--reader-property", "parse.key=true",
                     "--reader-property", "key.separator=:", where=where, input=lines)
        if not sent.ok:
            raise CodealongError(f"kafka-console-producer failed: {sent}", "Check the topic exists (create_topic).")
        for message in read_messages(where, topic, limit=10_000):
            key, label = (message[f] and message[f].decode() for f in ("key", "value"))
            if label == JAVA and key in table:
                table[key][JAVA] = message["partition"]
    for label, arguments in PYTHON_PRODUCERS.items():
        with SyncProducer(endpoints=as_connection(where).endpoints, **arguments) as producer:
            for key in keys:
                table[key][label] = producer.produce(topic, label, key=key).partition
    return table

