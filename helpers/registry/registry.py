"""A real schema registry for the course: Apicurio Registry 3, its schemas kept in OUR Kafka.

`LocalRegistry` is the facade; the work is done by collaborators, one concern each: `archive`
(the pinned download, checked and unpacked), `java` (a Java 21+), `layout` (its files), `ports`
(free or explained), `process` (the JVM and its pid file) and `readiness` (the ccompat API
answers). Both of its interfaces listen on 127.0.0.1 only: the API (`quarkus.http.*`, default
8081) and Quarkus' management interface (`quarkus.management.*`, the next port), which Apicurio
builds in and would otherwise open on 0.0.0.0:9000 (`quarkus.management.enabled=false` cannot turn
it off: Quarkus says it is "build time fixed to 'true'" and ignores it).
"""
from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from filelock import FileLock, Timeout
from tqdm.auto import tqdm

from .. import settings
from ..broker.ports import HOST
from .archive import read_lock, resolve_registry
from .errors import RegistryError
from .groups import GROUP_PREFIX, forget_stale_groups
from .java import find_registry_java
from .layout import RegistryLayout
from .ports import check_ports_free, registry_port
from .process import RegistryProcess
from .readiness import CCOMPAT, answers, wait_ready

log = logging.getLogger(__name__)

START_TIMEOUT_S = 150  # a cold start took 25 s on an idle 2-core machine; CI runs beside other JVMs
STOP_TIMEOUT_S = 20
JOURNAL_TOPIC = "kafkasql-journal"


@dataclass
class RegistryStartReport:
    """What `start()` did: where the registry answers, on which Java, and each phase's seconds."""
    url: str
    reused: bool
    bootstrap: str
    java: str = ""
    pid: int | None = None
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return sum(self.phases.values())

    def __str__(self) -> str:
        if self.reused:
            return f"The schema registry is already running at {self.url} (pid {self.pid}, Kafka {self.bootstrap})."
        parts = ", ".join(f"{name} {secs:.1f} s" for name, secs in self.phases.items())
        return (f"The schema registry is ready at {self.url} (Confluent-compatible API: {self.url}{CCOMPAT}) "
                f"after {self.seconds:.1f} s ({parts}); its schemas live in Kafka at {self.bootstrap}.")


@dataclass
class RegistryStatus:
    running: bool
    url: str
    pid: int | None = None
    bootstrap: str = ""
    answers: bool = False
    rss_mib: float = 0.0


