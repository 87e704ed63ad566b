"""The checks of Chapter 6: the playground's form and view, and a group's lag."""
from __future__ import annotations

from ...client.names import scoped
from ..figures.lag import partition_lag
from .framework import (MISSING, CheckResult, _answer_is, _checked, _committed, _done, _messages_since, _not_yet,
                        _partitions, _text, prediction, started)


@_checked("6.1", "Set form.key.value, then call form.send() (what the Send button does) five times.")
def keyed_sends(where, topic: str, key: str, at_least: int = 5) -> CheckResult:
    """At least `at_least` messages with `key` were written to the topic after the exercise began."""
    slate = started("6.1")
    count = sum(1 for m in _messages_since(slate, topic) if _text(m["key"]) == key)
    if count < at_least:
        return _not_yet("6.1", f"Since the exercise began, {scoped(topic)!r} got {count} message(s) with key "
                        f"{key!r}, not {at_least}.", f"form.key.value = {key!r}; then form.send(), {at_least} times.")
    return _done("6.1", f"{count} messages with key {key!r} were written to {scoped(topic)!r}.")


@_checked("6.2", "state = view.refresh() reads the topic now; add up next_offset - first_offset over "
                 "state.partitions.")
def message_total(where, topic: str, answer) -> CheckResult:
    """`answer` is how many messages the topic holds now (the exercise's first cell added some)."""
    started("6.2")
    offsets = _partitions(where, topic)
    if offsets is None:
        return _not_yet("6.2", f"There is no topic {scoped(topic)!r}.", "Run the chapter's cells from the top.")
    actual = sum(high - low for low, high in offsets.values())
    return _answer_is("6.2", "total", answer, actual, f"{scoped(topic)!r} holds {actual} message(s) now",
                      "Refresh the TopicView and add up its partitions.",
                      "Refresh AFTER the exercise's first cell (it sent more), and sum over every partition.",
                      f"total is what {scoped(topic)!r} holds now.")


def _lags(where, group: str, topic: str, offsets: dict) -> dict[int, tuple[int, int | None, int]]:
    """partition -> (log start, committed or None, end) as the broker has them now."""
    committed = _committed(where, group, topic, offsets)
    return {p: (low, committed.get(p), high) for p, (low, high) in offsets.items()}


@_checked("6.3", "predict(\"6.3\", lag=...) before the cell that measures it; lag = end offset - committed "
                 "offset, per partition, summed.")
def lag_prediction(where, group: str, topic: str) -> CheckResult:
    """The predicted total lag equals the group's lag on the broker (end - committed, summed)."""
    started("6.3")
    guess = prediction("6.3").get("lag", MISSING)
    group, topic = scoped(group), scoped(topic)
    offsets = _partitions(where, topic)
    if offsets is None:
        return _not_yet("6.3", f"There is no topic {topic!r}.", "Run the exercise's first cell: it makes the scenario.")
    state = _lags(where, group, topic, offsets)
    truth = sum(partition_lag(*measured) for measured in state.values())
    if guess != truth:
        parts = "; ".join(f"partition {p}: end {high} - committed {committed} = {partition_lag(low, committed, high)}"
                          for p, (low, committed, high) in sorted(state.items()))
        return _not_yet("6.3", f"You predicted lag {guess!r}; the broker says {truth} ({parts}). The committed "
                        "offset is the NEXT offset to read (the last processed + 1), and messages written after "
                        "the commit count too.",
                        "Begin the exercise again, work out end - committed for each partition, add them up, "
                        "predict, then run the cell that measures it.")
    return _done("6.3", f"Lag {truth}: the end offsets minus the committed ones, summed over the partitions.")


__all__ = [name for name, value in list(globals().items())
           if callable(value) and getattr(value, "__module__", None) == __name__ and not name.startswith("_")]
