"""One message there and back, with plain confluent-kafka: the smallest proof a broker works."""
from __future__ import annotations

import time
import uuid

from confluent_kafka import Consumer, Producer

from .errors import CLIENT_LOG


def round_trip(bootstrap: str, topic: str = "another_topic", timeout: float = 30) -> tuple[str, str]:
    """Send ("Metamorphosis", "Franz Kafka") to `topic` and read it back; returns (key, value)."""
    producer = Producer({"bootstrap.servers": bootstrap, "message.timeout.ms": int(timeout * 1000),
                         "logger": CLIENT_LOG})
    producer.produce(topic, value="Franz Kafka", key="Metamorphosis")
    if producer.flush(timeout) != 0:
        raise TimeoutError(f"the message to {topic} was not acknowledged within {timeout:g} s")
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"smoke-{uuid.uuid4().hex[:8]}",
                         "auto.offset.reset": "earliest", "logger": CLIENT_LOG})
    try:
        consumer.subscribe([topic])
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and not msg.error() and msg.key() == b"Metamorphosis":
                return msg.key().decode(), msg.value().decode()
    finally:
        consumer.close()
    raise TimeoutError(f"the message was not read back from {topic} within {timeout:g} s")
