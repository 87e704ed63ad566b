"""The checks of Chapter 12: retention and compaction."""
from __future__ import annotations


from ...client.consumer import OK
from ...client.names import scoped
from ...client.topics import admin_for
from .framework import (MISSING, CheckResult, _answer_is, _checked, _done, _message, _messages, _not_yet,
                        _partitions, _text)


@_checked("12.1", "create_topic(..., config={\"cleanup.policy\": \"compact\"}) (delete it first if it exists).")
def compacted_topic(where, topic: str) -> CheckResult:
    from confluent_kafka.admin import ConfigResource, ResourceType

    if _partitions(where, topic) is None:
        return _not_yet("12.1", f"There is no topic {topic!r} yet.", "Create it.")
    resource = ConfigResource(ResourceType.TOPIC, scoped(topic))
    admin = admin_for(where)
    policy = admin.describe_configs([resource])[resource].result(10)["cleanup.policy"].value
    if policy != "compact":
        return _not_yet("12.1", f"{topic!r} has cleanup.policy={policy}.", "Delete it and create it compacted.")
    return _done("12.1", f"{topic!r} is compacted: Kafka keeps the latest value of each key.")


@_checked("12.2", "produce(topic, None, key=\"ben\"): a value of None is a tombstone.")
def tombstone_for(where, topic: str, key: str) -> CheckResult:
    keyed = _keyed(where, topic, key)
    if not keyed:
        return _not_yet("12.2", f"{topic!r} has no message with key {key!r} at all.", "Run the chapter's cells.")
    if keyed[-1]["value"] is not None:
        return _not_yet("12.2", f"The latest {key!r} still has a value: {_text(keyed[-1]['value'])!r}.",
                        "Send the key with value None.")
    return _done("12.2", f"The latest {key!r} is a tombstone: compaction will delete the key.")

__all__ = [name for name, value in list(globals().items())
           if callable(value) and getattr(value, "__module__", None) == __name__ and not name.startswith("_")]
