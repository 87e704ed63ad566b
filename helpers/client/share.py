"""Share groups (KIP-932, "queues for Kafka"): members of one group share partitions, and each
RECORD is acknowledged on its own. Our handler contract, mapped onto confluent-kafka's ShareConsumer:

    handler returns OK      -> ACCEPT   done; nobody sees it again
    handler raises / other  -> RELEASE  delivered again (to any member), delivery_count + 1
    handler returns REJECT  -> REJECT   give up: archived, never delivered again

    configure_share_group(BOOTSTRAP_SERVERS, "jobs", {"share.auto.offset.reset": "earliest"})
    with ShareWorker(BOOTSTRAP_SERVERS, "jobs", ["jobs"], handle_job, name="one") as one:
        one.wait_for(5, timeout=15)

Delivery is AT LEAST ONCE: a record can reach a handler more than once. It comes back when
it is released, when the member's share session ends before its acknowledgement arrived (it
closed or its connection dropped), and when its acquisition lock (`share.record.lock.duration.ms`,
a group config, 30 s by default) expires while the member still works on it: the broker then
gives it to a member again and refuses the late acknowledgement (INVALID_RECORD_STATE, kept in
`errors`). Handlers must be idempotent; `delivery_count` says which delivery this is, and
`outcomes` keeps one entry per delivery. A member acquires up to `max_records` records per poll
(the client's `max.poll.records`) and acknowledges them after the last one: keep a poll's work
well within the lock.

The broker, not the client, bounds redelivery: after `share.delivery.count.limit` (5 by
default) deliveries a record is archived even if it is always released. A NEW share group
starts at the newest record unless the group's config says `share.auto.offset.reset=earliest`
(set it before the first member joins). Group configs live on the broker: they outlast the
group's topics, its members and even the group's deletion, so set every one a demo relies on.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import ClassVar

import confluent_kafka
from confluent_kafka import KafkaException
from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigResource, ResourceType

from .config import as_connection
from .consumer import OK, WorkerFailed, message_dict
from .deadline import Deadline
from .errors import CLIENT_LOG, CodealongError
from .names import scoped
from .registry import Members
from .topics import admin_for

log = logging.getLogger(__name__)

REJECT = "reject"   # the handler's "never deliver this again"
VERDICTS = ("accept", "release", "reject")


class ShareGroupsUnavailable(CodealongError):
    """This client or this cluster has no share groups."""


def client_supports_share_groups() -> str | None:
    """None if the installed confluent-kafka has ShareConsumer, else why not."""
    if hasattr(confluent_kafka, "ShareConsumer"):
        return None
    return (f"confluent-kafka {confluent_kafka.__version__} has no ShareConsumer (added in 2.15); "
            "upgrade: pip install -U 'confluent-kafka>=2.15'.")


def configure_share_group(where, group: str, settings: dict[str, str], timeout: float = 10.0) -> None:
    """Set group configs (e.g. share.auto.offset.reset) on the cluster, before members join.
    Raises ShareGroupsUnavailable when the broker does not know share groups."""
    resource = ConfigResource(ResourceType.GROUP, scoped(group), incremental_configs=[
        ConfigEntry(name, str(value), incremental_operation=AlterConfigOpType.SET) for name, value in settings.items()])
    admin = admin_for(where)  # kept in a name: the futures need the client alive
    try:
        for future in admin.incremental_alter_configs([resource], request_timeout=timeout).values():
            future.result(timeout)
    except KafkaException as err:
        raise ShareGroupsUnavailable(
            f"The cluster refused the group config {settings} for {scoped(group)!r}: {err.args[0].str()}",
            "Share groups need Kafka 4.2 or later (4.0-4.1: the share.version feature must be enabled), and "
            "values within the broker's bounds (the message above names them).") from None


def share_groups_problem(where) -> str | None:
    """None if this client and this cluster have share groups, else why not (asks the cluster
    by setting a config on a probe group under the caller's prefix)."""
    problem = client_supports_share_groups()
    if problem:
        return problem
    try:
        configure_share_group(where, "share-probe", {"share.auto.offset.reset": "latest"})
    except ShareGroupsUnavailable as err:
        return f"{err.cause} {err.fix}"
    return None


@dataclass(frozen=True)
class Outcome:
    """One delivery of one record to one member, and the member's verdict on it: a record
    delivered twice has two outcomes (delivery_count 1 and 2). If the record's lock expired
    while the handler worked, the broker refused the verdict and delivered the record again."""
    member: str
    partition: int
    offset: int
    delivery_count: int
    verdict: str
    at: float = field(default_factory=time.time)


#: Running share-group members by (group, name): at most one per name in a group.
MEMBERS = Members("Share worker")


class ShareWorker:
    """One share-group member in a thread of its own (a ShareConsumer is not thread-safe).

    Members are registered by group and name: starting one whose group and name are already
    running stops the old one first, so re-running a notebook cell never leaves two members.
    If the thread ends on an error, `failure` says why, `state` is "failed" and wait_for raises it.
    """

    running: ClassVar[dict[tuple[str, str], "ShareWorker"]] = MEMBERS.running

    def __init__(self, where, group: str, topics: list[str], handler, *, name: str = "member", keep: int = 1000,
                 max_records: int | None = None):
        """`max_records`: at most this many records per poll (the client's max.poll.records, 500
        by default; the broker may round up to whole record batches). A poll's records are all
        acquired at once, so their handling must end within the group's lock."""
        problem = client_supports_share_groups()
        if problem:
            raise ShareGroupsUnavailable(problem, "Upgrade confluent-kafka, then restart the kernel.")
        self.settings = {**as_connection(where).client_settings(), "group.id": scoped(group),
                         "share.acknowledgement.mode": "explicit",
                         **({"max.poll.records": str(max_records)} if max_records else {})}
        self.topics = [scoped(t) for t in topics]
        self.handler, self.name = handler, name
        self.outcomes: deque[Outcome] = deque(maxlen=keep)
        self.errors: deque[str] = deque(maxlen=100)
        self.failure: WorkerFailed | None = None
        self._state = "stopped"
        self._accepted: deque[dict] = deque(maxlen=keep)
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return (f"ShareWorker(name={self.name!r}, group={self.settings['group.id']!r}, topics={self.topics}, "
                f"state={self.state!r})")

    @property
    def state(self) -> str:
        """The member's state: "running", "stopped", or "failed" (its thread ended on an error: see `failure`)."""
        return self._state

    def _set_state(self, value: str) -> None:
        with self._cond:
            self._state = value
            self._cond.notify_all()  # a wait_for in progress learns of a failure at once

    def is_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> "ShareWorker":
        """Start in the background; a running member of the same group and name is stopped first."""
        MEMBERS.claim((self.settings["group.id"], self.name), self)
        self._stop.clear()
        self.failure = None
        self._set_state("running")
        self._thread = threading.Thread(target=self._run, name=f"share-{self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 15.0) -> bool:
        """Acknowledge what was handled, leave the group and close. True if it stopped in time."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        return not self.is_alive()

    @classmethod
    def stop_all(cls, timeout: float = 15.0) -> None:
        MEMBERS.stop_all(timeout)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def wait_for(self, count: int = 1, timeout: float = 10.0) -> list[dict]:
        """Up to `count` records this member ACCEPTED (drained), waiting at most `timeout` seconds.
        Raises WorkerFailed as soon as the member's thread ended on an error."""
        deadline = Deadline(timeout)
        with self._cond:
            while len(self._accepted) < count and self._state != "failed" and not deadline.expired():
                self._cond.wait(deadline.remaining())
            taken = [self._accepted.popleft() for _ in range(min(count, len(self._accepted)))]
        if not taken and self.failure is not None:
            raise self.failure
        return taken

    def _verdict(self, message: dict) -> str:
        try:
            result = self.handler(message)
        except Exception as err:  # released: the record comes back, here or to another member
            self.errors.append(f"{message['topic']}[{message['partition']}]@{message['offset']}: "
                               f"{type(err).__name__}: {err}")
            return "release"
        return "accept" if result == OK else "reject" if result == REJECT else "release"

    def _acknowledged(self, offsets, error) -> None:
        """The broker's answer to a commit of acknowledgements (called on this member's thread).
        A refusal means the records were no longer this member's (their locks had expired):
        they were, or will be, delivered again, and the handler's work on them was done twice."""
        if error is not None:
            where = ", ".join(f"{tp.topic}[{tp.partition}]@{','.join(map(str, sorted(done)))}"
                              for tp, done in offsets.items())
            reason = error.args[0].str() if error.args and hasattr(error.args[0], "str") else str(error)
            self.errors.append(f"acknowledgement refused for {where}: {reason}")

    def _run(self) -> None:
        try:
            self._consume()
        except Exception as err:  # never printed from this thread: wait_for raises it, `failure` keeps it
            self.errors.append(f"{type(err).__name__}: {err}")
            self.failure = WorkerFailed(f"Share worker {self.name!r} stopped: {type(err).__name__}: {err}",
                                        "Fix the cause, then start the worker again; records it had not "
                                        "acknowledged go to other members once their locks expire.")
            self.failure.__cause__ = err
            log.error("%s", self.failure.cause)
            self._set_state("failed")
        else:
            self._set_state("stopped")
        finally:
            MEMBERS.release((self.settings["group.id"], self.name), self)

    def _consume(self) -> None:
        ack_types = {"accept": confluent_kafka.AcknowledgeType.ACCEPT,
                     "release": confluent_kafka.AcknowledgeType.RELEASE,
                     "reject": confluent_kafka.AcknowledgeType.REJECT}
        consumer = confluent_kafka.ShareConsumer({**self.settings, "logger": CLIENT_LOG})
        consumer.set_acknowledgement_commit_callback(self._acknowledged)
        try:
            consumer.subscribe(self.topics)
            while not self._stop.is_set():
                for msg in consumer.poll(0.2):
                    if msg.error() is not None:
                        self.errors.append(msg.error().str())
                        continue
                    message = message_dict(msg)
                    verdict = self._verdict(message)
                    consumer.acknowledge(msg, ack_types[verdict])
                    self.outcomes.append(Outcome(self.name, msg.partition(), msg.offset(), msg.delivery_count(),
                                                 verdict))
                    if verdict == "accept":
                        with self._cond:
                            self._accepted.append({**message, "delivery_count": msg.delivery_count()})
                            self._cond.notify_all()
                consumer.commit_async()  # the verdicts go to the broker now, not at the next poll
        finally:
            consumer.close()
