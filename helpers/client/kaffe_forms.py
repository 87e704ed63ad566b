"""Kaffe's call forms on top of SyncProducer's explicit API (``produce`` and ``produce_batch``):
the five ``produce_sync`` forms, and ``produce_many`` for long lists with a progress bar."""
from __future__ import annotations

import types
from typing import Iterator

from tqdm.auto import tqdm

from .diagnosis import Delivery, ProduceError
from .errors import CodealongError


def _is_messages(arg) -> bool:
    """A list, tuple, generator or iterator of messages (never a str or bytes payload)."""
    return isinstance(arg, (list, tuple, types.GeneratorType, Iterator))


def _is_partition(arg) -> bool:
    return isinstance(arg, int) and not isinstance(arg, bool)


class KaffeForms:
    """Mixed into SyncProducer, which provides ``produce``, ``produce_batch`` and ``config``."""

    def produce_sync(self, *args, headers=None):
        """Send and wait for the acknowledgement. The forms, as in Kaffe:

        - ``produce_sync(topic, [(key, value), ...])``      -> list[Delivery]
        - ``produce_sync(key, value)``                       -> Delivery, to the first configured topic
        - ``produce_sync(topic, partition, [(key, value)])``  -> list[Delivery]
        - ``produce_sync(topic, key, value)``                -> Delivery
        - ``produce_sync(topic, partition, key, value)``     -> Delivery

        Messages may be a list, tuple or generator, each may carry its own headers as
        ``(key, value, headers)``; ``headers=`` applies to every message of the call. An
        explicit partition skips the partition strategy.
        """
        if len(args) == 2 and _is_messages(args[1]):
            return self.produce_batch(args[0], args[1], headers=headers)
        if len(args) == 2:
            if not self.config.topics:
                raise CodealongError("produce_sync(key, value) sends to the first configured topic, but no "
                                     "topics are configured.", "Pass topics=[...] to SyncProducer, or name the "
                                     "topic: produce_sync(topic, key, value).")
            return self.produce(self.config.topics[0], args[1], key=args[0], headers=headers)
        if len(args) == 3 and _is_partition(args[1]) and _is_messages(args[2]):
            return self.produce_batch(args[0], args[2], partition=args[1], headers=headers)
        if len(args) == 3:
            return self.produce(args[0], args[2], key=args[1], headers=headers)
        if len(args) == 4:
            return self.produce(args[0], args[3], key=args[2], partition=args[1], headers=headers)
        raise TypeError("produce_sync takes (topic, messages), (key, value), (topic, partition, messages), "
                        "(topic, key, value) or (topic, partition, key, value)")

    def produce_many(self, topic: str, messages, chunk: int = 100, progress: bool = True) -> list[Delivery]:
        """Send many (key, value) pairs, `chunk` per acknowledged call, with a progress bar.

        On a failure the ProduceError's ``delivered`` lists everything written before it."""
        messages = list(messages)
        deliveries: list[Delivery] = []
        with tqdm(total=len(messages), unit="msg", desc=f"sending to {topic}", disable=not progress) as bar:
            for start in range(0, len(messages), chunk):
                part = messages[start:start + chunk]
                try:
                    deliveries.extend(self.produce_batch(topic, part))
                except ProduceError as err:
                    err.delivered = deliveries + err.delivered
                    raise
                bar.update(len(part))
        return deliveries
