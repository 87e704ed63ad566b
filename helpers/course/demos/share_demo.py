"""Chapter 14's demo of a share-group member that dies mid-work: it acquires records, never
acknowledges them, and is killed; its connection closes with it, its share session ends, and
the broker hands its records to another member (a member that hangs but stays connected
keeps them until their locks expire).

    held = kill_a_member_holding_records(BOOTSTRAP_SERVERS, "rescuers", "urgent_jobs")

And exercise 14.3's dead-letter topic: `dead_letter_topic_for(...)` makes `dlq.<topic>` (Kafka's
required prefix for a share group's dead-letter topic) and points the share group at it.
"""
from __future__ import annotations

import logging
import subprocess
import sys
import time

import confluent_kafka

from ...client.config import as_connection
from ...client.deadline import Deadline
from ...client.errors import CLIENT_LOG, CodealongError
from ...client.names import scoped


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
    command = [sys.executable, "-m", "helpers.course.demos.share_demo", bootstrap, scoped(group), scoped(topic),
               str(timeout)]
    member = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
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


def dead_letter_name(topic: str) -> str:
    """The dead-letter topic of `topic` for exercise 14.3: "dlq." + the topic's (scoped) name. The
    broker requires the prefix (errors.deadletterqueue.topic.name.prefix, "dlq." by default)."""
    return "dlq." + scoped(topic)


def dead_letter_topic_for(where, group: str, topic: str, timeout: float = 15.0) -> str:
    """Create the dead-letter topic of `topic` if it is missing (it must exist: the broker creates
    none by default, errors.deadletterqueue.auto.create.topics.enable=false) with the topic config
    that lets share groups write to it, and set it as the share group's dead-letter topic (KIP-1191),
    with the group starting at the earliest record. Returns the dead-letter topic's name."""
    from confluent_kafka import KafkaError, KafkaException
    from confluent_kafka.admin import NewTopic

    from ...client.share import configure_share_group
    from ...client.topics import admin_for

    name = dead_letter_name(topic)
    admin = admin_for(where)  # kept in a name: the future needs the client alive
    future = admin.create_topics([NewTopic(name, 1, 1, config={"errors.deadletterqueue.group.enable": "true"})],
                                 request_timeout=timeout)[name]
    try:
        future.result(timeout)
    except KafkaException as err:
        if err.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:  # kept from an earlier run: fine
            raise
    Deadline(timeout).until(lambda: name in admin.list_topics(timeout=timeout).topics, step=0.1)
    configure_share_group(where, group, {"share.auto.offset.reset": "earliest",
                                         "errors.deadletterqueue.topic.name": name})
    return name


if __name__ == "__main__":  # python -m helpers.course.demos.share_demo BOOTSTRAP GROUP TOPIC
    logging.basicConfig(level=logging.ERROR)  # not librdkafka's "preview" notice in the parent's cell
    hold_records(*sys.argv[1:4], timeout=float(sys.argv[4]))
