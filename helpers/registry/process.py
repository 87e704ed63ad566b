"""The registry's JVM: launching it, its pid file, whether it runs, stopping it, its log."""
from __future__ import annotations

import logging
import os
import signal
import subprocess
from pathlib import Path

import psutil

from ..broker.process import _die_with_parent_if_asked
from .layout import RegistryLayout

log = logging.getLogger(__name__)

HEAP = "384m"


def _secret(key: str) -> bool:
    return key.endswith(("jaas.config", "password"))


def _escaped(value: str) -> str:
    """A value as a .properties file reads it back (backslashes are escapes there)."""
    return value.replace("\\", "\\\\").replace("\n", "\\n")


class RegistryProcess:
    """One registry's JVM, found through its pid file and recognised by its command line."""

    def __init__(self, layout: RegistryLayout):
        self.layout = layout
        self.pid_file = layout.pid_file
        self.log_file = layout.log_file

    @property
    def marker(self) -> str:
        """The system property that names this registry's folder on its command line."""
        return f"-Dcodealong.registry={self.layout.dir}"

    def _ours(self, proc: psutil.Process) -> bool:
        try:
            return proc.status() != psutil.STATUS_ZOMBIE and self.marker in proc.cmdline()
        except psutil.Error:
            return False

    def running(self) -> psutil.Process | None:
        """The registry's live JVM, or None. Found by its pid file, else (a pid file lost or stale)
        by the marker on its command line, and the pid file is then written again: a registry is
        never left running unseen, so `stop` always finds it."""
        try:
            proc = psutil.Process(int(self.pid_file.read_text()))
            if self._ours(proc):
                return proc
        except (OSError, ValueError, psutil.Error):
            pass
        for proc in psutil.process_iter():
            if self._ours(proc):
                log.info("The registry runs as pid %s, which its pid file %s did not say; recording it.",
                         proc.pid, self.pid_file)
                self.pid_file.write_text(str(proc.pid))
                return proc
        if self.pid_file.exists():
            log.info("Removing stale pid file %s (its process is gone).", self.pid_file)
            self.pid_file.unlink(missing_ok=True)
        return None

    def launch(self, java: str, install: Path, properties: dict[str, str],
               jvm_options: list[str] = ()) -> psutil.Process:
        # As for the broker: the serial collector and C1 only (a course's load never needs C2, whose
        # compile threads compete with start-up on a small machine).
        public = {key: value for key, value in properties.items() if not _secret(key)}
        cmd = [java, f"-Xmx{HEAP}", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true",
               *jvm_options, self.marker, *(f"-D{key}={value}" for key, value in public.items()),
               "-jar", str(install / "quarkus-run.jar")]
        self.layout.dir.mkdir(parents=True, exist_ok=True)
        self._write_secrets({key: value for key, value in properties.items() if _secret(key)})
        with open(self.log_file, "ab") as out:
            # A session of its own: it outlives the command or kernel that started it, unless
            # $CODEALONG_DIE_WITH_PARENT is set (the test suite).
            popen = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     cwd=self.layout.dir, start_new_session=True,
                                     preexec_fn=_die_with_parent_if_asked())
        self.pid_file.write_text(str(popen.pid))
        return psutil.Process(popen.pid)

    @property
    def secrets_file(self) -> Path:
        """Quarkus reads config/application.properties in the working directory (the registry's folder)."""
        return self.layout.dir / "config" / "application.properties"

    def _write_secrets(self, secrets: dict[str, str]) -> None:
        """Secret settings (a Kafka login) go to a file only its owner reads, not on the command
        line, which `ps` shows to every user; a start without secrets leaves no such file behind."""
        self.secrets_file.unlink(missing_ok=True)
        if not secrets:
            return
        self.secrets_file.parent.mkdir(parents=True, exist_ok=True)
        handle = os.open(self.secrets_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(handle, "w") as out:
            out.write("# Written by codealong at each start: secret settings kept off the command line.\n")
            out.writelines(f"{key}={_escaped(value)}\n" for key, value in secrets.items())

    def forget(self) -> None:
        self.pid_file.unlink(missing_ok=True)

    def stop(self, timeout: float) -> tuple[int | None, bool]:
        """SIGTERM the JVM, SIGKILL it after `timeout` seconds. Returns (its pid or None if it was
        not running, whether it had to be killed)."""
        proc = self.running()
        if proc is None:
            return None, False
        proc.send_signal(signal.SIGTERM)
        _, alive = psutil.wait_procs([proc], timeout=timeout)
        for late in alive:
            log.info("The registry (pid %s) did not stop within %g s of SIGTERM; killing it.", late.pid, timeout)
            late.kill()
        psutil.wait_procs(alive, timeout=10)
        self.forget()
        return proc.pid, bool(alive)

    def log_tail(self, lines: int = 50) -> str:
        if not self.log_file.exists():
            return ""
        with open(self.log_file, "rb") as f:
            f.seek(0, 2)
            f.seek(max(0, f.tell() - 300 * lines))
            return "\n".join(f.read().decode(errors="replace").splitlines()[-lines:])

    def failure_reason(self) -> str:
        """The first error of the log's end, else its last line."""
        lines = self.log_tail(200).splitlines()
        errors = [ln for ln in lines if " ERROR " in ln or "Exception" in ln or "Error:" in ln]
        return (errors[0] if errors else (lines[-1] if lines else "no log output"))[:400]
