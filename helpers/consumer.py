"""A supervised consumer in Kaffe's style: it calls your handler for every message and
commits only what the handler confirmed.

    def handle_message(message):          # a dict: topic, partition, offset, key, value,
        print(f"{message['key']}: {message['value']}")   # headers, ts, ts_type
        return OK                         # confirm; anything else is an error

    worker = ConsumerWorker(config, handle_message).start()
    worker.wait_for(1, timeout=10)        # what the handler confirmed, drained by the caller
    worker.stop()

Supervision as OTP's one_for_one: if the handler raises (or returns anything but OK), or
the client fails, the worker closes its client without committing that message, waits
(with growing backoff) and starts again, so the message is delivered again. After too
many restarts in a window it gives up and says why. Nothing is printed from the worker's
thread; errors go to Python logging and to ``worker.errors``.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field, replace
from typing import Any, Callable, ClassVar

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition

from .config import ConsumerConfig, with_overrides
from .errors import CLIENT_LOG, CodealongError

log = logging.getLogger(__name__)

OK = "ok"                 # the handler's "handled, commit it" (Kaffe's :ok)
NO_COMMIT = "no_commit"   # batch mode: handled, but do not commit ({:ok, :no_commit})

TIMESTAMP_TYPES = {0: "undefined", 1: "create", 2: "append"}


@dataclass(frozen=True)
class CommitUpTo:
    """Batch mode: commit up to and including this offset ({:ok, offset} in Kaffe)."""
    offset: int


class HandlerError(CodealongError):
    """The message handler raised or broke its contract; the message will be delivered again."""


class WorkerFailed(CodealongError):
    """The worker restarted too often and gave up."""


@dataclass
class ErrorReport:
    """One failure the worker survived (or did not): what, on which message, when."""
    error: Exception
    where: str
    at: float = field(default_factory=time.time)

    def __str__(self) -> str:
        return f"{self.where}: {type(self.error).__name__}: {self.error}"


def message_dict(msg: Message, decode: str = "text") -> dict[str, Any]:
    """A confluent-kafka Message as the plain dict a handler receives."""
    ts_type, ts = msg.timestamp()

    def convert(data):
        return data.decode("utf-8", "backslashreplace") if decode == "text" and data is not None else data

    return {"topic": msg.topic(), "partition": msg.partition(), "offset": msg.offset(),
            "key": convert(msg.key()), "value": convert(msg.value()),
            "headers": [(name, convert(value)) for name, value in (msg.headers() or [])],
            "ts": ts, "ts_type": TIMESTAMP_TYPES.get(ts_type, str(ts_type))}


def _where(msg: Message) -> str:
    return f"{msg.topic()}[{msg.partition()}]@{msg.offset()}"


class ConsumerWorker:
    """One group member that calls ``handler`` per message (or per batch), under supervision.

    Workers are registered by name: starting a worker whose name is already running stops
    the old one first, so re-running a notebook cell never leaves two members behind.
    """

    running: ClassVar[dict[str, "ConsumerWorker"]] = {}
    _registry_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, config: ConsumerConfig, handler: Callable | str | None = None, *, name: str | None = None,
                 max_restarts: int = 5, restart_window_s: float = 60.0, backoff_s: tuple[float, float] = (0.2, 5.0),
                 keep: int = 10_000, **overrides):
        self.config = with_overrides(config, **overrides)
        if handler is not None:
            self.config = replace(self.config, message_handler=handler)
        self.handler = self.config.resolve_handler()
        self.name = name or self.config.consumer_group
        self.max_restarts, self.restart_window_s, self.backoff_s = max_restarts, restart_window_s, backoff_s
        self.errors: list[ErrorReport] = []
        self.restarts = 0
        #: Called with each new state ("starting", "running", "restarting", "failed", "stopped"),
        #: from whichever thread changed it; the consumer panel shows it this way.
        self.on_state: Callable[[str], None] | None = None
        self._state = "stopped"
        self.failure: WorkerFailed | None = None
        self._handled: deque = deque(maxlen=keep)
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._assignment: list[tuple[str, int]] = []
        self._positions: dict[tuple[str, int], int] = {}  # next offset to handle, per partition
        self._reported_client_errors: set[str] = set()

    @property
    def state(self) -> str:
        return self._state

    @state.setter
    def state(self, value: str) -> None:
        self._state = value
        if self.on_state is not None:
            try:
                self.on_state(value)
            except Exception:  # an observer's bug must not stop the consumer
                log.exception("Worker %r: the on_state callback failed.", self.name)

    def __repr__(self) -> str:
        return (f"ConsumerWorker(name={self.name!r}, group={self.config.consumer_group!r}, "
                f"topics={list(self.config.topics)}, state={self.state!r}, restarts={self.restarts})")

    # ---- lifecycle --------------------------------------------------------------------------
    def start(self) -> "ConsumerWorker":
        """Start in the background; a running worker of the same name is stopped first."""
        with self._registry_lock:
            previous = self.running.get(self.name)
        if previous is not None and previous.is_alive():
            log.info("Stopping the running worker %r before starting its replacement.", self.name)
            previous.stop()
        with self._registry_lock:
            self.running[self.name] = self
        self._stop.clear()
        self.failure, self.state = None, "starting"
        self._thread = threading.Thread(target=self._supervise, name=f"consumer-{self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop and close the client (committing what was handled). True if it stopped in time."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("Worker %r did not stop within %g s.", self.name, timeout)
                return False
        with self._registry_lock:
            if self.running.get(self.name) is self:
                del self.running[self.name]
        if self.state != "failed":
            self.state = "stopped"
        return True

    def is_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @classmethod
    def stop_all(cls, timeout: float = 10.0) -> None:
        for worker in list(cls.running.values()):
            worker.stop(timeout)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def assignment(self) -> list[tuple[str, int]]:
        """The (topic, partition) pairs this member currently owns."""
        return list(self._assignment)

    def wait_for_assignment(self, timeout: float = 15.0) -> list[tuple[str, int]]:
        """Wait until the group gave this member partitions; returns them (or [] at the deadline)."""
        deadline = time.monotonic() + timeout
        while not self._assignment and time.monotonic() < deadline and self.is_alive():
            time.sleep(0.05)
        return self.assignment

    # ---- what the handler confirmed ---------------------------------------------------------
    def wait_for(self, count: int = 1, timeout: float = 10.0) -> list[dict]:
        """Up to `count` messages the handler confirmed, waiting at most `timeout` seconds.

        Returns fewer if the deadline passes; raises WorkerFailed if the worker gave up.
        Drained messages are removed, so successive calls see new messages.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self._handled) < count and self.state != "failed":
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            taken = [self._handled.popleft() for _ in range(min(count, len(self._handled)))]
        if not taken and self.failure is not None:
            raise self.failure
        return taken

    def _record(self, messages: list[dict]) -> None:
        with self._cond:
            self._handled.extend(messages)
            self._cond.notify_all()

    def _failure(self, cause: str, fix: str, where: str) -> HandlerError:
        """Report a handler failure and return the error to raise (the worker then restarts)."""
        failure = HandlerError(cause, fix)
        self._report(failure, where)
        return failure

    def _report(self, error: Exception, where: str) -> None:
        self.errors.append(ErrorReport(error, where))
        log.error("Worker %r: %s: %s", self.name, where, error)

    # ---- supervision ------------------------------------------------------------------------
    def _supervise(self) -> None:
        recent: deque[float] = deque()
        while not self._stop.is_set():
            try:
                self._run_client()
                return
            except Exception as err:  # a crashed worker is restarted, never silently lost
                now = time.monotonic()
                recent.append(now)
                while recent and now - recent[0] > self.restart_window_s:
                    recent.popleft()
                if not isinstance(err, HandlerError):
                    self._report(err, "client")
                if len(recent) > self.max_restarts:
                    self.failure = WorkerFailed(
                        f"Worker {self.name!r} gave up after {self.max_restarts} restarts within "
                        f"{self.restart_window_s:g} s; last error: {getattr(err, 'cause', err)}",
                        "Fix the cause in the log above (`worker.errors`), then start the worker again; "
                        "unconfirmed messages are delivered again.")
                    log.error("%s", self.failure)
                    with self._cond:
                        self.state = "failed"
                        self._cond.notify_all()
                    return
                self.state = "restarting"
                pause = min(self.backoff_s[1], self.backoff_s[0] * 2 ** (len(recent) - 1))
                if self._stop.wait(pause):
                    return
                self.restarts += 1
                log.info("Worker %r restarting (restart %d).", self.name, self.restarts)

    def _run_client(self) -> None:
        # client.id names this member in the group's description (the topic view shows it).
        settings = {**self.config.client_settings(), "client.id": self.name, "error_cb": self._on_client_error}
        consumer = Consumer(settings, logger=CLIENT_LOG)
        try:
            consumer.subscribe(list(self.config.topics), on_assign=self._on_assign, on_revoke=self._on_revoke)
            self.state = "running"
            while not self._stop.is_set():
                first = consumer.poll(0.2)  # wait for one message at most 0.2 s (so stop() is prompt)
                if first is None:
                    continue
                # Then take what is already fetched, without waiting, up to max_batch_size.
                messages = [first, *consumer.consume(self.config.max_batch_size - 1, timeout=0)]
                good = [m for m in messages if not self._is_event(m)]
                if self.config.batch:
                    self._handle_batches(consumer, good)
                else:
                    self._handle_each(consumer, good)
        finally:
            self._assignment = []
            consumer.close()  # commits the offsets stored for confirmed messages; leaves the group

    def _on_assign(self, consumer, partitions) -> None:
        if self.config.auto_offset_reset() == "latest" and partitions:
            # librdkafka resolves "latest" lazily, at its first fetch: a message produced in
            # between would be skipped. Pin the start now, so that "assigned" means "sees
            # everything produced from here on". Committed offsets still win.
            # After a restart, a partition that has not committed yet resumes where this worker
            # was (the failed message), not at the end: else "latest" would skip that message.
            committed = consumer.committed(partitions, timeout=10)
            for partition, done in zip(partitions, committed):
                if done.offset < 0:
                    where = (partition.topic, partition.partition)
                    if where not in self._positions:
                        self._positions[where] = consumer.get_watermark_offsets(partition, timeout=10)[1]
                    partition.offset = self._positions[where]
            consumer.assign(partitions)
        self._assignment = sorted((p.topic, p.partition) for p in partitions)

    def _on_revoke(self, consumer, partitions) -> None:
        self._assignment = []

    def _on_client_error(self, err: KafkaError) -> None:
        if err.fatal():
            log.error("Worker %r: fatal client error %s", self.name, err)
        else:
            log.warning("Worker %r: client error %s (the client retries by itself)", self.name, err.str())

    def _is_event(self, msg: Message) -> bool:
        err = msg.error()
        if err is None:
            return False
        if err.fatal():
            raise KafkaException(err)
        if err.code() != KafkaError._PARTITION_EOF and err.str() not in self._reported_client_errors:
            self._reported_client_errors.add(err.str())
            fix = (" Create the topic first (consumers do not create topics)."
                   if err.code() == KafkaError.UNKNOWN_TOPIC_OR_PART else "")
            self._report(CodealongError(err.str(), fix.strip() or "See the broker log."), "subscription")
        return True

    def _handle_each(self, consumer: Consumer, messages: list[Message]) -> None:
        """Call the handler per message; store each confirmed offset; stop at the first failure
        (the rest of the chunk is not stored, so it comes again after the restart)."""
        confirmed = []
        try:
            for msg in messages:
                message = message_dict(msg, self.config.decode)
                try:
                    result = self.handler(message)
                except Exception as err:
                    raise self._failure(f"The handler raised {type(err).__name__}: {err} on {_where(msg)}.",
                                        "The message was not committed and will be delivered again after the "
                                        "restart; fix the handler if this repeats.", _where(msg)) from err
                if result != OK:
                    raise self._failure(
                        f"The handler returned {result!r} for {_where(msg)}; it must return OK (\"ok\") to confirm "
                        "the message.", "End handle_message with `return OK` (from helpers import OK) once the "
                        "message is handled; raise an exception if it could not be.", _where(msg))
                consumer.store_offsets(msg)
                self._positions[(msg.topic(), msg.partition())] = msg.offset() + 1
                confirmed.append(message)
        finally:
            if confirmed:
                self._record(confirmed)

    def _handle_batches(self, consumer: Consumer, messages: list[Message]) -> None:
        by_partition: dict[tuple[str, int], list[Message]] = defaultdict(list)
        for msg in messages:
            by_partition[(msg.topic(), msg.partition())].append(msg)
        for (topic, partition), batch in by_partition.items():
            dicts = [message_dict(m, self.config.decode) for m in batch]
            where = f"{topic}[{partition}]@{batch[0].offset()}..{batch[-1].offset()}"
            try:
                result = self.handler(dicts)
            except Exception as err:
                raise self._failure(f"The batch handler raised {type(err).__name__}: {err} on {where}.",
                                    "The batch was not committed and will be delivered again.", where) from err
            if result == OK:
                commit_to = batch[-1].offset()
            elif result == NO_COMMIT:
                commit_to = None
            elif isinstance(result, CommitUpTo):
                commit_to = result.offset
            else:
                raise self._failure(f"The batch handler returned {result!r} for {where}.",
                                    "Return OK, NO_COMMIT or CommitUpTo(offset).", where)
            if commit_to is not None:
                consumer.store_offsets(offsets=[TopicPartition(topic, partition, commit_to + 1)])
                self._positions[(topic, partition)] = commit_to + 1
            self._record(dicts)


def wait_for_split(workers: list[ConsumerWorker], partitions: int | None = None,
                   timeout: float = 15.0) -> dict[str, list[tuple[str, int]]]:
    """Wait until the group's rebalance settled among these workers: each owns partitions,
    none is owned twice, and (if given) `partitions` are owned in all. Returns name ->
    partitions (as they stand at the deadline, if it never settled)."""
    deadline = time.monotonic() + timeout
    while True:
        split = {worker.name: worker.assignment for worker in workers}
        owned = [p for assigned in split.values() for p in assigned]
        settled = all(split.values()) and len(owned) == len(set(owned))
        if (settled and partitions in (None, len(owned))) or time.monotonic() > deadline:
            return split
        time.sleep(0.05)
