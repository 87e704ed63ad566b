"""The retry policy and the one deadline helper, without a broker (a fake clock)."""
from __future__ import annotations

import time

import pytest

from helpers.client.deadline import Deadline
from helpers.client.errors import CodealongError
from helpers.client.retry import RetryPolicy


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_backoff_doubles_up_to_its_ceiling_then_gives_up():
    clock = FakeClock()
    policy = RetryPolicy(max_retries=4, window_s=60, backoff_s=(0.5, 2.0), clock=clock)
    assert [policy.failed() for _ in range(4)] == [0.5, 1.0, 2.0, 2.0]
    assert policy.failed() is None  # the fifth failure within the window gives up


def test_failures_older_than_the_window_are_forgotten():
    clock = FakeClock()
    policy = RetryPolicy(max_retries=2, window_s=10, backoff_s=(1, 8), clock=clock)
    assert policy.failed() == 1 and policy.failed() == 2
    clock.now += 11  # both are now outside the window
    assert policy.recent_failures == 0
    assert policy.failed() == 1  # the backoff starts over too


def test_zero_retries_gives_up_at_the_first_failure():
    assert RetryPolicy(max_retries=0, clock=FakeClock()).failed() is None


@pytest.mark.parametrize("args", [(-1, 60, (0.1, 1)), (3, 0, (0.1, 1)), (3, 60, (2, 1))])
def test_unusable_policies_are_refused(args):
    with pytest.raises(CodealongError, match="not usable"):
        RetryPolicy(*args)


def test_deadline_remaining_wait_and_until():
    deadline = Deadline(0.3)
    assert 0 < deadline.remaining() <= 0.3 and not deadline.expired()
    assert deadline.until(lambda: False, step=0.05) is False
    assert deadline.expired() and deadline.remaining() == 0 and deadline.remaining(0.5) == 0.5
    assert deadline.wait(1) is False
    began = time.monotonic()
    assert Deadline(5).until(lambda: time.monotonic() - began > 0.1) is True
    assert time.monotonic() - began < 1


def test_reset_forgets_every_failure_so_a_restart_starts_afresh():
    clock = FakeClock()
    policy = RetryPolicy(max_retries=1, window_s=60, backoff_s=(1, 8), clock=clock)
    assert policy.failed() == 1 and policy.failed() is None  # gave up
    policy.reset()
    assert policy.recent_failures == 0
    assert policy.failed() == 1  # the first failure after a reset is retried, with the first backoff
