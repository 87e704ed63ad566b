"""Launching and stopping a cluster's JVMs together, with the class-data archive: used when it
works, recorded for on a first run, built after a clean stop, and set aside if a start fails with it."""
from __future__ import annotations

import logging
from pathlib import Path

import psutil

from .. import settings
from ..client.errors import BrokerError, CodealongError
from .class_data import ClassDataArchive
from .jars import resolve_jars
from .prerequisites import check_java
from .process import NodeProcess, stop_processes
from .readiness import wait_ready

log = logging.getLogger(__name__)


class Launcher:
    def __init__(self, processes: dict[int, NodeProcess], version: str, heap: str):
        self.processes = processes
        self.version = version
        self.heap = heap

    def java_and_jars(self) -> tuple[str, Path]:
        return check_java()[0], resolve_jars(self.version, settings.cache_dir())

    def launch(self, nodes: list[int], java: str, libs: Path, bootstrap: str, client_settings: dict[str, str],
               timeout: float, tick=lambda: None) -> None:
        """Launch the nodes and wait for their metadata answer; retry once without the archive when a
        start with it fails (only a start that succeeds without it says the archive was to blame)."""
        archive = ClassDataArchive(java, libs, settings.cache_dir())
        ready = (bootstrap, client_settings, timeout, tick)
        try:
            self._launch_and_wait(nodes, java, libs, archive.launch_options, *ready)
        except BrokerError as failure:
            if not archive.usable():
                raise
            try:
                self._launch_and_wait(nodes, java, libs, lambda node_dir: archive.launch_options(node_dir, False),
                                      *ready)
            except BrokerError:
                raise failure from None
            log.warning("Kafka did not start with the class-data archive %s, and did without it: the "
                        "archive is discarded and rebuilt after the next clean stop.", archive.archive)
            archive.discard()

    def _launch_and_wait(self, nodes: list[int], java: str, libs: Path, jvm_options, bootstrap: str,
                         client_settings: dict[str, str], timeout: float, tick) -> None:
        launched: dict[NodeProcess, psutil.Process] = {}
        try:
            for n in nodes:
                node = self.processes[n]
                launched[node] = node.launch(java, libs, self.heap, jvm_options(node.layout.node_dir(n)))
            wait_ready(bootstrap, client_settings, launched, timeout, tick)
        except BaseException:  # a failure or Ctrl-C: stop what THIS call launched, nothing else
            self.stop([node.node for node in launched], timeout=10, clean=False)
            raise

    def stop(self, nodes: list[int], timeout: float, clean: bool = True) -> list[int]:
        """Stop the nodes; the first clean stop builds the class-data archive. Returns those that ran."""
        stopped, killed = stop_processes([self.processes[n] for n in nodes], timeout)
        self._build_class_data([n for n in stopped if clean and n not in killed])
        for n in stopped:
            self._recording(n).unlink(missing_ok=True)
        return stopped

    def kill(self, node: int) -> None:
        if self.processes[node].kill():
            self._recording(node).unlink(missing_ok=True)  # a partial list

    def _recording(self, node: int) -> Path:
        return ClassDataArchive.recording(self.processes[node].layout.node_dir(node))

    def _build_class_data(self, cleanly_stopped: list[int]) -> None:
        recorded = [r for n in cleanly_stopped if (r := self._recording(n)).is_file()]
        if not recorded or not ClassDataArchive.enabled():
            return
        try:
            ClassDataArchive(*self.java_and_jars(), settings.cache_dir()).build(recorded[0])
        except CodealongError as err:  # an archive is an optimisation: never a reason for stop() to fail
            log.info("No class-data archive was built: %s", err.cause)
