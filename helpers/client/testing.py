"""Test helpers for code that produces to Kafka (Kaffe's users asked for these).

    with capture_produced("another_topic", bootstrap) as captured:
        send_my_message(("Metamorphosis", "Franz Kafka"), "another_topic")
    assert [(m["key"], m["value"]) for m in captured.messages] == [("Metamorphosis", "Franz Kafka")]

It reads from the real broker exactly what was appended to the topic while the block ran:
it notes every partition's end offset on entry and reads up to the new end on exit.
"""
from __future__ import annotations

import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

from .config import as_connection
from .consumer import message_dict
from .deadline import Deadline
from .names import scoped
from .errors import CLIENT_LOG, CodealongError


@dataclass
class Captured:
    topic: str
    messages: list[dict] = field(default_factory=list)

    def pairs(self) -> list[tuple]:
        return [(m["key"], m["value"]) for m in self.messages]


#: Answers of a partition whose leadership is still settling (a topic just made, a busy broker).
_SETTLING = (KafkaError.NOT_LEADER_FOR_PARTITION, KafkaError.LEADER_NOT_AVAILABLE, KafkaError.UNKNOWN_TOPIC_OR_PART)


def _end_offsets(consumer: Consumer, topic: str, timeout: float) -> dict[int, int]:
    deadline = Deadline(timeout)
    metadata = consumer.list_topics(topic, timeout=deadline.remaining(0.5)).topics[topic]
    if metadata.error is not None:
        return {}  # the topic does not exist yet: everything in it will be new
    ends = {}
    for p in metadata.partitions:
        while p not in ends:
            try:
                ends[p] = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=deadline.remaining(0.5))[1]
            except KafkaException as err:  # asked again while the deadline lasts
                if err.args[0].code() not in _SETTLING or not deadline.wait(0.1):
                    raise
    return ends


@contextmanager
def capture_produced(topic: str, where, *, decode: str = "text", timeout: float = 10.0):
    """Collect, into ``captured.messages``, what is appended to `topic` inside the block.
    `where`: a bootstrap string, a Connection or a config."""
    topic = scoped(topic)
    consumer = Consumer({**as_connection(where).client_settings(), "group.id": scoped(f"capture-{uuid.uuid4().hex}"),
                         "enable.auto.commit": False, "allow.auto.create.topics": False,
                         "logger": CLIENT_LOG})
    captured = Captured(topic)
    try:
        before = _end_offsets(consumer, topic, timeout)
        yield captured
        after = _end_offsets(consumer, topic, timeout)
        wanted = {p: end for p, end in after.items() if end > before.get(p, 0)}
        if not wanted:
            return
        consumer.assign([TopicPartition(topic, p, before.get(p, 0)) for p in wanted])
        reached: dict[int, int] = {}
        deadline = Deadline(timeout)
        while any(reached.get(p, -1) + 1 < end for p, end in wanted.items()):
            if deadline.expired():
                raise CodealongError(f"Reading back what was produced to {topic!r} took over {timeout:g} s.",
                                     "Check the broker (`codealong broker status`) and retry.")
            msg = consumer.poll(0.2)
            if msg is None or msg.error():
                continue
            if msg.offset() < wanted.get(msg.partition(), 0):
                captured.messages.append(message_dict(msg, decode))
            reached[msg.partition()] = msg.offset()
        captured.messages.sort(key=lambda m: (m["ts"], m["partition"], m["offset"]))
    finally:
        consumer.close()
