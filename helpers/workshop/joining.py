"""The learner's side of joining a room (`codealong workshop join`): log in with the join sheet,
prove the ACLs work, and tell the instructor's board."""
from __future__ import annotations

import os
import time

from ..broker import probe_metadata
from ..client.config import Connection, SecurityConfig
from ..client.deadline import Deadline
from ..client.errors import BrokerUnreachable
from ..client.topics import create_topic, delete_topic
from .room import JoinSheet, RoomError

JOIN_PROBE_S = 8  # a learner told within seconds when the room's cluster does not answer


def learner_connection(sheet: JoinSheet) -> Connection:
    """A connection with the sheet's login (the password read from its file into this process only)."""
    os.environ["KAFKA_USERNAME"], os.environ["KAFKA_PASSWORD"] = sheet.user, sheet.password()
    return Connection(endpoints=sheet.bootstrap, security=SecurityConfig(
        protocol=sheet.security_protocol, sasl_mechanism=sheet.sasl_mechanism))


def check_join(sheet: JoinSheet, timeout: float = 20) -> str:
    """Log in as the learner and create, then delete, a topic under their prefix: proof that the
    cluster answers, the password is right and the ACLs are in place. Returns what was checked."""
    connection = learner_connection(sheet)
    deadline = Deadline(timeout)
    try:
        metadata = probe_metadata(sheet.bootstrap, timeout=min(deadline.remaining(1), JOIN_PROBE_S),
                                  **connection.client_settings())
    except BrokerUnreachable as err:
        raise RoomError(f"The workshop's cluster does not answer at {sheet.bootstrap} ({err.cause})",
                        "Check with your instructor that the address on your join sheet is theirs today; that you "
                        "are on the room's network (the same Wi-Fi: some networks keep devices from reaching each "
                        "other, and a phone hotspot is the fallback); and that their firewall lets in the "
                        f"cluster's ports ({sheet.bootstrap}).") from None
    probe = f"{sheet.learner}.join-check"
    create_topic(connection, probe, timeout=deadline.remaining(1))
    delete_topic(connection, probe, timeout=deadline.remaining(1))
    seen = _announce_join(connection, sheet, deadline)
    return (f"Logged in to {sheet.bootstrap} as {sheet.user} ({len(metadata.brokers)} broker(s)); "
            f"created and deleted {probe}: your topics and groups live under {sheet.learner}.{seen}")


def _announce_join(connection: Connection, sheet: JoinSheet, deadline: Deadline) -> str:
    """A join event on the learner's progress topic: the instructor's `workshop check` and board see them."""
    from confluent_kafka import Producer

    from ..client.errors import CLIENT_LOG
    from ..course.progress import JOINED, ProgressEvent, progress_topic

    learner = sheet.learner
    event = ProgressEvent(learner, 0, JOINED, True, time.time(), detail=sheet.bootstrap)
    producer = Producer({**connection.client_settings(), "logger": CLIENT_LOG,
                         "message.timeout.ms": int(max(1.0, deadline.remaining(1)) * 1000)})
    failed = []
    producer.produce(progress_topic(learner), event.to_json(), key=learner.encode(),
                     on_delivery=lambda err, msg: failed.append(err) if err is not None else None)
    left = producer.flush(deadline.remaining(1))
    if left or failed:
        why = failed[0].str() if failed else "no answer in time"
        return f" (The instructor's board did not get your join: {why}; your setup works all the same.)"
    return " The instructor's board now shows you as joined."
