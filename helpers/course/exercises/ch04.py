"""The checks of Chapter 4: the consumer: a handler and a group."""
from __future__ import annotations


from ...client.consumer import OK
from ...client.names import scoped
from ...client.topics import admin_for
from .framework import (MISSING, CheckResult, _answer_is, _checked, _committed, _done, _message, _messages,
                        _not_yet, _partitions, _text)


@_checked("4.1", "Return OK when message['key'] is not None; raise an exception (or return something else) otherwise.")
def keyed_only_handler(handler) -> CheckResult:
    """The handler confirms a message with a key and refuses one without."""
    if handler is MISSING or not callable(handler):
        return _not_yet("4.1", "keyed_only is not a function yet.", "def keyed_only(message): ...")
    if handler(_message(key="Metamorphosis", value="v")) != OK:
        return _not_yet("4.1", "A message with a key was not confirmed.", "return OK for it.")
    try:
        refused = handler(_message(value="v")) != OK
    except Exception:
        refused = True
    if not refused:
        return _not_yet("4.1", "A message without a key was confirmed too.", "Check message['key'] first.")
    return _done("4.1", "Keyed messages are confirmed, unkeyed ones are not.")


@_checked("4.2", "start_with_earliest_message=True for a NEW group, let it confirm everything, then stop() it "
                 "(stopping commits).")
def group_read_from_start(where, group: str, topic: str) -> CheckResult:
    """The group has committed every partition of the topic up to its end."""
    offsets = _partitions(where, topic)
    if offsets is None:
        return _not_yet("4.2", f"There is no topic {topic!r}.", f"Create {topic!r} first.")
    group, topic = scoped(group), scoped(topic)
    committed = _committed(where, group, topic, offsets)
    behind = {p: (committed.get(p, -1), high) for p, (low, high) in offsets.items()
              if high > low and committed.get(p, -1) < high}
    if behind:
        return _not_yet("4.2", f"Group {group!r} has not committed everything of {topic!r} "
                        f"(partition: (committed, end) = {behind}).",
                        "A new group with start_with_earliest_message=True reads from the start; stop the "
                        "worker so it commits.")
    return _done("4.2", f"Group {group!r} read {topic!r} from the beginning to the end.")

__all__ = [name for name, value in list(globals().items())
           if callable(value) and getattr(value, "__module__", None) == __name__ and not name.startswith("_")]
