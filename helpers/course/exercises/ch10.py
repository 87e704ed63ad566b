"""The checks of Chapter 10: keys, ordering and partitions."""
from __future__ import annotations


from ...client.consumer import OK
from ...client.names import scoped
from ...client.topics import admin_for
from .framework import (MISSING, CheckResult, _answer_is, _checked, _done, _message, _messages, _not_yet,
                        _partitions, _text)


def _keyed(where, topic: str, key: str) -> list[dict]:
    return [m for m in _messages(where, topic) if _text(m["key"]) == key]


@_checked("10.1", "Producer({..., \"partitioner\": \"murmur2_random\"}): librdkafka then hashes keys as Java does.")
def lands_where_java_would(where, topic: str, key: str, value: str) -> CheckResult:
    from ...client.partitioner import murmur2_partition

    offsets = _partitions(where, topic)
    mine = [m for m in _keyed(where, topic, key) if _text(m["value"]) == value] if offsets else []
    if not mine:
        return _not_yet("10.1", f"No message {key!r}: {value!r} in {topic!r} yet.", "Send it, then flush().")
    java = murmur2_partition(key, len(offsets))
    wrong = sorted({m["partition"] for m in mine} - {java})
    if wrong:
        return _not_yet("10.1", f"Your {key!r} is in partition(s) {wrong}; Java's producer puts it in {java}.",
                        "Set partitioner=murmur2_random on the confluent-kafka Producer.")
    return _done("10.1", f"Your {key!r} is in partition {java}, beside the Java producer's.")


@_checked("10.2", "admin.create_partitions([NewPartitions(topic, 4)]), then a NEW SyncProducer sends the key.")
def key_after_growth(where, topic: str, key: str, partitions: int) -> CheckResult:
    from ...client.partitioner import md5_partition

    offsets = _partitions(where, topic)
    if offsets is None or len(offsets) != partitions:
        count = "no topic" if offsets is None else f"{len(offsets)} partition(s)"
        return _not_yet("10.2", f"{topic!r} has {count}, not {partitions}.", "Add partitions with NewPartitions.")
    now = md5_partition(key, partitions)
    if not any(m["partition"] == now for m in _keyed(where, topic, key)):
        return _not_yet("10.2", f"No {key!r} in partition {now} yet (where md5 puts it with {partitions}).",
                        "Send it again with a new SyncProducer (a running one caches the old count).")
    return _done("10.2", f"{topic!r} has {partitions} partitions and {key!r} now goes to partition {now}.")

__all__ = [name for name, value in list(globals().items())
           if callable(value) and getattr(value, "__module__", None) == __name__ and not name.startswith("_")]
