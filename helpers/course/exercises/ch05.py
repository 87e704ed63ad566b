"""The checks of Chapter 5: sending, reading an offset back, and where the next message goes."""
from __future__ import annotations

from ...client.names import scoped
from .framework import (MISSING, CheckResult, _checked, _done, _messages, _messages_since, _not_yet, _text,
                        prediction, started)


@_checked("5.1", "send_my_message((key, value), topic): the pair first, then the topic.")
def message_in_topic(where, topic: str, key: str, value: str, exercise: str = "5.1") -> CheckResult:
    """A message (key, value) was written to the topic after the exercise began."""
    slate = started(exercise)
    sent = _messages_since(slate, topic)
    if not any((_text(m["key"]), _text(m["value"])) == (key, value) for m in sent):
        seen = sorted({(_text(m["key"]), _text(m["value"])) for m in sent})[:5]
        return _not_yet(exercise, f"No message {key!r}: {value!r} in {scoped(topic)!r} since the exercise began"
                        + (f" (there: {seen})." if seen else "."),
                        f"send_my_message(({key!r}, {value!r}), {topic!r}).")
    return _done(exercise, f"{key!r}: {value!r} was written to {scoped(topic)!r}.")


@_checked("5.2", "assign([TopicPartition(topic, partition, offset)]), then poll() with a deadline; msg.key() is "
                 "bytes: decode() it; close() in finally.")
def key_at(where, topic: str, partition: int, offset: int, answer) -> CheckResult:
    """`answer` is the key of the message at (partition, offset) of the topic the exercise filled."""
    started("5.2")
    found = [m for m in _messages(where, topic) if (m["partition"], m["offset"]) == (partition, offset)]
    if not found:
        return _not_yet("5.2", f"{scoped(topic)!r} has no message at partition {partition}, offset {offset}.",
                        "Run the exercise's first cell: it fills the topic.")
    actual = _text(found[0]["key"])
    if answer is MISSING:
        return _not_yet("5.2", "the_key is not set yet.", "Read the message and store its key, decoded, in the_key.")
    if _text(answer) != actual:
        return _not_yet("5.2", f"the_key is {answer!r}, not the key at partition {partition}, offset {offset}.",
                        f"TopicPartition(topic, {partition}, {offset}): the partition, then the offset to start at; "
                        "store msg.key().decode() of the first message poll() returns.")
    return _done("5.2", f"the_key is the key at partition {partition}, offset {offset} of {scoped(topic)!r}.")


@_checked("5.3", "predict(\"5.3\", offset=...) before running the cell that sends; offsets count per partition.")
def next_offset_prediction(where, topic: str, partition: int, key: str) -> CheckResult:
    """The predicted offset is the offset the cell's message (key `key`) got in `partition`."""
    started("5.3")
    guess = prediction("5.3").get("offset", MISSING)
    held = _messages(where, topic)
    sent = [m for m in held if _text(m["key"]) == key and m["partition"] == partition]
    if not sent:
        return _not_yet("5.3", f"The message {key!r} is not in partition {partition} of {scoped(topic)!r} yet.",
                        "Run the cell that sends it (after your prediction).")
    truth, total = sent[0]["offset"], len(held)
    if guess != truth:
        return _not_yet("5.3", f"You predicted offset {guess!r}; it got {truth}. Partition {partition} held "
                        f"offsets 0 to {truth - 1}, so the next one is {truth}: each partition counts its own "
                        f"offsets from 0, whatever the other partitions hold (the topic holds {total} messages "
                        "now).",
                        "Begin the exercise again, predict the next offset OF THAT PARTITION, then run the cell.")
    return _done("5.3", f"Offset {truth}: partition {partition} held {truth} messages, and offsets count per "
                        "partition.")


__all__ = [name for name, value in list(globals().items())
           if callable(value) and getattr(value, "__module__", None) == __name__ and not name.startswith("_")]
