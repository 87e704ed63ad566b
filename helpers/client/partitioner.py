"""Choosing a partition for a message, as Kaffe does.

- ``md5`` (Kaffe's default): the sum of the 16 bytes of md5(key), modulo the partition
  count. The same key always lands on the same partition, and on the same one Kaffe picks.
- ``murmur2``: what Kafka's Java producer picks for a key (positive murmur2 hash, modulo the
  partition count); librdkafka's ``partitioner=murmur2_random`` agrees with it.
- ``random``: any partition.
- ``client``: librdkafka's own partitioner (consistent_random) chooses; fastest, but a key
  does not land where Kaffe's md5 would put it.
- ``murmur2_random``: librdkafka's murmur2_random partitioner chooses: keys land where Java
  puts them (as with ``murmur2``), messages without a key on any partition.
- a function ``(topic, partitions_count, key, value) -> int``, or a "module:function" name.

STRATEGIES is the one list of the names: the config accepts exactly these.
"""
from __future__ import annotations

import hashlib
import importlib
import random
from typing import Callable

from .errors import ConfigError

Strategy = Callable[[str, int, "bytes | None", "bytes | None"], int]


def as_bytes(data) -> bytes:
    if data is None:
        return b""  # a missing key hashes like an empty one
    return data.encode() if isinstance(data, str) else bytes(data)


def md5_partition(key, partitions_count: int) -> int:
    return sum(hashlib.md5(as_bytes(key)).digest()) % partitions_count


def murmur2(data: bytes) -> int:
    """Kafka's 32-bit murmur2 (seed 0x9747b28c), as the Java client's default partitioner uses it."""
    m, length = 0x5BD1E995, len(data)
    h = (0x9747B28C ^ length) & 0xFFFFFFFF
    for i in range(0, length - length % 4, 4):
        k = int.from_bytes(data[i:i + 4], "little") * m & 0xFFFFFFFF
        k = (k ^ (k >> 24)) * m & 0xFFFFFFFF
        h = (h * m & 0xFFFFFFFF) ^ k
    tail = data[length - length % 4:]
    if tail:
        h = (h ^ int.from_bytes(tail, "little")) * m & 0xFFFFFFFF
    h = (h ^ (h >> 13)) * m & 0xFFFFFFFF
    return h ^ (h >> 15)


def murmur2_partition(key, partitions_count: int) -> int:
    """The partition Kafka's Java producer picks for a key (and librdkafka's murmur2_random)."""
    return (murmur2(as_bytes(key)) & 0x7FFFFFFF) % partitions_count


def random_partition(partitions_count: int) -> int:
    return random.randrange(partitions_count)


def _by_md5(topic, count, key, value) -> int:
    return md5_partition(key, count)


def _by_murmur2(topic, count, key, value) -> int:
    return murmur2_partition(key, count)


def _at_random(topic, count, key, value) -> int:
    return random_partition(count)


#: Every strategy name: a function means the helpers choose the partition; a string is the
#: librdkafka `partitioner` setting with which the client chooses it.
STRATEGIES: dict[str, Strategy | str] = {
    "md5": _by_md5,
    "murmur2": _by_murmur2,
    "random": _at_random,
    "client": "consistent_random",  # librdkafka's default
    "murmur2_random": "murmur2_random",
}


def _names() -> str:
    return ", ".join(STRATEGIES)


def client_partitioner(strategy) -> str | None:
    """The librdkafka `partitioner` setting for a strategy the client applies, else None."""
    chosen = STRATEGIES.get(strategy) if isinstance(strategy, str) else None
    return chosen if isinstance(chosen, str) else None


def strategy_function(strategy: str | Callable) -> Strategy | None:
    """The partition function for a strategy name, callable or "module:function"; None when
    librdkafka chooses (see client_partitioner)."""
    if callable(strategy):
        return strategy
    if isinstance(strategy, str) and strategy in STRATEGIES:
        chosen = STRATEGIES[strategy]
        return None if isinstance(chosen, str) else chosen
    module, _, name = str(strategy).partition(":")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError):
        raise ConfigError(f"partition_strategy {strategy!r} is not {_names()}, or an importable function.",
                          f"Use one of {_names()}, a callable, or \"module:function\".") from None


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
    if choose is None:
        raise ConfigError(f"partition_counts cannot tell where librdkafka's {strategy!r} partitioner puts keys.",
                          'Use "murmur2": it puts keys where murmur2_random does.')
    counts = [0] * partitions_count
    for key in keys:
        counts[choose_partition(choose, "", partitions_count, key, None)] += 1
    return counts
