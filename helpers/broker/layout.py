"""Where a cluster's files live: all in one folder, so that `reset` is one deletion.

``<dir>/``: ``cluster.id``, ``version`` (the Kafka that last started it), ``log4j2.yaml`` and per
node ``node-<id>/{server.properties, data/, broker.log, pid}``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Layout:
    dir: Path

    def node_dir(self, node: int) -> Path:
        return self.dir / f"node-{node}"

    def properties(self, node: int) -> Path:
        return self.node_dir(node) / "server.properties"

    def data(self, node: int) -> Path:
        return self.node_dir(node) / "data"

    def log_file(self, node: int) -> Path:
        return self.node_dir(node) / "broker.log"

    def pid_file(self, node: int) -> Path:
        return self.node_dir(node) / "pid"

    @property
    def plugins(self) -> Path:
        """Jars added to every node's classpath (the workshop's partition-budget policy)."""
        return self.dir / "plugins"

    @property
    def log4j(self) -> Path:
        return self.dir / "log4j2.yaml"

    @property
    def cluster_id(self) -> Path:
        return self.dir / "cluster.id"

    @property
    def version(self) -> Path:
        return self.dir / "version"

    def recorded_version(self) -> str | None:
        """The Kafka version that last started the cluster, if any."""
        try:
            return self.version.read_text().strip()
        except OSError:
            return None
