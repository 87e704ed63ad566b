"""Commit first or process first? A consumer process that dies mid-batch, run for real.

    count = crash_experiment(BOOTSTRAP_SERVERS, "payments", "commit-first")
    count.lost, count.twice      # e.g. 3 lost, 0 seen twice

Each run starts a plain confluent-kafka consumer in another Python process (`python -m
helpers.course.demos.delivery`). It reads batches, commits its position before or after "processing"
them (processing = appending the key to a file, the side effect we can count), and
SIGKILLs itself after a given number of messages: no close, no final commit, as in a
crash. A second process of the same group then reads on from the committed offsets to the
end. Comparing the file with what was sent gives what was lost and what was done twice.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from confluent_kafka import Consumer, KafkaError, TopicPartition

from ...client.config import as_connection
from ...client.deadline import Deadline
from ...client.errors import CLIENT_LOG, CodealongError
from ...client.names import scoped
from ...client.topic_state import partition_offsets, read_messages

MODES = ("commit-first", "process-first")


def _batch(consumer: Consumer, size: int, deadline: Deadline) -> list:
    """The next `size` messages, or fewer at the end of the partition (or the deadline)."""
    batch = []
    while len(batch) < size and not deadline.expired():
        msg = consumer.poll(0.5)
        if msg is None:
            continue
        if msg.error() is not None:
            if msg.error().code() == KafkaError._PARTITION_EOF:
                break
            raise CodealongError(f"The consumer got {msg.error().str()}.", "See the broker's log.")
        batch.append(msg)
    return batch


def consume(bootstrap: str, topic: str, group: str, mode: str, effects: Path, crash_after: int | None,
            batch_size: int = 5, idempotent: bool = False, timeout: float = 30.0) -> None:
    """The consumer under test: plain confluent-kafka, manual commits, one side effect per message."""
    # One static member (group.instance.id): the restarted process takes the dead one's place at
    # once, instead of waiting for the group to notice the crash (session.timeout.ms, 10 s here).
    consumer = Consumer({**as_connection(bootstrap).client_settings(), "group.id": group,
                         "group.instance.id": "the-consumer", "session.timeout.ms": 10000,
                         "auto.offset.reset": "earliest", "enable.auto.commit": False,
                         "enable.partition.eof": True, "logger": CLIENT_LOG})
    done = set(effects.read_text().split()) if idempotent and effects.exists() else set()
    handled, deadline = 0, Deadline(timeout)
    try:
        consumer.subscribe([topic])
        while batch := _batch(consumer, batch_size, deadline):
            if mode == "commit-first":
                consumer.commit(asynchronous=False)  # commits the position AFTER this batch
            for msg in batch:
                key = msg.key().decode()
                if key not in done:  # an idempotent handler skips what it already did
                    with effects.open("a") as out:
                        out.write(key + "\n")
                    if idempotent:
                        done.add(key)
                handled += 1
                if handled == crash_after:
                    os.kill(os.getpid(), signal.SIGKILL)  # a crash: nothing after this line runs
            if mode == "process-first":
                consumer.commit(asynchronous=False)
    finally:
        consumer.close()


@dataclass
class DeliveryCount:
    mode: str
    sent: int
    effects: list[str]     # the side effects, in order, across both processes
    crashed: bool          # the first process died by SIGKILL

    @property
    def lost(self) -> int:
        return self.sent - len(set(self.effects))

    @property
    def twice(self) -> int:
        return sum(n - 1 for n in Counter(self.effects).values())

    def __str__(self) -> str:
        return f"{self.mode:>14}: sent {self.sent}, done {len(self.effects)}, lost {self.lost}, twice {self.twice}"


def _run(where, topic: str, group: str, mode: str, effects: Path, crash_after: int | None, idempotent: bool,
         timeout: float) -> int:
    cmd = [sys.executable, "-m", "helpers.course.demos.delivery", as_connection(where).bootstrap, scoped(topic), group, mode,
           str(effects), "--crash-after", str(crash_after or 0), "--timeout", str(timeout)]
    if idempotent:
        cmd.append("--idempotent")
    return subprocess.run(cmd, timeout=timeout + 15, capture_output=True, text=True).returncode


def crash_experiment(where, topic: str, mode: str, *, crash_after: int = 7, idempotent: bool = False,
                     effects_dir: Path | None = None, timeout: float = 30.0) -> DeliveryCount:
    """Crash one consumer process of a new group after `crash_after` messages, let a second one
    finish, and count. The topic holds the messages already (keys unique, one partition)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    group = scoped(f"delivery-{mode}-{uuid.uuid4().hex[:6]}")
    folder = effects_dir or Path(os.environ.get("TMPDIR", "/tmp"))
    effects = folder / f"{group}.effects"
    effects.unlink(missing_ok=True)
    first = _run(where, topic, group, mode, effects, crash_after, idempotent, timeout)
    second = _run(where, topic, group, mode, effects, None, idempotent, timeout)
    if second != 0:
        raise CodealongError(f"The second consumer process failed (exit {second}).", "Run it by hand to see why.")
    reader = Consumer({**as_connection(where).client_settings(), "group.id": group, "logger": CLIENT_LOG})
    try:
        low, high = reader.get_watermark_offsets(TopicPartition(scoped(topic), 0), timeout=10)
    finally:
        reader.close()
    lines = effects.read_text().split() if effects.exists() else []
    effects.unlink(missing_ok=True)
    return DeliveryCount(mode + (" idempotent" if idempotent else ""), high - low, lines, first == -signal.SIGKILL)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m helpers.course.demos.delivery", description=__doc__.splitlines()[0])
    parser.add_argument("bootstrap")
    parser.add_argument("topic")
    parser.add_argument("group")
    parser.add_argument("mode", choices=MODES)
    parser.add_argument("effects", type=Path)
    parser.add_argument("--crash-after", type=int, default=0)
    parser.add_argument("--idempotent", action="store_true")
    parser.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args(argv)
    consume(args.bootstrap, args.topic, args.group, args.mode, args.effects, args.crash_after or None,
            idempotent=args.idempotent, timeout=args.timeout)


