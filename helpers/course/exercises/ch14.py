"""The checks of chapter 14: share groups (KIP-932, queues for Kafka)."""
from __future__ import annotations

import gc

from ...client.deadline import Deadline
from ...client.names import scoped
from ...client.topics import admin_for
from .framework import MISSING, CheckResult, _checked, _done, _message, _messages, _not_yet, _text, started

CHECK_KEY = "codealong-check"  # the marker record 14.3's check sends: not one of the learner's jobs
_SPOILED: set[int] = set()      # slates (by began_ms) where 14.3's check took back records it found


def _share_problem(where) -> str | None:
    from ...client.share import share_groups_problem

    return share_groups_problem(where)


@_checked("14.1", "AdminClient(conf).incremental_alter_configs([ConfigResource(ResourceType.GROUP, group, "
                  "incremental_configs=[ConfigEntry(\"share.auto.offset.reset\", \"earliest\", "
                  "incremental_operation=AlterConfigOpType.SET), ...])]), then wait for the futures.")
def share_group_configured(where, group: str) -> CheckResult:
    """The share group's configs, set since the exercise began (which set them back to latest and 5):
    share.auto.offset.reset=earliest and share.delivery.count.limit=3."""
    from confluent_kafka.admin import ConfigResource, ResourceType

    problem = _share_problem(where)
    if problem:
        return _not_yet("14.1", f"Share groups are not available here: {problem}", "Use a cluster and client "
                        "with share groups (Kafka 4.2+, confluent-kafka 2.15+).")
    started("14.1")
    resource = ConfigResource(ResourceType.GROUP, scoped(group))
    admin = admin_for(where)  # kept in a name: the future needs the client alive
    configs = admin.describe_configs([resource], request_timeout=10)[resource].result(10)
    values = {name: configs[name].value if name in configs else None
              for name in ("share.auto.offset.reset", "share.delivery.count.limit")}
    wanted = {"share.auto.offset.reset": "earliest", "share.delivery.count.limit": "3"}
    wrong = {name: value for name, value in values.items() if value != wanted[name]}
    if wrong:
        return _not_yet("14.1", f"Group {scoped(group)!r} has " + ", ".join(f"{n}={v}" for n, v in wrong.items())
                        + ".", "Set " + " and ".join(f"{n}={wanted[n]}" for n in wrong)
                        + " with one incremental_alter_configs call (ConfigResource of type GROUP).")
    return _done("14.1", f"Group {scoped(group)!r} starts at the earliest record and archives a record after "
                         "its third delivery.")


_HANDLER_CASES = (("42", "ok"), ("-7", "ok"), (" 12 ", "ok"), ("0", "ok"), ("3.5", "reject"),
                  ("forty-two", "reject"), ("", "reject"), ("   ", "reject"),
                  (b"\xff\xfe".decode("utf-8", "backslashreplace"), "reject"), (None, "reject"))


@_checked("14.2", "return OK when int(message['value']) works; return REJECT (from helpers.client.share) when it "
                  "raises (ValueError, or TypeError for a missing value).")
def number_jobs_handler(handler) -> CheckResult:
    """The handler accepts every value int() reads (signs and surrounding spaces too) and rejects
    everything else, without raising: a raise would release the record, to come back up to the limit."""
    from ...client.consumer import OK
    from ...client.share import REJECT

    if handler is MISSING or not callable(handler):
        return _not_yet("14.2", "print_job is not a function yet.", "def print_job(message): ...")
    wanted = {"ok": OK, "reject": REJECT}
    for value, verdict in _HANDLER_CASES:
        try:
            got = handler(_message(key="job", value=value))
        except Exception as err:
            return _not_yet("14.2", f"For the value {value!r} print_job raised {type(err).__name__}: a share worker "
                                    "releases that record, and it comes back until the delivery limit.",
                            "Catch the failure and return REJECT: that value can never be printed.")
        if got != wanted[verdict]:
            return _not_yet("14.2", f"For the value {value!r} print_job returned {got!r}, not "
                                    f"{'OK' if verdict == 'ok' else 'REJECT'}.",
                            "int(value) decides: a whole number (signs and spaces around it allowed) is a job; "
                            "anything else, including an empty value or None, is rejected.")
    return _done("14.2", f"All {len(_HANDLER_CASES)} values right: numbers accepted; text, decimals, empty values, "
                         "undecodable bytes and None would be rejected (archived, never redelivered).")


