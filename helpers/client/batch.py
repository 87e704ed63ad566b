"""One produce_batch call: its messages checked, where each goes, sending them, and the
delivery reports that come back, put back in call order.

The hot path does little per message in Python: one shared delivery callback appends each
report, and after the wait the reports are matched to their messages in bulk. That works
because the client reports one partition's messages in the order they were sent: so a
message's "lane" (its partition when we choose it, else its key, as the client's partitioner
sends equal keys to one partition) and its rank in that lane identify its report.
"""
from __future__ import annotations

import gc
from contextlib import contextmanager
from functools import partial
from itertools import islice, repeat
from operator import itemgetter, methodcaller, mod
from typing import Iterable

from confluent_kafka import KafkaError, KafkaException, Message, Producer

try:  # CPython's own md5: for short keys about twice as fast as OpenSSL's (no context set-up)
    from _md5 import md5
except ImportError:  # a build without it
    from hashlib import md5

from .deadline import Deadline
from .diagnosis import Delivery
from .errors import CodealongError
from .partitioner import as_bytes, choose_partition

CLIENT_CHOOSES = -1  # librdkafka's "unassigned partition": its own partitioner picks one
_PAYLOAD_TYPES = {str, bytes, type(None)}
_first, _second, _digest = itemgetter(0), itemgetter(1), methodcaller("digest")


class MessageTypeError(CodealongError, TypeError):
    """A key or value that is not str, bytes or None."""


def _check_payload(kind: str, data) -> None:
    if type(data) not in _PAYLOAD_TYPES and not isinstance(data, (str, bytes, bytearray, memoryview)):
        raise MessageTypeError(
            f"The message {kind} is a {type(data).__name__}; Kafka stores bytes, so a {kind} must be str, "
            "bytes or None.",
            f"Serialize it first, e.g. json.dumps({kind}) for a dict or list, or str({kind}) for a number.")


def split(messages: Iterable[tuple], headers) -> tuple[list, list, list | None]:
    """Check every message before any is sent: (key, value[, headers]) of str, bytes or None.
    Returns the keys, the values, and each message's headers (None when none has any)."""
    batch = messages if type(messages) is list else list(messages)
    if set(map(type, batch)) <= {tuple} and set(map(len, batch)) <= {2}:  # the usual case, checked in C
        keys, values = list(map(_first, batch)), list(map(_second, batch))
        if set(map(type, keys)) <= _PAYLOAD_TYPES and set(map(type, values)) <= _PAYLOAD_TYPES:
            return keys, values, [headers] * len(batch) if headers else None
    for message in batch:  # the same checks one by one: the first bad message is named
        if type(message) is not tuple or not 2 <= len(message) <= 3:
            raise TypeError(f"each message must be a (key, value) or (key, value, headers) tuple, not {message!r}")
        _check_payload("key", message[0])
        _check_payload("value", message[1])
    own = [m[2] if len(m) == 3 and m[2] else headers for m in batch]
    return [_plain(m[0]) for m in batch], [_plain(m[1]) for m in batch], own if any(own) else None


def _plain(data):
    """str, bytes or None, as the client takes them (it refuses a bytearray or a memoryview)."""
    return bytes(data) if isinstance(data, (bytearray, memoryview)) else data


def targets(strategy, topic: str, count: int, keys: list, values: list) -> list[int]:
    """The partition of each message under a strategy (md5, the default, is computed in bulk)."""
    if strategy == "md5":
        return md5_partitions(keys, count)
    return [choose_partition(strategy, topic, count, key, value) for key, value in zip(keys, values)]


def md5_partitions(keys: list, count: int) -> list[int]:
    """Kaffe's md5 partition of each key (partitioner.md5_partition), hashing each distinct key
    once (keys repeat: users, orders), in C-level loops: no Python call per message."""
    distinct = list(dict.fromkeys(keys))
    wire = map(str.encode, distinct) if set(map(type, distinct)) == {str} else map(as_bytes, distinct)
    partitions = map(mod, map(sum, map(_digest, map(md5, wire))), repeat(count))  # sum of the digest's bytes
    if len(distinct) == len(keys):
        return list(partitions)
    partition_of = dict(zip(distinct, partitions))
    return list(map(partition_of.__getitem__, keys))


#: From this many messages a call pauses the cyclic garbage collector (see gc_paused).
GC_PAUSE_FROM = 1000


@contextmanager
def gc_paused(messages: int):
    """A call keeps a report and makes a Delivery per message: the cyclic garbage collector would
    scan these young objects again and again, for nothing (they form no cycles), which costs
    about a third of a large call's CPU. So it pauses during a large call, then resumes."""
    pause = messages >= GC_PAUSE_FROM and gc.isenabled()
    if pause:
        gc.disable()
    try:
        yield
    finally:
        if pause:
            gc.enable()


def _store(matched: list, index: int, err, msg) -> None:
    matched[index] = msg


