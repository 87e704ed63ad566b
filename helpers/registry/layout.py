"""Where a registry's files live: one folder under the state dir (default `registry/`).

``<dir>/``: ``pid``, ``registry.log`` (Quarkus' console output), ``started.json`` (the port,
management port, Kafka and topic the running registry was started with) and ``work/`` (its
import and snapshot scratch space, instead of /tmp). Its schemas are not here: with kafkasql
storage they live in a topic of the Kafka it uses.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RegistryLayout:
    dir: Path

    @property
    def pid_file(self) -> Path:
        return self.dir / "pid"

    @property
    def log_file(self) -> Path:
        return self.dir / "registry.log"

    @property
    def started(self) -> Path:
        return self.dir / "started.json"

    @property
    def work(self) -> Path:
        return self.dir / "work"

    def recorded(self) -> dict:
        """What the last start recorded (empty if none)."""
        try:
            return json.loads(self.started.read_text())
        except (OSError, ValueError):
            return {}

    def record(self, **values) -> None:
        self.started.write_text(json.dumps(values))
