"""One deadline per call: computed once on entry, and every phase of the call gets what is left.

    deadline = Deadline(timeout_s)
    metadata = client.list_topics(topic, timeout=deadline.remaining())
    while not done() and deadline.wait(0.1):   # sleeps at most 0.1 s, False once it expired
        ...
"""
from __future__ import annotations

import time
from typing import Callable


class Deadline:
    """A point in time `seconds` from now (monotonic clock)."""

    def __init__(self, seconds: float):
        self.seconds = float(seconds)
        self.at = time.monotonic() + self.seconds

    def remaining(self, at_least: float = 0.0) -> float:
        """Seconds left, never below `at_least` (a client call given 0 s would not even ask)."""
        return max(at_least, self.at - time.monotonic())

    def expired(self) -> bool:
        return time.monotonic() >= self.at

    def wait(self, step: float) -> bool:
        """Sleep `step` seconds or until the deadline, whichever is first; False if it has expired."""
        left = self.at - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(step, left))
        return True

    def until(self, condition: Callable[[], object], step: float = 0.05):
        """Poll `condition` every `step` s until it is truthy or the deadline passes; its last value."""
        while True:
            value = condition()
            if value or not self.wait(step):
                return value
