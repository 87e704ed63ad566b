"""Choosing a partition for a message, as Kaffe does.

- ``md5`` (Kaffe's default): the sum of the 16 bytes of md5(key), modulo the partition
  count. The same key always lands on the same partition, and on the same one Kaffe picks.
- ``random``: any partition.
- a function ``(topic, partitions_count, key, value) -> int``.
"""
from __future__ import annotations

import hashlib
import importlib
import random
from typing import Callable

from .config import ConfigError

Strategy = Callable[[str, int, "bytes | None", "bytes | None"], int]


def as_bytes(data) -> bytes:
    if data is None:
        return b""  # a missing key hashes like an empty one
    return data.encode() if isinstance(data, str) else bytes(data)


def md5_partition(key, partitions_count: int) -> int:
    return sum(hashlib.md5(as_bytes(key)).digest()) % partitions_count


def random_partition(partitions_count: int) -> int:
    return random.randrange(partitions_count)


def strategy_function(strategy: str | Callable) -> Strategy:
    """The partition function for a strategy name, callable or "module:function"."""
    if callable(strategy):
        return strategy
    if strategy == "md5":
        return lambda topic, count, key, value: md5_partition(key, count)
    if strategy == "random":
        return lambda topic, count, key, value: random_partition(count)
    module, _, name = str(strategy).partition(":")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError):
        raise ConfigError(f"partition_strategy {strategy!r} is not md5, random, or an importable function.",
                          'Use "md5", "random", a callable, or "module:function".') from None


def choose_partition(strategy: Strategy, topic: str, partitions_count: int, key, value) -> int:
    partition = strategy(topic, partitions_count, key, value)
    if not isinstance(partition, int) or not 0 <= partition < partitions_count:
        raise ConfigError(f"The partition strategy returned {partition!r} for topic {topic!r}, which has "
                          f"{partitions_count} partition(s).",
                          f"Return an int from 0 to {partitions_count - 1}.")
    return partition


def partition_counts(keys, partitions_count: int, strategy: str | Callable = "md5") -> list[int]:
    """How many of `keys` each partition would receive under a strategy (no broker needed)."""
    choose = strategy_function(strategy)
    counts = [0] * partitions_count
    for key in keys:
        counts[choose_partition(choose, "", partitions_count, key, None)] += 1
    return counts
