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
import time
from dataclasses import dataclass
from typing import Callable

from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition

from ...client.deadline import Deadline
from ...client.errors import CodealongError
from ...client.names import scoped
from ...client.topic_state import partition_offsets, read_messages
from ...client.topics import admin_for, delete_topic, recreate_topic
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


# ---- an exercise's clean slate ----------------------------------------------------------------
class ExerciseNotStarted(CodealongError):
    """A check ran before its exercise's first cell (`chapter.exercise(...)`)."""


@dataclass(frozen=True)
class Slate:
    """What an exercise made clean when it began, and where the broker stood then: a check
    looks only at what was written after it (never at what an earlier run left behind)."""
    exercise: str
    where: str
    fresh_topics: tuple[str, ...]            # recreated empty, under the learner's prefix
    marks: dict[str, dict[int, int]]         # watched topic -> partition -> its end when the exercise began
    began_ms: int                            # wall clock, for checks that compare timestamps

    def since(self, topic: str) -> dict[int, int]:
        """Partition -> the first offset written after the exercise began (0 for a fresh topic)."""
        return self.marks.get(scoped(topic), {})


_SLATES: dict[str, Slate] = {}


def begin(exercise: str, where, *, fresh_topics=(), partitions: int = 1, config: dict | None = None,
          absent_topics=(), watch_topics=(), forget_groups=(), quiet: bool = False) -> Slate:
    """Start exercise `exercise` from a slate it makes clean itself, under the learner's prefix:
    `fresh_topics` are recreated empty (`partitions`, `config`), `absent_topics` deleted,
    `forget_groups` lose their committed offsets, and the ends of `watch_topics` are noted so
    the check reads only what is written after this call. Running it again starts over."""
    fresh = tuple(scoped(t) for t in fresh_topics)
    for topic in fresh:
        recreate_topic(where, topic, partitions=partitions, config=config)
    for topic in absent_topics:
        delete_topic(where, topic)
    for group in forget_groups:
        _forget_group(where, scoped(group))
    marks = {topic: {p: 0 for p in range(partitions)} for topic in fresh}
    for topic in watch_topics:
        offsets = _partitions(where, topic) or {}
        marks[scoped(topic)] = {p: high for p, (low, high) in offsets.items()}
    _PREDICTIONS.pop(exercise, None)
    _REVEALED.pop(exercise, None)
    slate = Slate(exercise, where, fresh, marks, int(time.time() * 1000))
    _SLATES[exercise] = slate
    if not quiet:
        made = [f"{t!r} is new and empty" for t in fresh] + [f"{scoped(t)!r} is gone" for t in absent_topics]
        made += [f"group {scoped(g)!r} has no committed offsets" for g in forget_groups]
        made += [f"only what is written to {scoped(t)!r} from now on counts" for t in watch_topics]
        print(f"Exercise {exercise} begins" + (": " + "; ".join(made) if made else "") + ".")
    return slate


# ---- predict, then run ------------------------------------------------------------------------
_PREDICTIONS: dict[str, tuple[dict, float]] = {}   # exercise -> (the learner's values, when written)
_REVEALED: dict[str, float] = {}                   # exercise -> when the cell showing the truth first ran


def predict(exercise: str, **values) -> None:
    """Write a prediction down (e.g. predict("1.3", partition=2)) before the cell that shows the truth."""
    _PREDICTIONS[exercise] = (values, time.monotonic())
    print(f"Prediction for exercise {exercise} noted: "
          + ", ".join(f"{name} = {value!r}" for name, value in values.items()) + ".")


def reveal(exercise: str) -> None:
    """Called by the cell that shows the truth, before it shows it: a prediction written after
    this does not count (until the exercise begins again)."""
    _REVEALED.setdefault(exercise, time.monotonic())


def prediction(exercise: str) -> dict:
    """The values predicted for `exercise` before its truth was shown; an ExerciseNotStarted
    (a "not yet" naming the fix) when there is none, or when it was written after the reveal."""
    if exercise not in _PREDICTIONS:
        raise ExerciseNotStarted(f"No prediction for exercise {exercise} yet.",
                                 f"Write it down with chapter.predict(\"{exercise}\", ...) before running the cell that shows it.")
    values, when = _PREDICTIONS[exercise]
    if exercise in _REVEALED and when > _REVEALED[exercise]:
        raise ExerciseNotStarted(f"The prediction for {exercise} was written after the answer was shown.",
                                 "Run the exercise's first cell again, predict, and only then run the cell that shows it.")
    return values


def started(exercise: str) -> Slate:
    """The slate of an exercise that began in this kernel; ExerciseNotStarted (a "not yet") otherwise."""
    try:
        return _SLATES[exercise]
    except KeyError:
        raise ExerciseNotStarted(f"Exercise {exercise} has not begun in this kernel.",
                                 f"Run the exercise's first cell (chapter.exercise(\"{exercise}\", ...)), "
                                 "then your code, then the check.") from None


def _forget_group(where, group: str, timeout: float = 15) -> None:
    """Delete a consumer group (its committed offsets); a group that does not exist is fine."""
    from confluent_kafka import KafkaError, KafkaException

    deadline = Deadline(timeout)
    admin = admin_for(where)
    listed = admin.list_consumer_groups(request_timeout=deadline.remaining(0.5)).result(deadline.remaining(0.5))
    if group not in {g.group_id for g in listed.valid}:
        return
    while True:
        try:
            admin.delete_consumer_groups([group], request_timeout=deadline.remaining(0.5))[group].result(
                deadline.remaining(0.5))
            return
        except KafkaException as err:
            code = err.args[0].code()
            if code == KafkaError.NON_EMPTY_GROUP:
                raise CodealongError(f"Group {group!r} still has running members, so its offsets cannot be reset.",
                                     "Stop (or close) the consumers of that group, then run this cell again.") from None
            if code == KafkaError.GROUP_ID_NOT_FOUND:
                return
            if code not in (KafkaError.NOT_COORDINATOR, KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
                            KafkaError.COORDINATOR_NOT_AVAILABLE) or deadline.expired():
                raise
            deadline.wait(0.2)


def _messages_since(slate: Slate, topic: str) -> list[dict]:
    """The messages written to `topic` after the exercise began (by offset, per partition)."""
    return _messages(slate.where, topic, start=slate.since(topic) or None)


#: Every check defined below, in order (tests keep it equal to catalogue.EXERCISE_IDS).
DEFINED: list[str] = []


def _checked(exercise: str, hint: str):
    """Run a check; anything that goes wrong inside it is a "not yet" naming the cause."""
    DEFINED.append(exercise)

    def wrap(check: Callable[..., CheckResult]):
        def run(*args, **kwargs) -> CheckResult:
            try:
                result = check(*args, **kwargs)
            except ExerciseNotStarted as err:  # a step of the exercise is missing: say which
                result = _not_yet(exercise, err.cause, err.fix)
            except Exception as err:  # whatever the learner's code raises (not KeyboardInterrupt: a stop)
                cause = err.cause if isinstance(err, CodealongError) else f"{type(err).__name__}: {err}"
                result = _not_yet(exercise, f"The check could not finish: {cause}", hint)
            progress.report_check(result.exercise, result.passed)  # in a workshop: to the board
            return result
        run = functools.wraps(check)(run)
        run.exercise_id = exercise  # which exercise a check cell's call belongs to (tests read it)
        return run
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
