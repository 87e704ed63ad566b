"""The checks of Chapter 8: troubleshooting."""
from __future__ import annotations

import re

from ...client.names import scoped, topic_name_problem
from .framework import (MISSING, CheckResult, _checked, _committed, _done, _messages, _messages_since, _not_yet,
                        _partitions, _text, started)


def _written_since(where, topic: str, since_ms: int, recent: int = 50) -> list[dict]:
    """The messages among the last `recent` of each partition whose timestamp is `since_ms` or later."""
    offsets = _partitions(where, topic) or {}
    start = {p: max(low, high - recent) for p, (low, high) in offsets.items()}
    return [m for m in _messages(where, topic, start=start, limit=None) if m["ts"] >= since_ms] if start else []


@_checked("8.1", "A valid name for 'my topic!' (check_topic_name suggests one), then send one message to it.")
def valid_name_used(where, name) -> CheckResult:
    slate = started("8.1")
    if name is MISSING:
        return _not_yet("8.1", "fixed_name is not set yet.", "Choose a valid name.")
    problem = topic_name_problem(name)
    if problem:
        return _not_yet("8.1", f"{name!r} is still invalid: {problem}.", "Use letters, digits, '.', '_' or '-'.")
    if not re.sub(r"[^a-z0-9]", "", name.lower()).startswith("mytopic"):
        return _not_yet("8.1", f"{name!r} is valid, but it is not 'my topic!' fixed.",
                        "Keep the name's words (my, topic) and replace only what is not allowed.")
    if not _written_since(where, name, slate.began_ms):
        return _not_yet("8.1", f"{name!r} is valid, but nothing was sent to {scoped(name)!r} since the exercise began.",
                        "Send one message to it (e.g. produce_sync(fixed_name, ...)).")
    return _done("8.1", f"{name!r} is valid, and a message reached it.")


@_checked("8.2", "A new group (not early_readers, which already read the topic) and start_with_earliest_message=True.")
def sees_old_message(where, config, topic: str) -> CheckResult:
    """A worker built from the learner's config would receive the message already in the topic.
    Worked out from the group's committed offsets and the config's starting point, without
    joining the group: consuming would commit, and the check would pass only once."""
    started("8.2")
    if config is MISSING:
        return _not_yet("8.2", "early_config is not set yet.", "Make a ConsumerConfig.")
    offsets = _partitions(where, topic)
    if offsets is None:
        return _not_yet("8.2", f"There is no topic {scoped(topic)!r}.", "Run the exercise's first cell again.")
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
        why = ("group " + repr(config.consumer_group) + " has committed offsets there, so it resumes after them"
               if committed else "a new group starts at the end unless told to start at the earliest message")
        return _not_yet("8.2", f"A worker with early_config would receive nothing already in {topic!r}: {why}.",
                        "A group that starts at the end, or one that already committed, sees nothing old.")
    return _done("8.2", f"A worker with early_config would receive {_text(first[0]['key'])!r} from {topic!r}.")


@_checked("8.3", "bootstrap.servers: the listener that advertises an address this machine reaches (OUTSIDE), "
                 "then produce() and flush().")
def listener_fixed(where, topic: str) -> CheckResult:
    """`where` is the broker the exercise is about (section 4's cluster, through the listener a client here reaches)."""
    slate = started("8.3")
    if where is MISSING or not where:
        return _not_yet("8.3", "Section 4's cluster is not running here (OUTSIDE is not set).",
                        "Run section 4's cells first.")
    sent = [m for m in _messages(where, topic, limit=None) if m["ts"] >= slate.began_ms]
    if not sent:
        return _not_yet("8.3", f"No message reached {scoped(topic)!r} since the exercise began.",
                        "Bootstrap at the listener that advertises 127.0.0.1 (OUTSIDE), not the one that "
                        "advertises 'kafka' (INSIDE); then flush() and look at the delivery report.")
    return _done("8.3", f"{len(sent)} message(s) reached {scoped(topic)!r} through the listener this machine can reach.")


__all__ = [name for name, value in list(globals().items())
           if callable(value) and getattr(value, "__module__", None) == __name__ and not name.startswith("_")]
