"""A supervised consumer in Kaffe's style: it calls your handler for every message and
commits only what the handler confirmed.

    def handle_message(message):          # a dict: topic, partition, offset, key, value,
        print(f"{message['key']}: {message['value']}")   # headers, ts, ts_type
        return OK                         # confirm; anything else is an error

    worker = ConsumerWorker(config, handle_message).start()
    worker.wait_for(1, timeout=10)        # what the handler confirmed, drained by the caller
    worker.stop()

One client per worker, for its whole life. If the handler raises (or returns anything but
OK), the worker seeks that partition back to the failed message and pauses it for a
backoff; then the message is delivered again. The other partitions go on meanwhile, and
the group never notices: no rebalance, no pause for the other members. After too many
failures in a window (see RetryPolicy) the worker gives up, leaves the group and says why;
with ``dead_letter=DeadLetter(topic, after=N)`` it instead moves a message that failed N times
to that topic (see helpers.dead_letter) and goes on.
The client is rebuilt only after a fatal client error. Nothing is printed from the
worker's thread; errors go to Python logging and to ``worker.errors``.
"""
from __future__ import annotations

import atexit
import logging
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field, replace
from typing import Any, Callable, ClassVar

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition

from .config import ConfigError, ConsumerConfig, with_overrides
from .dead_letter import DeadLetter, DeadLetterError, DeadLetterWriter
from .deadline import Deadline
from .diagnosis import FIXES
from .errors import CLIENT_LOG, CodealongError
from .retry import RetryPolicy

log = logging.getLogger(__name__)

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
    """The message handler raised or broke its contract; the message will be delivered again."""


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


def _where(msg: Message) -> str:
    return f"{msg.topic()}[{msg.partition()}]@{msg.offset()}"


class _GaveUp(Exception):
    """Raised inside the worker's thread when the retry policy says stop."""


