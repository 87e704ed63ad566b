"""Waiting for a group's rebalance to settle among several workers."""
from __future__ import annotations

from ..deadline import Deadline
from .worker import ConsumerWorker


def wait_for_split(workers: list[ConsumerWorker], partitions: int | None = None,
                   timeout: float = 15.0, idle: int = 0) -> dict[str, list[tuple[str, int]]]:
    """Wait until the group's rebalance settled among these workers: all but `idle` of them own
    partitions, none is owned twice, and (if given) `partitions` are owned in all. Returns name ->
    partitions (as they stand at the deadline, if it never settled). `idle`: members beyond the
    partition count, which own nothing once the group settled."""
    def settled():
        split = {worker.name: worker.assignment for worker in workers}
        owned = [p for assigned in split.values() for p in assigned]
        empty = sum(1 for assigned in split.values() if not assigned)
        done = empty == idle and len(owned) == len(set(owned)) and partitions in (None, len(owned))
        return split if done else None

    return Deadline(timeout).until(settled) or {worker.name: worker.assignment for worker in workers}
