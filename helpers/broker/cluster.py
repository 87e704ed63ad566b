"""A real Apache Kafka cluster of one or three KRaft nodes, run from Maven jars on loopback.

Each node is one JVM acting as broker and controller. Everything a cluster owns lives in
one folder, ``state_dir()/<name>/``: ``cluster.id``, ``log4j2.yaml`` and per node
``node-<id>/{server.properties, data/, broker.log, pid}``.
"""
from __future__ import annotations

import base64
import logging
import os
import random
import shutil
import signal
import socket
import string
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import psutil
from filelock import FileLock, Timeout
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient
from tqdm.auto import tqdm

from .. import settings
from ..client.config import env_bootstrap, env_security
from ..client.deadline import Deadline
from ..client.errors import BrokerError, BrokerUnreachable, CodealongError, LoginRefused
from .class_data import ClassDataArchive
from .jars import classpath, resolve_jars
from .prerequisites import check_java

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
START_TIMEOUT_S = 90
STOP_TIMEOUT_S = 30
RESET_FIX = ("`codealong broker reset` wipes this cluster's data (its topics and messages) "
             "and the next start formats it afresh.")


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


def _die_with_parent_if_asked():
    """A pre-exec hook that makes the child die with the process that started it (Linux's
    PR_SET_PDEATHSIG), when $CODEALONG_DIE_WITH_PARENT is set; else None."""
    if not os.environ.get("CODEALONG_DIE_WITH_PARENT") or not sys.platform.startswith("linux"):
        return None
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1
    return lambda: libc.prctl(pr_set_pdeathsig, signal.SIGKILL)


