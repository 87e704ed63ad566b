"""The checks of Chapter 4: the consumer: a handler, a group that starts at the beginning, and a
plain confluent-kafka loop with rebalance callbacks."""
from __future__ import annotations

from confluent_kafka import TopicPartition

from ...client.consumer import OK
from ...client.names import scoped
from .framework import (MISSING, CheckResult, _checked, _committed, _done, _message, _messages_since, _not_yet,
                        _partitions, _text, started)

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
    """The partition numbers in what a callback recorded: the TopicPartition objects it was given;
    None if anything else (a number, a pair, another topic's partition) is in there."""
    if not isinstance(recorded, (list, tuple)):
        return None
    numbers = set()
    for item in recorded:
        if not isinstance(item, TopicPartition) or item.topic != topic:
            return None
        numbers.add(item.partition)
    return numbers


def _auto_commit_off(config) -> bool:
    return isinstance(config, dict) and str(config.get("enable.auto.commit", True)).lower() == "false"


def _in_order(processed, messages: list[dict]) -> bool:
    """`processed` holds the values of `messages`, each once, and each partition's in offset order."""
    try:
        done = [_text(value) for value in processed]
    except (TypeError, AttributeError):
        return False
    if sorted(done, key=str) != sorted((_text(m["value"]) for m in messages), key=str):
        return False
    partition_of = {_text(m["value"]): m["partition"] for m in messages}
    if len(partition_of) < len(messages):
        return True  # repeated values: which partition each came from cannot be told, only the count
    for partition in {m["partition"] for m in messages}:
        ordered = sorted((m for m in messages if m["partition"] == partition), key=lambda m: m["offset"])
        expected = [_text(m["value"]) for m in ordered]
        if [v for v in done if partition_of[v] == partition] != expected:
            return False
    return True


@_checked("4.3", "loop_config with enable.auto.commit False; subscribe([topic], on_assign=..., on_revoke=...) whose "
                 "callbacks extend assigned/revoked with the TopicPartitions they get; poll with a deadline; append "
                 "each value to processed, then commit(message=msg, asynchronous=False); close() in finally.")
def plain_loop_committed(where, group: str, topic: str, assigned, revoked, processed, config) -> CheckResult:
    """Since the exercise began (group forgotten, topic new), the group committed exactly the end of
    every partition; the learner's settings turn auto-commit off (so only the loop's own commits
    count); `processed` holds every message, each partition's in order; and on_assign / on_revoke
    recorded the TopicPartition objects of the topic they were given."""
    slate = started("4.3")
    group, topic = scoped(group), scoped(topic)
    offsets = _partitions(where, topic)
    if offsets is None or not any(high > low for low, high in offsets.values()):
        return _not_yet("4.3", f"{topic!r} is missing or empty.", "Run the exercise's first cell: it makes and fills it.")
    if config is MISSING or not _auto_commit_off(config):
        return _not_yet("4.3", "loop_config (your consumer's settings) does not turn auto-commit off: with it on, "
                               "the client commits on its own timer and in close(), whatever your loop did.",
                        "loop_config = chapter.client_config({..., \"enable.auto.commit\": False}); "
                        "loop = Consumer(loop_config).")
    behind = _behind(where, group, topic, offsets)
    if behind:
        return _not_yet("4.3", f"Group {group!r} has not committed the end of every partition of {topic!r} "
                        f"(partition: (committed, end) = {behind}; None: nothing committed).",
                        f"group.id {group!r}, auto.offset.reset 'earliest'; poll until every message is processed, "
                        "committing each one after processing it.")
    messages = _messages_since(slate, topic)
    if processed is MISSING or not _in_order(processed, messages):
        return _not_yet("4.3", f"processed does not hold the {len(messages)} values of {topic!r}, each once and "
                               "each partition's in offset order.",
                        "processed = [] before the loop; per message, processed.append(msg.value().decode()), "
                        "then commit it.")
    partitions = set(offsets)
    for name, recorded, when in (("assigned", assigned, "on_assign"), ("revoked", revoked, "on_revoke")):
        if recorded is MISSING:
            return _not_yet("4.3", f"{name} is not defined.", f"{name} = [] before the loop; {when} extends it.")
        if _partition_numbers(recorded, topic) != partitions:
            shown = list(recorded)[:5] if isinstance(recorded, (list, tuple)) else recorded
            return _not_yet("4.3", f"{name} holds {shown!r}: not the TopicPartitions {sorted(partitions)} of "
                                   f"{topic!r} a callback receives.",
                            f"In {when}(consumer, partitions), record what you are given: {name}.extend(partitions)"
                            + ("; close() hands them back through on_revoke." if name == "revoked" else "."))
    return _done("4.3", f"With auto-commit off in loop_config, group {group!r} committed the end of all "
                        f"{len(partitions)} partitions of {topic!r}; processed holds its {len(messages)} messages in "
                        "each partition's order; on_assign and on_revoke recorded its TopicPartitions.")


__all__ = [name for name, value in list(globals().items())
           if callable(value) and getattr(value, "__module__", None) == __name__ and not name.startswith("_")]