def _open_consumers_of(topic: str) -> int:
    """ShareConsumers of this kernel still open and subscribed to `topic` (not closed: still members)."""
    import confluent_kafka

    count = 0
    for candidate in gc.get_objects():
        if isinstance(candidate, getattr(confluent_kafka, "ShareConsumer", ())):
            try:
                count += topic in candidate.subscription()
            except Exception:  # closed, or busy in another thread (a ShareWorker's)
                continue
    return count


def _come_back(where, topic: str, group: str, timeout: float) -> list[int]:
    """Offsets the group delivers again before a marker record sent now: records nobody
    acknowledged (released, or left unacknowledged). They are released again, the marker accepted."""
    import confluent_kafka
    from confluent_kafka import AcknowledgeType

    from ...client.config import as_connection
    from ...client.errors import CLIENT_LOG

    settings = as_connection(where).client_settings()
    producer = confluent_kafka.Producer({**settings, "logger": CLIENT_LOG})
    producer.produce(topic, b"marker", key=CHECK_KEY.encode())
    producer.flush(timeout)
    deadline, found, marker_seen = Deadline(timeout), [], False
    consumer = confluent_kafka.ShareConsumer({**settings, "group.id": group, "logger": CLIENT_LOG,
                                              "share.acknowledgement.mode": "explicit"})
    try:
        consumer.subscribe([topic])
        while not marker_seen and not deadline.expired():
            for record in consumer.poll(0.5):
                if record.error() is not None:
                    continue
                mine = record.key() == CHECK_KEY.encode()
                marker_seen = marker_seen or mine
                consumer.acknowledge(record, AcknowledgeType.ACCEPT if mine else AcknowledgeType.RELEASE)
                if not mine:
                    found.append(record.offset())
            consumer.commit_sync(deadline.remaining(0.5))
    finally:
        consumer.close()
    if not marker_seen:
        raise TimeoutError(f"the check's own marker record did not come back within {timeout:g} s")
    return sorted(found)


def _dead_letters(where, topic: str, since_ms: int, wanted: list[int], timeout: float) -> dict[int, str] | None:
    """Offset -> the broker's reason, for each record of `topic` the group's dead-letter topic
    received since `since_ms` (the broker writes one record per record it gives up on, with
    __dlq.errors.* headers); read until `wanted` are all there or the deadline. None: no such topic."""
    import uuid

    import confluent_kafka
    from confluent_kafka import TopicPartition

    from ...client.config import as_connection
    from ...client.errors import CLIENT_LOG
    from ..demos.share_demo import dead_letter_name

    name = dead_letter_name(topic)
    reader = confluent_kafka.Consumer({**as_connection(where).client_settings(), "logger": CLIENT_LOG,
                                       "group.id": scoped(f"dlq-reader-{uuid.uuid4().hex[:8]}"),
                                       "enable.auto.commit": False, "enable.partition.eof": True})
    found: dict[int, str] = {}
    deadline = Deadline(timeout)
    try:
        listed = reader.list_topics(name, timeout=deadline.remaining(0.5)).topics.get(name)
        if listed is None or listed.error is not None:
            return None
        start = 0
        while not deadline.expired():
            reader.assign([TopicPartition(name, 0, start)])
            while not deadline.expired():
                record = reader.poll(0.2)
                if record is None:
                    continue
                if record.error() is not None:
                    break  # the end of the partition, for now
                start = record.offset() + 1
                headers = {key: (data or b"").decode("utf-8", "replace") for key, data in record.headers() or []}
                if record.timestamp()[1] >= since_ms and headers.get("__dlq.errors.topic") == topic:
                    found[int(headers.get("__dlq.errors.offset", -1))] = headers.get("__dlq.errors.message", "")
            if set(wanted) <= set(found):
                break
            deadline.wait(0.2)  # the broker writes them a moment after the acknowledgement
    finally:
        reader.close()
    return found


@_checked("14.3", "ShareConsumer(chapter.client_config({\"group.id\": ..., \"share.acknowledgement.mode\": "
                  "\"explicit\"})), subscribe, poll with a deadline, acknowledge(record, AcknowledgeType.ACCEPT or "
                  ".REJECT) for every record, commit_sync(), close() in finally.")
