"""Shared fixtures: ONE real broker per test session, plus throwaway clusters for the tests
that must stop, corrupt or reset one."""
from __future__ import annotations

import os
import socket
import uuid

import pytest

from helpers.broker import LocalCluster
from helpers.broker.cluster import free_ports

# Tests exercise the embedded broker, whatever the developer's shell points at.
os.environ.pop("KAFKA_BOOTSTRAP_SERVERS", None)
# Brokers started by the tests (or by the notebooks' kernels) die with their starter, even when
# pytest itself is killed: no JVMs left behind with pid files in deleted folders.
os.environ["CODEALONG_DIE_WITH_PARENT"] = "1"

#: Figures the fault suite reports (messages sent, faults injected, messages lost).
FAULT_FIGURES: list[str] = []
#: Figures the workshop suite measures (quota latencies, the simulated room's time and memory).
WORKSHOP_FIGURES: list[str] = []


def pytest_terminal_summary(terminalreporter):
    for title, figures in (("fault suite figures", FAULT_FIGURES), ("workshop figures", WORKSHOP_FIGURES)):
        if figures:
            terminalreporter.section(title)
            for line in figures:
                terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def kafka():
    """Bootstrap servers of the embedded single-node broker, started once per session
    (a broker that is already running is reused and left running)."""
    cluster = LocalCluster()
    report = cluster.start()
    yield report.bootstrap
    if not report.reused:
        cluster.stop()


@pytest.fixture
def scratch_cluster(tmp_path, monkeypatch):
    """A single-node cluster of its own (own state folder and ports), stopped afterwards."""
    monkeypatch.setenv("CODEALONG_STATE_DIR", str(tmp_path / "state"))
    cluster = LocalCluster(port=free_ports(3))
    yield cluster
    cluster.stop(timeout=10)


@pytest.fixture
def three_nodes(tmp_path, monkeypatch):
    """A three-node cluster of its own (not started), stopped afterwards."""
    monkeypatch.setenv("CODEALONG_STATE_DIR", str(tmp_path / "trio"))
    cluster = LocalCluster(nodes=3, port=free_ports(6))
    yield cluster
    cluster.stop()


@pytest.fixture
def unique():
    """A fresh name suffix, so tests sharing the session broker never share topics or groups."""
    return uuid.uuid4().hex[:8]


def free_port() -> int:
    """A loopback port nobody listens on right now (the system picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def read_topic(bootstrap: str, topic: str, expected: int, timeout: float = 20.0) -> list[dict]:
    """Every message of a topic from the beginning (no group), until `expected` or the deadline."""
    from helpers.client.topic_state import read_messages

    return read_messages(bootstrap, topic, limit=None, timeout=timeout, decode="text",
                         until=lambda got: len(got) >= expected)


@pytest.fixture
def consumer_config(kafka, unique):
    """A consumer config on the session broker with its own group, reading from the start."""
    from helpers.client.config import ConsumerConfig

    def make(*topics: str, **changes) -> ConsumerConfig:
        values = dict(endpoints=(kafka,), topics=topics, consumer_group=f"group-{unique}",
                      start_with_earliest_message=True, session_timeout_ms=6000)
        return ConsumerConfig(**{**values, **changes})
    return make


@pytest.fixture(autouse=True)
def _no_worker_left_behind():
    yield
    from helpers.client.consumer import ConsumerWorker
    ConsumerWorker.stop_all()
