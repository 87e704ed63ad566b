"""What a handler receives and answers, and the errors and records a worker keeps."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import Message

from ..errors import CodealongError

OK = "ok"                 # the handler's "handled, commit it" (Kaffe's :ok)
NO_COMMIT = "no_commit"   # batch mode: handled, but do not commit ({:ok, :no_commit})

TIMESTAMP_TYPES = {0: "undefined", 1: "create", 2: "append"}
#: Handled messages kept for wait_for() until drained; older ones are dropped (memory stays bounded).
DEFAULT_KEEP = 1000


@dataclass(frozen=True)
class CommitUpTo:
    """Batch mode: commit up to and including this offset ({:ok, offset} in Kaffe)."""
    offset: int


class HandlerError(CodealongError):
    """The message handler raised or broke its contract; the message will be delivered again.
    When the handler raised, its exception is this error's ``__cause__``."""


class WorkerFailed(CodealongError):
    """The worker failed too often and gave up."""


@dataclass
class ErrorReport:
    """One failure the worker survived (or did not): what, on which message, when."""
    error: Exception
    where: str
    at: float = field(default_factory=time.time)

    def __str__(self) -> str:
        return f"{self.where}: {type(self.error).__name__}: {self.error}"


@dataclass(frozen=True)
class AssignmentChange:
    at: float            # time.time()
    change: str          # "assigned" or "revoked"
    partitions: tuple    # ((topic, partition), ...)


def _text(data):
    return None if data is None else data.decode("utf-8", "backslashreplace")


def message_dict(msg: Message, decode: str = "text") -> dict[str, Any]:
    """A confluent-kafka Message as the plain dict a handler receives. (Called per message: kept
    free of per-call closures and comprehensions, it is most of a worker's own cost.)"""
    ts_type, ts = msg.timestamp()
    headers = msg.headers()
    key, value = msg.key(), msg.value()
    if decode == "text":  # inline, not through _text: this runs for every message
        key = None if key is None else key.decode("utf-8", "backslashreplace")
        value = None if value is None else value.decode("utf-8", "backslashreplace")
        headers = [(name, _text(data)) for name, data in headers] if headers else []
    else:
        headers = headers or []
    return {"topic": msg.topic(), "partition": msg.partition(), "offset": msg.offset(), "key": key,
            "value": value, "headers": headers, "ts": ts,
            "ts_type": TIMESTAMP_TYPES.get(ts_type) or str(ts_type)}


def where(msg: Message) -> str:
    """topic[partition]@offset, as errors name a message."""
    return f"{msg.topic()}[{msg.partition()}]@{msg.offset()}"
