"""Topic names: Kafka's rule, checked before anything is sent."""
from __future__ import annotations

import re

from .errors import CodealongError

MAX_TOPIC_LENGTH = 249
_LEGAL = re.compile(r"[A-Za-z0-9._-]+")


class InvalidTopicName(CodealongError, ValueError):
    """A topic name Kafka would refuse (INVALID_TOPIC_EXCEPTION)."""


def topic_name_problem(name) -> str | None:
    """Why Kafka would refuse this topic name, or None if it is legal."""
    if not isinstance(name, str) or not name:
        return "a topic name must be a non-empty string"
    if name in (".", ".."):
        return f"{name!r} is reserved"
    if len(name) > MAX_TOPIC_LENGTH:
        return f"it is {len(name)} characters long; the limit is {MAX_TOPIC_LENGTH}"
    bad = sorted(set(re.sub(_LEGAL, "", name)))
    if bad:
        return f"it contains {', '.join(repr(c) for c in bad)}; only ASCII letters, digits, '.', '_' and '-' are allowed"
    return None


def check_topic_name(name) -> str:
    """Return the name, or raise InvalidTopicName saying what is wrong and how to fix it."""
    problem = topic_name_problem(name)
    if problem:
        suggestion = re.sub(r"[^A-Za-z0-9._-]", "_", name)[:MAX_TOPIC_LENGTH] if isinstance(name, str) else ""
        fix = (f"Use a name like {suggestion!r}." if suggestion not in ("", ".", "..")
               else "Use letters, digits, '.', '_' or '-'.")
        raise InvalidTopicName(f"Invalid topic name {name!r}: {problem}.", fix)
    return name
