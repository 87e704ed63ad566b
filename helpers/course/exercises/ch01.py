"""The checks of Chapter 1: topics, partitions and keys."""
from __future__ import annotations

from ...client.deadline import Deadline
from ...client.partitioner import md5_partition
from .framework import (CheckResult, _checked, _done, _messages_since, _not_yet, _partitions, _text, prediction,
                        started)


@_checked("1.1", "AdminClient(chapter.client_config()).create_topics([NewTopic(chapter.topic(\"exercise_three\"), "
                 "num_partitions=3)]) returns one future per topic: call .result() on it to wait.")
def topic_with_partitions(where, topic: str, partitions: int, exercise: str = "1.1") -> CheckResult:
    """The topic exists with exactly `partitions` partitions, made after the exercise began
    (its first cell deleted it)."""
    started(exercise)
    offsets = _partitions(where, topic)
    if offsets is None:  # a topic created a moment ago may not be in the broker's metadata yet
        Deadline(2).until(lambda: _partitions(where, topic) is not None, step=0.2)
        offsets = _partitions(where, topic)
    if offsets is None:
        return _not_yet(exercise, f"There is no topic {topic!r} since the exercise began.",
                        "Create it with AdminClient.create_topics([NewTopic(name, num_partitions=3)]), then wait on "
                        "its future (.result()).")
    if len(offsets) != partitions:
        return _not_yet(exercise, f"{topic!r} has {len(offsets)} partition(s), not {partitions}.",
                        f"Run the exercise's first cell again (it deletes the topic), then create it with "
                        f"num_partitions={partitions}.")
    return _done(exercise, f"{topic!r} has {partitions} partitions.")


@_checked("1.2", "Send them with the same key, with no partition= and the md5 strategy (the default): the key "
                 "decides the partition.")
def same_key_same_partition(where, topic: str, key: str, at_least: int = 3, exercise: str = "1.2") -> CheckResult:
    """At least `at_least` messages with `key`, written after the exercise began, all in one partition."""
    slate = started(exercise)
    keyed = [m for m in _messages_since(slate, topic) if _text(m["key"]) == key]
    if len(keyed) < at_least:
        return _not_yet(exercise, f"Since the exercise began, {topic!r} got {len(keyed)} message(s) with the key "
                                  f"{key!r}, not {at_least}.",
                        f"Send {at_least} messages with key={key!r} to {topic!r}.")
    partitions = sorted({m["partition"] for m in keyed})
    if len(partitions) > 1:
        return _not_yet(exercise, f"The messages with key {key!r} are spread over partitions {partitions}.",
                        "Use the md5 strategy (the default), not random, and no explicit partition.")
    picked = md5_partition(key, len(_partitions(where, topic) or {0: None}))
    if partitions[0] != picked:
        return _not_yet(exercise, f"The messages with key {key!r} are all in partition {partitions[0]}, but the "
                                  f"md5 strategy puts {key!r} in partition {picked}: something else chose the "
                                  "partition (an explicit partition=, or another strategy).",
                        "Let the key decide: the md5 strategy (the default), and no partition= argument.")
    return _done(exercise, f"{len(keyed)} messages with key {key!r}, all in partition {picked}, the one md5 "
                           "picks for it.")


@_checked("1.3", "chapter.predict(\"1.3\", partition=..., offset=...) before the cell that sends the message: "
                 "the key picks the partition, and the offset is that partition's next free place.")
def predicted_partition_and_offset(where, topic: str, key: str, exercise: str = "1.3") -> CheckResult:
    """The learner's prediction (partition, offset) matches where the first message with `key`
    sent after the exercise began really went."""
    slate = started(exercise)
    guess = prediction(exercise)
    if not {"partition", "offset"} <= set(guess):
        return _not_yet(exercise, f"The prediction names {sorted(guess)}, not both partition and offset.",
                        "Predict both: chapter.predict(\"1.3\", partition=..., offset=...).")
    sent = [m for m in _messages_since(slate, topic) if _text(m["key"]) == key]
    if not sent:
        return _not_yet(exercise, f"No message with the key {key!r} reached {topic!r} since the exercise began.",
                        "Run the cell after your prediction: it sends the message and shows where it went.")
    first = min(sent, key=lambda m: m["offset"])
    truth = (first["partition"], first["offset"])
    if (guess["partition"], guess["offset"]) != truth:
        return _not_yet(exercise, f"You predicted partition {guess['partition']}, offset {guess['offset']}; the "
                                  f"message went to partition {truth[0]} at offset {truth[1]}. The key alone picks "
                                  f"the partition, so {key!r} went where its earlier message is, and the offset is "
                                  f"the next free place there: {truth[1]} message(s) were before it.",
                        "Run the exercise's first cell again, predict from the picture, then run the cell that sends.")
    return _done(exercise, f"Partition {truth[0]}, offset {truth[1]}, as you predicted.")


__all__ = [name for name, value in list(globals().items())
           if callable(value) and getattr(value, "__module__", None) == __name__ and not name.startswith("_")]
