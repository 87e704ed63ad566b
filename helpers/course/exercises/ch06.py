"""The checks of Chapter 6: the playground."""
from __future__ import annotations

import json

from ...client.names import scoped, topic_name_problem
from .framework import (MISSING, CheckResult, _answer_is, _checked, _committed, _done, _has_key, _messages,
                        _not_yet, _partitions, _text)


@_checked("6.1", "Set form.key.value, then call form.send() (what the Send button does) five times.")
def keyed_sends(where, topic: str, key: str, at_least: int = 5) -> CheckResult:
    count = sum(1 for m in _messages(where, topic, limit=5000) if _text(m["key"]) == key)
    if count < at_least:
        return _not_yet("6.1", f"{topic!r} holds {count} message(s) with key {key!r}, not {at_least}.",
                        f"form.key.value = {key!r}; then form.send(), {at_least} times.")
    return _done("6.1", f"At least {at_least} messages with key {key!r} in {topic!r}.")


@_checked("6.2", "view.refresh() returns the state; sum next_offset - first_offset over its partitions.")
def message_total(where, topic: str, answer) -> CheckResult:
    offsets = _partitions(where, topic)
    if offsets is None:
        return _not_yet("6.2", f"There is no topic {topic!r}.", "Run the chapter's cells first.")
    actual = sum(high - low for low, high in offsets.values())
    return _answer_is("6.2", "total", answer, actual, f"{topic!r} holds {actual} message(s) now",
                      "Refresh a TopicView and add up its partitions.",
                      "Refresh first: the view shows the topic as it was at its last refresh.",
                      f"{topic!r} holds {actual} messages.")

__all__ = [name for name, value in list(globals().items())
           if callable(value) and getattr(value, "__module__", None) == __name__ and not name.startswith("_")]
