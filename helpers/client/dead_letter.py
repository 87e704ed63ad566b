"""Poison messages: after N failures of one message, put it aside on a dead-letter topic and go on.

    worker = ConsumerWorker(config, handle_message, dead_letter=DeadLetter("orders.dead", after=3))

Without ``dead_letter`` a failing message is retried until the worker's RetryPolicy gives up
(the worker stops; nothing is skipped). With it, the worker's guarantee becomes: every
message is either confirmed by the handler or written, once confirmed by the broker, to the
dead-letter topic, with headers saying why; only then is its offset committed. A dead-letter
write that fails is itself retried like a handler failure, so nothing is lost either way.
Copies can repeat (at least once), like any delivery.

Headers on the copy (besides the message's own): ``dead_letter.error``,
``dead_letter.topic``, ``dead_letter.partition``, ``dead_letter.offset``,
``dead_letter.attempts``.
"""
from __future__ import annotations

from dataclasses import dataclass

from confluent_kafka import Message, Producer

from .config import Connection
from .errors import CLIENT_LOG, CodealongError
from .names import check_topic_name, scoped

HEADER_PREFIX = "dead_letter."


class DeadLetterError(CodealongError):
    """The dead-letter topic did not take the message; it stays uncommitted and is tried again."""


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


class DeadLetterWriter:
    """One idempotent producer per worker; each write waits for the broker's acknowledgement."""

    def __init__(self, policy: DeadLetter, connection: Connection):
        self.policy = policy
        self._producer = Producer({**connection.client_settings(), "enable.idempotence": True,
                                   "logger": CLIENT_LOG})

    def write(self, msg: Message, error: str, attempts: int, timeout: float = 10.0) -> None:
        outcome: list = []
        self._producer.produce(self.policy.topic, value=msg.value(), key=msg.key(),
                               headers=dead_letter_headers(msg, error, attempts),
                               on_delivery=lambda err, _: outcome.append(err))
        self._producer.flush(timeout)
        if not outcome or outcome[0] is not None:
            cause = outcome[0].str() if outcome else f"no answer within {timeout:g} s"
            raise DeadLetterError(f"Writing {msg.topic()}[{msg.partition()}]@{msg.offset()} to the dead-letter "
                                  f"topic {self.policy.topic!r} failed: {cause}.",
                                  f"Create {self.policy.topic!r} (and allow writes to it); the message stays "
                                  "uncommitted and is tried again.")

    def close(self, timeout: float = 5.0) -> None:
        self._producer.flush(timeout)
