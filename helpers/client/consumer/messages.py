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


def message_dict(msg: Message, decode: str = "text") -> dict[str, Any]:
    """A confluent-kafka Message as the plain dict a handler receives."""
    ts_type, ts = msg.timestamp()

    def convert(data):
        return data.decode("utf-8", "backslashreplace") if decode == "text" and data is not None else data

    return {"topic": msg.topic(), "partition": msg.partition(), "offset": msg.offset(),
            "key": convert(msg.key()), "value": convert(msg.value()),
            "headers": [(name, convert(value)) for name, value in (msg.headers() or [])],
            "ts": ts, "ts_type": TIMESTAMP_TYPES.get(ts_type, str(ts_type))}


def where(msg: Message) -> str:
    """topic[partition]@offset, as errors name a message."""
    return f"{msg.topic()}[{msg.partition()}]@{msg.offset()}"
