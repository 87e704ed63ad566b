"""The checks of Chapter 9: more errors."""
from __future__ import annotations

import json

from ...client.names import scoped, topic_name_problem
from .framework import (MISSING, CheckResult, _answer_is, _checked, _committed, _done, _has_key, _messages,
                        _not_yet, _partitions, _text)


@_checked("9.1", "json.dumps(book) turns the dict into text a producer accepts.")
def json_message(where, topic: str, field: str) -> CheckResult:
    for m in _messages(where, topic):
        try:
            if field in json.loads(_text(m["value"]) or ""):
                return _done("9.1", f"{topic!r} holds a JSON object with {field!r}.")
        except (ValueError, TypeError):
            continue
    return _not_yet("9.1", f"No JSON object with {field!r} in {topic!r} yet.", "Send json.dumps(book) as the value.")


@_checked("9.2", "Topic config {\"max.message.bytes\": \"2000000\"} AND client_settings={\"message.max.bytes\": 2_000_000}.")
def large_message(where, topic: str, at_least: int) -> CheckResult:
    sizes = [len(m["value"] or b"") for m in _messages(where, topic, limit=10)]
    if not sizes or max(sizes) < at_least:
        return _not_yet("9.2", f"{topic!r} holds no message of {at_least:,} bytes or more yet.",
                        "Raise the topic's and the client's limits together, then send it.")
    return _done("9.2", f"{topic!r} holds a message of {max(sizes):,} bytes.")

__all__ = [name for name, value in list(globals().items())
           if callable(value) and getattr(value, "__module__", None) == __name__ and not name.startswith("_")]
