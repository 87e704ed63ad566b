"""How every exercise's check is tested: untouched, a wrong attempt, an attempt that raises, and a
right one checked twice in a row, each from the exercise's own clean slate."""
from __future__ import annotations

from typing import Callable


def passes(result) -> bool:
    text = str(result)
    assert text.startswith(("✓", "✗")), text  # a verdict, never an exception
    if not result.passed:
        assert "Hint:" in text, text
    return result.passed


def four_ways(check: Callable[[], object], *, start: Callable[[], object], wrong: Callable[[], object],
              raising: Callable[[], object], right: Callable[[], object]) -> None:
    """`start` begins the exercise (its clean slate), the attempts do the learner's part, `check`
    runs the check. `raising` is a learner's attempt whose code raises: the check says "not yet"."""
    start()
    assert not passes(check()), "the untouched exercise must not pass"
    start()
    wrong()
    assert not passes(check()), "a wrong attempt must not pass"
    start()
    try:
        raising()
    except Exception:
        pass
    else:
        raise AssertionError("the raising attempt did not raise")
    assert not passes(check()), "an attempt that raised must not pass"
    start()
    right()
    first, second = check(), check()
    assert passes(first) and passes(second), (first, second)
    assert str(first) == str(second)
