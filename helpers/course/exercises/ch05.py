"""The checks of Chapter 5: sending and receiving."""
from __future__ import annotations


from ...client.consumer import OK
from ...client.names import scoped
from ...client.topics import admin_for
from .framework import (MISSING, CheckResult, _answer_is, _checked, _committed, _done, _message, _messages,
                        _not_yet, _partitions, _text)


@_checked("5.1", "send_my_message((key, value), topic) sends to that topic.")
def message_in_topic(where, topic: str, key: str, value: str, exercise: str = "5.1") -> CheckResult:
    found = any((_text(m["key"]), _text(m["value"])) == (key, value) for m in _messages(where, topic))
    if not found:
        return _not_yet(exercise, f"No message {key!r}: {value!r} in {topic!r} yet.",
                        f"Send it, with the key first: ({key!r}, {value!r}).")
    return _done(exercise, f"{key!r}: {value!r} is in {topic!r}.")


@_checked("5.2", "assign([TopicPartition(topic, 0, 0)]) then poll(); msg.key() is bytes: decode() it.")
def first_key(where, topic: str, answer) -> CheckResult:
    """`answer` is the key of the message at offset 0 of partition 0."""
    first = [m for m in _messages(where, topic) if m["partition"] == 0]
    if not first:
        return _not_yet("5.2", f"{topic!r} has no message in partition 0.", "Run the chapter's cells first.")
    actual = _text(min(first, key=lambda m: m["offset"])["key"])
    return _answer_is("5.2", "first_key", answer if answer is MISSING else _text(answer), actual,
                      f"offset 0 holds the key {actual!r}", "Read the message and store its key.",
                      "Start at offset 0 (the third argument of TopicPartition).",
                      f"Offset 0 of {topic!r} holds the key {actual!r}.")

__all__ = [name for name, value in list(globals().items())
           if callable(value) and getattr(value, "__module__", None) == __name__ and not name.startswith("_")]
