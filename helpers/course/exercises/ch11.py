"""The checks of Chapter 11: delivery and replay."""
from __future__ import annotations

import struct
from collections import Counter
from datetime import datetime, timezone

from confluent_kafka import Consumer, KafkaError, TopicPartition

from ...client.config import as_connection
from ...client.deadline import Deadline
from ...client.errors import CLIENT_LOG
from ...client.names import scoped
from ..demos.delivery import MARKER_KEY
from .framework import CheckResult, _checked, _committed, _done, _messages, _not_yet, _partitions, started


def _since(slate, topic: str) -> list[dict]:
    """The messages written to `topic` after the exercise began, keys, values and headers as text."""
    return _messages(slate.where, topic, limit=None, start=slate.since(topic) or None, decode="text")


def _group_at_end(where, group: str, topic: str) -> tuple[dict[int, int], dict[int, int]]:
    """(the group's committed offsets, the topic's ends) per partition of `topic`."""
    ends = {p: high for p, (low, high) in (_partitions(where, topic) or {}).items()}
    return _committed(where, group, scoped(topic), ends), ends


# ---- 11.1 a dead-letter topic -----------------------------------------------------------------
@_checked("11.1", "ConsumerWorker(config, handler, retry=quick, dead_letter=DeadLetter(\"orders.dead\", after=2)), "
                  "with a handler that raises only for an order whose quantity is not a whole number; "
                  "wait for the good orders and the dead letters, then leave the with block.")
def dead_lettered(where, topic: str, dead_topic: str, group: str, poison, attempts: int) -> CheckResult:
    slate = started("11.1")
    orders = {m["offset"]: m for m in _since(slate, topic)}
    if not orders:
        return _not_yet("11.1", f"{topic!r} holds no order written since the exercise began.",
                        "Run the exercise's first cell (it writes the orders).")
    copies = _since(slate, dead_topic)
    dead_keys = [copy["key"] for copy in copies]
    good_put_aside = sorted(set(dead_keys) - set(poison))
    if good_put_aside:
        return _not_yet("11.1", f"Good orders were put aside too: {good_put_aside}.",
                        "The handler must raise only for the bad orders, and return \"ok\" for the others.")
    missing = [key for key in poison if key not in dead_keys]
    if missing:
        return _not_yet("11.1", f"{dead_topic!r} holds no copy of {missing} yet.",
                        "Give the worker dead_letter=DeadLetter(\"orders.dead\", after=2) and wait until "
                        "worker.dead_lettered holds both bad orders.")
    for copy in copies:
        headers = dict(copy["headers"])
        original = orders.get(int(headers.get("dead_letter.offset", -1)))
        want = {"dead_letter.topic": scoped(topic), "dead_letter.attempts": str(attempts)}
        got = {name: headers.get(name) for name in want}
        if got != want or original is None or original["key"] != copy["key"]:
            return _not_yet("11.1", f"The copy of {copy['key']} says {got}, not {want}.",
                            f"Put a message aside after {attempts} attempts (after={attempts}), from {topic!r}.")
    committed, ends = _group_at_end(where, group, topic)
    if committed != ends:
        return _not_yet("11.1", f"Group {scoped(group)!r} committed {committed or 'nothing'} on {topic!r}, not its "
                                f"end {ends}: not every order was handled or put aside.",
                        "Wait for the 4 good orders (worker.wait_for) and the 2 dead letters, then let the with "
                        "block stop the worker (it commits on stop).")
    return _done("11.1", f"Exactly the poison orders {sorted(set(dead_keys))} are in {dead_topic!r}, each after "
                         f"{attempts} attempts; the other {len(orders) - len(set(dead_keys))} were handled and the "
                         f"group committed the end of {topic!r}.")


