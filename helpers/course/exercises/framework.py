"""The checks' common parts: a check's result, how a failure inside it becomes a "not yet",
and what the checks read. The checks behind the chapters' "Your turn" exercises: each inspects the REAL state (the
broker's topics, partitions, messages and committed offsets, or what a handler answers) and
returns one line: done, or "not yet" with a hint. A check never raises: a missing topic, a
broker that does not answer or a name the learner has not defined yet is a "not yet".

    exercises.topic_with_partitions(BOOTSTRAP_SERVERS, "exercise_three", 3)   # in a check cell
"""
from __future__ import annotations

import functools
import sys
from dataclasses import dataclass
from typing import Callable

from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition

from ...client.errors import CodealongError
from ...client.names import scoped
from ...client.topic_state import partition_offsets, read_messages
from ...client.topics import admin_for
from .. import progress

class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()  # what a check gets for a name the learner has not defined yet


def answer(name: str):
    """The value of `name` in the caller's namespace (a notebook's), or MISSING if it is not defined."""
    return sys._getframe(1).f_globals.get(name, MISSING)


@dataclass
class CheckResult:
    exercise: str
    passed: bool
    message: str
    hint: str = ""

    def __str__(self) -> str:
        if self.passed:
            return f"✓ Exercise {self.exercise}: done. {self.message}"
        return f"✗ Exercise {self.exercise}: not yet. {self.message} Hint: {self.hint}"

    __repr__ = __str__


def _done(exercise: str, message: str) -> CheckResult:
    return CheckResult(exercise, True, message)


def _not_yet(exercise: str, message: str, hint: str) -> CheckResult:
    return CheckResult(exercise, False, message, hint)


def _answer_is(exercise: str, name: str, answer, actual, truth: str, missing_hint: str, wrong_hint: str,
               done: str) -> CheckResult:
    """Compare a learner's answer with the real value; `truth` says what the real value is."""
    if answer is MISSING:
        return _not_yet(exercise, f"{name} is not set yet.", missing_hint)
    if answer != actual:
        return _not_yet(exercise, f"{name} is {answer!r}; {truth}.", wrong_hint)
    return _done(exercise, done)


#: Every check defined below, in order (tests keep it equal to catalogue.EXERCISE_IDS).
DEFINED: list[str] = []


def _checked(exercise: str, hint: str):
    """Run a check; anything that goes wrong inside it is a "not yet" naming the cause."""
    DEFINED.append(exercise)

    def wrap(check: Callable[..., CheckResult]):
        def run(*args, **kwargs) -> CheckResult:
            try:
                result = check(*args, **kwargs)
            except Exception as err:  # whatever the learner's code raises (not KeyboardInterrupt: a stop)
                cause = err.cause if isinstance(err, CodealongError) else f"{type(err).__name__}: {err}"
                result = _not_yet(exercise, f"The check could not finish: {cause}", hint)
            progress.report_check(result.exercise, result.passed)  # in a workshop: to the board
            return result
        return functools.wraps(check)(run)
    return wrap


# ---- reading the broker's state (helpers.topic_state) ------------------------------------------
_partitions, _messages = partition_offsets, read_messages


def _has_key(data, names) -> bool:
    """Whether a nested dict has any of these keys, at any depth."""
    return isinstance(data, dict) and any(k in names or _has_key(v, names) for k, v in data.items())


def _text(data) -> str | None:
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else data


def _committed(where, group: str, topic: str, offsets: dict) -> dict[int, int]:
    """partition -> the group's committed offset (partitions it never committed on are left out)."""
    group = scoped(group)
    admin = admin_for(where)
    request = ConsumerGroupTopicPartitions(group, [TopicPartition(topic, p) for p in offsets])
    answer = admin.list_consumer_group_offsets([request], request_timeout=10)[group].result(10)
    return {tp.partition: tp.offset for tp in answer.topic_partitions if tp.offset >= 0}


def _message(**fields) -> dict:
    """A message as a handler receives it, for checks that call a learner's handler directly."""
    return {"topic": "t", "partition": 0, "offset": 0, "key": None, "value": None, "headers": [], "ts": 0,
            "ts_type": "create", **fields}
