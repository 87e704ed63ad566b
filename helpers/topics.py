"""Topic names and topic administration."""
from __future__ import annotations

import re
import time

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

from .errors import CLIENT_LOG, CodealongError

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


def create_topic(bootstrap: str, name: str, partitions: int = 1, replication_factor: int = 1,
                 config: dict | None = None, timeout: float = 10, **client_settings) -> None:
    """Create a topic and wait for it; an existing topic is left as it is."""
    admin = AdminClient({"bootstrap.servers": bootstrap, "logger": CLIENT_LOG, **client_settings})
    future = admin.create_topics([NewTopic(name, partitions, replication_factor, config=config or {})],
                                 request_timeout=timeout)[name]
    try:
        future.result(timeout)
    except KafkaException as err:
        # "Already exists" also answers a create that races the broker's auto-creation, before the
        # new topic shows in metadata; and a topic still being deleted, which never shows again.
        if err.args[0].name() != "TOPIC_ALREADY_EXISTS" or not _listed_soon(admin, name, timeout):
            raise


def _listed_soon(admin: AdminClient, name: str, timeout: float, wait_s: float = 3.0) -> bool:
    deadline = time.monotonic() + wait_s
    while name not in admin.list_topics(timeout=timeout).topics:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def delete_topic(bootstrap: str, name: str, timeout: float = 30, **client_settings) -> None:
    """Delete the topic if it exists, and wait until the broker no longer lists it."""
    admin = AdminClient({"bootstrap.servers": bootstrap, "logger": CLIENT_LOG, **client_settings})
    if name in admin.list_topics(timeout=timeout).topics:
        admin.delete_topics([name], request_timeout=timeout)[name].result(timeout)
    deadline = time.monotonic() + timeout
    while name in admin.list_topics(timeout=timeout).topics:
        if time.monotonic() > deadline:
            raise CodealongError(f"Topic {name!r} was still listed {timeout:g} s after its deletion.",
                                 "Check the broker's log (`codealong broker logs`) and retry.")
        time.sleep(0.1)


def recreate_topic(bootstrap: str, name: str, partitions: int = 1, replication_factor: int = 1,
                   config: dict | None = None, timeout: float = 30, **client_settings) -> None:
    """Delete the topic if it exists and create it empty (so offsets start at 0 again)."""
    delete_topic(bootstrap, name, timeout, **client_settings)
    deadline = time.monotonic() + timeout
    while True:  # the broker may still be removing the old partitions' files
        try:
            return create_topic(bootstrap, name, partitions, replication_factor, config, timeout, **client_settings)
        except KafkaException as err:
            if time.monotonic() > deadline or err.args[0].name() not in ("TOPIC_ALREADY_EXISTS",
                                                                          "UNKNOWN_TOPIC_OR_PART"):
                raise
            time.sleep(0.2)
