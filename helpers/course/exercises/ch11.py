"""The checks of Chapter 11: delivery and replay."""
from __future__ import annotations


from ...client.consumer import OK
from ...client.names import scoped
from ...client.topics import admin_for
from .framework import (MISSING, CheckResult, _answer_is, _checked, _done, _message, _messages, _not_yet,
                        _partitions, _text)


@_checked("11.1", "ConsumerWorker(config, handler, dead_letter=DeadLetter(\"orders.dead\", after=2)).")
def dead_lettered(where, dead_topic: str, original: str, attempts: int) -> CheckResult:
    copies = _messages(where, dead_topic)
    if not copies:
        return _not_yet("11.1", f"{dead_topic!r} holds no message yet.",
                        "Let the worker fail on the poison message until it moves it aside.")
    headers = {name: _text(value) for name, value in copies[-1]["headers"]}
    want = {"dead_letter.topic": scoped(original), "dead_letter.attempts": str(attempts)}
    got = {name: headers.get(name) for name in want}
    if got != want:
        return _not_yet("11.1", f"The copy's headers say {got}, not {want}.", f"Use after={attempts}.")
    return _done("11.1", f"The poison message is in {dead_topic!r} after {attempts} attempts, with why: "
                         f"{headers.get('dead_letter.error', '')[:60]!r}...")


@_checked("11.2", "consumer.offsets_for_times([TopicPartition(topic, 0, MARK_MS)]) answers the offset.")
def offset_at_time(where, topic: str, mark_ms: int, answer) -> CheckResult:
    later = [m["offset"] for m in _messages(where, topic) if m["partition"] == 0 and m["ts"] >= mark_ms]
    if not later:
        return _not_yet("11.2", f"No message of {topic!r} is at or after {mark_ms}.", "Run the chapter's cells.")
    actual = min(later)
    return _answer_is("11.2", "replay_from", answer, actual, f"the first message at or after the mark is {actual}",
                      "Store .offset of what offsets_for_times returns.", "Ask with the time in milliseconds.",
                      f"Offset {actual} is the first message at or after the mark.")

__all__ = [name for name, value in list(globals().items())
           if callable(value) and getattr(value, "__module__", None) == __name__ and not name.startswith("_")]
