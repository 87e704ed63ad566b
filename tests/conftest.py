"""Shared fixtures: ONE real broker per test session, plus throwaway clusters for the tests
that must stop, corrupt or reset one."""
from __future__ import annotations

import itertools
import os
import uuid

import pytest

from helpers.broker import LocalCluster

# Tests exercise the embedded broker, whatever the developer's shell points at.
os.environ.pop("KAFKA_BOOTSTRAP_SERVERS", None)

_scratch_ports = itertools.count(39100, 10)


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
    cluster = LocalCluster(port=next(_scratch_ports))
    yield cluster
    cluster.stop(timeout=10)


@pytest.fixture
def unique():
    """A fresh name suffix, so tests sharing the session broker never share topics or groups."""
    return uuid.uuid4().hex[:8]