def new_cluster_id() -> str:
    """A KRaft cluster id: 16 random bytes, URL-safe base64 without padding (as StorageTool).
    Like Kafka's own generator, never one starting with "-", which tools would read as an option."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not cluster_id.startswith("-"):
            return cluster_id


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


_LOGIN_ERRORS = (KafkaError._AUTHENTICATION, KafkaError.SASL_AUTHENTICATION_FAILED)


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def free_ports(count: int, low: int = 20000, high: int = 32000, tries: int = 200) -> int:
    """The first of `count` consecutive loopback ports that are free now (below the ephemeral
    range, where clients may hold ports), picked at random so that two runs rarely meet."""
    for _ in range(tries):
        first = random.randrange(low, high - count)
        if all(port_is_free(port) for port in range(first, first + count)):
            return first
    raise BrokerError(f"No {count} consecutive free ports found between {low} and {high}.",
                      "Stop some programs listening on loopback, or retry.")


def port_owner(port: int) -> str:
    """A description of the process listening on the port, when the OS lets us see it."""
    try:
        for conn in psutil.net_connections(kind="tcp"):
            if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_LISTEN and conn.pid:
                proc = psutil.Process(conn.pid)
                return f"pid {conn.pid}: {' '.join(proc.cmdline())[:120]}"
    except (psutil.Error, OSError):
        pass
    return "a process this user cannot inspect"


class LocalCluster:
    """The embedded Kafka cluster. ``LocalCluster()`` is the single node on 127.0.0.1:9092;
    ``LocalCluster(nodes=3)`` is three nodes from port 9192 up."""

    def __init__(self, nodes: int = 1, port: int | None = None, *, name: str | None = None,
                 advertised_host: str = HOST, sasl: bool = False, state_dir: Path | None = None,
                 admin: tuple[str, str] | None = None):
        """`advertised_host` is the name the broker tells clients to reconnect to; anything but
        127.0.0.1 reproduces the classic Docker mistake (see the troubleshooting notebook).
        `sasl` adds a SASL_PLAINTEXT listener (SCRAM-SHA-256) on the next port, `sasl_bootstrap`,
        with one user whose name and password are read from $CODEALONG_SASL_USERNAME and
        $CODEALONG_SASL_PASSWORD when storage is formatted (single node only). `state_dir` holds the
        cluster's folder (default: settings.state_dir()).

        `admin` = (user, password) makes the workshop profile: clients and brokers speak SASL/SCRAM
        on the broker ports (bound to `advertised_host`), Kafka's StandardAuthorizer denies what
        no ACL allows, and `user` is the one super user (also on the controllers' loopback
        listener, by SASL/PLAIN: the controllers must authenticate before any SCRAM user exists)."""
        if nodes < 1:
            raise ValueError("nodes must be at least 1")
        if sasl and nodes != 1:
            raise ValueError("the SASL profile is single-node")
        if sasl and admin:
            raise ValueError("the SASL profile and the workshop profile exclude each other")
        self.sasl = sasl
        self.admin = admin
        self.nodes = nodes
        self.advertised_host = advertised_host
        self.version = settings.kafka_version()
        first = port if port is not None else settings.base_port() + (0 if nodes == 1 else 100)
        self.ports = {i: (first + 2 * (i - 1), first + 2 * (i - 1) + 1) for i in range(1, nodes + 1)}
        self.dir = (state_dir or settings.state_dir()) / (name or ("single" if nodes == 1 else f"{nodes}-nodes"))
        self._lock = FileLock(str(self.dir.parent / f"{self.dir.name}.lock"))

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
    def sasl_bootstrap(self) -> str:
        """Where the SASL listener answers (the port after the controller's)."""
        return f"{HOST}:{self.ports[1][1] + 1}"

    def node_dir(self, node: int) -> Path:
        return self.dir / f"node-{node}"

    def log_file(self, node: int = 1) -> Path:
        return self.node_dir(node) / "broker.log"

    def _pid_file(self, node: int) -> Path:
        return self.node_dir(node) / "pid"

    def _check_node(self, node: int | None) -> list[int]:
        if node is None:
            return list(self.ports)
        if node not in self.ports:
            raise BrokerError(f"This cluster has nodes {list(self.ports)}; there is no node {node}.",
                              f"Pass --node with one of {list(self.ports)}.")
        return [node]

    # ---- processes -----------------------------------------------------------------
    def _process(self, node: int) -> psutil.Process | None:
        """The node's live JVM, or None. A pid file naming any other process is stale."""
        pid_file = self._pid_file(node)
        try:
            pid = int(pid_file.read_text())
            proc = psutil.Process(pid)
            cmd = proc.cmdline()
            if proc.status() != psutil.STATUS_ZOMBIE and "kafka.Kafka" in cmd and \
                    str(self.node_dir(node) / "server.properties") in cmd:
                return proc
        except (OSError, ValueError, psutil.Error):
            pass
        if pid_file.exists():
            log.info("Removing stale pid file %s (its process is gone).", pid_file)
            pid_file.unlink()
        return None

    def status(self) -> list[NodeStatus]:
        result = []
        for node, (port, _) in self.ports.items():
            proc = self._process(node)
            result.append(NodeStatus(node, port, proc.pid if proc else None, proc is not None))
        return result

    def is_running(self) -> bool:
        return any(s.running for s in self.status())

    # ---- start -----------------------------------------------------------------------
    def _cluster_id(self) -> str:
        id_file = self.dir / "cluster.id"
        if not id_file.exists():
            if any(self.node_dir(n).joinpath("data", "meta.properties").exists() for n in self.ports):
                raise BrokerError(f"{self.dir} has formatted data but no cluster.id file.", RESET_FIX)
            self.dir.mkdir(parents=True, exist_ok=True)
            id_file.write_text(new_cluster_id())
        return id_file.read_text().strip()

    def _write_config(self, node: int) -> Path:
        broker_port, controller_port = self.ports[node]
        voters = ",".join(f"{n}@{HOST}:{c}" for n, (_, c) in self.ports.items())
        template = resources.files("helpers.broker").joinpath("resources/server.properties").read_text()
        text = string.Template(template).substitute(
            node_id=node, voters=voters, broker_port=broker_port, controller_port=controller_port,
            advertised_host=self.advertised_host,
            sasl_listener=f",SASL_PLAINTEXT://{self.sasl_bootstrap}" if self.sasl else "",
            sasl_advertised=f",SASL_PLAINTEXT://{self.sasl_bootstrap}" if self.sasl else "",
            data_dir=self.node_dir(node) / "data", internal_rf=min(3, self.nodes),
            internal_min_isr=2 if self.nodes >= 3 else 1)
        if self.admin:
            text += self._workshop_properties(broker_port, controller_port)
        path = self.node_dir(node) / "server.properties"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)  # the workshop profile's file holds the super user's password
        path.write_text(text)
        log4j = self.dir / "log4j2.yaml"
        log4j.write_text(resources.files("helpers.broker").joinpath("resources/log4j2.yaml").read_text())
        return path

    def _workshop_properties(self, broker_port: int, controller_port: int) -> str:
        """Overrides (later keys win in a properties file) for the workshop profile."""
        user, password = self.admin
        return "\n".join([
            "", "# ---- workshop profile: SASL/SCRAM for everyone, ACLs enforced ----",
            f"listeners=SASL_PLAINTEXT://{self.advertised_host}:{broker_port},CONTROLLER://{HOST}:{controller_port}",
            f"advertised.listeners=SASL_PLAINTEXT://{self.advertised_host}:{broker_port}",
            "inter.broker.listener.name=SASL_PLAINTEXT",
            "sasl.mechanism.inter.broker.protocol=SCRAM-SHA-256",
            "listener.security.protocol.map=CONTROLLER:SASL_PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT",
            "listener.name.sasl_plaintext.sasl.enabled.mechanisms=SCRAM-SHA-256",
            "listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram."
            f'ScramLoginModule required username="{user}" password="{password}";',
            "sasl.mechanism.controller.protocol=PLAIN",
            "listener.name.controller.sasl.enabled.mechanisms=PLAIN",
            "listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain."
            f'PlainLoginModule required username="{user}" password="{password}" user_{user}="{password}";',
            "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            f"super.users=User:{user}",
            "allow.everyone.if.no.acl.found=false", ""])

    def _secret(self) -> str | None:
        return self.admin[1] if self.admin else os.environ.get("CODEALONG_SASL_PASSWORD") if self.sasl else None

    def _format(self, node: int, java: str, libs: Path, cluster_id: str) -> None:
        data = self.node_dir(node) / "data"
        meta = data / "meta.properties"
        if meta.exists():
            text = meta.read_text()
            if f"cluster.id={cluster_id}" not in text:
                raise BrokerError(f"Node {node}'s data in {data} belongs to another cluster or is corrupted "
                                  f"(meta.properties does not name cluster {cluster_id}).", RESET_FIX)
            return
        if data.exists() and any(data.iterdir()):
            raise BrokerError(f"Node {node}'s data directory {data} is half-formatted "
                              "(files but no meta.properties), probably from an interrupted first start.",
                              RESET_FIX)
        cmd = [java, "-Xmx256m", f"-Dlog4j2.configurationFile={self.dir / 'log4j2.yaml'}",
               "-cp", classpath(libs), "kafka.tools.StorageTool", "format",
               f"--cluster-id={cluster_id}", f"--config={self.node_dir(node) / 'server.properties'}",
               # Share groups (KIP-932, chapter 13) are a feature level of the cluster's metadata;
               # named here so the embedded broker has them whatever the release's default.
               "--feature", "share.version=2", *self._scram_user()]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            output = (proc.stdout + proc.stderr).strip()[-400:]
            if self._secret():
                output = output.replace(self._secret(), "***")
            raise BrokerError(f"Formatting node {node}'s storage failed: {output}", RESET_FIX)

    def _scram_user(self) -> list[str]:
        if self.admin:
            return ["--add-scram", f"SCRAM-SHA-256=[name={self.admin[0]},password={self.admin[1]}]"]
        if not self.sasl:
            return []
        user, password = os.environ.get("CODEALONG_SASL_USERNAME"), os.environ.get("CODEALONG_SASL_PASSWORD")
        if not user or not password:
            raise BrokerError("The SASL profile needs a user, but CODEALONG_SASL_USERNAME and "
                              "CODEALONG_SASL_PASSWORD are not both set.",
                              "Export both (any values you choose) before starting the SASL broker.")
        return ["--add-scram", f"SCRAM-SHA-256=[name={user},password={password}]"]

    def _check_ports(self, node: int) -> None:
        ports = (*self.ports[node], self.ports[node][1] + 1) if self.sasl else self.ports[node]
        for port in ports:
            if not port_is_free(port):
                raise BrokerError(
                    f"Port {port} on {HOST} is taken by another program ({port_owner(port)}), "
                    "not by this codealong broker.",
                    "Stop that program, or run the codealong on other ports, e.g. "
                    "`CODEALONG_PORT=19092 codealong broker start` (and the same variable for notebooks).")

    def _launch(self, node: int, java: str, libs: Path, jvm_options: list[str]) -> psutil.Process:
        heap = "512m" if self.nodes == 1 else "384m"
        cmd = [java, "-Xms128m", f"-Xmx{heap}", "-XX:+UseSerialGC", "-Djava.awt.headless=true", *jvm_options,
               f"-Dlog4j2.configurationFile={self.dir / 'log4j2.yaml'}",
               "-cp", classpath(libs), "kafka.Kafka", str(self.node_dir(node) / "server.properties")]
        with open(self.log_file(node), "ab") as out:
            # A session of its own: the broker outlives the CLI or kernel that started it, unless
            # $CODEALONG_DIE_WITH_PARENT is set (the test suite): then it dies with its starter.
            popen = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True, preexec_fn=_die_with_parent_if_asked())
        self._pid_file(node).write_text(str(popen.pid))
        return psutil.Process(popen.pid)

    def _failure_reason(self, node: int) -> str:
        lines = self.log_tail(node, 200).splitlines()
        errors = [ln for ln in lines if " ERROR " in ln or "Exception" in ln]
        return (errors[0] if errors else (lines[-1] if lines else "no log output"))[:400]

    def _wait_ready(self, nodes: list[int], procs: dict[int, psutil.Process], timeout: float,
                    tick=lambda: None) -> None:
        deadline = Deadline(timeout)
        while True:
            tick()
            for node, proc in procs.items():
                if not proc.is_running() or proc.status() == psutil.STATUS_ZOMBIE:
                    reason = self._failure_reason(node)
                    self._pid_file(node).unlink(missing_ok=True)
                    raise BrokerError(f"Kafka node {node} exited during start-up: {reason}",
                                      f"Read {self.log_file(node)} (`codealong broker logs`). If the data "
                                      f"is damaged, {RESET_FIX}")
            try:
                metadata = probe_metadata(self.bootstrap, timeout=2, **self.client_settings)
                if set(nodes) <= set(metadata.brokers):
                    return
            except BrokerUnreachable:
                pass
            if deadline.expired():
                raise BrokerError(f"Kafka did not answer a metadata request within {timeout:g} s of starting.",
                                  f"Read {self.log_file(nodes[0])} (`codealong broker logs`); on a busy "
                                  "machine, try again.")
            time.sleep(0.3)

    def start(self, node: int | None = None, timeout: float = START_TIMEOUT_S,
              progress: bool = False) -> StartReport:
        """Start the cluster (or one node), formatting storage on first use; idempotent.

        Returns once a real metadata request lists every started node. `progress` shows a
        bar through the three phases (jars, storage, waiting for the broker). Holds the
        cluster's lock, so two processes starting it at once get one broker between them.
        A node running another Kafka version than the pinned one is restarted (and logged).
        """
        targets = self._check_node(node)
        with self._locked("start"):
            stale = self._running_version()
            if stale is not None and stale != self.version and any(self._process(n) for n in targets):
                log.warning("Kafka %s is running for %s, but Kafka %s is pinned: restarting it on %s.",
                            stale, self.dir, self.version, self.version)
                self._stop_nodes([n for n in self.ports if self._process(n)], STOP_TIMEOUT_S)
            to_start = [n for n in targets if self._process(n) is None]
            if not to_start:
                return StartReport(self.bootstrap, reused=True)
            return self._start_nodes(to_start, timeout, progress)

    def _start_nodes(self, to_start: list[int], timeout: float, progress: bool) -> StartReport:
        phases = {}
        with tqdm(total=3, desc=f"starting Kafka {self.version}", unit="phase", disable=not progress,
                  bar_format="{desc}: {n}/{total} phases{postfix} [{elapsed}]") as bar:
            bar.set_postfix_str("resolving jars")
            began = time.monotonic()
            java, _ = check_java()
            libs = resolve_jars(self.version, settings.cache_dir())
            phases["resolve jars"] = time.monotonic() - began
            bar.update()

            bar.set_postfix_str("formatting storage")
            began = time.monotonic()
            cluster_id = self._cluster_id()
            for n in to_start:
                self._check_ports(n)
                self._write_config(n)
                self._format(n, java, libs, cluster_id)
            phases["format"] = time.monotonic() - began
            bar.update()

            bar.set_postfix_str("waiting for a metadata answer")
            began = time.monotonic()
            archive = ClassDataArchive(java, libs, settings.cache_dir())
            try:
                self._launch_and_wait(to_start, java, libs, archive, timeout, bar.refresh)
            except BrokerError as failure:
                if not archive.usable():
                    raise
                # Was it the archive? Only a start that succeeds without it says so.
                try:
                    self._launch_and_wait(to_start, java, libs, archive, timeout, bar.refresh, use_archive=False)
                except BrokerError:
                    raise failure from None
                log.warning("Kafka did not start with the class-data archive %s, and did without it: the "
                            "archive is discarded and rebuilt after the next clean stop.", archive.archive)
                archive.discard()
            phases["start"] = time.monotonic() - began
            bar.set_postfix_str("ready")
            bar.update()
        (self.dir / "version").write_text(self.version)
        return StartReport(self.bootstrap, reused=False, phases=phases)

    def _launch_and_wait(self, nodes: list[int], java: str, libs: Path, archive: ClassDataArchive,
                         timeout: float, tick, use_archive: bool = True) -> None:
        launched: dict[int, psutil.Process] = {}
        try:
            for n in nodes:
                launched[n] = self._launch(n, java, libs, archive.launch_options(self.node_dir(n), use_archive))
            self._wait_ready(nodes, launched, timeout, tick=tick)
        except BaseException:  # a failure or Ctrl-C: stop what THIS call launched, nothing else
            self._stop_nodes(list(launched), timeout=10, clean=False)
            raise

    def _running_version(self) -> str | None:
        try:
            return (self.dir / "version").read_text().strip()
        except OSError:
            return None

    @contextmanager
    def _locked(self, doing: str):
        """The cluster's lock (a file beside its folder, so `reset` can delete the folder)."""
        self.dir.parent.mkdir(parents=True, exist_ok=True)
        try:
            with self._lock.acquire(timeout=START_TIMEOUT_S + STOP_TIMEOUT_S):
                yield
        except Timeout:
            raise BrokerError(f"Could not {doing} {self.dir.name}: another process held its lock "
                              f"({self._lock.lock_file}) for {START_TIMEOUT_S + STOP_TIMEOUT_S} s.",
                              "Wait for the other `codealong` command or notebook to finish, then retry.") from None

    # ---- stop, logs, reset ---------------------------------------------------------
    def stop(self, node: int | None = None, timeout: float = STOP_TIMEOUT_S) -> list[int]:
        """Stop the cluster (or one node): SIGTERM, then SIGKILL after `timeout` seconds.

        Returns the ids of the nodes that were running. Stopping a stopped cluster is a no-op.
        """
        targets = self._check_node(node)
        with self._locked("stop"):
            return self._stop_nodes(targets, timeout)

    def _stop_nodes(self, nodes: list[int], timeout: float, clean: bool = True) -> list[int]:
        procs = {n: p for n in nodes if (p := self._process(n))}
        for proc in procs.values():
            proc.send_signal(signal.SIGTERM)
        _, alive = psutil.wait_procs(list(procs.values()), timeout=timeout)
        for proc in alive:
            # Seen when all nodes of a cluster stop together and the last ones lose their
            # controller quorum; Kafka recovers its logs at the next start.
            log.info("Kafka pid %s did not stop within %g s of SIGTERM; killing it.", proc.pid, timeout)
            proc.kill()
        psutil.wait_procs(alive, timeout=10)
        for n in procs:
            self._pid_file(n).unlink(missing_ok=True)
        killed = {n for n, proc in procs.items() if proc in alive}
        self._build_class_data([n for n in procs if clean and n not in killed])
        for n in procs:
            ClassDataArchive.recording(self.node_dir(n)).unlink(missing_ok=True)
        return sorted(procs)

    def _build_class_data(self, cleanly_stopped: list[int]) -> None:
        """After the first clean stop, build the class-data archive from what a node recorded."""
        recorded = [r for n in cleanly_stopped if (r := ClassDataArchive.recording(self.node_dir(n))).is_file()]
        if not recorded or not ClassDataArchive.enabled():
            return
        try:
            java, _ = check_java()
            libs = resolve_jars(self.version, settings.cache_dir())
            ClassDataArchive(java, libs, settings.cache_dir()).build(recorded[0])
        except CodealongError as err:  # an archive is an optimisation: never a reason for stop() to fail
            log.info("No class-data archive was built: %s", err.cause)

    def kill(self, node: int) -> None:
        """SIGKILL one node, as a crash would (for fault demonstrations)."""
        proc = self._process(node)
        if proc:
            proc.kill()
            proc.wait(10)
            self._pid_file(node).unlink(missing_ok=True)
            ClassDataArchive.recording(self.node_dir(node)).unlink(missing_ok=True)  # a partial list

    def log_tail(self, node: int = 1, lines: int = 50) -> str:
        path = self.log_file(node)
        if not path.exists():
            return ""
        with open(path, "rb") as f:
            f.seek(0, 2)
            f.seek(max(0, f.tell() - 200 * lines))
            return "\n".join(f.read().decode(errors="replace").splitlines()[-lines:])

    def reset(self) -> None:
        """Stop the cluster and delete all of its data and logs."""
        with self._locked("reset"):
            self._stop_nodes(list(self.ports), STOP_TIMEOUT_S)
            shutil.rmtree(self.dir, ignore_errors=True)


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
