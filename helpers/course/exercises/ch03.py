"""The checks of Chapter 3: the producer's configuration, and a plain send."""
from __future__ import annotations


from ...client.consumer import OK
from ...client.names import scoped
from ...client.topics import admin_for
from .framework import (MISSING, CheckResult, _answer_is, _checked, _committed, _done, _message, _messages,
                        _not_yet, _partitions, _text)


@_checked("3.1", "The keys are endpoints and topics (see the error's 'Did you mean').")
def fixed_producer_config(data, topic: str = "our_topic") -> CheckResult:
    """`data` parses as a config whose producer sends to `topic`."""
    from ...client.config import parse_config

    if data is MISSING:
        return _not_yet("3.1", "fixed is not set yet.", "Copy broken and correct its two keys.")
    producer = parse_config(data).producer
    if producer is None or scoped(topic) not in producer.topics:
        return _not_yet("3.1", f"The config parses, but its producer does not list {topic!r}.",
                        f'Add topics = ["{topic}"] to the producer block.')
    return _done("3.1", f"The config parses; its producer sends to {list(producer.topics)}.")


@_checked("3.2", "produce(topic, value=..., key=...), then flush(): it returns 0 once everything is delivered.")
def plain_send(where, topic: str, key: str, value: str, left) -> CheckResult:
    """A message (key, value) is in the topic, and flush() returned 0."""
    found = [m for m in _messages(where, topic) if (_text(m["key"]), _text(m["value"])) == (key, value)]
    if not found:
        return _not_yet("3.2", f"No message {key!r}: {value!r} in {topic!r} yet.",
                        "produce() only queues it: call flush() before checking.")
    if left != 0:
        return _not_yet("3.2", f"The message is there, but left is {left!r}.", "Store what flush() returns in left.")
    return _done("3.2", f"{key!r}: {value!r} is in {topic!r}, and flush() left nothing behind.")

__all__ = [name for name, value in list(globals().items())
           if callable(value) and getattr(value, "__module__", None) == __name__ and not name.startswith("_")]