class Call:
    """The messages of one call and their delivery reports (confluent-kafka Message objects)."""

    def __init__(self, topic: str, keys: list, values: list, headers: list | None, partitions: list | None,
                 by_key: bool):
        """`partitions`: each message's, or None when the client's partitioner chooses; then
        `by_key` says whether keys identify the lanes (all keys non-empty, a keyed partitioner)."""
        self.topic, self.keys, self.values, self.headers = topic, keys, values, headers
        self.partitions = partitions
        self.sent = 0
        self.reports: list[Message] = []  # in arrival order (shared callback), or ...
        self.matched: list | None = None  # ... filed by index (one callback per message)
        if partitions is None and not by_key:  # no lane to match by: each message gets its own callback
            self.matched = [None] * len(keys)
        append = self.reports.append
        self.on_report = lambda err, msg: append(msg)

    def send(self, client: Producer, deadline: Deadline) -> KafkaError | None:
        """Queue the messages in order; stops at the first the client refuses, and returns why."""
        partitions = self.partitions or repeat(CLIENT_CHOOSES)
        if self.matched is None and self.headers is None:  # the usual call, kept lean
            topic, produce, on_report = self.topic, client.produce, self.on_report
            for index, (value, key, partition) in enumerate(zip(self.values, self.keys, partitions)):
                try:
                    produce(topic, value, key, partition, on_report)
                except (BufferError, KafkaException):  # handled (and retried) by the general loop
                    return self._send_from(index, client, deadline)
            self.sent = len(self.keys)
            return None
        return self._send_from(0, client, deadline)

    def _send_from(self, start: int, client: Producer, deadline: Deadline) -> KafkaError | None:
        """The general loop: headers, a callback per message, a full queue, a refusal."""
        topic, produce, count = self.topic, client.produce, len(self.keys)
        if self.matched is None:
            callbacks = repeat(self.on_report)
        else:
            callbacks = map(partial, repeat(_store), repeat(self.matched), range(count))
        rows = islice(zip(self.values, self.keys, self.partitions or repeat(CLIENT_CHOOSES), callbacks,
                          self.headers or repeat(None)), start, None)
        for index, (value, key, partition, callback, headers) in enumerate(rows, start):
            try:
                produce(topic, value, key, partition, callback, headers=headers)
            except BufferError:  # the local queue is full: serve reports until there is room
                refusal = _when_room(client, deadline, partial(produce, topic, value, key, partition, callback,
                                                               headers=headers))
                if refusal is not None:
                    self.sent = index
                    return refusal
            except KafkaException as err:  # refused before sending (too large, unknown partition)
                self.sent = index
                return err.args[0]
        self.sent = count
        return None

    def complete(self) -> bool:
        if self.matched is None:
            return len(self.reports) >= self.sent
        return None not in self.matched[:self.sent]

    def in_call_order(self) -> list[Message | None]:
        """Each sent message's report (None while it has none)."""
        if self.matched is not None:
            return self.matched[:self.sent]
        if self.partitions is not None:
            return match(self.reports, self.partitions[:self.sent], Message.partition)
        keys = self.keys[:self.sent]  # as the reports carry them: bytes
        wire = list(map(str.encode, keys)) if set(map(type, keys)) == {str} else list(map(as_bytes, keys))
        return match(self.reports, wire, Message.key)

    def outcome(self) -> tuple[list[Delivery], list[KafkaError], int]:
        """What was written (in call order), the errors reported, and how many have no report."""
        matched, topic = self.in_call_order(), self.topic
        if None not in matched and not any(map(Message.error, matched)):  # all written: built in C
            # tuple.__new__ makes each Delivery without a Python-level call per message
            return list(map(tuple.__new__, repeat(Delivery), zip(
                repeat(topic), map(Message.partition, matched), map(Message.offset, matched), self.keys))), [], 0
        delivered, failures = [], []
        for key, msg in zip(self.keys, matched):
            if msg is not None and msg.error() is None:
                delivered.append(Delivery(topic, msg.partition(), msg.offset(), key))
            elif msg is not None:
                failures.append(msg.error())
        return delivered, failures, matched.count(None)


def match(reports: list[Message], lanes: list, lane_of) -> list[Message | None]:
    """`reports` (arrival order) matched to the messages whose lanes are given (call order):
    within one lane, reports arrive in the order the messages were sent."""
    matched: list = [None] * len(lanes)
    if len(reports) == len(lanes):  # the usual case: stable sorts by lane line both up, in C
        order = sorted(range(len(lanes)), key=lanes.__getitem__)
        for index, report in zip(order, sorted(reports, key=lane_of)):
            matched[index] = report
        return matched
    waiting: dict = {}  # some reports missing (deadline): a lane's reports are its first messages'
    for index, lane in enumerate(lanes):
        waiting.setdefault(lane, []).append(index)
    for indexes in waiting.values():
        indexes.reverse()  # pop() then gives each lane's first message first
    for report in reports:
        indexes = waiting.get(lane_of(report))
        if indexes:
            matched[indexes.pop()] = report
    return matched


def _when_room(client: Producer, deadline: Deadline, produce) -> KafkaError | None:
    """Queue one message once the client has room: None, or why it could not."""
    while not deadline.expired():
        client.poll(min(0.1, deadline.remaining()))
        try:
            produce()
            return None
        except BufferError:
            continue
        except KafkaException as err:
            return err.args[0]
    return KafkaError(KafkaError._QUEUE_FULL, "Local: Queue full")
