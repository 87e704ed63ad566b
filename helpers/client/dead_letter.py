"""Poison messages: after N failures of one message, put it aside on a dead-letter topic and go on.

    worker = ConsumerWorker(config, handle_message, dead_letter=DeadLetter("orders.dead", after=3))

Without ``dead_letter`` a failing message is retried until the worker's RetryPolicy gives up
(the worker stops; nothing is skipped). With it, the worker's guarantee becomes: every
message is either confirmed by the handler or written, once confirmed by the broker, to the
dead-letter topic, with headers saying why; only then is its offset committed. A dead-letter
write that fails (the broker refuses it, or the producer refuses the copy locally, e.g. because
its headers make it too large) is an error on that one message: reported in ``worker.errors``,
not committed, and retried under the RetryPolicy like a handler failure (the worker may give
up; it never skips the message and never rebuilds its client for it). Copies can repeat (at
least once), like any delivery.

Headers on the copy (besides the message's own): ``dead_letter.error``,
``dead_letter.topic``, ``dead_letter.partition``, ``dead_letter.offset``,
``dead_letter.attempts``.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Callable

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from .config import Connection
from .errors import CLIENT_LOG, CodealongError
from .names import check_topic_name, scoped

HEADER_PREFIX = "dead_letter."


class DeadLetterError(CodealongError):
    """The dead-letter topic did not take the message; it stays uncommitted and is tried again.
    `kafka_error`: the client's KafkaError, when the client gave one (else None)."""

    def __init__(self, cause: str, fix: str, kafka_error: KafkaError | None = None):
        super().__init__(cause, fix)
        self.kafka_error = kafka_error


@dataclass(frozen=True)
class DeadLetter:
    """Where poison messages go (`topic`, created beforehand) and after how many failures of one message."""
    topic: str
    after: int = 3

    def __post_init__(self):
        check_topic_name(self.topic)
        if not isinstance(self.after, int) or self.after < 1:
            raise CodealongError(f"DeadLetter(after={self.after!r}): a message must be tried at least once.",
                                 "Use after=1 (no retry) or more.")
        object.__setattr__(self, "topic", scoped(self.topic))


def dead_letter_headers(msg: Message, error: str, attempts: int) -> list[tuple[str, bytes]]:
    """The message's own headers, then why and where from."""
    why = {"error": error, "topic": msg.topic(), "partition": msg.partition(), "offset": msg.offset(),
           "attempts": attempts}
    return [*(msg.headers() or []), *((HEADER_PREFIX + name, str(value).encode()) for name, value in why.items())]


def _where(msg: Message) -> str:
    return f"{msg.topic()}[{msg.partition()}]@{msg.offset()}"


class DeadLetterWriter:
    """One idempotent producer per worker client; each write waits for the broker's acknowledgement.
    Every way a write can fail raises DeadLetterError, never a client exception."""

    def __init__(self, policy: DeadLetter, connection: Connection):
        self.policy = policy
        self._producer: Producer | None = Producer({**connection.client_settings(), "enable.idempotence": True,
                                                    "logger": CLIENT_LOG})

    @property
    def closed(self) -> bool:
        return self._producer is None

    def write(self, msg: Message, error: str, attempts: int, timeout: float = 10.0) -> None:
        outcome: list = []
        try:
            if self._producer is None:
                raise RuntimeError("the dead-letter producer is closed")
            self._producer.produce(self.policy.topic, value=msg.value(), key=msg.key(),
                                   headers=dead_letter_headers(msg, error, attempts),
                                   on_delivery=lambda err, _: outcome.append(err))
            self._producer.flush(timeout)
        except (KafkaException, BufferError, RuntimeError) as err:
            # Refused before the broker saw it: too large once the headers are added, queue full, closed.
            kafka_error = err.args[0] if err.args and isinstance(err.args[0], KafkaError) else None
            cause = kafka_error.str() if kafka_error is not None else str(err)
            raise self._failed(msg, cause, kafka_error) from err
        if not outcome or outcome[0] is not None:
            cause = outcome[0].str() if outcome else f"no answer within {timeout:g} s"
            raise self._failed(msg, cause, outcome[0] if outcome else None)

    def _failed(self, msg: Message, cause: str, kafka_error: KafkaError | None) -> DeadLetterError:
        return DeadLetterError(f"Writing {_where(msg)} to the dead-letter topic {self.policy.topic!r} failed: {cause}.",
                               f"Create {self.policy.topic!r} (and allow writes to it, with room for the message "
                               "plus its dead_letter.* headers); the message stays uncommitted and is tried again.",
                               kafka_error)

    def close(self, timeout: float = 5.0) -> None:
        """Deliver what is pending (at most `timeout` s), then close the producer. Closing twice is harmless."""
        producer, self._producer = self._producer, None
        if producer is not None:
            producer.flush(timeout)
            producer.purge()  # a copy still pending was already reported failed by its write(): close() must not wait
            producer.close()


class DeadLetters:
    """A worker's dead-letter bookkeeping: failures per message, the writer of its current client,
    and the messages moved aside (the newest `keep`, as dicts with "attempts" and "error")."""

    def __init__(self, policy: DeadLetter, connection: Connection, report: Callable[[Exception, str], None],
                 keep: int):
        self.policy, self.connection, self._report = policy, connection, report
        self.moved: deque[dict] = deque(maxlen=keep)
        self._attempts: dict[tuple[str, int, int], int] = {}
        self._writer: DeadLetterWriter | None = None

    def open(self) -> None:
        self._writer = DeadLetterWriter(self.policy, self.connection)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def failed(self, msg: Message, message: dict, problem: CodealongError) -> CodealongError | None:
        """Count this message's failure; at the limit, write it aside. None: it was moved, go on;
        else the error to retry it for (the handler's, or the DeadLetterError of the write)."""
        key = (msg.topic(), msg.partition(), msg.offset())
        attempts = self._attempts[key] = self._attempts.get(key, 0) + 1
        if attempts < self.policy.after:
            return problem
        if self._writer is None:
            self.open()
        try:
            self._writer.write(msg, problem.cause, attempts)
        except DeadLetterError as err:
            return err
        self._report(problem, f"{_where(msg)} moved to {self.policy.topic!r} after {attempts} attempt(s)")
        self.moved.append({**message, "attempts": attempts, "error": problem.cause})
        return None

    def attempts(self, msg: Message) -> int:
        """Failures of this message so far (0 if none)."""
        return self._attempts.get((msg.topic(), msg.partition(), msg.offset()), 0)

    def settled(self, msg: Message) -> None:
        """The message was confirmed or moved: forget its failures."""
        self._attempts.pop((msg.topic(), msg.partition(), msg.offset()), None)

    def forget(self, partitions: set[tuple[str, int]]) -> None:
        """Partitions this member gave up: their next owner counts afresh."""
        self._attempts = {key: n for key, n in self._attempts.items() if key[:2] not in partitions}
