"""ConsumerWorker: one group member, its state and what it did, and what a caller waits for.

The work is done by collaborators the worker owns: Supervisor (the thread, rebuilds, give-up),
ClientSession (one client's life), Dispatcher (the handler contract), Assignment (rebalances,
positions), Pauses (per-partition retry), DeadLetters (the dead-letter policy) and Inbox (what
wait_for returns).
"""
from __future__ import annotations

import logging
import threading
from collections import deque
from dataclasses import replace
from typing import Callable, ClassVar

from ..config import ConfigError, ConsumerConfig, with_overrides
from ..dead_letter import DeadLetter, DeadLetters
from ..deadline import Deadline
from ..retry import RetryPolicy
from .dispatch import Dispatcher
from .inbox import Inbox
from .messages import DEFAULT_KEEP, AssignmentChange, ErrorReport, WorkerFailed
from .pauses import Pauses
from .rebalance import Assignment
from .session import ClientSession
from .supervisor import WORKERS, Supervisor

log = logging.getLogger(__name__)


class ConsumerWorker:
    """One group member that calls ``handler`` per message (or per batch), under supervision.

    Workers are registered by name: starting a worker whose name is already running stops
    the old one first, so re-running a notebook cell never leaves two members behind.
    """

    running: ClassVar[dict[str, "ConsumerWorker"]] = WORKERS.running

    def __init__(self, config: ConsumerConfig, handler: Callable | str | None = None, *, name: str | None = None,
                 retry: RetryPolicy | None = None, dead_letter: DeadLetter | None = None, keep: int = DEFAULT_KEEP,
                 **overrides):
        """`retry` decides the backoff and when to give up (default: RetryPolicy(); reset at each
        start); `dead_letter` moves a message that failed `after` times to a topic instead (see
        helpers.dead_letter); `keep` bounds how many handled messages wait for `wait_for`;
        `overrides` replace config fields."""
        self.config = with_overrides(config, **overrides)
        if handler is not None:
            self.config = replace(self.config, message_handler=handler)
        self.handler = self.config.resolve_handler()
        self.config.client_settings()  # a missing group or credentials are reported now, not in the thread
        self.name = name or self.config.consumer_group
        self.retry = retry or RetryPolicy()
        if dead_letter is not None and self.config.batch:
            raise ConfigError("A dead-letter topic works per message; this worker's handler takes batches.",
                              "Use batch = false with dead_letter, or handle poison messages in the batch handler.")
        self.dead_letter = dead_letter
        self.errors: deque[ErrorReport] = deque(maxlen=100)
        #: Called with each new state ("starting", "running", "retrying", "failed", "stopped"), from
        #: whichever thread changed it, never while the worker holds its lock.
        self.on_state: Callable[[str], None] | None = None
        self._state = "stopped"
        self._cond = threading.Condition()
        stop = threading.Event()
        self._inbox = Inbox(keep, self._cond)
        self._pauses = Pauses()
        self._dead_letters = (DeadLetters(dead_letter, self.config.connection, self._report, keep)
                              if dead_letter else None)
        self._assignment = Assignment(self.config, self._forget)
        self._dispatcher = Dispatcher(self.config, self.handler, self.retry, self._assignment, self._pauses,
                                      self._inbox, self._dead_letters, self._report,
                                      lambda: self._set_state("retrying"))
        session = ClientSession(self.name, self.config, stop, self._assignment, self._pauses, self._dispatcher,
                                self._dead_letters, self._report, self._set_state)
        self._supervisor = Supervisor(self.name, session.run, stop, self.retry, self._report, self._set_state,
                                      on_exit=lambda: WORKERS.release(self.name, self))

    # ---- what it did --------------------------------------------------------------------------
    @property
    def state(self) -> str:
        return self._state

    @property
    def failure(self) -> WorkerFailed | None:
        """Why the worker gave up (None while it has not)."""
        return self._supervisor.failure

    @property
    def rebuilds(self) -> int:
        """Clients rebuilt after a fatal client error."""
        return self._supervisor.rebuilds

    @property
    def retries(self) -> int:
        """Handler failures retried (seek back, pause, deliver again)."""
        return self._dispatcher.retries

    @property
    def rebalances(self) -> int:
        """Times the group handed this member partitions."""
        return self._assignment.rebalances

    @property
    def assignment_log(self) -> deque[AssignmentChange]:
        """Every partition this member was given or gave up, with the time (a rebalance timeline)."""
        return self._assignment.log

    @property
    def assignment(self) -> list[tuple[str, int]]:
        """The (topic, partition) pairs this member currently owns."""
        return sorted(self._assignment.owned)

    @property
    def dead_lettered(self) -> deque[dict]:
        """Messages moved to the dead-letter topic (dicts, with "attempts" and "error")."""
        return self._dead_letters.moved if self._dead_letters else deque()

    @property
    def dropped(self) -> int:
        """Confirmed messages dropped unread because more than `keep` waited for wait_for()."""
        return self._inbox.dropped

    def __repr__(self) -> str:
        return (f"ConsumerWorker(name={self.name!r}, group={self.config.consumer_group!r}, "
                f"topics={list(self.config.topics)}, state={self.state!r}, retries={self.retries})")

    def _set_state(self, value: str) -> None:
        with self._cond:
            changed = value != self._state
            self._state = value
            self._cond.notify_all()
        if changed and self.on_state is not None:
            try:
                self.on_state(value)
            except Exception:  # an observer's bug must not stop the consumer
                log.exception("Worker %r: the on_state callback failed.", self.name)

    def _report(self, error: Exception, where: str) -> None:
        self.errors.append(ErrorReport(error, where))
        log.error("Worker %r: %s: %s", self.name, where, error)

    def _forget(self, partitions: set[tuple[str, int]]) -> None:
        """Partitions given up: no pause and no failure count carries over to their next owner."""
        self._pauses.forget(partitions)
        if self._dead_letters is not None:
            self._dead_letters.forget(partitions)

    # ---- lifecycle --------------------------------------------------------------------------
    def start(self) -> "ConsumerWorker":
        """Start in the background with a clean retry record; a running worker of the same name (or
        this one) is stopped first. Refuses if that one does not stop in time, rather than run two members."""
        WORKERS.claim(self.name, self)
        self._supervisor.start()
        return self

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop and close the client (committing what was handled). True if it stopped in time.
        Called from inside the handler, it asks the worker to stop once the handler returns."""
        return self._supervisor.stop(timeout)

    def is_alive(self) -> bool:
        return self._supervisor.is_alive()

    @classmethod
    def stop_all(cls, timeout: float = 10.0) -> None:
        WORKERS.stop_all(timeout)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---- waiting ----------------------------------------------------------------------------
    def wait_for_assignment(self, timeout: float = 15.0) -> list[tuple[str, int]]:
        """Wait until the group gave this member partitions; returns them (or [] at the deadline)."""
        Deadline(timeout).until(lambda: self._assignment.owned or not self.is_alive())
        return self.assignment

    def wait_for(self, count: int = 1, timeout: float = 10.0) -> list[dict]:
        """Up to `count` messages the handler confirmed, waiting at most `timeout` seconds.

        Returns fewer if the deadline passes; raises WorkerFailed if the worker gave up.
        Drained messages are removed, so successive calls see new messages.
        """
        taken = self._inbox.take(count, timeout, lambda: self._state == "failed")
        if not taken and self.failure is not None:
            raise self.failure
        return taken
