"""A node's JVM: launching it, its pid file, whether it runs, stopping or killing it, its log."""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil

from .jars import classpath
from .layout import Layout

log = logging.getLogger(__name__)


def _die_with_parent_if_asked():
    """A pre-exec hook that makes the child die with the process that started it (Linux's
    PR_SET_PDEATHSIG), when $CODEALONG_DIE_WITH_PARENT is set; else None."""
    if not os.environ.get("CODEALONG_DIE_WITH_PARENT") or not sys.platform.startswith("linux"):
        return None
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1
    return lambda: libc.prctl(pr_set_pdeathsig, signal.SIGKILL)


class NodeProcess:
    """One node's JVM, found through its pid file."""

    def __init__(self, layout: Layout, node: int):
        self.layout = layout
        self.node = node
        self.pid_file = layout.pid_file(node)
        self.log_file = layout.log_file(node)

    def running(self) -> psutil.Process | None:
        """The node's live JVM, or None. A pid file naming any other process is stale (and removed)."""
        try:
            proc = psutil.Process(int(self.pid_file.read_text()))
            cmd = proc.cmdline()
            if proc.status() != psutil.STATUS_ZOMBIE and "kafka.Kafka" in cmd and \
                    str(self.layout.properties(self.node)) in cmd:
                return proc
        except (OSError, ValueError, psutil.Error):
            pass
        if self.pid_file.exists():
            log.info("Removing stale pid file %s (its process is gone).", self.pid_file)
            self.pid_file.unlink()
        return None

    def launch(self, java: str, libs: Path, heap: str, jvm_options: list[str]) -> psutil.Process:
        # C1 only (no C2 compiler): C2's compile threads took half the JVM's CPU time during a start
        # and competed with Kafka's own threads on a small machine; a course's load never needs C2.
        cmd = [java, "-Xms128m", f"-Xmx{heap}", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
               "-Djava.awt.headless=true", *jvm_options,
               f"-Dlog4j2.configurationFile={self.layout.log4j}",
               "-cp", classpath(libs, self.layout.plugins), "kafka.Kafka", str(self.layout.properties(self.node))]
        with open(self.log_file, "ab") as out:
            # A session of its own: the broker outlives the CLI or kernel that started it, unless
            # $CODEALONG_DIE_WITH_PARENT is set (the test suite): then it dies with its starter.
            popen = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True, preexec_fn=_die_with_parent_if_asked())
        self.pid_file.write_text(str(popen.pid))
        return psutil.Process(popen.pid)

    def forget(self) -> None:
        self.pid_file.unlink(missing_ok=True)

    def kill(self) -> bool:
        """SIGKILL the JVM, as a crash would; False if it was not running."""
        proc = self.running()
        if proc:
            proc.kill()
            proc.wait(10)
            self.forget()
        return proc is not None

    def log_tail(self, lines: int = 50) -> str:
        if not self.log_file.exists():
            return ""
        with open(self.log_file, "rb") as f:
            f.seek(0, 2)
            f.seek(max(0, f.tell() - 200 * lines))
            return "\n".join(f.read().decode(errors="replace").splitlines()[-lines:])

    def failure_reason(self) -> str:
        """The first error of the log's end, else its last line."""
        lines = self.log_tail(200).splitlines()
        errors = [ln for ln in lines if " ERROR " in ln or "Exception" in ln]
        return (errors[0] if errors else (lines[-1] if lines else "no log output"))[:400]


def stop_processes(nodes: list[NodeProcess], timeout: float) -> tuple[list[int], list[int]]:
    """SIGTERM the nodes' JVMs, SIGKILL those still alive after `timeout` seconds. Returns the nodes
    that were running and those of them that had to be killed."""
    procs = {node.node: (node, proc) for node in nodes if (proc := node.running())}
    for _, proc in procs.values():
        proc.send_signal(signal.SIGTERM)
    _, alive = psutil.wait_procs([proc for _, proc in procs.values()], timeout=timeout)
    for proc in alive:
        # Seen when all nodes of a cluster stop together and the last ones lose their
        # controller quorum; Kafka recovers its logs at the next start.
        log.info("Kafka pid %s did not stop within %g s of SIGTERM; killing it.", proc.pid, timeout)
        proc.kill()
    psutil.wait_procs(alive, timeout=10)
    for node, _ in procs.values():
        node.forget()
    killed = [n for n, (_, proc) in procs.items() if proc in alive]
    return sorted(procs), killed
