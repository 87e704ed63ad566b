"""What a topic holds right now, read from the broker: offsets, the latest messages and a
group's progress per partition. The topic view widget draws this; tests and notebooks can
use it directly.

    state = read_topic_state(bootstrap, "another_topic", group="example_consumer_group")
    print(draw_topic_state(state))
"""
from __future__ import annotations

import time
import uuid
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field

from confluent_kafka import Consumer, ConsumerGroupTopicPartitions, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient

from .config import as_connection
from .consumer import message_dict
from .deadline import Deadline
from .names import scoped
from .errors import CLIENT_LOG, BrokerUnreachable, CodealongError
from .topics import admin_for


def partition_offsets(where, topic: str, timeout: float = 10) -> dict[int, tuple[int, int]] | None:
    """partition -> (first offset, next offset), or None if the topic does not exist."""
    topic = scoped(topic)
    admin = admin_for(where)
    topics = admin.list_topics(timeout=timeout).topics
    if topic not in topics or topics[topic].error is not None:
        return None
    reader = _reader(where)
    try:
        return {p: reader.get_watermark_offsets(TopicPartition(topic, p), timeout=timeout)
                for p in sorted(topics[topic].partitions)}
    finally:
        reader.close()


def _reader(where) -> Consumer:
    return Consumer({**as_connection(where).client_settings(), "group.id": scoped(f"check-{uuid.uuid4().hex[:8]}"),
                     "enable.auto.commit": False, "logger": CLIENT_LOG})


def read_messages(where, topic: str, limit: int = 1000, timeout: float = 10) -> list[dict]:
    """Every message of the topic (up to `limit`), read without a group."""
    topic = scoped(topic)
    offsets = partition_offsets(where, topic, timeout)
    if not offsets:
        return []
    wanted = {p: (low, high) for p, (low, high) in offsets.items() if high > low}
    reader = _reader(where)
    got: list[dict] = []
    try:
        reader.assign([TopicPartition(topic, p, low) for p, (low, _) in wanted.items()])
        reached = {p: low for p, (low, _) in wanted.items()}
        deadline = Deadline(timeout)
        while any(reached[p] < high for p, (_, high) in wanted.items()) and len(got) < limit and not deadline.expired():
            for msg in reader.consume(100, timeout=0.2):
                if msg.error() is None:
                    got.append(message_dict(msg, decode="bytes"))
                    reached[msg.partition()] = msg.offset() + 1
    finally:
        reader.close()
    return got


@dataclass
class PartitionState:
    partition: int
    first_offset: int          # the oldest offset still stored (low watermark)
    next_offset: int           # where the next message will be written (high watermark)
    latest: list[dict] = field(default_factory=list)  # the newest messages, oldest first
    committed: int | None = None  # the group's next offset to read; None if it never committed
    # Messages written but not yet committed by the group (None when read without a group). A
    # partition the group never committed on counts in full, as if the group starts at the oldest.
    lag: int | None = None


@dataclass
class TopicState:
    topic: str
    group: str | None
    partitions: list[PartitionState]
    members: dict[str, list[int]] = field(default_factory=dict)  # member -> partitions it owns
    read_at: float = field(default_factory=time.time)

    @property
    def total_lag(self) -> int | None:
        """The group's lag summed over all partitions (None without a group)."""
        return None if self.group is None else sum(p.lag for p in self.partitions)


class UnknownTopic(CodealongError):
    """The topic does not exist on this cluster."""


