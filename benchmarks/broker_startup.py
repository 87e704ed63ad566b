"""How long the embedded broker takes to come up, cold and warm, phase by phase.

Cold: jars downloaded into an empty Maven repository and cache, storage formatted, broker
started. Warm: jars cached, storage formatted, broker started until the first successful
metadata request. Used by `codealong bench`; runs in its own temporary folders and port,
so a running codealong broker is not touched.
"""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from helpers import settings
from helpers.broker import LocalCluster, resolve_jars


def one_run(port: int, fresh_maven_repo: bool = True) -> tuple[dict, dict]:
    """(cold phases, warm phases) in seconds, in temporary folders; the environment is restored."""
    saved = {k: os.environ.get(k) for k in ("CODEALONG_STATE_DIR", "CODEALONG_CACHE_DIR")}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.environ["CODEALONG_STATE_DIR"] = str(tmp / "state")
        os.environ["CODEALONG_CACHE_DIR"] = str(tmp / "cache")
        try:
            began = time.monotonic()
            resolve_jars(settings.kafka_version(), tmp / "cache", maven_repo=tmp / "m2" if fresh_maven_repo else None)
            download = time.monotonic() - began
            cluster = LocalCluster(port=port)
            cold = cluster.start().phases
            cold["resolve jars"] = download
            cluster.stop()
            warm = cluster.start().phases
            cluster.stop()
            return cold, warm
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
