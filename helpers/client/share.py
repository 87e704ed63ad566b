"""Share groups (KIP-932, "queues for Kafka"): members of one group share partitions, and each
RECORD is acknowledged on its own. Our handler contract, mapped onto confluent-kafka's ShareConsumer:

    handler returns OK      -> ACCEPT   done; nobody sees it again
    handler raises / other  -> RELEASE  delivered again (to any member), delivery_count + 1
    handler returns REJECT  -> REJECT   give up: archived, never delivered again

    configure_share_group(BOOTSTRAP_SERVERS, "jobs", {"share.auto.offset.reset": "earliest"})
    with ShareWorker(BOOTSTRAP_SERVERS, "jobs", ["jobs"], handle_job, name="one") as one:
        one.wait_for(5, timeout=15)

The broker, not the client, bounds redelivery: after `share.delivery.count.limit` (5 by
default) deliveries a record is archived even if it is always released. A member that dies
without acknowledging loses its records' locks after `share.record.lock.duration.ms`; they
then go to another member. A NEW share group starts at the newest record unless the group's
config says `share.auto.offset.reset=earliest` (set it before the first member joins).
"""
from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field

import confluent_kafka
from confluent_kafka import KafkaException
from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigResource, ResourceType

from .config import as_connection
from .consumer import OK, message_dict
from .deadline import Deadline
from .errors import CLIENT_LOG, CodealongError
from .names import scoped
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
    """One delivery of one record to one member, and the member's verdict on it. (If the record's
    lock expired while the handler worked, the broker ignores the verdict and redelivers it.)"""
    member: str
    partition: int
    offset: int
    delivery_count: int
    verdict: str
    at: float = field(default_factory=time.time)


class ShareWorker:
    """One share-group member in a thread of its own (a ShareConsumer is not thread-safe)."""

    def __init__(self, where, group: str, topics: list[str], handler, *, name: str = "member", keep: int = 1000):
        problem = client_supports_share_groups()
        if problem:
            raise ShareGroupsUnavailable(problem, "Upgrade confluent-kafka, then restart the kernel.")
        self.settings = {**as_connection(where).client_settings(), "group.id": scoped(group),
                         "share.acknowledgement.mode": "explicit"}
        self.topics = [scoped(t) for t in topics]
        self.handler, self.name = handler, name
        self.outcomes: deque[Outcome] = deque(maxlen=keep)
        self.errors: deque[str] = deque(maxlen=100)
        self._accepted: deque[dict] = deque(maxlen=keep)
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"ShareWorker(name={self.name!r}, group={self.settings['group.id']!r}, topics={self.topics})"

    def start(self) -> "ShareWorker":
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"share-{self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 15.0) -> bool:
        """Acknowledge what was handled, leave the group and close. True if it stopped in time."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        return self._thread is None or not self._thread.is_alive()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def wait_for(self, count: int = 1, timeout: float = 10.0) -> list[dict]:
        """Up to `count` records this member ACCEPTED (drained), waiting at most `timeout` seconds."""
        deadline = Deadline(timeout)
        with self._cond:
            while len(self._accepted) < count and not deadline.expired():
                self._cond.wait(deadline.remaining())
            return [self._accepted.popleft() for _ in range(min(count, len(self._accepted)))]

    def _verdict(self, message: dict) -> str:
        try:
            result = self.handler(message)
        except Exception as err:  # released: the record comes back, here or to another member
            self.errors.append(f"{message['topic']}[{message['partition']}]@{message['offset']}: "
                               f"{type(err).__name__}: {err}")
            return "release"
        return "accept" if result == OK else "reject" if result == REJECT else "release"

    def _run(self) -> None:
        ack_types = {"accept": confluent_kafka.AcknowledgeType.ACCEPT,
                     "release": confluent_kafka.AcknowledgeType.RELEASE,
                     "reject": confluent_kafka.AcknowledgeType.REJECT}
        consumer = confluent_kafka.ShareConsumer({**self.settings, "logger": CLIENT_LOG})
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
        except Exception as err:  # never printed from this thread; the notebook reads worker.errors
            self.errors.append(f"{type(err).__name__}: {err}")
            log.error("Share worker %r stopped: %s", self.name, err)
        finally:
            consumer.close()


def hold_records(bootstrap: str, group: str, topic: str, timeout: float = 60.0) -> None:
    """Acquire records without ever acknowledging them, say how many, then wait to be killed.
    (Run as a separate process by the chapter and the tests: the consumer that dies mid-work.)"""
    consumer = confluent_kafka.ShareConsumer({**as_connection(bootstrap).client_settings(), "group.id": group,
                                              "share.acknowledgement.mode": "explicit", "logger": CLIENT_LOG})
    consumer.subscribe([topic])
    deadline = Deadline(timeout)
    while not deadline.expired():
        records = [m for m in consumer.poll(0.5) if m.error() is None]
        if records:
            print("holding", " ".join(str(m.offset()) for m in records), flush=True)
            break
    time.sleep(max(0.0, deadline.remaining()))  # never acknowledges: the parent kills us first


def kill_a_member_holding_records(where, group: str, topic: str, timeout: float = 30.0) -> list[int]:
    """Start a member in another process, let it acquire records, kill it (SIGKILL: no goodbye,
    no acknowledgement) and return the offsets it was holding."""
    bootstrap = as_connection(where).bootstrap
    member = subprocess.Popen([sys.executable, "-m", "helpers.client.share", bootstrap, scoped(group), scoped(topic),
                               str(timeout)], stdout=subprocess.PIPE, text=True)
    try:
        line = member.stdout.readline()  # bounded: the member gives up after `timeout` seconds
    finally:
        member.kill()
        member.wait(10)
        member.stdout.close()
    if not line.startswith("holding"):
        raise CodealongError(f"The member in process {member.pid} acquired no record within {timeout:g} s.",
                             "Send records first, and set share.auto.offset.reset=earliest on a new group.")
    return [int(offset) for offset in line.split()[1:]]


if __name__ == "__main__":  # python -m helpers.client.share BOOTSTRAP GROUP TOPIC
    logging.basicConfig(level=logging.ERROR)  # not librdkafka's "preview" notice in the parent's cell
    hold_records(*sys.argv[1:4], timeout=float(sys.argv[4]))
