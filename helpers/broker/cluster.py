"""A real Apache Kafka cluster of one or three KRaft nodes, run from Maven jars on loopback.

Each node is one JVM acting as broker and controller. `LocalCluster` is the facade; the work is
done by collaborators, one concern each: `layout` (where the files live), `properties` (what a
node reads at start), `storage` (cluster id and formatting), `process` (a JVM and its pid
file), `launcher` (the nodes' JVMs together, with the class-data archive), `startup` (bringing
stopped nodes up, phase by phase), `readiness` (a metadata answer) and `ports`.
"""
from __future__ import annotations

import logging
import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from filelock import FileLock, Timeout

from .. import settings
from ..client.config import env_bootstrap, env_security
from ..client.errors import BrokerError, BrokerUnreachable
from .launcher import Launcher
from .layout import Layout
from .ports import HOST, check_ports_free, free_ports, port_is_free, port_owner  # noqa: F401 (re-exported)
from .process import NodeProcess
from .properties import NodeProperties
from .readiness import probe_metadata
from .startup import NodeStarter
from .storage import Storage, new_cluster_id, scram_login  # noqa: F401 (new_cluster_id re-exported)

log = logging.getLogger(__name__)

START_TIMEOUT_S = 90
STOP_TIMEOUT_S = 30


@dataclass
class NodeStatus:
    node_id: int
    port: int
    pid: int | None
    running: bool


@dataclass
class StartReport:
    """What `start()` did: the bootstrap servers and how long each phase took (seconds)."""
    bootstrap: str
    reused: bool
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return sum(self.phases.values())

    def __str__(self) -> str:
        if self.reused:
            return f"Kafka is already running at {self.bootstrap} (reused)."
        parts = ", ".join(f"{name} {secs:.1f} s" for name, secs in self.phases.items())
        return f"Kafka is ready at {self.bootstrap} after {self.seconds:.1f} s ({parts})."


def _check_profile(nodes: int, sasl: bool, admin, internal_host, partition_budget) -> None:
    """The combinations of LocalCluster's options that make sense (a ValueError for the others)."""
    if nodes < 1:
        raise ValueError("nodes must be at least 1")
    if sasl and nodes != 1:
        raise ValueError("the SASL profile is single-node")
    if sasl and admin:
        raise ValueError("the SASL profile and the workshop profile exclude each other")
    if partition_budget and not admin:
        raise ValueError("the partition budget is the workshop profile's")
    if internal_host and (sasl or admin):
        raise ValueError("the INTERNAL listener is for the plain-text profile")


