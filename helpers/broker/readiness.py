"""Is Kafka up? A real metadata request answers, and waiting for it while the JVMs start."""
from __future__ import annotations

import time

import psutil
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient

from ..client.deadline import Deadline
from ..client.errors import BrokerError, BrokerUnreachable, LoginRefused
from .process import NodeProcess
from .storage import RESET_FIX

_LOGIN_ERRORS = (KafkaError._AUTHENTICATION, KafkaError.SASL_AUTHENTICATION_FAILED)


def probe_metadata(bootstrap: str, timeout: float, **client_config):
    """One real metadata request; returns ClusterMetadata or raises BrokerUnreachable, or
    LoginRefused as soon as the broker refuses the credentials (the client reports that through
    its error callback, while the request itself would only time out)."""
    refusals: list[KafkaError] = []
    conf = {"bootstrap.servers": bootstrap, "log_level": 0, **client_config,
            "error_cb": lambda err: refusals.append(err) if err.code() in _LOGIN_ERRORS else None}
    client = AdminClient(conf)
    deadline = Deadline(timeout)
    while True:
        try:
            return client.list_topics(timeout=min(1.0, deadline.remaining(0.1)))
        except KafkaException as err:
            failure = err.args[0]
        client.poll(0)  # serves the error callback
        if refusals or failure.code() in _LOGIN_ERRORS:
            refused = (refusals or [failure])[0]
            raise LoginRefused(
                f"The broker at {bootstrap} refused the login of user {client_config.get('sasl.username')!r} "
                f"({refused.str()}).",
                "Check KAFKA_USERNAME and KAFKA_PASSWORD: source the password file of your join sheet "
                "again (`codealong workshop join FILE` prints the lines), or ask the instructor.") from None
        if deadline.expired():
            raise BrokerUnreachable(
                f"No Kafka broker answered at {bootstrap} within {timeout:g} s ({failure.str()}).",
                "Start a broker (`codealong broker start`), or correct the bootstrap servers.") from None


# While a broker starts, its port refuses connections until it is ready; the client's reconnect
# backoff (100 ms doubling up to 10 s by default) would notice the opening late.
_EAGER = {"reconnect.backoff.ms": 20, "reconnect.backoff.max.ms": 100}


def wait_ready(bootstrap: str, client_settings: dict[str, str], launched: dict[NodeProcess, psutil.Process],
               timeout: float, tick=lambda: None) -> None:
    """Return once a metadata answer lists every launched node; raise a BrokerError as soon as one
    of them exits, or at the deadline."""
    deadline = Deadline(timeout)
    wanted = {node.node for node in launched}
    while True:
        tick()
        for node, proc in launched.items():
            if not proc.is_running() or proc.status() == psutil.STATUS_ZOMBIE:
                reason = node.failure_reason()
                node.forget()
                raise BrokerError(f"Kafka node {node.node} exited during start-up: {reason}",
                                  f"Read {node.log_file} (`codealong broker logs`). If the data "
                                  f"is damaged, {RESET_FIX}")
        try:
            if wanted <= set(probe_metadata(bootstrap, timeout=1, **_EAGER, **client_settings).brokers):
                return
        except BrokerUnreachable:
            pass
        if deadline.expired():
            first = next(iter(launched))
            raise BrokerError(f"Kafka did not answer a metadata request within {timeout:g} s of starting.",
                              f"Read {first.log_file} (`codealong broker logs`); on a busy machine, try again.")
        time.sleep(0.05)
