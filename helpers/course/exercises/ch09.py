"""The checks of Chapter 9: more errors."""
from __future__ import annotations

import json

from ...client.names import scoped
from .framework import CheckResult, _checked, _done, _messages_since, _not_yet, _text, started


@_checked("9.1", "json.dumps(new_book) turns the dict into text a producer accepts, its numbers staying numbers.")
def json_message(where, topic: str, field: str, value) -> CheckResult:
    slate = started("9.1")
    seen = []
    for m in _messages_since(slate, topic):
        try:
            data = json.loads(_text(m["value"]) or "")
        except (ValueError, TypeError):
            seen.append("text that is not JSON")
            continue
        if isinstance(data, dict) and field in data:
            if data[field] == value and type(data[field]) is type(value):
                return _done("9.1", f"{scoped(topic)!r} holds a JSON object whose {field!r} reads back as {value!r}.")
            seen.append(f"{field!r} = {data[field]!r}")
        else:
            seen.append("JSON without " + repr(field))
    if not seen:
        return _not_yet("9.1", f"Nothing was written to {scoped(topic)!r} since the exercise began.",
                        "Send json.dumps(new_book) as the value.")
    return _not_yet("9.1", f"{scoped(topic)!r} holds {seen[-1]}, not {field!r} = {value!r}.",
                    "Send json.dumps(new_book): str(new_book) is not JSON, and str(1925) would be text.")


@_checked("9.2", "Topic config {\"max.message.bytes\": \"2000000\"} AND client_settings={\"message.max.bytes\": 2_000_000}.")
def large_message(where, topic: str, at_least: int) -> CheckResult:
    slate = started("9.2")
    sizes = [len(m["value"] or b"") for m in _messages_since(slate, topic)]
    if not sizes or max(sizes) < at_least:
        return _not_yet("9.2", f"{scoped(topic)!r} holds no message of {at_least:,} bytes or more yet.",
                        "Raise the topic's and the client's limits together, then send it.")
    return _done("9.2", f"{scoped(topic)!r} holds a message of {max(sizes):,} bytes.")


@_checked("9.3", "flush() before send_books returns (and check that it returns 0: nothing left in the queue).")
def all_books_sent(where, topic: str, count: int) -> CheckResult:
    slate = started("9.3")
    keys = {_text(m["key"]) for m in _messages_since(slate, topic)}
    wanted = {f"book-{i}" for i in range(count)}
    if not wanted <= keys:
        return _not_yet("9.3", f"{len(wanted & keys)} of the {count} messages reached {scoped(topic)!r}.",
                        "produce() only queues a message: flush() waits until every one is delivered.")
    return _done("9.3", f"All {count} messages reached {scoped(topic)!r}.")


__all__ = [name for name, value in list(globals().items())
           if callable(value) and getattr(value, "__module__", None) == __name__ and not name.startswith("_")]
