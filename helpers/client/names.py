"""Topic names: Kafka's rule, checked before anything is sent."""
from __future__ import annotations

import os
import re
from contextlib import contextmanager

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


# ---- learners: one namespace each on a shared cluster ------------------------------------
LEARNER_VARIABLE = "CODEALONG_LEARNER"
MAX_LEARNER_LENGTH = 64
#: Topics every learner may read (the workshop's own); never put under a learner's prefix.
SHARED_PREFIX = "workshop."
_LEARNER = re.compile(r"[A-Za-z0-9_-]+")


class InvalidLearnerName(CodealongError, ValueError):
    """A learner name that cannot prefix Kafka topic and group names."""


def check_learner(name) -> str:
    """Return the learner name, or raise InvalidLearnerName saying why and how to fix it.
    The name becomes the prefix `<name>.` of topics, groups and the SCRAM user: so no dot
    (a prefix "ana." must never cover "ana.b."'s topics), and only characters topics allow."""
    if not isinstance(name, str) or not name:
        problem = "it is empty"
    elif len(name) > MAX_LEARNER_LENGTH:
        problem = f"it is {len(name)} characters long; the limit is {MAX_LEARNER_LENGTH}"
    elif "." in name:
        problem = "it contains '.', which separates the learner's prefix from the topic name"
    elif not _LEARNER.fullmatch(name):
        bad = sorted(set(re.sub(_LEARNER, "", name)))
        problem = f"it contains {', '.join(repr(c) for c in bad)}; only ASCII letters, digits, '_' and '-' are allowed"
    elif name.lower() in (SHARED_PREFIX.rstrip("."), "dlq") or name.startswith("_"):
        problem = ("it is reserved (the workshop's own topics, the dead-letter topics under 'dlq.', and Kafka's "
                   "internal ones, which start with '_', use it)")
    else:
        return name
    suggestion = re.sub(r"[^A-Za-z0-9_-]", "_", name)[:MAX_LEARNER_LENGTH].lstrip("_") if isinstance(name, str) else ""
    fix = f"Use a name like {suggestion!r}." if suggestion and suggestion.lower() != "workshop" else \
        "Use letters, digits, '_' or '-', e.g. 'ana'."
    raise InvalidLearnerName(f"Invalid learner name {name!r}: {problem}.", fix)


def current_learner() -> str | None:
    """The learner named by $CODEALONG_LEARNER (checked), or None outside a workshop."""
    name = os.environ.get(LEARNER_VARIABLE, "").strip()
    return check_learner(name) if name else None


def use_learner(name: str | None) -> str | None:
    """Make `name` the learner of this process (a notebook's LEARNER parameter); ""/None: nobody."""
    if name:
        os.environ[LEARNER_VARIABLE] = check_learner(name)
    else:
        os.environ.pop(LEARNER_VARIABLE, None)
    return name or None


def scoped(name: str) -> str:
    """THE function that puts a topic or group name under the current learner's prefix:
    "our_topic" -> "ana.our_topic" when CODEALONG_LEARNER=ana, unchanged otherwise. Names already
    under the prefix, the workshop's shared topics and Kafka's internal ones are left as they are."""
    learner = current_learner()
    if not learner or not isinstance(name, str) or name.startswith((f"{learner}.", SHARED_PREFIX, "__")):
        return name
    return f"{learner}.{name}"


@contextmanager
def learner_scope(name: str | None):
    """Within the block, `name` is the learner (None: nobody, names as written); restored after.
    For a cell that talks to a broker of its own whose users are not the workshop's."""
    saved = os.environ.get(LEARNER_VARIABLE)
    use_learner(name)
    try:
        yield
    finally:
        use_learner(saved)
