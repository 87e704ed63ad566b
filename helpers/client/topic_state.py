"""What a topic holds right now, read from the broker: offsets, its messages and a group's
progress per partition. Nothing here joins a group: partitions are assigned and read from an
offset, so any number of readers can read a topic and nothing is committed.

    messages = read_messages(bootstrap, "another_topic")          # everything, up to its end now
    state = read_topic_state(bootstrap, "another_topic", group="example_consumer_group")

(Drawing a TopicState as text is the course's: helpers.course.drawing.draw_topic_state.)
"""
from __future__ import annotations

import time
import uuid
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Callable

from confluent_kafka import Consumer, ConsumerGroupTopicPartitions, KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient

from .config import as_connection
from .consumer import message_dict
from .deadline import Deadline
from .names import scoped
from .errors import CLIENT_LOG, BrokerUnreachable, CodealongError
from .topics import admin_for
from .watermarks import watermarks


class UnknownTopic(CodealongError):
    """The topic does not exist on this cluster."""


class ReadTimeout(CodealongError):
    """A topic could not be read up to its end within the deadline."""


def _reader(where) -> Consumer:
    # group.id is required by the client, but nothing here joins or commits to the group.
    return Consumer({**as_connection(where).client_settings(), "group.id": scoped(f"reader-{uuid.uuid4().hex[:8]}"),
                     "enable.auto.commit": False, "enable.partition.eof": True, "auto.offset.reset": "earliest",
                     "logger": CLIENT_LOG})


def partition_offsets(where, topic: str, timeout: float = 10) -> dict[int, tuple[int, int]] | None:
    """partition -> (first offset, next offset), or None if the topic does not exist."""
    topic = scoped(topic)
    deadline = Deadline(timeout)
    admin = admin_for(where)
    topics = admin.list_topics(timeout=deadline.remaining(0.5)).topics
    if topic not in topics or topics[topic].error is not None:
        return None
    reader = _reader(where)
    try:
        return {p: watermarks(reader, TopicPartition(topic, p), deadline) for p in sorted(topics[topic].partitions)}
    finally:
        reader.close()


class TopicReader:
    """Reads one topic (or several) without a group, from `start` (partition -> offset, for a single
    topic; by default each partition's first stored offset). `ends` holds each (topic, partition)'s
    next offset when it opened; `positions` how far it has read. Raises UnknownTopic if a topic
    cannot be read.

        with TopicReader(bootstrap, "orders") as reader:
            while not reader.reached():
                handle(reader.read_available())
    """

    def __init__(self, where, topic: str | list[str], *, start: dict[int, int] | None = None, decode: str = "bytes",
                 timeout: float = 10.0):
        topics = [scoped(t) for t in ([topic] if isinstance(topic, str) else topic)]
        self.topic, self.decode = topics[0] if topics else "", decode
        deadline = Deadline(timeout)
        self._consumer = _reader(where)
        self.ends: dict[tuple[str, int], int] = {}
        self.positions: dict[tuple[str, int], int] = {}
        try:
            listed = self._consumer.list_topics(timeout=deadline.remaining(0.5)).topics if len(topics) > 1 else \
                {t: self._consumer.list_topics(t, timeout=deadline.remaining(0.5)).topics[t] for t in topics}
            for name in topics:
                metadata = listed.get(name)
                if metadata is None or metadata.error is not None:
                    why = metadata.error.str() if metadata is not None else "no such topic"
                    raise UnknownTopic(f"Topic {name!r} cannot be read: {why}.",
                                       "Create it (helpers.create_topic), or check the credentials' rights to read it.")
                for p in sorted(metadata.partitions):
                    first, self.ends[(name, p)] = watermarks(self._consumer, TopicPartition(name, p), deadline)
                    wanted = (start or {}).get(p, first) if len(topics) == 1 else first
                    self.positions[(name, p)] = max(first, wanted)
            self._consumer.assign([TopicPartition(t, p, at) for (t, p), at in self.positions.items()])
        except BaseException:
            self._consumer.close()
            raise

    def read_available(self, wait: float = 0.2, most: int = 500) -> list[dict]:
        """The messages that arrived since the last call (waiting at most `wait` s for one)."""
        got = []
        for msg in self._consumer.consume(most, timeout=wait):
            err = msg.error()
            if err is None:
                got.append(message_dict(msg, self.decode))
                self.positions[(msg.topic(), msg.partition())] = msg.offset() + 1
            elif err.code() == KafkaError._PARTITION_EOF:  # also past transaction markers, never delivered
                where = (msg.topic(), msg.partition())
                self.positions[where] = max(self.positions[where], msg.offset())
            elif err.fatal():
                raise KafkaException(err)
        return got

    def reached(self) -> bool:
        """Whether every partition is read up to its end as it was when the reader opened."""
        return all(self.positions[p] >= end for p, end in self.ends.items())

    def close(self) -> None:
        self._consumer.close()

    def __enter__(self) -> "TopicReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_messages(where, topic: str, limit: int | None = 1000, timeout: float = 10.0, *,
                  start: dict[int, int] | None = None, until: Callable[[list[dict]], bool] | None = None,
                  decode: str = "bytes") -> list[dict]:
    """The topic's messages, read without a group, from `start` (partition -> offset; default:
    the first stored) up to its end as of this call; at most `limit` (None: all). A topic that
    does not exist holds nothing. Raises ReadTimeout if the end is not reached within `timeout` s.

    With `until` (a test of the messages read so far) it reads on, following new messages, until
    the test passes or the deadline does, and returns what it read by then."""
    deadline = Deadline(timeout)
    try:
        reader = TopicReader(where, topic, start=start, decode=decode, timeout=timeout)
    except UnknownTopic:
        return []
    got: list[dict] = []
    with reader:
        while limit is None or len(got) < limit:
            if until(got) if until is not None else reader.reached():
                break
            if deadline.expired():
                if until is not None:
                    break
                raise ReadTimeout(f"Reading {reader.topic!r} up to its end took over {timeout:g} s.",
                                  "Check the broker (`codealong broker status`) and retry.")
            new = reader.read_available(min(0.2, deadline.remaining()))
            # Up to the end as of the call: what arrives meanwhile is left for the next read.
            got += new if until is not None else [m for m in new
                                                  if m["offset"] < reader.ends[(m["topic"], m["partition"])]]
    return got if limit is None else got[:limit]


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