def read_topic_state(where, topic: str, group: str | None = None, latest: int = 3,
                     timeout: float = 10.0) -> TopicState:
    """Offsets and the newest `latest` messages of every partition, and, for `group`, its
    committed offsets, lag and members. Never joins the group; the whole call has one deadline.
    `where`: a bootstrap string, a Connection or a config. A broker that does not answer is a
    BrokerUnreachable error (cause and fix), never a raw client exception."""
    connection = as_connection(where)
    topic, group = scoped(topic), (scoped(group) if group is not None else None)
    deadline = Deadline(timeout)
    try:
        admin = admin_for(connection)
        metadata = admin.list_topics(timeout=deadline.remaining(0.5))
        if topic not in metadata.topics or metadata.topics[topic].error is not None:
            raise UnknownTopic(f"Topic {topic!r} does not exist at {connection.bootstrap}.",
                               "Create it (helpers.create_topic) or send it a message first.")
        numbers = sorted(metadata.topics[topic].partitions)
        reader = Consumer({**connection.client_settings(), "group.id": scoped(f"codealong-view-{uuid.uuid4().hex[:8]}"),
                           "enable.auto.commit": False, "logger": CLIENT_LOG})
        try:
            partitions = [PartitionState(n, *reader.get_watermark_offsets(TopicPartition(topic, n),
                                                                          timeout=deadline.remaining(0.5)))
                          for n in numbers]
            _read_latest(reader, topic, partitions, latest, deadline)
        finally:
            reader.close()
        state = TopicState(topic, group, partitions)
        if group is not None:
            _read_group(admin, state, deadline)
    except KafkaException as err:
        raise BrokerUnreachable(f"Kafka at {connection.bootstrap} did not answer while reading topic {topic!r} "
                                f"({err.args[0].str()}).",
                                "Check that the broker is running (`codealong broker status`); the view "
                                "recovers by itself once it answers again.") from None
    return state


def _read_latest(reader: Consumer, topic: str, partitions: list[PartitionState], latest: int,
                 deadline: Deadline) -> None:
    wanted = {p.partition: p for p in partitions if latest > 0 and p.next_offset > p.first_offset}
    if not wanted:
        return
    reader.assign([TopicPartition(topic, n, max(p.first_offset, p.next_offset - latest)) for n, p in wanted.items()])
    remaining = {n: min(latest, p.next_offset - p.first_offset) for n, p in wanted.items()}
    while any(remaining.values()) and not deadline.expired():
        for msg in reader.consume(100, timeout=0.2):
            if msg.error() is None and msg.offset() < wanted[msg.partition()].next_offset:
                wanted[msg.partition()].latest.append(message_dict(msg))
                remaining[msg.partition()] -= 1


def _read_group(admin: AdminClient, state: TopicState, deadline: Deadline) -> None:
    request = ConsumerGroupTopicPartitions(state.group, [TopicPartition(state.topic, p.partition)
                                                         for p in state.partitions])
    try:
        timeout = deadline.remaining(0.5)
        answer = admin.list_consumer_group_offsets([request], request_timeout=timeout)[state.group].result(timeout)
        timeout = deadline.remaining(0.5)
        described = admin.describe_consumer_groups([state.group], request_timeout=timeout)[state.group].result(timeout)
    except (KafkaException, FutureTimeout) as err:
        reason = err.args[0].str() if isinstance(err, KafkaException) else f"no answer within {deadline.seconds:g} s"
        raise CodealongError(f"Could not read group {state.group!r}: {reason}.",
                             "Check the group name and that the broker is running (`codealong broker status`).") \
            from None
    by_number = {p.partition: p for p in state.partitions}
    for tp in answer.topic_partitions:
        if tp.offset >= 0:
            by_number[tp.partition].committed = tp.offset
    for p in state.partitions:
        p.lag = p.next_offset - max(p.committed or 0, p.first_offset)
    names = [member.client_id for member in described.members]
    for member in described.members:
        owned = sorted(tp.partition for tp in member.assignment.topic_partitions if tp.topic == state.topic)
        # Workers name their client after themselves; other clients may share a name.
        name = member.client_id if names.count(member.client_id) == 1 else member.member_id
        state.members[name] = owned


def draw_topic_state(state: TopicState, cell: int = 28) -> str:
    """The state as text: a row of the latest offsets per partition, and the group's position."""
    title = f"topic {state.topic!r}" + (f", group {state.group!r}" if state.group else "")
    lines = [title]
    for p in state.partitions:
        boxes = " ".join(f"[{m['offset']}: {_short(m['key'], m['value'], cell)}]" for m in p.latest) or "(empty)"
        lines.append(f"  partition {p.partition}: offsets {p.first_offset}..{p.next_offset - 1} {boxes}"
                     if p.next_offset > p.first_offset else f"  partition {p.partition}: (empty)")
        if state.group is not None:
            where = "nothing committed yet" if p.committed is None else f"committed {p.committed}"
            lines.append(f"               {where}, lag {p.lag}")
    if state.members:
        for member, owned in sorted(state.members.items()):
            lines.append(f"  member {member} owns partition(s) {owned}")
    return "\n".join(lines)


def _short(key, value, width: int) -> str:
    text = f"{key}={value}" if key is not None else str(value)
    return text if len(text) <= width else text[:width - 1] + "…"