class ConsumerWorker:
    """One group member that calls ``handler`` per message (or per batch), under supervision.

    Workers are registered by name: starting a worker whose name is already running stops
    the old one first, so re-running a notebook cell never leaves two members behind.
    """

    running: ClassVar[dict[str, "ConsumerWorker"]] = {}
    _registry_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, config: ConsumerConfig, handler: Callable | str | None = None, *, name: str | None = None,
                 retry: RetryPolicy | None = None, dead_letter: DeadLetter | None = None, keep: int = DEFAULT_KEEP,
                 **overrides):
        """`retry` decides the backoff and when to give up (default: RetryPolicy()); `dead_letter`
        moves a message that failed `after` times to a topic instead (see helpers.dead_letter);
        `keep` bounds how many handled messages wait for `wait_for`; `overrides` replace config fields."""
        self.config = with_overrides(config, **overrides)
        if handler is not None:
            self.config = replace(self.config, message_handler=handler)
        self.handler = self.config.resolve_handler()
        self.config.client_settings()  # a missing group or credentials are reported now, not in the thread
        self.name = name or self.config.consumer_group
        self.retry = retry or RetryPolicy()
        if dead_letter is not None and self.config.batch:
            raise ConfigError("A dead-letter topic works per message; this worker's handler takes batches.",
                              "Use batch = false with dead_letter, or handle poison messages in the batch handler.")
        self.dead_letter = dead_letter
        #: Messages moved to the dead-letter topic (dicts, with "attempts" and "error").
        self.dead_lettered: deque[dict] = deque(maxlen=keep)
        self._attempts: dict[tuple[str, int, int], int] = {}  # failures per message, with dead_letter
        self.errors: deque[ErrorReport] = deque(maxlen=100)
        self.retries = 0      # handler failures retried (seek back, pause, deliver again)
        self.rebuilds = 0     # clients rebuilt after a fatal client error
        self.rebalances = 0   # times the group handed this member partitions
        #: Called with each new state ("starting", "running", "retrying", "failed", "stopped"), from
        #: whichever thread changed it, never while the worker holds its lock.
        self.on_state: Callable[[str], None] | None = None
        self._state = "stopped"
        self.failure: WorkerFailed | None = None
        self._handled: deque = deque(maxlen=keep)
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._assignment: set[tuple[str, int]] = set()
        self._paused: dict[tuple[str, int], tuple[float, int]] = {}  # partition -> (resume at, offset)
        self._positions: dict[tuple[str, int], int] = {}  # next offset to handle, per partition
        self._reported_client_errors: set[str] = set()
        #: Every partition this member was given or gave up, with the time (a rebalance timeline).
        self.assignment_log: deque[AssignmentChange] = deque(maxlen=1000)

    @property
    def state(self) -> str:
        return self._state

    def _set_state(self, value: str) -> None:
        with self._cond:
            changed = value != self._state
            self._state = value
            self._cond.notify_all()
        if changed and self.on_state is not None:
            try:
                self.on_state(value)
            except Exception:  # an observer's bug must not stop the consumer
                log.exception("Worker %r: the on_state callback failed.", self.name)

    def __repr__(self) -> str:
        return (f"ConsumerWorker(name={self.name!r}, group={self.config.consumer_group!r}, "
                f"topics={list(self.config.topics)}, state={self.state!r}, retries={self.retries})")

    # ---- lifecycle --------------------------------------------------------------------------
    def start(self) -> "ConsumerWorker":
        """Start in the background; a running worker of the same name (or this one) is stopped
        first. Refuses if that one does not stop in time, rather than run two members."""
        with self._registry_lock:
            previous = self.running.get(self.name)
        for old in dict.fromkeys([previous, self]):
            if old is not None and old.is_alive():
                log.info("Stopping the running worker %r before starting its replacement.", old.name)
                if not old.stop():
                    raise CodealongError(
                        f"Worker {old.name!r} did not stop within its deadline (its handler is still busy), so "
                        "no second member is started beside it.",
                        "Wait for the handler to return, then start again; `worker.errors` shows what happened.")
        with self._registry_lock:
            self.running[self.name] = self
        self._stop.clear()
        self.failure = None
        self._set_state("starting")
        self._thread = threading.Thread(target=self._supervise, name=f"consumer-{self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop and close the client (committing what was handled). True if it stopped in time.
        Called from inside the handler, it asks the worker to stop once the handler returns."""
        self._stop.set()
        thread = self._thread
        if thread is None or thread is threading.current_thread():
            return True
        thread.join(timeout)
        if thread.is_alive():
            log.warning("Worker %r did not stop within %g s.", self.name, timeout)
            return False
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
        return sorted(self._assignment)

    def wait_for_assignment(self, timeout: float = 15.0) -> list[tuple[str, int]]:
        """Wait until the group gave this member partitions; returns them (or [] at the deadline)."""
        Deadline(timeout).until(lambda: self._assignment or not self.is_alive())
        return self.assignment

    # ---- what the handler confirmed ---------------------------------------------------------
    def wait_for(self, count: int = 1, timeout: float = 10.0) -> list[dict]:
        """Up to `count` messages the handler confirmed, waiting at most `timeout` seconds.

        Returns fewer if the deadline passes; raises WorkerFailed if the worker gave up.
        Drained messages are removed, so successive calls see new messages.
        """
        deadline = Deadline(timeout)
        with self._cond:
            while len(self._handled) < count and self._state != "failed" and not deadline.expired():
                self._cond.wait(deadline.remaining())
            taken = [self._handled.popleft() for _ in range(min(count, len(self._handled)))]
        if not taken and self.failure is not None:
            raise self.failure
        return taken

    def _record(self, messages: list[dict]) -> None:
        with self._cond:
            self._handled.extend(messages)
            self._cond.notify_all()

    def _report(self, error: Exception, where: str) -> None:
        self.errors.append(ErrorReport(error, where))
        log.error("Worker %r: %s: %s", self.name, where, error)

    # ---- supervision ------------------------------------------------------------------------
    def _supervise(self) -> None:
        """The thread: one client until stop; a new one only after a fatal client error."""
        try:
            while not self._stop.is_set():
                try:
                    self._run_client()
                    return
                except _GaveUp as gave_up:
                    self._give_up(str(gave_up))
                    return
                except Exception as err:  # fatal client error: rebuild the client, never silently lost
                    self._report(err, "client")
                    pause = self.retry.failed()
                    if pause is None:
                        self._give_up(getattr(err, "cause", str(err)))
                        return
                    self._set_state("retrying")
                    if self._stop.wait(pause):
                        return
                    self.rebuilds += 1
                    log.info("Worker %r: new client after a fatal error (rebuild %d).", self.name, self.rebuilds)
        finally:
            with self._registry_lock:
                if self.running.get(self.name) is self:
                    del self.running[self.name]
            if self._state != "failed":
                self._set_state("stopped")

    def _give_up(self, last_error: str) -> None:
        self.failure = WorkerFailed(
            f"Worker {self.name!r} gave up after {self.retry.describe()}; last error: {last_error}",
            "Fix the cause in the log above (`worker.errors`), then start the worker again; "
            "unconfirmed messages are delivered again.")
        log.error("%s", self.failure)
        self._set_state("failed")

    def _run_client(self) -> None:
        # client.id names this member in the group's description (the topic view shows it).
        settings = {**self.config.client_settings(), "client.id": self.name, "error_cb": self._on_client_error}
        consumer = Consumer(settings, logger=CLIENT_LOG)
        self._paused.clear()
        dead_letters = DeadLetterWriter(self.dead_letter, self.config.connection) if self.dead_letter else None
        try:
            consumer.subscribe(list(self.config.topics), on_assign=self._on_assign, on_revoke=self._on_revoke,
                               on_lost=self._on_revoke)
            self._set_state("running")
            while not self._stop.is_set():
                self._resume_due(consumer)
                first = consumer.poll(0.2)  # wait for one message at most 0.2 s (so stop() is prompt)
                if first is None:
                    continue
                # Then take what is already fetched, without waiting, up to max_batch_size.
                messages = [first, *consumer.consume(self.config.max_batch_size - 1, timeout=0)]
                good = [m for m in messages if not self._is_event(m)]
                if self.config.batch:
                    self._handle_batches(consumer, good)
                else:
                    self._handle_each(consumer, good, dead_letters)
        finally:
            if dead_letters is not None:
                dead_letters.close()
            self._assignment.clear()
            consumer.close()  # commits the offsets stored for confirmed messages; leaves the group

    # ---- failures: seek back, pause, resume -------------------------------------------------
    def _retry_later(self, consumer: Consumer, topic: str, partition: int, offset: int, error: CodealongError,
                     where: str, attempt: int | None = None) -> None:
        """Deliver `offset` of this partition again after the policy's pause; other partitions go on.
        `attempt` (with a dead-letter topic): the pause grows per message, and the worker never gives up."""
        self._report(error, where)
        pause = self.retry.failed() if attempt is None else self.retry.backoff(attempt)
        if pause is None:
            raise _GaveUp(error.cause)
        self.retries += 1
        tp = TopicPartition(topic, partition, offset)
        consumer.pause([tp])
        consumer.seek(tp)
        self._paused[(topic, partition)] = (time.monotonic() + pause, offset)
        self._set_state("retrying")

    def _resume_due(self, consumer: Consumer) -> None:
        if not self._paused:
            return
        now = time.monotonic()
        for (topic, partition), (resume_at, offset) in list(self._paused.items()):
            if resume_at <= now:
                tp = TopicPartition(topic, partition, offset)
                consumer.seek(tp)  # again: what was fetched before the pause must not move the position
                consumer.resume([tp])
                del self._paused[(topic, partition)]
        if not self._paused:
            self._set_state("running")

    def _on_assign(self, consumer, partitions) -> None:
        if self.config.auto_offset_reset() == "latest" and partitions:
            # librdkafka resolves "latest" lazily, at its first fetch: a message produced in
            # between would be skipped. Pin the start now, so that "assigned" means "sees
            # everything produced from here on". Committed offsets still win. After a client
            # rebuild, a partition that never committed resumes where this worker was.
            committed = consumer.committed(partitions, timeout=10)
            for partition, done in zip(partitions, committed):
                if done.offset < 0:
                    where = (partition.topic, partition.partition)
                    if where not in self._positions:
                        self._positions[where] = consumer.get_watermark_offsets(partition, timeout=10)[1]
                    partition.offset = self._positions[where]
            if self.config.group_protocol == "consumer":  # KIP-848 hands out only what is new
                consumer.incremental_assign(partitions)
            else:
                consumer.assign(partitions)
        self.rebalances += 1
        self._assignment |= {(p.topic, p.partition) for p in partitions}
        self._log_assignment("assigned", partitions)

    def _log_assignment(self, change: str, partitions) -> None:
        if partitions:
            self.assignment_log.append(AssignmentChange(time.time(), change,
                                                        tuple(sorted((p.topic, p.partition) for p in partitions))))

    def _on_revoke(self, consumer, partitions) -> None:
        self._log_assignment("revoked", partitions)
        for p in partitions:
            self._assignment.discard((p.topic, p.partition))
            self._paused.pop((p.topic, p.partition), None)  # its owner-to-be starts at the committed offset
        if self._attempts:
            gone = {(p.topic, p.partition) for p in partitions}
            self._attempts = {key: n for key, n in self._attempts.items() if key[:2] not in gone}

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
            fix = ("Create the topic first (this client's consumers do not create topics: librdkafka's "
                   "allow.auto.create.topics is false)." if err.code() == KafkaError.UNKNOWN_TOPIC_OR_PART
                   else FIXES.get(err.name(), "See the broker log."))
            self._report(CodealongError(f"{err.str()} ({err.name()})", fix), "subscription")
        return True

    # ---- calling the handler ----------------------------------------------------------------
    def _handle_each(self, consumer: Consumer, messages: list[Message],
                     dead_letters: DeadLetterWriter | None = None) -> None:
        """Call the handler per message and store each confirmed offset. A failure sends its
        partition back to the failed message; the rest of that partition's chunk waits for it."""
        confirmed = []
        try:
            for msg in messages:
                where_key = (msg.topic(), msg.partition())
                if where_key in self._paused:
                    continue  # fetched before its partition went back; it comes again in order
                message = message_dict(msg, self.config.decode)
                problem = self._call(message, msg)
                moved = False  # to the dead-letter topic: committed, but not confirmed by the handler
                if problem is not None and dead_letters is not None:
                    problem = self._dead_letter(dead_letters, msg, message, problem)
                    moved = problem is None
                if problem is not None:
                    # A handler failure below the limit pauses per attempt; a failed dead-letter
                    # write counts against the retry policy (the worker may give up: nothing skipped).
                    attempt = (self._attempts.get((*where_key, msg.offset()))
                               if dead_letters and not isinstance(problem, DeadLetterError) else None)
                    self._retry_later(consumer, msg.topic(), msg.partition(), msg.offset(), problem, _where(msg),
                                      attempt)
                    continue
                self._attempts.pop((*where_key, msg.offset()), None)
                consumer.store_offsets(msg)
                self._positions[where_key] = msg.offset() + 1
                if not moved:
                    confirmed.append(message)
        finally:
            if confirmed:
                self._record(confirmed)

    def _dead_letter(self, writer: DeadLetterWriter, msg: Message, message: dict,
                     problem: HandlerError) -> CodealongError | None:
        """Count this message's failure; at the limit, write it aside (None: move on)."""
        key = (msg.topic(), msg.partition(), msg.offset())
        attempts = self._attempts[key] = self._attempts.get(key, 0) + 1
        if attempts < writer.policy.after:
            return problem
        try:
            writer.write(msg, problem.cause, attempts)
        except CodealongError as err:
            return err
        self._report(problem, f"{_where(msg)} moved to {writer.policy.topic!r} after {attempts} attempt(s)")
        self.dead_lettered.append({**message, "attempts": attempts, "error": problem.cause})
        return None

    def _call(self, message: dict, msg: Message) -> HandlerError | None:
        """Run the handler on one message: None if it confirmed, else the error to report."""
        try:
            result = self.handler(message)
        except Exception as err:
            return HandlerError(f"The handler raised {type(err).__name__}: {err} on {_where(msg)}.",
                                "The message was not committed and will be delivered again after a pause; "
                                "fix the handler if this repeats.")
        if result != OK:
            return HandlerError(
                f"The handler returned {result!r} for {_where(msg)}; it must return OK (\"ok\") to confirm "
                "the message.", "End handle_message with `return OK` (from helpers import OK) once the "
                "message is handled; raise an exception if it could not be.")
        return None

    def _handle_batches(self, consumer: Consumer, messages: list[Message]) -> None:
        by_partition: dict[tuple[str, int], list[Message]] = defaultdict(list)
        for msg in messages:
            if (msg.topic(), msg.partition()) not in self._paused:
                by_partition[(msg.topic(), msg.partition())].append(msg)
        for (topic, partition), batch in by_partition.items():
            dicts = [message_dict(m, self.config.decode) for m in batch]
            where = f"{topic}[{partition}]@{batch[0].offset()}..{batch[-1].offset()}"
            try:
                result = self.handler(dicts)
            except Exception as err:
                self._retry_later(consumer, topic, partition, batch[0].offset(), HandlerError(
                    f"The batch handler raised {type(err).__name__}: {err} on {where}.",
                    "The batch was not committed and will be delivered again."), where)
                continue
            if result == OK:
                commit_to = batch[-1].offset()
            elif result == NO_COMMIT:
                commit_to = None
            elif isinstance(result, CommitUpTo):
                commit_to = result.offset
            else:
                self._retry_later(consumer, topic, partition, batch[0].offset(), HandlerError(
                    f"The batch handler returned {result!r} for {where}.",
                    "Return OK, NO_COMMIT or CommitUpTo(offset)."), where)
                continue
            if commit_to is not None:
                consumer.store_offsets(offsets=[TopicPartition(topic, partition, commit_to + 1)])
                self._positions[(topic, partition)] = commit_to + 1
            self._record(dicts)


# Workers still running when Python exits close their clients, committing what was confirmed.
atexit.register(ConsumerWorker.stop_all)


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
