"""Chapters 6-9: the playground, variations, troubleshooting and more errors."""
from __future__ import annotations

import json

from ...client.names import scoped, topic_name_problem
from .framework import (MISSING, CheckResult, _answer_is, _checked, _committed, _done, _has_key, _messages,
                        _not_yet, _partitions, _text)


# ---- chapter 6 -------------------------------------------------------------------------------
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


# ---- chapter 7 -------------------------------------------------------------------------------
@_checked("7.1", '"security": {"protocol": ..., "sasl_mechanism": ..., "username_env": ..., "password_env": ...}')
def scram_config(data, username_env: str, password_env: str) -> CheckResult:
    from ...client.config import parse_config

    if data is MISSING:
        return _not_yet("7.1", "cloud_config is not set yet.", "Write the dict as in the example above.")
    if _has_key(data, ("password", "sasl_password")):
        return _not_yet("7.1", "The config holds a password.", "Name the variables that hold the credentials instead.")
    security = parse_config(data).producer.security
    wanted = ("SASL_SSL", "SCRAM-SHA-512", username_env, password_env)
    actual = (security.protocol, security.sasl_mechanism, security.username_env, security.password_env)
    if actual != wanted:
        return _not_yet("7.1", f"security is {actual}, not {wanted}.", "Set all four keys of [security].")
    return _done("7.1", "SASL_SSL with SCRAM-SHA-512, credentials from the environment.")


@_checked("7.2", "Application(load_config(...)).children(\"dev\") lists the workers, not yet started.")
def dev_workers(answer, expected: list[str]) -> CheckResult:
    if answer is MISSING:
        return _not_yet("7.2", "dev_workers is not set yet.", "Collect worker.name for each child.")
    if list(answer) != expected:
        return _not_yet("7.2", f"dev_workers is {answer!r}; dev starts {expected}.", "In start order, by name.")
    return _done("7.2", f"dev starts {expected}, in that order.")


# ---- chapter 8 -------------------------------------------------------------------------------
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


# ---- chapter 9 -------------------------------------------------------------------------------
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
