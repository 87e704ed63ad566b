"""Progress events: in a workshop, each exercise check and each chapter's end publishes
(learner, chapter, check, passed, time) to the learner's own progress topic, `<learner>.progress`,
where the instructor's board reads them. Outside a workshop nothing is sent.

A topic per learner, under their prefix: the ACLs that keep learners apart also keep anyone but
the learner (and the instructor) from writing there, so the board credits a learner with what
their own login wrote, never with what another learner claims.

Publishing never fails or slows a learner's cell: `produce()` only queues the event (the
client sends it from its own thread), every failure is logged and dropped, and the process
waits at most FLUSH_AT_EXIT_S for queued events when it ends."""
from __future__ import annotations

import atexit
import json
import logging
import threading
import time
from dataclasses import asdict, dataclass

from confluent_kafka import Producer

from ..client.config import Connection, env_bootstrap
from ..client.names import current_learner
from .catalogue import chapter_of

log = logging.getLogger(__name__)

PROGRESS_SUFFIX = ".progress"
CHAPTER_END = "end"      # the check name of a chapter's last cell
JOINED = "join"          # the check name of `codealong workshop join` (chapter 0): the learner got in
FLUSH_AT_EXIT_S = 2.0


@dataclass(frozen=True)
class ProgressEvent:
    learner: str
    chapter: int
    check: str       # an exercise id such as "3.1", or "end"
    passed: bool
    time: float      # seconds since the epoch, on the learner's machine
    detail: str = "" # a join's bootstrap address (so that a room that moved sees who joined it since)

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: bytes) -> "ProgressEvent":
        """Raises ValueError for anything that is not an event (the topic is shared)."""
        try:
            raw = json.loads(data)
            return cls(str(raw["learner"]), int(raw["chapter"]), str(raw["check"]), bool(raw["passed"]),
                       float(raw["time"]), str(raw.get("detail", "")))
        except (TypeError, KeyError, json.JSONDecodeError) as err:
            raise ValueError(f"not a progress event: {err}") from None


def progress_topic(learner: str) -> str:
    """Where a learner's events go (the workshop creates it; only their login may write to it)."""
    return f"{learner}{PROGRESS_SUFFIX}"


def topic_learner(topic: str) -> str | None:
    """The learner whose progress topic this is, or None."""
    return topic[:-len(PROGRESS_SUFFIX)] if topic.endswith(PROGRESS_SUFFIX) and "." not in topic[:-len(PROGRESS_SUFFIX)] \
        else None


class _Publisher:
    """One producer per process, made on the first event; sends in the background."""

    def __init__(self):
        self._producer: Producer | None = None
        self._lock = threading.Lock()

    def _client(self) -> Producer:
        with self._lock:
            if self._producer is None:
                # log_level 0: a cluster that is down must not fill the learner's cell with the client's
                # reconnect lines; a lost event is logged once, by _logged, at INFO.
                settings = {**Connection().client_settings(), "client.id": "codealong-progress", "acks": 1,
                            "message.timeout.ms": 10000, "linger.ms": 0, "log_level": 0}
                self._producer = Producer(settings)
                atexit.register(self.flush, FLUSH_AT_EXIT_S)
            return self._producer

    def publish(self, event: ProgressEvent) -> None:
        try:
            client = self._client()
            client.produce(progress_topic(event.learner), event.to_json(), key=event.learner.encode(),
                           on_delivery=_logged)
            client.poll(0)
        except Exception as err:  # never the learner's problem: the board misses one event
            log.info("Progress event not sent (%s): %s", event, err)

    def flush(self, timeout: float) -> int:
        return self._producer.flush(timeout) if self._producer is not None else 0


def _logged(err, msg) -> None:
    if err is not None:
        log.info("Progress event not delivered: %s", err.str())


_publisher = _Publisher()


def workshop_mode() -> bool:
    """True when this process belongs to a learner of a workshop (learner and cluster both set)."""
    try:
        return bool(current_learner() and env_bootstrap())
    except Exception:
        return False


def report(chapter: int, check: str, passed: bool) -> None:
    """Publish one event for the current learner; a no-op outside a workshop. Never raises."""
    if not workshop_mode():
        return
    _publisher.publish(ProgressEvent(current_learner(), chapter, check, passed, time.time()))


def report_check(exercise: str, passed: bool) -> None:
    try:
        report(chapter_of(exercise), exercise, passed)
    except ValueError:
        log.info("No chapter in exercise id %r: no progress event.", exercise)


def chapter_done(chapter: int) -> None:
    """Called by a chapter's last cell, once everything before it ran."""
    report(chapter, CHAPTER_END, True)


def flush(timeout: float = FLUSH_AT_EXIT_S) -> int:
    """Wait up to `timeout` s for queued events; returns how many are still queued."""
    return _publisher.flush(timeout)
