"""The messages a handler confirmed, waiting for the caller's wait_for()."""
from __future__ import annotations

import threading
from collections import deque
from typing import Callable

from ..deadline import Deadline


class Inbox:
    """Keeps the newest `keep` confirmed messages until the caller takes them. When nobody takes
    them, the oldest are dropped and counted in `dropped`, so memory stays bounded."""

    def __init__(self, keep: int, cond: threading.Condition):
        self._cond = cond  # shared with the worker's state, so a waiter also wakes when it fails
        self._messages: deque[dict] = deque(maxlen=keep)
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._messages)

    def add(self, messages: list[dict]) -> None:
        with self._cond:
            self.dropped += max(0, len(self._messages) + len(messages) - self._messages.maxlen)
            self._messages.extend(messages)
            self._cond.notify_all()

    def take(self, count: int, timeout: float, stop_waiting: Callable[[], bool]) -> list[dict]:
        """Up to `count` messages, waiting at most `timeout` s, or less once `stop_waiting()` is true."""
        deadline = Deadline(timeout)
        with self._cond:
            while len(self._messages) < count and not stop_waiting() and not deadline.expired():
                self._cond.wait(deadline.remaining())
            return [self._messages.popleft() for _ in range(min(count, len(self._messages)))]
