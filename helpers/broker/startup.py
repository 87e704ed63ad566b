"""Bringing stopped nodes of a cluster up, in three phases shown on one progress bar: the Java
and the jars, each node's ports, properties, plugins and storage, then the JVMs and a metadata
answer. (LocalCluster decides which nodes; this does the starting.)"""
from __future__ import annotations

import shutil
import time
from pathlib import Path

from tqdm.auto import tqdm

from .. import settings
from .launcher import Launcher
from .layout import Layout
from .ports import check_ports_free
from .properties import NodeProperties
from .storage import Storage


class NodeStarter:
    def __init__(self, layout: Layout, version: str, properties: NodeProperties, storage: Storage,
                 launcher: Launcher, ports_of, scram: tuple[str, str] | None):
        """`ports_of(node)`: every port the node listens on; `scram`: the login formatted into storage."""
        self.layout, self.version, self.properties, self.storage = layout, version, properties, storage
        self.launcher, self.ports_of, self.scram = launcher, ports_of, scram

    def start(self, nodes: list[int], bootstrap: str, client_settings: dict[str, str], timeout: float,
              progress: bool) -> dict[str, float]:
        """Start `nodes`; returns the seconds each phase took."""
        phases = {}
        with tqdm(total=3, desc=f"starting Kafka {self.version}", unit="phase", disable=not progress,
                  bar_format="{desc}: {n}/{total} phases{postfix} [{elapsed}]") as bar:
            def phase(name: str, doing: str, work):
                bar.set_postfix_str(doing)
                began = time.monotonic()
                result = work()
                phases[name] = time.monotonic() - began
                bar.update()
                return result

            java, libs = phase("resolve jars", "resolving jars", self.launcher.java_and_jars)
            phase("format", "formatting storage", lambda: self._prepare(nodes, java, libs))
            phase("start", "waiting for a metadata answer", lambda: self.launcher.launch(
                nodes, java, libs, bootstrap, client_settings, timeout, bar.refresh))
            bar.set_postfix_str("ready")
        self.layout.version.write_text(self.version)
        return phases

    def _prepare(self, nodes: list[int], java: str, libs: Path) -> None:
        """Check the ports, write the properties and plugins, and format the storage of the nodes."""
        cluster_id = self.storage.cluster_id()
        self._install_plugins(java, libs)
        for n in nodes:
            check_ports_free(self.ports_of(n))
            self.properties.write(n)
            self.storage.format(n, java, libs, cluster_id, self.scram)

    def _install_plugins(self, java: str, libs: Path) -> None:
        """The nodes' extra jars: the partition-budget policy when the cluster has a budget, else none."""
        shutil.rmtree(self.layout.plugins, ignore_errors=True)
        if self.properties.partition_budget:
            from .policy import policy_jar

            self.layout.plugins.mkdir(parents=True)
            shutil.copyfile(policy_jar(java, libs, settings.cache_dir()), self.layout.plugins / "partition-budget.jar")
