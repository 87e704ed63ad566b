"""When a message fails: how long to wait before it is delivered again, and when to give up.

    policy = RetryPolicy(max_retries=5, window_s=60, backoff_s=(0.2, 5.0))
    pause = policy.failed()      # seconds to wait before the next attempt, or None: give up

The consumer asks the policy after every handler failure (and after a fatal client error),
and resets it at every start: a restarted worker begins with a clean record. The policy never
needs a broker, so it is tested on its own with a fake clock.
"""
from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

from .errors import CodealongError


@dataclass
class RetryPolicy:
    """At most `max_retries` retries within any `window_s` seconds; the pause before each grows
    from backoff_s[0], doubling, up to backoff_s[1]. The failure after that gives up."""
    max_retries: int = 5
    window_s: float = 60.0
    backoff_s: tuple[float, float] = (0.2, 5.0)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)

    def __post_init__(self):
        low, high = self.backoff_s
        if self.max_retries < 0 or self.window_s <= 0 or not 0 <= low <= high:
            raise CodealongError(f"RetryPolicy({self.max_retries}, {self.window_s}, {self.backoff_s}) is not usable.",
                                 "Use max_retries >= 0, window_s > 0 and backoff_s=(low, high) with 0 <= low <= high.")
        self._recent: deque[float] = deque()

    @property
    def recent_failures(self) -> int:
        """Failures inside the current window."""
        self._forget_old(self.clock())
        return len(self._recent)

    def _forget_old(self, now: float) -> None:
        while self._recent and now - self._recent[0] > self.window_s:
            self._recent.popleft()

    def reset(self) -> None:
        """Forget every failure recorded so far (a worker's fresh start)."""
        self._recent.clear()

    def failed(self) -> float | None:
        """Record a failure now; return the pause before retrying, or None to give up."""
        now = self.clock()
        self._forget_old(now)
        self._recent.append(now)
        if len(self._recent) > self.max_retries:
            return None
        return self.backoff(len(self._recent))

    def backoff(self, attempt: int) -> float:
        """The pause before retry number `attempt` (1, 2, ...), without recording a failure."""
        return min(self.backoff_s[1], self.backoff_s[0] * 2 ** (max(attempt, 1) - 1))

    def describe(self) -> str:
        return f"{self.max_retries} retries within {self.window_s:g} s"
