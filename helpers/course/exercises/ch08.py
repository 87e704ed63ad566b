"""The checks of Chapter 8: troubleshooting."""
from __future__ import annotations

import json

from ...client.names import scoped, topic_name_problem
from .framework import (MISSING, CheckResult, _answer_is, _checked, _committed, _done, _has_key, _messages,
                        _not_yet, _partitions, _text)


@_checked("8.1", "Replace the space and the '!' (check_topic_name suggests a name), then send one message.")
def valid_name_used(where, name) -> CheckResult:
    if name is MISSING:
        return _not_yet("8.1", "fixed_name is not set yet.", "Choose a valid name.")
    problem = topic_name_problem(name)
    if problem:
        return _not_yet("8.1", f"{name!r} is still invalid: {problem}.", "Use letters, digits, '.', '_' or '-'.")
    if not _messages(where, name):
        return _not_yet("8.1", f"{name!r} is valid but holds no message yet.", "Send one message to it.")
    return _done("8.1", f"{name!r} is a valid topic with a message in it.")


@_checked("8.2", "A new group (a fresh consumer_group) and start_with_earliest_message=True.")
def sees_old_message(where, config, topic: str) -> CheckResult:
    """A worker built from the learner's config would receive the message already in the topic.
    Worked out from the group's committed offsets and the config's starting point, without
    joining the group: consuming would commit, and the check would pass only once."""
    if config is MISSING:
        return _not_yet("8.2", "early_config is not set yet.", "Make a ConsumerConfig.")
    offsets = _partitions(where, topic)
    if offsets is None:
        return _not_yet("8.2", f"There is no topic {topic!r}.", "Run the chapter's cells first.")
    topic = scoped(topic)
    if topic not in config.topics:
        return _not_yet("8.2", f"early_config reads {list(config.topics)}, not {topic!r}.", f"topics=[{topic!r}].")
    committed = _committed(where, config.consumer_group, topic, offsets)
    starts = {}
    for p, (low, high) in offsets.items():
        # A partition the group committed on resumes there; any other starts where the config says.
        otherwise = low if config.auto_offset_reset() == "earliest" else high
        starts[p] = max(low, committed.get(p, otherwise))
    first = _messages(where, topic, limit=1, start=starts)
    if not first:
        return _not_yet("8.2", f"A worker with early_config would receive nothing already in {topic!r}.",
                        "A group that starts at the end, or one that already committed, sees nothing old.")
    return _done("8.2", f"A worker with early_config would receive {_text(first[0]['key'])!r} from {topic!r}.")

__all__ = [name for name, value in list(globals().items())
           if callable(value) and getattr(value, "__module__", None) == __name__ and not name.startswith("_")]
