"""Topic administration: create, delete and recreate topics, with errors that say what to do.

Every function takes `where`: a bootstrap string ("127.0.0.1:9092"), a Connection, or a
producer or consumer config (whose endpoints and credentials are used).
"""
from __future__ import annotations

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

from .config import as_connection
from .deadline import Deadline
from .diagnosis import FIXES, RETRIABLE
from .errors import CLIENT_LOG, CodealongError
from .names import scoped, InvalidTopicName, check_topic_name, topic_name_problem

__all__ = ["TopicError", "InvalidTopicName", "admin_for", "check_topic_name", "topic_name_problem",
           "create_topic", "delete_topic", "recreate_topic"]


class TopicError(CodealongError):
    """The cluster refused or did not finish a topic operation. ``code`` is Kafka's error name;
    ``kafka_error`` the client's own error (its code(), name(), retriable()), when it gave one."""

    def __init__(self, cause: str, fix: str, code: str | None = None, kafka_error: KafkaError | None = None):
        super().__init__(cause, fix)
        self.code = code
        self.kafka_error = kafka_error


_ADMIN_FIXES = {
    "INVALID_REPLICATION_FACTOR": "Ask for at most as many replicas as the cluster has brokers, or start more "
                                  "brokers (`codealong broker start --nodes 3`).",
    "INVALID_PARTITIONS": "Ask for at least one partition.",
    "INVALID_CONFIG": "Check the topic config names and values against Kafka's topic configs.",
    "TOPIC_AUTHORIZATION_FAILED": FIXES["TOPIC_AUTHORIZATION_FAILED"],
    "CLUSTER_AUTHORIZATION_FAILED": "Ask the cluster's operator for the right to create topics.",
    "_TIMED_OUT": "Check that the broker is running and reachable (`codealong broker status`), then retry.",
    "_TRANSPORT": "Start the broker (`codealong broker start`) or correct the bootstrap servers.",
}


def _topic_error(err: KafkaError, doing: str, extra: str = "") -> TopicError:
    return TopicError(f"Kafka refused to {doing}: {err.name()} ({err.str()}){extra}.",
                      _ADMIN_FIXES.get(err.name(), "See the broker's log (`codealong broker logs`)."),
                      code=err.name(), kafka_error=err)


def admin_for(where) -> AdminClient:
    """An AdminClient for `where`, logging through Python logging."""
    return AdminClient({**as_connection(where).client_settings(), "logger": CLIENT_LOG})


def _list_topics(admin: AdminClient, deadline: Deadline, doing: str):
    """All topics' metadata (never one topic by name: that can auto-create it)."""
    try:
        return admin.list_topics(timeout=deadline.remaining(0.5)).topics
    except KafkaException as err:
        raise _topic_error(err.args[0], doing) from None


def _usable(topics: dict, name: str, partitions: int | None) -> bool:
    """Listed, with every partition led by a broker (so clients can use it at once)."""
    found = topics.get(name)
    if found is None or found.error is not None or not found.partitions:
        return False
    if partitions is not None and len(found.partitions) != partitions:
        return False
    return all(p.leader >= 0 and p.error is None for p in found.partitions.values())


def create_topic(where, name: str, partitions: int = 1, replication_factor: int = 1,
                 config: dict | None = None, timeout: float = 10) -> None:
    """Create a topic, and return once every partition has a leader; an existing topic is left
    as it is. Raises TopicError (cause and fix) when the cluster refuses or does not finish."""
    name = check_topic_name(scoped(name))
    deadline = Deadline(timeout)
    doing = f"create topic {name!r} ({partitions} partition(s), replication factor {replication_factor})"
    admin = admin_for(where)
    future = admin.create_topics([NewTopic(name, partitions, replication_factor, config=config or {})],
                                 request_timeout=deadline.remaining(0.5))[name]
    expected: int | None = partitions
    try:
        future.result(deadline.remaining(0.5))
    except KafkaException as err:
        if err.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
            raise _topic_error(err.args[0], doing) from None
        # "Already exists" also answers a create that raced the broker's auto-creation, and a topic
        # still being deleted (which never shows again). Either way its partition count is its own.
        expected = None
    except Exception as err:  # a future that timed out on our side
        raise TopicError(f"Kafka did not confirm that it created topic {name!r} within {timeout:g} s ({err}).",
                         _ADMIN_FIXES["_TIMED_OUT"], code="_TIMED_OUT") from None
    listing = Deadline(min(3.0, deadline.remaining()))
    if expected is None and not listing.until(lambda: name in _list_topics(admin, deadline, doing), step=0.1):
        raise TopicError(f"Kafka answered that topic {name!r} already exists, but does not list it: it is "
                         "probably still being deleted.", "Wait a moment and create it again.",
                         code="TOPIC_ALREADY_EXISTS")
    if not deadline.until(lambda: _usable(_list_topics(admin, deadline, doing), name, expected), step=0.05):
        raise TopicError(f"Topic {name!r} was not usable (listed, every partition with a leader) within "
                         f"{timeout:g} s of creating it.",
                         "If it is being deleted, wait and retry; else check the brokers "
                         "(`codealong broker status`, `codealong broker logs`).", code="_TIMED_OUT")


def delete_topic(where, name: str, timeout: float = 30) -> None:
    """Delete the topic if it exists, and wait until the broker no longer lists it."""
    name = scoped(name)
    deadline = Deadline(timeout)
    doing = f"delete topic {name!r}"
    admin = admin_for(where)
    if name in _list_topics(admin, deadline, doing):
        try:
            admin.delete_topics([name], request_timeout=deadline.remaining(0.5))[name].result(deadline.remaining(0.5))
        except KafkaException as err:
            if err.args[0].code() != KafkaError.UNKNOWN_TOPIC_OR_PART:  # deleted meanwhile: fine
                raise _topic_error(err.args[0], doing) from None
    if not deadline.until(lambda: name not in _list_topics(admin, deadline, doing), step=0.1):
        raise TopicError(f"Topic {name!r} was still listed {timeout:g} s after its deletion.",
                         "Check the broker's log (`codealong broker logs`) and retry.", code="_TIMED_OUT")


def recreate_topic(where, name: str, partitions: int = 1, replication_factor: int = 1,
                   config: dict | None = None, timeout: float = 30) -> None:
    """Delete the topic if it exists and create it empty (so offsets start at 0 again)."""
    deadline = Deadline(timeout)
    delete_topic(where, name, timeout)
    while True:  # the broker may still be removing the old partitions' files
        try:
            return create_topic(where, name, partitions, replication_factor, config, deadline.remaining(1))
        except TopicError as err:
            # "Already exists": the old topic is still being deleted; the rest: not ready yet.
            if deadline.expired() or (err.code != "TOPIC_ALREADY_EXISTS" and err.code not in RETRIABLE):
                raise
            deadline.wait(0.2)