# ---- 11.2 a group moved to a time -------------------------------------------------------------
def _clock(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%H:%M UTC")


@_checked("11.2", "found = consumer.offsets_for_times([TopicPartition(topic, 0, WANTED_MS)], timeout=TIMEOUT_S), "
                  "then consumer.commit(offsets=found, asynchronous=False).")
def group_at_time(where, topic: str, group: str, wanted_ms: int) -> CheckResult:
    slate = started("11.2")
    readings = _since(slate, topic)
    later = [m for m in readings if m["partition"] == 0 and m["ts"] >= wanted_ms]
    if not later:
        return _not_yet("11.2", f"No reading of {topic!r} written since the exercise began is at or after "
                                f"{_clock(wanted_ms)}.", "Run the exercise's first cell (it writes the readings).")
    truth = min(later, key=lambda m: m["offset"])
    committed, _ = _group_at_end(where, group, topic)
    if 0 not in committed:
        return _not_yet("11.2", f"Group {scoped(group)!r} has no committed offset on {topic!r} yet.",
                        "Commit what offsets_for_times answers: consumer.commit(offsets=found, asynchronous=False).")
    if committed[0] != truth["offset"]:
        return _not_yet("11.2", f"Group {scoped(group)!r} is at offset {committed[0]}; the first reading at or after "
                                f"{_clock(wanted_ms)} is at offset {truth['offset']} (stamped {_clock(truth['ts'])}).",
                        "Ask offsets_for_times for WANTED_MS (milliseconds) and commit its answer as it is: it is "
                        "already the first offset at or after that time.")
    return _done("11.2", f"Group {scoped(group)!r} will read from offset {truth['offset']}, the first reading at or "
                         f"after {_clock(wanted_ms)}.")


# ---- 11.3 consume, transform, produce in one transaction --------------------------------------
def _java_hash(text: str) -> int:
    value = 0
    for char in text:
        value = (31 * value + ord(char)) & 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    """An unsigned varint (Kafka's compact lengths) at pos: (value, the position after it)."""
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def _transaction_topics(value: bytes) -> tuple[int, set[str]]:
    """(state, the topics in the transaction) from a record of __transaction_state (versions 0 and 1)."""
    version, state, pos, topics = struct.unpack_from(">h", value)[0], value[16], 17, set()
    if version == 0:
        (count,), pos = struct.unpack_from(">i", value, pos), pos + 4
        for _ in range(max(count, 0)):
            (length,), pos = struct.unpack_from(">h", value, pos), pos + 2
            topics.add(value[pos:pos + length].decode())
            (ids,), pos = struct.unpack_from(">i", value, pos + length), pos + length + 4
            pos += 4 * ids
        return state, topics
    count, pos = _varint(value, pos)
    for _ in range(count - 1):
        length, pos = _varint(value, pos)
        topics.add(value[pos:pos + length - 1].decode())
        ids, pos = _varint(value, pos + length - 1)
        tags, pos = _varint(value, pos + 4 * (ids - 1))
        for _ in range(tags):
            _, pos = _varint(value, pos)
            size, pos = _varint(value, pos)
            pos += size
    return state, topics


PREPARE_COMMIT = 2  # TransactionState.PREPARE_COMMIT: the coordinator's decision, listing every partition


def _committed_transaction(where, transactional_id: str, since_ms: int, timeout: float = 10) -> set[str] | None:
    """The topics in the last transaction of `transactional_id` committed since `since_ms`, read
    from the coordinator's log (__transaction_state); set() if none; None if it cannot be read."""
    deadline = Deadline(timeout)
    reader = Consumer({**as_connection(where).client_settings(), "group.id": scoped("check-11-3"),
                       "enable.auto.commit": False, "enable.partition.eof": True, "logger": CLIENT_LOG})
    try:
        meta = reader.list_topics("__transaction_state", timeout=deadline.remaining(0.5)).topics["__transaction_state"]
        if meta.error is not None or not meta.partitions:
            return None
        partition = abs(_java_hash(transactional_id)) % len(meta.partitions)
        reader.assign([TopicPartition("__transaction_state", partition, 0)])
        last = set()
        while not deadline.expired():
            msg = reader.poll(deadline.remaining(0.5))
            if msg is None:
                continue
            if msg.error() is not None:
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    return last
                return None  # e.g. not allowed to read it (a workshop's learner)
            key, value = msg.key() or b"", msg.value()
            if key[4:].decode("utf-8", "replace") == transactional_id and value and msg.timestamp()[1] >= since_ms:
                state, topics = _transaction_topics(value)
                if state == PREPARE_COMMIT:
                    last = topics
        return None
    finally:
        reader.close()


def _uncommitted_end(where, topic: str) -> int:
    """The end of partition 0 for a read_uncommitted reader (open and aborted records included)."""
    reader = Consumer({**as_connection(where).client_settings(), "group.id": scoped("check-11-3"),
                       "isolation.level": "read_uncommitted", "logger": CLIENT_LOG})
    try:
        return reader.get_watermark_offsets(TopicPartition(scoped(topic), 0), timeout=10)[1]
    finally:
        reader.close()


@_checked("11.3", "A Producer with transactional.id chapter.group(\"converter\"): init_transactions, "
                  "begin_transaction, produce each converted record, send_offsets_to_transaction(consumer.position("
                  "consumer.assignment()), consumer.consumer_group_metadata(), TIMEOUT_S), commit_transaction.")
def converted_in_a_transaction(where, source: str, output: str, group: str, transactional_id: str) -> CheckResult:
    slate = started("11.3")
    inputs = _since(slate, source)
    if not inputs:
        return _not_yet("11.3", f"{source!r} holds nothing written since the exercise began.",
                        "Run the exercise's first cell (it writes the amounts).")
    want = [(m["key"], str(int(m["value"]) * 100)) for m in inputs]
    written = _since(slate, output)  # read_committed: librdkafka's default isolation level
    got = [(m["key"], m["value"]) for m in written]
    if not got:
        if _uncommitted_end(where, output) > 0:
            return _not_yet("11.3", f"{output!r} holds records, but none is committed: the transaction is still "
                                    "open, or was aborted.", "End it with producer.commit_transaction(TIMEOUT_S).")
        return _not_yet("11.3", f"{output!r} holds no committed record yet.",
                        "Produce each amount, converted, inside begin_transaction() ... commit_transaction().")
    if got != want:
        return _not_yet("11.3", f"{output!r} holds {got[:3]}..., not {want[:3]}... (key kept, euros times 100).",
                        "Produce one record per amount read, in order: the same key, str(int(value) * 100).")
    end = (_partitions(where, output) or {}).get(0, (0, 0))[1]
    if end <= written[-1]["offset"] + 1:
        return _not_yet("11.3", f"The records of {output!r} are not followed by a transaction's commit marker: "
                                "they were written without a transaction.",
                        "Give the Producer a transactional.id and write inside begin_transaction() ... "
                        "commit_transaction().")
    committed, ends = _group_at_end(where, group, source)
    if committed != ends:
        return _not_yet("11.3", f"Group {scoped(group)!r} committed {committed or 'nothing'} on {source!r}, not its "
                                f"end {ends}.", "Before commit_transaction: producer.send_offsets_to_transaction("
                                                "consumer.position(consumer.assignment()), "
                                                "consumer.consumer_group_metadata(), TIMEOUT_S).")
    topics = _committed_transaction(where, scoped(transactional_id), slate.began_ms)
    if topics is not None and not {scoped(output), "__consumer_offsets"} <= topics:
        seen = f"covered {sorted(topics)}" if topics else "is not in the coordinator's log since the exercise began"
        return _not_yet("11.3", f"The last committed transaction of {scoped(transactional_id)!r} {seen}: the "
                                "records and the group's offsets were not committed together.",
                        f"Use transactional.id chapter.group({transactional_id!r}), and send the offsets "
                        "with send_offsets_to_transaction inside the same transaction as the records.")
    proof = ("the coordinator's log shows the group's offsets in the same transaction" if topics is not None
             else "the coordinator's log cannot be read here, so that the offsets were in the same transaction "
                  "is not shown")
    return _done("11.3", f"{len(got)} converted records are committed in {output!r} (a commit marker follows them), "
                         f"group {scoped(group)!r} is at the end of {source!r}, and {proof}.")


# ---- 11.4 commit after processing -------------------------------------------------------------
BATCH = 5  # exercise 11.4's loop reads batches of 5: a crash cuts one short, and at most that comes again


@_checked("11.4", "In run_consumer: for msg in batch: process(msg), and only then consumer.commit(asynchronous=False).")
def nothing_lost_after_crash(where, topic: str, effects_topic: str, group: str) -> CheckResult:
    slate = started("11.4")
    sent = [m["key"] for m in _since(slate, topic)]
    if not sent:
        return _not_yet("11.4", f"{topic!r} holds nothing written since the exercise began.",
                        "Run the exercise's first cell (it writes the invoices).")
    records, marker = _since(slate, effects_topic), MARKER_KEY.decode()
    begins = [i for i, m in enumerate(records) if m["key"] == marker and m["value"] == "begin"]
    if not begins:
        return _not_yet("11.4", "The crash test has not run since the exercise began.",
                        "End your cell with crash_test.run(run_consumer).")
    run = records[begins[-1] + 1:]
    steps = [m["value"] for m in run if m["key"] == marker]
    if "crash" not in steps:
        return _not_yet("11.4", "In the last run the first life did not crash.",
                        "Call process(msg) for each message and let Crash through (do not catch it).")
    if "end" not in steps:
        return _not_yet("11.4", "The last run did not finish: the second life raised.", "Fix the error it printed.")
    effects = [m["key"] for m in run if m["key"] != marker]
    lost = [key for key in sent if key not in effects]
    if lost:
        return _not_yet("11.4", f"After the crash and the restart, {len(lost)} invoice(s) were never processed: "
                                f"{lost}. Their offsets were committed before they were processed.",
                        "Process the whole batch first, then commit: consumer.commit(asynchronous=False) after "
                        "the for loop.")
    crash_at = [i for i, m in enumerate(run) if m["key"] == marker and m["value"] == "crash"][0]
    first = {m["key"] for m in run[:crash_at] if m["key"] != marker}
    again = sorted(key for key in {m["key"] for m in run[crash_at:] if m["key"] != marker} if key in first)
    if len(again) >= BATCH:
        return _not_yet("11.4", f"Nothing was lost, but the second life did again {len(again)} invoices the first "
                                f"had done ({again[0]} to {again[-1]}): it did not begin at the group's committed "
                                f"offset, or the first life committed nothing.",
                        "subscribe (not assign from 0) so the restart begins at the committed offset, and commit "
                        "after processing each batch: consumer.commit(asynchronous=False).")
    committed, ends = _group_at_end(where, group, topic)
    if committed != ends:
        return _not_yet("11.4", f"Nothing was lost, but group {scoped(group)!r} committed {committed or 'nothing'}, "
                                f"not the end {ends}: a restart would process everything again.",
                        "Commit after processing each batch: consumer.commit(asynchronous=False).")
    twice = sorted(key for key, n in Counter(effects).items() if n > 1)
    return _done("11.4", f"Nothing lost after the crash: all {len(sent)} invoices processed, {len(twice)} of them "
                         f"twice {twice} (at least once), and the group committed the end.")


__all__ = [name for name, value in list(globals().items())
           if callable(value) and getattr(value, "__module__", None) == __name__ and not name.startswith("_")]