class LocalCluster:
    """The embedded Kafka cluster. ``LocalCluster()`` is the single node on 127.0.0.1:9092;
    ``LocalCluster(nodes=3)`` is three nodes from port 9192 up."""

    def __init__(self, nodes: int = 1, port: int | None = None, *, name: str | None = None,
                 advertised_host: str = HOST, sasl: bool = False, state_dir: Path | None = None,
                 admin: tuple[str, str] | None = None, internal_host: str | None = None,
                 partition_budget: int | None = None):
        """`advertised_host` is the name the broker tells clients to reconnect to; anything but
        127.0.0.1 reproduces the classic Docker mistake (see the troubleshooting notebook).
        `sasl` adds a SASL_PLAINTEXT listener (SCRAM-SHA-256) on the next port, `sasl_bootstrap`,
        with one user whose name and password are read from $CODEALONG_SASL_USERNAME and
        $CODEALONG_SASL_PASSWORD when storage is formatted (single node only). `state_dir` holds the
        cluster's folder (default: settings.state_dir()).

        `admin` = (user, password) makes the workshop profile: clients and brokers speak SASL/SCRAM
        on the broker ports (bound to `advertised_host`), Kafka's StandardAuthorizer denies what
        no ACL allows, and `user` is the one super user.

        `internal_host` gives node 1 a second listener, INTERNAL, on loopback on the port after the
        others (`internal_bootstrap`), advertised as `internal_host` (e.g. "kafka", a Docker container's
        name): a client here that bootstraps there is told to reconnect to a name it cannot resolve.
        Only node 1 has it, so a metadata answer on that listener names node 1 alone.

        `partition_budget` (workshop profile): the most partitions one learner's topics may hold
        (helpers.broker.policy); None: no limit."""
        _check_profile(nodes, sasl, admin, internal_host, partition_budget)
        self.sasl, self.admin, self.nodes, self.advertised_host = sasl, admin, nodes, advertised_host
        self.version = settings.kafka_version()
        first = port if port is not None else settings.base_port() + (0 if nodes == 1 else 100)
        self.ports = {i: (first + 2 * (i - 1), first + 2 * (i - 1) + 1) for i in range(1, nodes + 1)}
        self.internal_ports = {1: first + 2 * nodes} if internal_host else {}
        self.dir = (state_dir or settings.state_dir()) / (name or ("single" if nodes == 1 else f"{nodes}-nodes"))
        self.layout = Layout(self.dir)
        self._lock = FileLock(str(self.dir.parent / f"{self.dir.name}.lock"))
        self._properties = NodeProperties(self.layout, self.ports, advertised_host,
                                          self.sasl_bootstrap if sasl else None, admin,
                                          (internal_host, self.internal_ports) if internal_host else None,
                                          partition_budget)
        self._storage = Storage(self.layout, list(self.ports))
        self._processes = {n: NodeProcess(self.layout, n) for n in self.ports}
        self._launcher = Launcher(self._processes, self.version, heap="512m" if nodes == 1 else "384m")
        self._starter = NodeStarter(self.layout, self.version, self._properties, self._storage, self._launcher,
                                    self._ports_of, scram_login(sasl, admin))

    # ---- addresses and files -------------------------------------------------------
    @property
    def bootstrap(self) -> str:
        host = self.advertised_host if self.admin else HOST
        return ",".join(f"{host}:{broker}" for broker, _ in self.ports.values())

    @property
    def client_settings(self) -> dict[str, str]:
        """What a client needs beside bootstrap.servers: the super user's login in the workshop profile."""
        if not self.admin:
            return {}
        return {"security.protocol": "SASL_PLAINTEXT", "sasl.mechanisms": "SCRAM-SHA-256",
                "sasl.username": self.admin[0], "sasl.password": self.admin[1]}

    @property
    def internal_bootstrap(self) -> str:
        """Where node 1's INTERNAL listener answers (see `internal_host`); "" without it."""
        return ",".join(f"{HOST}:{port}" for port in self.internal_ports.values())

    @property
    def sasl_bootstrap(self) -> str:
        """Where the SASL listener answers (the port after the controller's)."""
        return f"{HOST}:{self.ports[1][1] + 1}"

    def node_dir(self, node: int) -> Path:
        return self.layout.node_dir(node)

    def log_file(self, node: int = 1) -> Path:
        return self.layout.log_file(node)

    def _check_node(self, node: int | None) -> list[int]:
        if node is None:
            return list(self.ports)
        if node not in self.ports:
            raise BrokerError(f"This cluster has nodes {list(self.ports)}; there is no node {node}.",
                              f"Pass --node with one of {list(self.ports)}.")
        return [node]

    # ---- state -----------------------------------------------------------------------
    def status(self) -> list[NodeStatus]:
        procs = {n: self._processes[n].running() for n in self.ports}
        return [NodeStatus(n, port, procs[n].pid if procs[n] else None, procs[n] is not None)
                for n, (port, _) in self.ports.items()]

    def is_running(self) -> bool:
        return any(s.running for s in self.status())

    def _running(self, nodes: list[int]) -> list[int]:
        return [n for n in nodes if self._processes[n].running()]

    # ---- start and stop ----------------------------------------------------------------
    def start(self, node: int | None = None, timeout: float = START_TIMEOUT_S,
              progress: bool = False) -> StartReport:
        """Start the cluster (or one node), formatting storage on first use; idempotent.

        Returns once a real metadata request lists every started node. `progress` shows a
        bar through the three phases (jars, storage, waiting for the broker). Holds the
        cluster's lock, so two processes starting it at once get one broker between them.
        A node running another Kafka version than the pinned one is restarted (and logged).
        """
        targets = self._check_node(node)
        with _locked(self._lock, self.dir.name, "start"):
            stale = self.layout.recorded_version()
            if stale is not None and stale != self.version and self._running(targets):
                log.warning("Kafka %s is running for %s, but Kafka %s is pinned: restarting it on %s.",
                            stale, self.dir, self.version, self.version)
                self._launcher.stop(self._running(list(self.ports)), STOP_TIMEOUT_S)
            to_start = [n for n in targets if n not in self._running(targets)]
            if not to_start:
                return StartReport(self.bootstrap, reused=True)
            return self._start_nodes(to_start, timeout, progress)

    def _start_nodes(self, to_start: list[int], timeout: float, progress: bool) -> StartReport:
        phases = self._starter.start(to_start, self.bootstrap, self.client_settings, timeout, progress)
        return StartReport(self.bootstrap, reused=False, phases=phases)

    def _ports_of(self, node: int) -> tuple[int, ...]:
        """Every port the node listens on: broker, controller, and the SASL or INTERNAL listener's."""
        extra = (self.ports[node][1] + 1,) if self.sasl else ()
        extra += (self.internal_ports[node],) if node in self.internal_ports else ()
        return (*self.ports[node], *extra)

    def stop(self, node: int | None = None, timeout: float = STOP_TIMEOUT_S) -> list[int]:
        """Stop the cluster (or one node): SIGTERM, then SIGKILL after `timeout` seconds.

        Returns the ids of the nodes that were running. Stopping a stopped cluster is a no-op.
        """
        targets = self._check_node(node)
        with _locked(self._lock, self.dir.name, "stop"):
            return self._launcher.stop(targets, timeout)

    def kill(self, node: int) -> None:
        """SIGKILL one node, as a crash would (for fault demonstrations)."""
        self._launcher.kill(node)

    def reset(self) -> None:
        """Stop the cluster and delete all of its data and logs."""
        with _locked(self._lock, self.dir.name, "reset"):
            self._launcher.stop(list(self.ports), STOP_TIMEOUT_S)
            shutil.rmtree(self.dir, ignore_errors=True)

    def log_tail(self, node: int = 1, lines: int = 50) -> str:
        return self._processes[node].log_tail(lines)