if __name__ == "__main__":
    main()


# ---- the same crash inside a notebook: exercise 11.4 ----------------------------------------
class Crash(Exception):
    """A simulated crash: raised by CrashTest.process while it handles a message."""


MARKER_KEY = b"crash-test"  # the key of the scenario's own records among the effects


class CrashTest:
    """Crash a consumer loop written in the notebook, restart it, and count what it lost or did twice.

        crash_test = CrashTest(BOOTSTRAP_SERVERS, "invoices", "invoices.done", group="invoicers")
        process = crash_test.process     # the loop's handler: one effect per message
        crash_test.run(run_consumer)     # run_consumer(): one life of the consumer, start to end

    `process` writes the message's key to the effects topic (a side effect the broker keeps), and
    in the first life raises Crash when it begins the (crash_after + 1)th message, before its
    effect. `run` starts the group from scratch (no committed offsets), runs one life to the crash
    and a second to the end, and marks each step in the effects topic (key "crash-test"), so that
    a check can read the last run from the broker alone."""

    def __init__(self, where, topic: str, effects_topic: str, group: str, crash_after: int = 7):
        from ...client.producer import SyncProducer

        self.where, self.topic, self.effects_topic, self.group = where, topic, effects_topic, group
        self.crash_after, self.armed, self.handled = crash_after, False, 0
        self.report: CrashReport | None = None  # the last run's count
        self._producer = SyncProducer(endpoints=[as_connection(where).bootstrap])

    def process(self, msg) -> None:
        """Handle one message (a confluent-kafka Message): its key goes to the effects topic."""
        if self.armed and self.handled == self.crash_after:
            self.armed = False
            raise Crash(f"simulated crash while processing {msg.key().decode()} (offset {msg.offset()})")
        self._producer.produce(self.effects_topic, "processed", key=msg.key().decode())
        self.handled += 1

    def _mark(self, step: str) -> None:
        self._producer.produce(self.effects_topic, step, key=MARKER_KEY.decode())

    def run(self, life) -> None:
        from ..exercises.framework import _forget_group

        _forget_group(self.where, scoped(self.group))
        self._mark("begin")
        start = {p: high for p, (low, high) in (partition_offsets(self.where, self.effects_topic) or {}).items()}
        self.armed, self.handled = True, 0
        try:
            life()
        except Crash as crash:
            print(f"first life: processed {self.handled}, then crashed ({crash})")
            self._mark("crash")
        else:
            print(f"first life: processed {self.handled} and ended without the crash (was Crash caught?)")
        self.armed, self.handled = False, 0
        life()
        print(f"second life: processed {self.handled}")
        self._mark("end")
        self.report = CrashReport(_keys(self.where, self.topic), _effects(self.where, self.effects_topic, start))
        print(self.report)


@dataclass
class CrashReport:
    sent: list[str]       # the topic's keys, by offset
    effects: list[str]    # the keys processed in the run, in order, both lives

    @property
    def lost(self) -> list[str]:
        return [key for key in self.sent if key not in self.effects]

    @property
    def twice(self) -> list[str]:
        return [key for key, n in Counter(self.effects).items() if n > 1]

    def __str__(self) -> str:
        lost = f"lost {len(self.lost)}" + (f" {self.lost}" if self.lost else "")
        twice = f"done twice {len(self.twice)}" + (f" {self.twice}" if self.twice else "")
        return f"sent {len(self.sent)}, {lost}, {twice}"


def _keys(where, topic: str, start: dict[int, int] | None = None) -> list[str]:
    return [m["key"] for m in read_messages(where, topic, limit=None, start=start, decode="text")]


def _effects(where, effects_topic: str, start: dict[int, int]) -> list[str]:
    return [key for key in _keys(where, effects_topic, start) if key != MARKER_KEY.decode()]
