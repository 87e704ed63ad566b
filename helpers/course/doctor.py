"""`codealong doctor`: is this machine ready for the codealong? Each problem comes with its fix."""
from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass

from .. import settings
from ..broker.cluster import LocalCluster, port_is_free, port_owner, probe_metadata
from ..broker.prerequisites import check_maven, find_java
from ..client.config import env_bootstrap
from ..client.configs import credentials
from ..client.errors import CodealongError
from .notebook import docker_engine

DOCKER_TIMEOUT_S = 5.0


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True


def _python() -> Check:
    ok = sys.version_info >= (3, 10)
    return Check("Python", ok, sys.version.split()[0], "" if ok else "Install Python 3.10 or newer.")


def _guarded(name: str, probe) -> Check:
    try:
        return Check(name, True, probe())
    except CodealongError as err:
        return Check(name, False, err.cause, err.fix)


def _docker() -> Check:
    docker = shutil.which("docker")
    if not docker:
        return Check("Docker", False, "not installed (optional: only the compose route needs it)",
                     "Optional. Install Docker to try docker-compose.yml; the embedded broker needs no Docker.",
                     required=False)
    engine = docker_engine(timeout=DOCKER_TIMEOUT_S)
    if engine is None:
        return Check("Docker", False, f"the docker client is installed but no Docker engine answered within "
                                      f"{DOCKER_TIMEOUT_S:g} s",
                     "Optional. Start Docker (Docker Desktop, or `systemctl start docker`) for the compose route.",
                     required=False)
    return Check("Docker", True, f"engine {engine}", required=False)


def _ports() -> list[Check]:
    cluster = LocalCluster()
    ours = cluster.is_running()
    checks = []
    for port in cluster.ports[1]:
        if ours or port_is_free(port):
            detail = "used by the codealong broker" if ours else "free"
            checks.append(Check(f"Port {port}", True, detail))
        else:
            checks.append(Check(f"Port {port}", False, f"taken by {port_owner(port)}",
                                "Stop that program, or set CODEALONG_PORT to another port (e.g. 19092)."))
    return checks


def _broker() -> Check:
    servers = env_bootstrap() or LocalCluster().bootstrap
    try:
        metadata = probe_metadata(servers, timeout=5, **credentials(servers))  # a workshop learner's login too
        return Check("Broker", True, f"{servers} answers ({len(metadata.brokers)} broker(s))")
    except CodealongError as err:
        fix = ("Start that cluster or unset KAFKA_BOOTSTRAP_SERVERS." if env_bootstrap()
               else "Run `codealong broker start` (notebooks start it themselves).")
        return Check("Broker", False, err.cause, fix, required=False)


def _registry_java() -> Check:
    """Which Java the schema registry would run on (Apicurio Registry 3 needs 21+), or why none."""
    from ..registry import find_registry_java

    check = _guarded("Registry Java", lambda: f"{find_registry_java().describe()} (the schema registry of "
                                              "chapter 15 needs Java 21+)")
    check.required = False  # only the data-contracts chapter needs it; the broker runs on 17+
    return check


def run_checks() -> list[Check]:
    java = _guarded("Java", lambda: find_java().describe())
    maven = _guarded("Maven", lambda: f"{check_maven()} (optional: the broker's jars come from the lock file; "
                                      "Maven serves `codealong broker lock` and CODEALONG_DOWNLOADER=maven)")
    maven.required = False
    version = _guarded("Kafka version", settings.kafka_version)
    return [_python(), java, _registry_java(), maven, version, _docker(), *_ports(), _broker()]
