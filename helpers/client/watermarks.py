"""A partition's first and next offsets, asked again while its leadership settles (a topic just
made, a busy broker): the one place both the topic readers and the consumer's rebalance listener
get them."""
from __future__ import annotations

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

from .deadline import Deadline

#: Answers of a partition whose leadership is still settling (a topic just made, a busy broker).
SETTLING = (KafkaError.NOT_LEADER_FOR_PARTITION, KafkaError.LEADER_NOT_AVAILABLE, KafkaError.UNKNOWN_TOPIC_OR_PART)


def watermarks(consumer: Consumer, tp: TopicPartition, deadline: Deadline) -> tuple[int, int]:
    """(first offset, next offset) of a partition; raises KafkaException once the deadline passes
    or for an answer that asking again will not change."""
    while True:
        try:
            return consumer.get_watermark_offsets(tp, timeout=deadline.remaining(0.5))
        except KafkaException as err:
            again = err.args[0].code() in SETTLING or err.args[0].retriable()
            if not again or not deadline.wait(0.1):
                raise
