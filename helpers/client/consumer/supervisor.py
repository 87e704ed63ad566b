"""Supervision: the worker's thread, client rebuilds, giving up; and the registry of running workers."""
from __future__ import annotations

import logging
import threading
from typing import Callable

from ..registry import Members
from ..retry import RetryPolicy
from .dispatch import GaveUp
from .messages import WorkerFailed

log = logging.getLogger(__name__)

#: Running workers by name (ConsumerWorker.running): at most one member per name.
WORKERS = Members("Worker")


class Supervisor:
    """Runs `session()` in a thread until `stop` is set. A fatal client error (anything `session`
    raises but GaveUp) is reported and, if the retry policy allows, answered with a new client
    after its pause; else, like GaveUp, the worker gives up: `failure` says why, state "failed"."""

    def __init__(self, name: str, session: Callable[[], None], stop: threading.Event, retry: RetryPolicy,
                 report: Callable[[Exception, str], None], set_state: Callable[[str], None],
                 on_exit: Callable[[], None]):
        self.name, self._session, self._stop, self.retry = name, session, stop, retry
        self._report, self._set_state, self._on_exit = report, set_state, on_exit
        self._thread: threading.Thread | None = None
        self.failure: WorkerFailed | None = None
        self.rebuilds = 0  # clients rebuilt after a fatal client error

    def start(self) -> None:
        self._stop.clear()
        self.failure = None
        self.retry.reset()  # the failures that made the last run give up do not count against this one
        self._set_state("starting")
        self._thread = threading.Thread(target=self._run, name=f"consumer-{self.name}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float) -> bool:
        self._stop.set()
        thread = self._thread
        if thread is None or thread is threading.current_thread():
            return True  # from inside the handler: the thread stops once the handler returns
        thread.join(timeout)
        if thread.is_alive():
            log.warning("Worker %r did not stop within %g s.", self.name, timeout)
            return False
        return True

    def is_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        """The thread: one client until stop; a new one only after a fatal client error."""
        try:
            while not self._stop.is_set():
                try:
                    self._session()
                    return
                except GaveUp as gave_up:
                    self._give_up(str(gave_up))
                    return
                except Exception as err:  # fatal client error: rebuild the client, never silently lost
                    self._report(err, "client")
                    pause = self.retry.failed()
                    if pause is None:
                        self._give_up(getattr(err, "cause", str(err)))
                        return
                    self._set_state("retrying")
                    if self._stop.wait(pause):
                        return
                    self.rebuilds += 1
                    log.info("Worker %r: new client after a fatal error (rebuild %d).", self.name, self.rebuilds)
        finally:
            self._on_exit()
            if self.failure is None:
                self._set_state("stopped")

    def _give_up(self, last_error: str) -> None:
        self.failure = WorkerFailed(
            f"Worker {self.name!r} gave up after {self.retry.describe()}; last error: {last_error}",
            "Fix the cause in the log above (`worker.errors`), then start the worker again; "
            "unconfirmed messages are delivered again.")
        log.error("%s", self.failure)
        self._set_state("failed")
