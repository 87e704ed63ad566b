"""The checks of Chapter 1: topics, partitions and keys."""
from __future__ import annotations


from ...client.consumer import OK
from ...client.names import scoped
from ...client.topics import admin_for
from .framework import (MISSING, CheckResult, _answer_is, _checked, _committed, _done, _message, _messages,
                        _not_yet, _partitions, _text)


@_checked("1.1", "create_topic(BOOTSTRAP_SERVERS, name, partitions=3) creates it; an existing topic keeps its "
                 "partition count, so delete it first (delete_topic) if it was made with another.")
def topic_with_partitions(where, topic: str, partitions: int, exercise: str = "1.1") -> CheckResult:
    """The topic exists with exactly `partitions` partitions."""
    offsets = _partitions(where, topic)
    if offsets is None:
        return _not_yet(exercise, f"There is no topic {topic!r} yet.", "Create it with create_topic.")
    if len(offsets) != partitions:
        return _not_yet(exercise, f"{topic!r} has {len(offsets)} partition(s), not {partitions}.",
                        f"Delete it (delete_topic) and create it again with partitions={partitions}.")
    return _done(exercise, f"{topic!r} has {partitions} partitions.")


@_checked("1.2", "Send them with the same key: the key decides the partition.")
def same_key_same_partition(where, topic: str, key: str, at_least: int = 3, exercise: str = "1.2") -> CheckResult:
    """At least `at_least` messages with `key` in the topic, all in one partition."""
    keyed = [m for m in _messages(where, topic) if _text(m["key"]) == key]
    if len(keyed) < at_least:
        return _not_yet(exercise, f"{topic!r} holds {len(keyed)} message(s) with the key {key!r}, not {at_least}.",
                        f"Send {at_least} messages with key={key!r} to {topic!r}.")
    partitions = sorted({m["partition"] for m in keyed})
    if len(partitions) > 1:
        return _not_yet(exercise, f"The messages with key {key!r} are spread over partitions {partitions}.",
                        "Use the md5 strategy (the default), not random, and no explicit partition.")
    return _done(exercise, f"At least {at_least} messages with key {key!r}, all in partition {partitions[0]}.")

__all__ = [name for name, value in list(globals().items())
           if callable(value) and getattr(value, "__module__", None) == __name__ and not name.startswith("_")]
