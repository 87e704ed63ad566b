"""The checks of Chapter 3: the producer's configuration, and the plain producer."""
from __future__ import annotations

from ...client.names import scoped
from .framework import MISSING, CheckResult, _checked, _done, _messages_since, _not_yet, _text, started


@_checked("3.1", "The two unknown keys are misspelt: the error's 'Did you mean' names each; keep their values.")
def fixed_producer_config(data, topic: str = "exercise_config", strategy: str = "murmur2") -> CheckResult:
    """`data` is a dict that parses, whose producer sends to `topic` with `strategy` (both kept from the broken one)."""
    from ...client.config import parse_config

    started("3.1")
    if data is MISSING:
        return _not_yet("3.1", "fixed is not set yet.", "Copy broken into fixed and correct its two misspelt keys.")
    if not isinstance(data, dict):
        return _not_yet("3.1", f"fixed is a {type(data).__name__}, not a dict like broken.",
                        "Write fixed as a dict: a corrected copy of broken.")
    producer = parse_config(data).producer
    if producer is None or scoped(topic) not in producer.topics:
        return _not_yet("3.1", f"The config parses, but its producer does not list {topic!r}.",
                        f"Keep broken's topic: topics = [\"{topic}\"].")
    if producer.partition_strategy != strategy:
        return _not_yet("3.1", f"The config parses, but its partition strategy is {producer.partition_strategy!r}, "
                               f"not broken's {strategy!r}: a misspelt key was dropped, not corrected.",
                        f"Correct the key's name and keep its value {strategy!r}.")
    return _done("3.1", f"The config parses; its producer sends to {list(producer.topics)} with {strategy}.")


def _queued(producer) -> int | None:
    """Messages (and delivery reports) a confluent-kafka Producer still holds; None if it is not one."""
    try:
        return len(producer)
    except TypeError:
        return None


@_checked("3.2", "produce(topic, value=..., key=...) only queues the message: flush() waits for its delivery "
                 "and returns how many are still waiting.")
def plain_send(where, topic: str, key: str, value: str, unsent, producer) -> CheckResult:
    """The message (key, value) reached the fresh topic after the exercise began, and the
    learner's producer was flushed (it holds nothing, and flush() returned 0)."""
    slate = started("3.2")
    if producer is MISSING or _queued(producer) is None:
        return _not_yet("3.2", "my_producer is not a confluent-kafka Producer yet.",
                        "my_producer = Producer(chapter.client_config())")
    found = [m for m in _messages_since(slate, topic) if (_text(m["key"]), _text(m["value"])) == (key, value)]
    if not found:
        return _not_yet("3.2", f"No message {key!r}: {value!r} reached {topic!r} since the exercise began.",
                        "produce() only queues it: call flush() before checking.")
    if _queued(producer):
        return _not_yet("3.2", f"The message arrived, but my_producer still holds {_queued(producer)} undelivered "
                               "message(s) or unserved delivery report(s): flush() was not called since.",
                        "End with unsent = my_producer.flush(10).")
    if unsent is MISSING or unsent != 0:
        return _not_yet("3.2", f"The message arrived, but unsent is {unsent!r}.",
                        "Store what flush() returns in unsent (0: nothing is left waiting).")
    return _done("3.2", f"{key!r}: {value!r} is in {topic!r}, and flush() left nothing behind.")


@_checked("3.3", "Give produce() on_delivery=a function (err, msg) that appends (msg.partition(), msg.offset()) "
                 "to delivered when err is None; reports arrive only in poll() or flush().")
def delivery_reports(where, topic: str, delivered, at_least: int = 5) -> CheckResult:
    """What the learner's delivery callback recorded, (partition, offset) per message, is
    exactly what the fresh topic received after the exercise began."""
    slate = started("3.3")
    if delivered is MISSING:
        return _not_yet("3.3", "delivered is not set yet.", "delivered = [] before producing.")
    stored = sorted((m["partition"], m["offset"]) for m in _messages_since(slate, topic))
    if len(stored) < at_least:
        return _not_yet("3.3", f"{topic!r} got {len(stored)} message(s) since the exercise began, not {at_least}.",
                        f"Send {at_least} messages to {topic!r}, then flush().")
    try:
        recorded = sorted((int(p), int(o)) for p, o in delivered)
    except (TypeError, ValueError):
        return _not_yet("3.3", f"delivered holds {list(delivered)[:3]!r}..., not (partition, offset) pairs.",
                        "Append (msg.partition(), msg.offset()) in the callback.")
    if not recorded:
        return _not_yet("3.3", f"{topic!r} holds {len(stored)} message(s), but delivered is empty: no delivery "
                               "report was served.", "Call flush() after producing: it serves the reports.")
    if recorded != stored:
        missing, extra = sorted(set(stored) - set(recorded)), sorted(set(recorded) - set(stored))
        return _not_yet("3.3", f"delivered does not match the broker: missing {missing[:5]}, not on the broker "
                               f"{extra[:5]} (partition, offset).",
                        "Record msg.partition() and msg.offset() in the callback, once per message, for this "
                        "exercise's topic only (run its first cell again to start over).")
    return _done("3.3", f"Your callback recorded all {len(recorded)} deliveries, each where the broker holds it.")


__all__ = [name for name, value in list(globals().items())
           if callable(value) and getattr(value, "__module__", None) == __name__ and not name.startswith("_")]