def share_records_acknowledged(where, topic: str, group: str, timeout: float = 15.0) -> CheckResult:
    """Every job of the (fresh) topic was acknowledged by the group: none comes back to a second
    share consumer; the learner's consumer is closed; and the group's dead-letter topic received,
    as REJECTED by a client, exactly the jobs that are not whole numbers (an ACCEPT writes nothing there)."""
    from ..demos.share_demo import dead_letter_name

    problem = _share_problem(where)
    if problem:
        return _not_yet("14.3", f"Share groups are not available here: {problem}", "Use a cluster and client "
                        "with share groups (Kafka 4.2+, confluent-kafka 2.15+).")
    slate = started("14.3")
    jobs = [m for m in _messages(where, topic) if _text(m["key"]) != CHECK_KEY]
    if not jobs:
        return _not_yet("14.3", f"{scoped(topic)!r} holds no jobs.", "Run the exercise's first cell: it writes them.")
    if _open_consumers_of(scoped(topic)):
        return _not_yet("14.3", f"A ShareConsumer subscribed to {scoped(topic)!r} is still open: it is still a member "
                                "and may hold records it never acknowledged.",
                        "Close it in a finally block (consumer.close()); run the exercise's first cell again.")
    numbers = set()
    for job in jobs:
        try:
            int(job["value"])
            numbers.add(job["offset"])
        except (TypeError, ValueError):
            pass
    should_reject = sorted(m["offset"] for m in jobs if m["offset"] not in numbers)
    if slate.began_ms in _SPOILED:
        return _not_yet("14.3", "An earlier check found jobs nobody had acknowledged and took them back: this run of "
                                "the exercise cannot pass any more.", "Run the exercise's first cell again, then "
                        "your loop, then the check.")
    back = _come_back(where, scoped(topic), scoped(group), timeout)
    if back:
        _SPOILED.add(slate.began_ms)
        return _not_yet("14.3", f"The group delivered offsets {back} again: nobody acknowledged them (or they "
                                "were released).", "Acknowledge every record with ACCEPT or REJECT, then "
                        "commit_sync() before close(); run the exercise's first cell again.")
    dlq = dead_letter_name(topic)
    dead = _dead_letters(where, scoped(topic), slate.began_ms, should_reject, min(timeout, 5.0))
    if dead is None:
        return _not_yet("14.3", f"There is no dead-letter topic {dlq!r}.", "Run the exercise's first cell: it "
                        "creates it and sets it on the group.")
    missing = [offset for offset in should_reject if offset not in dead]
    if missing:
        return _not_yet("14.3", f"The jobs at offsets {missing} are not whole numbers, yet the broker wrote no "
                                f"dead-letter record for them to {dlq!r}: they were accepted (an implicit-mode "
                                "consumer accepts everything it polled).",
                        "Use \"share.acknowledgement.mode\": \"explicit\" and acknowledge(record, "
                        "AcknowledgeType.REJECT) when int(record.value()) fails; run the exercise's first cell again.")
    extra = sorted(offset for offset in dead if offset not in should_reject)
    if extra:
        return _not_yet("14.3", f"The broker wrote the jobs at offsets {extra} to {dlq!r}, but they are whole "
                                "numbers: they were rejected.", "ACCEPT each record whose value int() reads; run "
                        "the exercise's first cell again.")
    given_up = sorted(offset for offset, reason in dead.items() if "rejected" not in reason.lower())
    if given_up:
        return _not_yet("14.3", f"The jobs at offsets {given_up} reached {dlq!r} because their delivery count "
                                "ran out, not because a consumer rejected them.",
                        "acknowledge(record, AcknowledgeType.REJECT) for them (not RELEASE); run the exercise's "
                        "first cell again.")
    return _done("14.3", f"All {len(jobs)} jobs acknowledged by the group, none delivered again; the broker wrote "
                         f"the {len(should_reject)} you rejected (offsets {should_reject}) to {dlq!r}, and no other.")


__all__ = [name for name, value in list(globals().items())
           if callable(value) and getattr(value, "__module__", None) == __name__ and not name.startswith("_")]
