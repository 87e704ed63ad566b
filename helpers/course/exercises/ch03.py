"""The checks of Chapter 3: the producer's configuration, and the plain producer."""
from __future__ import annotations

import contextlib
import io

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


def _reported(reports, topic: str, found: list[dict]) -> bool:
    """Whether a delivery report served by a producer built from conf (its global on_delivery
    appends (err, msg) to `reports`) says one of the `found` messages was delivered."""
    places = {(m["partition"], m["offset"]) for m in found}
    try:
        return any(err is None and msg.topic() == scoped(topic) and (msg.partition(), msg.offset()) in places
                   for err, msg in list(reports))
    except (TypeError, ValueError, AttributeError):
        return False


@_checked("3.2", "my_producer = Producer(conf); produce() only queues the message (the client's own thread sends "
                 "it); flush() waits until every queued message is delivered and serves its delivery report.")
def plain_send(where, topic: str, key: str, value: str, unsent, producer, reports) -> CheckResult:
    """The message (key, value) reached the fresh topic after the exercise began, a producer built
    from the given conf served its delivery report (conf's on_delivery recorded it in `reports`),
    and my_producer was flushed: it holds nothing, and flush() returned 0."""
    slate = started("3.2")
    if producer is MISSING or _queued(producer) is None:
        return _not_yet("3.2", "my_producer is not a confluent-kafka Producer yet.", "my_producer = Producer(conf)")
    if reports is MISSING:
        return _not_yet("3.2", "reports is not defined.", "Run the exercise's first cell: it makes conf and reports.")
    found = [m for m in _messages_since(slate, topic) if (_text(m["key"]), _text(m["value"])) == (key, value)]
    if not found:
        return _not_yet("3.2", f"No message {key!r}: {value!r} reached {topic!r} since the exercise began.",
                        "produce() only queues it: call flush() before checking.")
    if _queued(producer):
        return _not_yet("3.2", f"The message arrived, but my_producer still holds {_queued(producer)} undelivered "
                               "message(s) or unserved delivery report(s): flush() was not called since.",
                        "End with unsent = my_producer.flush(10).")
    if not _reported(reports, topic, found):
        return _not_yet("3.2", "The message arrived, but no producer built from conf served a delivery report for "
                               "it (conf's on_delivery records each one in reports): it was sent some other way.",
                        "Send it with my_producer = Producer(conf), then my_producer.flush(10).")
    if unsent is MISSING or unsent != 0:
        return _not_yet("3.2", f"The message arrived, but unsent is {unsent!r}.",
                        "Store what flush() returns in unsent (0: nothing is left waiting).")
    return _done("3.2", f"{key!r}: {value!r} is in {topic!r}; a producer built from conf served its delivery report, "
                        "my_producer holds nothing, and flush() returned 0.")


class _FakeMessage:
    """What a delivery callback receives, for a test report the check makes up."""

    def __init__(self, topic: str, partition: int, offset: int, error=None):
        self._fields = {"topic": topic, "partition": partition, "offset": offset, "error": error, "key": b"check",
                        "value": b"check", "headers": None, "timestamp": (1, 0), "latency": 0.0}

    def __getattr__(self, name):
        if name.startswith("_") or name not in self._fields:
            raise AttributeError(name)
        return lambda: self._fields[name]

    def __len__(self) -> int:
        return 5


def _callback_records(callback, delivered) -> str | None:
    """Call the learner's callback with one made-up success and one made-up failure: None if it
    appended (partition, offset) for the success only, else what went wrong. `delivered` is left as it was."""
    from confluent_kafka import KafkaError

    if not isinstance(delivered, list):
        return f"delivered is a {type(delivered).__name__}, not a list the callback appends to."
    before = len(delivered)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            callback(None, _FakeMessage("check", 7, 4242))
            added = list(delivered[before:])
            del delivered[before:]
            failed = KafkaError(KafkaError._MSG_TIMED_OUT)
            callback(failed, _FakeMessage("check", 7, 4243, failed))
            added_on_error = list(delivered[before:])
    except Exception as err:
        return f"Called with a test report, record raised {type(err).__name__}: {err}."
    finally:
        del delivered[before:]
    if [tuple(a) if isinstance(a, (list, tuple)) else a for a in added] != [(7, 4242)]:
        return (f"Called with a test report for partition 7, offset 4242, record appended {added!r}, "
                "not [(7, 4242)].")
    if added_on_error:
        return f"Called with a failed delivery (err set), record still appended {added_on_error!r}."
    return None


@_checked("3.3", "def record(err, msg): append (msg.partition(), msg.offset()) to delivered when err is None; "
                 "pass on_delivery=record to each produce(); reports arrive only in poll() or flush().")
def delivery_reports(where, topic: str, delivered, callback, at_least: int = 5) -> CheckResult:
    """The learner's callback `record` appends (partition, offset) for a delivered message and
    nothing for a failed one (the check calls it with made-up reports), and what `delivered` holds
    is exactly what the fresh topic received after the exercise began."""
    slate = started("3.3")
    if delivered is MISSING:
        return _not_yet("3.3", "delivered is not set yet.", "delivered = [] before producing.")
    if callback is MISSING or not callable(callback):
        return _not_yet("3.3", "There is no function record(err, msg) yet.",
                        "def record(err, msg): ... and pass on_delivery=record to produce().")
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
    wrong = _callback_records(callback, delivered)
    if wrong:
        return _not_yet("3.3", wrong, "In record, append (msg.partition(), msg.offset()) only when err is None.")
    return _done("3.3", f"delivered holds the {len(recorded)} places the broker holds, and record(err, msg) appends "
                        "a delivered message's (partition, offset) and nothing for a failed one.")


__all__ = [name for name, value in list(globals().items())
           if callable(value) and getattr(value, "__module__", None) == __name__ and not name.startswith("_")]