class LocalRegistry:
    """The embedded schema registry. ``LocalRegistry()`` answers at http://127.0.0.1:8081 (or
    $CODEALONG_REGISTRY_PORT); `name`, `state_dir` and `topic` give a throwaway one of its own."""

    def __init__(self, port: int | None = None, *, name: str = "registry", state_dir: Path | None = None,
                 topic: str = JOURNAL_TOPIC, kafka_login: Mapping[str, str] | None = None, host: str = HOST):
        self.port = port if port is not None else registry_port()
        # Where its API listens: loopback, except for a workshop on a room's network (the room's
        # address, as its brokers); the management interface always stays on loopback.
        self.host = host
        # Kafka client settings for its kafkasql clients (a workshop's SASL login), e.g. security.protocol.
        self.kafka_login = dict(kafka_login or {})
        self.management_port = self.port + 1
        self.topic = topic
        self.version = read_lock().version
        self.dir = (state_dir or settings.state_dir()) / name
        self.layout = RegistryLayout(self.dir)
        self.process = RegistryProcess(self.layout)
        self._lock = FileLock(str(self.dir.parent / f"{self.dir.name}.lock"))

    # ---- addresses -----------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The registry's base URL (a running registry's own, else this object's port)."""
        port = self.layout.recorded().get("port") if self.process.running() else None
        return f"http://{self.host}:{port or self.port}"

    @property
    def ccompat_url(self) -> str:
        """What confluent-kafka's SchemaRegistryClient takes as its `url`."""
        return f"{self.url}{CCOMPAT}"

    def properties(self, bootstrap: str) -> dict[str, str]:
        """The registry's settings (system properties: they win over its application.properties)."""
        snapshots = "kafkasql-snapshots" if self.topic == JOURNAL_TOPIC else f"{self.topic}-snapshots"
        return {
            "apicurio.storage.kind": "kafkasql",
            "apicurio.kafkasql.bootstrap.servers": bootstrap,
            "apicurio.kafkasql.topic": self.topic,
            "apicurio.kafkasql.snapshots.topic": snapshots,
            "quarkus.http.host": self.host,
            "quarkus.http.port": str(self.port),
            "quarkus.management.host": HOST,
            "quarkus.management.port": str(self.management_port),
            # Subjects may be deleted (a workshop's reset deletes a learner's); off by default in Apicurio 3.
            "apicurio.rest.deletion.group.enabled": "true",
            "apicurio.rest.deletion.artifact.enabled": "true",
            "apicurio.rest.deletion.artifact-version.enabled": "true",
            # Its consumers poll 5 s by default, and a start waits out empty polls of the journal and
            # snapshots topics: measured here, 500 ms took a warm start from 17 s to 10 s.
            "apicurio.kafkasql.consumer.poll.timeout": "500",
            # Its consumers join a new group at each start (a fixed group.id is refused): named so
            # that they are recognised, without offsets so Kafka drops them once empty (see groups.py).
            "apicurio.kafkasql.consumer.group-prefix": GROUP_PREFIX,
            "apicurio.kafkasql.consumer.enable.auto.commit": "false",
            "apicurio.import.work-dir": str(self.layout.work),
            "apicurio.storage.snapshot.location": str(self.layout.work),
            # Apicurio passes apicurio.kafka.common.* to the kafkasql producer, consumer and admin client.
            **{f"apicurio.kafka.common.{key}": value for key, value in self.kafka_login.items()},
        }

    # ---- start and stop --------------------------------------------------------------------
    def start(self, bootstrap: str | None = None, timeout: float = START_TIMEOUT_S,
              progress: bool = False) -> RegistryStartReport:
        """Start the registry on Kafka at `bootstrap` (default: the embedded broker, started if
        needed); idempotent. Returns once its ccompat API lists the subjects."""
        with _locked(self._lock, self.dir.name, "start"):
            running = self.process.running()
            if running:
                recorded = self.layout.recorded()
                if bootstrap and recorded.get("bootstrap") not in (None, bootstrap):
                    raise RegistryError(f"The schema registry already runs (pid {running.pid}) on Kafka at "
                                        f"{recorded['bootstrap']}, not {bootstrap}.",
                                        "Stop it first (`codealong registry stop`), then start it on the other Kafka.")
                return RegistryStartReport(self.url, True, recorded.get("bootstrap", ""), recorded.get("java", ""),
                                           running.pid)
            return self._start(bootstrap, timeout, progress)

    def _start(self, bootstrap: str | None, timeout: float, progress: bool) -> RegistryStartReport:
        phases: dict[str, float] = {}

        def phase(name: str, work):
            began = time.monotonic()
            result = work()
            phases[name] = time.monotonic() - began
            return result

        check_ports_free({"API": self.port, "management interface": self.management_port})
        if bootstrap is None:
            from ..broker import ensure_broker

            bootstrap = phase("kafka", lambda: ensure_broker(progress=progress))
        java = phase("java", find_registry_java)
        install = phase("fetch", lambda: resolve_registry(settings.cache_dir(), progress=progress))
        self.layout.work.mkdir(parents=True, exist_ok=True)
        with tqdm(total=1, desc=f"starting Apicurio Registry {self.version}", disable=not progress,
                  bar_format="{desc}: waiting for its API [{elapsed}]") as bar:
            began = time.monotonic()
            launched = self.process.launch(java.path, install, self.properties(bootstrap))
            try:
                wait_ready(f"http://{self.host}:{self.port}", self.process, launched, timeout, bar.refresh)
            except BaseException:  # a failure or Ctrl-C: stop what this call launched
                self.process.stop(timeout=10)
                raise
            phases["start"] = time.monotonic() - began
            bar.update()
        forget_stale_groups(bootstrap, self.kafka_login)  # a past run's, now empty
        self.layout.record(port=self.port, management_port=self.management_port, bootstrap=bootstrap,
                           topic=self.topic, java=java.describe())
        return RegistryStartReport(f"http://{self.host}:{self.port}", False, bootstrap, java.describe(), launched.pid,
                                   phases)

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> int | None:
        """Stop the registry (SIGTERM, SIGKILL after `timeout` s); its pid, or None if it was not running."""
        with _locked(self._lock, self.dir.name, "stop"):
            bootstrap = self.layout.recorded().get("bootstrap")
            pid, killed = self.process.stop(timeout)
            if killed:
                log.warning("The schema registry (pid %s) had to be killed.", pid)
            if pid and bootstrap:  # briefly: its Kafka may be gone already
                forget_stale_groups(bootstrap, self.kafka_login, timeout=3)
            return pid

    # ---- state --------------------------------------------------------------------------------
    def is_running(self) -> bool:
        return self.process.running() is not None

    def status(self) -> RegistryStatus:
        proc = self.process.running()
        if proc is None:
            return RegistryStatus(False, self.url)
        recorded = self.layout.recorded()
        try:
            rss = proc.memory_info().rss / 2**20
        except Exception:  # psutil.Error: it just exited
            rss = 0.0
        return RegistryStatus(True, self.url, proc.pid, recorded.get("bootstrap", ""), answers(self.url), rss)

    def log_tail(self, lines: int = 50) -> str:
        return self.process.log_tail(lines)


@contextmanager
def _locked(lock: FileLock, name: str, doing: str):
    Path(lock.lock_file).parent.mkdir(parents=True, exist_ok=True)
    try:
        with lock.acquire(timeout=START_TIMEOUT_S + STOP_TIMEOUT_S + 60):
            yield
    except Timeout:
        raise RegistryError(f"Could not {doing} the schema registry {name}: another process held its lock "
                            f"({lock.lock_file}).",
                            "Wait for the other `codealong` command or notebook to finish, then retry.") from None


def ensure_registry(bootstrap: str | None = None, progress: bool = False) -> str:
    """The ccompat URL of a registry that answers: the embedded one, started if needed."""
    registry = LocalRegistry()
    registry.start(bootstrap, progress=progress)
    return registry.ccompat_url


URL_VARIABLE = "SCHEMA_REGISTRY_URL"


def registry_url(bootstrap: str | None = None, progress: bool = False) -> str:
    """The one place that says where the schema registry is: $SCHEMA_REGISTRY_URL (a workshop's,
    or your company's; its Confluent-compatible base URL), else the embedded registry on the Kafka
    at `bootstrap`, started if needed."""
    return os.environ.get(URL_VARIABLE, "").strip() or ensure_registry(bootstrap, progress=progress)