@contextmanager
def _locked(lock: FileLock, name: str, doing: str):
    """A cluster's lock (a file beside its folder, so `reset` can delete the folder)."""
    Path(lock.lock_file).parent.mkdir(parents=True, exist_ok=True)
    try:
        with lock.acquire(timeout=START_TIMEOUT_S + STOP_TIMEOUT_S):
            yield
    except Timeout:
        raise BrokerError(f"Could not {doing} {name}: another process held its lock "
                          f"({lock.lock_file}) for {START_TIMEOUT_S + STOP_TIMEOUT_S} s.",
                          "Wait for the other `codealong` command or notebook to finish, then retry.") from None


def ensure_broker(timeout: float = START_TIMEOUT_S, progress: bool = False, **client_config) -> str:
    """Bootstrap servers of a broker that answers, starting the embedded one if needed.

    ``$KAFKA_BOOTSTRAP_SERVERS`` wins when set (it must answer within 5 s); otherwise the
    local single-node broker is reused if running, else started.
    """
    servers = env_bootstrap()
    if servers:
        try:
            probe_metadata(servers, timeout=5, **{**env_security().client_settings(), **client_config})
        except BrokerUnreachable as err:
            raise BrokerUnreachable(
                f"KAFKA_BOOTSTRAP_SERVERS is set to {servers!r}, but {err.cause[0].lower()}{err.cause[1:]}",
                "Start that cluster, correct the variable, or unset it to use the embedded broker.") from None
        return servers
    return LocalCluster().start(timeout=timeout, progress=progress).bootstrap
