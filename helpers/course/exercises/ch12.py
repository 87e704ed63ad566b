"""The checks of Chapter 12: retention and compaction."""
from __future__ import annotations

from ...client.names import scoped
from ...client.topics import admin_for
from .framework import (MISSING, CheckResult, _checked, _done, _messages_since, _not_yet, _partitions, _text,
                        prediction, started)

TICK_KEY = "tick"  # the records watch_log sends to let time pass (demos.retention)


@_checked("12.1", "AdminClient(conf).create_topics([NewTopic(name, 1, 1, config={\"cleanup.policy\": \"compact\"})]), "
                  "then wait for the result of its future.")
def compacted_topic(where, topic: str) -> CheckResult:
    from confluent_kafka.admin import ConfigResource, ResourceType

    started("12.1")  # which deleted the topic: one that exists now was made since
    if _partitions(where, topic) is None:
        return _not_yet("12.1", f"There is no topic {topic!r} yet.", "Create it with the AdminClient.")
    resource = ConfigResource(ResourceType.TOPIC, scoped(topic))
    admin = admin_for(where)  # kept alive until the answer is in
    policy = admin.describe_configs([resource])[resource].result(10)["cleanup.policy"].value
    if "compact" not in policy.split(","):
        return _not_yet("12.1", f"{topic!r} has cleanup.policy={policy}: it is not compacted.",
                        "Run the exercise's first cell again (it deletes the topic), then create it with "
                        "config={\"cleanup.policy\": \"compact\"}.")
    also = " (and, with delete, nothing older than retention.ms)" if "delete" in policy.split(",") else ""
    return _done("12.1", f"{topic!r} has cleanup.policy={policy}: Kafka keeps the latest value of each key{also}.")


@_checked("12.2", "produce(topic, value=b\"Brno\", key=b\"josef\"), then produce(topic, value=None, key=b\"josef\"), "
                  "then flush(): a value of None is a tombstone.")
def tombstone_for(where, topic: str, key: str, value: str) -> CheckResult:
    slate = started("12.2")
    keyed = [m for m in _messages_since(slate, topic) if _text(m["key"]) == key]
    if not any(_text(m["value"]) == value for m in keyed):
        return _not_yet("12.2", f"No {key!r}: {value!r} in {topic!r} since the exercise began.",
                        f"First send {value!r} with the key {key!r}, then flush().")
    if keyed[-1]["value"] is not None:
        return _not_yet("12.2", f"The latest {key!r} still has a value: {_text(keyed[-1]['value'])!r}.",
                        f"After it, send the key {key!r} with value=None (a tombstone), then flush().")
    return _done("12.2", f"{key!r} was set to {value!r}, then got a tombstone (offset {keyed[-1]['offset']}): "
                 f"once their segment is closed and cleaned, only the tombstone stays, for delete.retention.ms.")


def _offsets(values) -> list[int] | None:
    try:
        return sorted(int(v) for v in values)
    except (TypeError, ValueError):
        return None


@_checked("12.3", "chapter.predict(\"12.3\", offsets=[...]) (the offsets a reader still finds) BEFORE the cell "
                  "that watches the cleaner.")
def compaction_offsets(where, topic: str) -> CheckResult:
    slate = started("12.3")
    guess = prediction("12.3").get("offsets", MISSING)
    if _offsets(guess) is None:
        return _not_yet("12.3", f"Your prediction's offsets are {guess!r}, not a list of offsets.",
                        "chapter.predict(\"12.3\", offsets=[...]), e.g. offsets=[0, 1].")
    records = [m for m in _messages_since(slate, topic) if _text(m["key"]) != TICK_KEY]
    if not records:
        return _not_yet("12.3", f"{topic!r} holds no record since the exercise began.", "Run the cells above in order.")
    keys = [_text(m["key"]) for m in records]
    if len(set(keys)) < len(keys) or any(m["value"] is None for m in records):
        return _not_yet("12.3", "The cleaner is not done yet: a key still has an older value or a tombstone.",
                        "Run the cell that watches the cleaner, then this check (a few seconds later).")
    kept = [m["offset"] for m in records]
    found = f"a reader finds offsets {kept} (" + ", ".join(f"{_text(m['key'])}: {_text(m['value'])}"
                                                          for m in records) + ")"
    if _offsets(guess) != kept:
        return _not_yet("12.3", f"You predicted {_offsets(guess)}; {found}. Gone: each older value of a key written "
                        "again, and each deleted key, its tombstone too after delete.retention.ms. What stays keeps "
                        "its offset.",
                        "To try again: the exercise's first cell, a prediction, then the cell that watches "
                        "the cleaner.")
    return _done("12.3", f"Right: {found}: each key's latest record, at its own offset; the older values and the "
                 "deleted key, tombstone included, are gone.")


__all__ = [name for name, value in list(globals().items())
           if callable(value) and getattr(value, "__module__", None) == __name__ and not name.startswith("_")]
