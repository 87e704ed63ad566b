"""The checks of Chapter 4: the consumer: a handler, a group that starts at the beginning, and a
plain confluent-kafka loop with rebalance callbacks."""
from __future__ import annotations

from ...client.consumer import OK
from ...client.names import scoped
from .framework import MISSING, CheckResult, _checked, _committed, _done, _message, _not_yet, _partitions, started

# (what the message holds, whether it has a key): an empty key is still a key; only None is none.
_KEYED_CASES = [
    ({"key": "Metamorphosis", "value": "Franz Kafka"}, True),
    ({"key": "", "value": "an empty text key"}, True),
    ({"key": b"", "value": b"an empty bytes key"}, True),
    ({"key": b"\x00", "value": b"a zero byte"}, True),
    ({"key": "The Castle", "value": None}, True),      # a tombstone: no value, but a key
    ({"key": None, "value": "Franz Kafka"}, False),
    ({"key": None, "value": b""}, False),
    ({"key": None, "value": None}, False),
]


def _confirms(handler, message: dict) -> bool:
    """Whether the handler confirms the message: returns OK (an exception or anything else refuses)."""
    try:
        return handler(message) == OK
    except Exception:
        return False


@_checked("4.1", "Test `message['key'] is None` (not `not message['key']`: an empty key is a key); "
                 "return OK otherwise.")
def keyed_only_handler(handler) -> CheckResult:
    """The handler confirms every message that has a key (even an empty one) and refuses every
    message without one."""
    started("4.1")
    if handler is MISSING or not callable(handler):
        return _not_yet("4.1", "keyed_only is not a function yet.", "def keyed_only(message): ...")
    for fields, keyed in _KEYED_CASES:
        if _confirms(handler, _message(**fields)) != keyed:
            what = "confirmed" if not keyed else "refused"
            return _not_yet("4.1", f"A message with key={fields['key']!r}, value={fields['value']!r} was {what}.",
                            "Only `message['key'] is None` means no key; b'' and '' are keys (empty ones)."
                            if keyed else "Refuse it: raise an exception (or return anything but OK).")
    return _done("4.1", f"All {len(_KEYED_CASES)} test messages: keyed ones (even b'' and '') confirmed, "
                        "unkeyed ones refused.")


def _behind(where, group: str, topic: str, offsets: dict) -> dict[int, tuple[int | None, int]]:
    """partition -> (committed, end) for every partition where the group's commit is not the end."""
    committed = _committed(where, group, topic, offsets)
    return {p: (committed.get(p), high) for p, (low, high) in offsets.items()
            if committed.get(p, low if high == low else None) != high}


@_checked("4.2", "A NEW group with start_with_earliest_message=True reads from the first message; wait_for "
                 "everything, then stop() the worker (stopping commits what was confirmed).")
def group_read_from_start(where, group: str, topic: str) -> CheckResult:
    """Since the exercise began (group forgotten, topic new), the group committed every partition of
    the topic up to its end."""
    started("4.2")
    group, topic = scoped(group), scoped(topic)
    offsets = _partitions(where, topic)
    if offsets is None:
        return _not_yet("4.2", f"There is no topic {topic!r}.", "Run the exercise's first cell again: it makes it.")
    if not any(high > low for low, high in offsets.values()):
        return _not_yet("4.2", f"{topic!r} is empty.", "Run the exercise's first cell: it fills it.")
    behind = _behind(where, group, topic, offsets)
    if behind:
        return _not_yet("4.2", f"Group {group!r} has not committed everything of {topic!r} "
                        f"(partition: (committed, end) = {behind}; None: nothing committed).",
                        "A new group starts at the END unless start_with_earliest_message=True; wait until it "
                        "confirmed everything, then stop the worker so it commits.")
    return _done("4.2", f"Group {group!r} read {topic!r} from its first message to its end and committed it.")


def _partition_numbers(recorded, topic: str) -> set[int] | None:
    """The partition numbers a callback recorded: TopicPartitions, (topic, partition) pairs or ints;
    None if something else (or another topic's partition) is in there."""
    numbers = set()
    for item in recorded:
        if hasattr(item, "partition") and hasattr(item, "topic"):
            if item.topic != topic:
                return None
            numbers.add(item.partition)
        elif isinstance(item, tuple) and len(item) == 2 and item[0] == topic and isinstance(item[1], int):
            numbers.add(item[1])
        elif isinstance(item, int) and not isinstance(item, bool):
            numbers.add(item)
        else:
            return None
    return numbers


@_checked("4.3", "subscribe([topic], on_assign=..., on_revoke=...); poll with a deadline; after processing a "
                 "message commit(message=msg, asynchronous=False); close() in finally (it calls on_revoke).")
def plain_loop_committed(where, group: str, topic: str, assigned, revoked) -> CheckResult:
    """Since the exercise began (group forgotten, topic new), the group committed exactly the end of
    every partition, and the learner's on_assign / on_revoke recorded the topic's partitions."""
    started("4.3")
    group, topic = scoped(group), scoped(topic)
    offsets = _partitions(where, topic)
    if offsets is None or not any(high > low for low, high in offsets.values()):
        return _not_yet("4.3", f"{topic!r} is missing or empty.", "Run the exercise's first cell: it makes and fills it.")
    behind = _behind(where, group, topic, offsets)
    if behind:
        return _not_yet("4.3", f"Group {group!r} has not committed the end of every partition of {topic!r} "
                        f"(partition: (committed, end) = {behind}; None: nothing committed).",
                        f"group.id {group!r}, auto.offset.reset 'earliest'; poll until every message is processed, "
                        "committing each one after processing it.")
    partitions = set(offsets)
    for name, recorded, when in (("assigned", assigned, "on_assign"), ("revoked", revoked, "on_revoke")):
        if recorded is MISSING:
            return _not_yet("4.3", f"{name} is not defined.", f"{name} = [] before the loop; {when} appends to it.")
        numbers = _partition_numbers(recorded, topic) if isinstance(recorded, (list, tuple, set)) else None
        if numbers != partitions:
            return _not_yet("4.3", f"{name} holds {recorded!r}: not the partitions {sorted(partitions)} of {topic!r}.",
                            f"In {when}(consumer, partitions), record them: "
                            f"{name}.extend(p.partition for p in partitions)"
                            + ("; close() hands them back through on_revoke." if name == "revoked" else "."))
    return _done("4.3", f"Group {group!r} committed the end of all {len(partitions)} partitions of {topic!r}; "
                        "on_assign got them when the group gave them, on_revoke when close() left the group.")


__all__ = [name for name, value in list(globals().items())
           if callable(value) and getattr(value, "__module__", None) == __name__ and not name.startswith("_")]
