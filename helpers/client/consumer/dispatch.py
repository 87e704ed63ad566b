"""Calling the handler and applying its answer: the contract OK / NO_COMMIT / CommitUpTo.

Per message, a confirmed message's offset is stored (committed by the client); a failure sends
its partition back to the failed message and pauses it for the retry policy's backoff (with a
dead-letter topic, the message may be moved aside instead). Per batch, likewise per partition.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Callable

from confluent_kafka import Consumer, Message, TopicPartition

from ..config import ConsumerConfig
from ..dead_letter import DeadLetterError, DeadLetters
from ..errors import CodealongError
from ..retry import RetryPolicy
from .inbox import Inbox
from .messages import NO_COMMIT, OK, CommitUpTo, HandlerError, message_dict, where
from .pauses import Pauses
from .rebalance import Assignment


class GaveUp(Exception):
    """Raised inside the worker's thread when the retry policy says stop."""


def _raised(error: HandlerError, original: Exception) -> HandlerError:
    error.__cause__ = original  # as `raise error from original` would: the traceback stays reachable
    return error


class Dispatcher:
    """Hands what one poll returned to the handler and applies its answer. `report(error, where)`
    records a failure; `retrying()` is called when a partition was paused for a retry."""

    def __init__(self, config: ConsumerConfig, handler: Callable, retry: RetryPolicy, assignment: Assignment,
                 pauses: Pauses, inbox: Inbox, dead_letters: DeadLetters | None,
                 report: Callable[[Exception, str], None], retrying: Callable[[], None]):
        self.config, self.handler, self.retry = config, handler, retry
        self.assignment, self.pauses, self.inbox, self.dead_letters = assignment, pauses, inbox, dead_letters
        self._report, self._retrying = report, retrying
        self.retries = 0  # handler failures retried (seek back, pause, deliver again)

    def dispatch(self, consumer: Consumer, messages: list[Message]) -> None:
        if self.config.batch:
            self._handle_batches(consumer, messages)
        else:
            self._handle_each(consumer, messages)

    def _retry_later(self, consumer: Consumer, topic: str, partition: int, offset: int, error: CodealongError,
                     where_: str, attempt: int | None = None) -> None:
        """Deliver `offset` of this partition again after the policy's pause; other partitions go on.
        `attempt` (with a dead-letter topic): the pause grows per message, and the worker never gives up."""
        self._report(error, where_)
        pause = self.retry.failed() if attempt is None else self.retry.backoff(attempt)
        if pause is None:
            raise GaveUp(error.cause)
        self.retries += 1
        self.pauses.pause(consumer, topic, partition, offset, pause)
        self._retrying()

    # ---- per message ------------------------------------------------------------------------
    def _handle_each(self, consumer: Consumer, messages: list[Message]) -> None:
        """Call the handler per message; a confirmed message's offset is stored at once, so the
        next auto-commit (about once a second) publishes it even while the chunk goes on. A failure
        sends its partition back to the failed message; the rest of that partition's chunk waits."""
        confirmed, handled = [], {}  # handled: (topic, partition) -> the next offset to commit
        pauses, decode, dead_letters = self.pauses, self.config.decode, self.dead_letters
        try:
            for msg in messages:
                partition = (msg.topic(), msg.partition())
                if pauses and partition in pauses:
                    continue  # fetched before its partition went back; it comes again in order
                message = message_dict(msg, decode)
                problem = self._call(message, msg)
                moved = False  # to the dead-letter topic: committed, but not confirmed by the handler
                if problem is not None and dead_letters is not None:
                    problem = dead_letters.failed(msg, message, problem)
                    moved = problem is None
                if problem is not None:
                    # A handler failure below the limit pauses per attempt; a failed dead-letter
                    # write counts against the retry policy (the worker may give up: nothing skipped).
                    attempt = (dead_letters.attempts(msg)
                               if dead_letters and not isinstance(problem, DeadLetterError) else None)
                    self._retry_later(consumer, msg.topic(), msg.partition(), msg.offset(), problem, where(msg),
                                      attempt)
                    continue
                if dead_letters is not None:
                    dead_letters.settled(msg)
                consumer.store_offsets(offsets=[TopicPartition(msg.topic(), msg.partition(), msg.offset() + 1)])
                handled[partition] = msg.offset() + 1
                if not moved:
                    confirmed.append(message)
        finally:
            # even if the worker gives up mid-chunk: what was confirmed stays confirmed
            for (topic, partition), offset in handled.items():
                self.assignment.handled(topic, partition, offset)
            if confirmed:
                self.inbox.add(confirmed)

    def _call(self, message: dict, msg: Message) -> HandlerError | None:
        """Run the handler on one message: None if it confirmed, else the error to report."""
        try:
            result = self.handler(message)
        except Exception as err:
            return _raised(HandlerError(
                f"The handler raised {type(err).__name__}: {err} on {where(msg)}.",
                "The message was not committed and will be delivered again after a pause; "
                "fix the handler if this repeats."), err)
        if result != OK:
            return HandlerError(
                f"The handler returned {result!r} for {where(msg)}; it must return OK (\"ok\") to confirm "
                "the message.", "End handle_message with `return OK` (from helpers import OK) once the "
                "message is handled; raise an exception if it could not be.")
        return None

    # ---- per batch --------------------------------------------------------------------------
    def _handle_batches(self, consumer: Consumer, messages: list[Message]) -> None:
        """One handler call per partition's chunk; its answer says what to commit."""
        by_partition: dict[tuple[str, int], list[Message]] = defaultdict(list)
        for msg in messages:
            if (msg.topic(), msg.partition()) not in self.pauses:
                by_partition[(msg.topic(), msg.partition())].append(msg)
        for (topic, partition), batch in by_partition.items():
            dicts = [message_dict(m, self.config.decode) for m in batch]
            where_ = f"{topic}[{partition}]@{batch[0].offset()}..{batch[-1].offset()}"
            problem, commit_to = self._call_batch(dicts, where_, batch[-1].offset())
            if problem is not None:
                self._retry_later(consumer, topic, partition, batch[0].offset(), problem, where_)
                continue
            if commit_to is not None:
                consumer.store_offsets(offsets=[TopicPartition(topic, partition, commit_to + 1)])
                self.assignment.handled(topic, partition, commit_to + 1)
            self.inbox.add(dicts)

    def _call_batch(self, dicts: list[dict], where_: str, last: int) -> tuple[HandlerError | None, int | None]:
        """Run the batch handler: (the error, None) or (None, the offset to commit up to, or None)."""
        try:
            result = self.handler(dicts)
        except Exception as err:
            return _raised(HandlerError(f"The batch handler raised {type(err).__name__}: {err} on {where_}.",
                                        "The batch was not committed and will be delivered again."), err), None
        if result == OK:
            return None, last
        if result == NO_COMMIT:
            return None, None
        if isinstance(result, CommitUpTo):
            return None, result.offset
        return HandlerError(f"The batch handler returned {result!r} for {where_}.",
                            "Return OK, NO_COMMIT or CommitUpTo(offset)."), None
