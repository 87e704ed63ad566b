"""At most one running member per name: re-running a notebook cell replaces a consumer (or a
share-group member) instead of leaving a second one behind in the group."""
from __future__ import annotations

import logging
import threading

from .errors import CodealongError

log = logging.getLogger(__name__)


class Members:
    """Running members by key. A member has `name`, `is_alive()` and `stop(timeout) -> bool`."""

    def __init__(self, kind: str):
        self.kind = kind            # "Worker", "Share worker": how errors name a member
        self.running: dict = {}     # key -> member
        self._lock = threading.Lock()

    def claim(self, key, member) -> None:
        """Register `member` under `key`, stopping the running member of that key (or `member`
        itself, started again) first. Refuses if that one does not stop in time, rather than
        run two members."""
        with self._lock:
            previous = self.running.get(key)
        for old in dict.fromkeys([previous, member]):
            if old is not None and old.is_alive():
                log.info("Stopping the running %s %r before starting its replacement.", self.kind.lower(), old.name)
                if not old.stop():
                    raise CodealongError(
                        f"{self.kind} {old.name!r} did not stop within its deadline (its handler is still busy), "
                        "so no second member is started beside it.",
                        "Wait for the handler to return, then start again.")
        with self._lock:
            self.running[key] = member

    def release(self, key, member) -> None:
        """Forget `member` (when its thread ends), unless another has taken its key since."""
        with self._lock:
            if self.running.get(key) is member:
                del self.running[key]

    def stop_all(self, timeout: float) -> None:
        for member in list(self.running.values()):
            member.stop(timeout)
