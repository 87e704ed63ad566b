"""How long the embedded broker takes to come up, cold and warm, phase by phase.

    python -m benchmarks.broker_startup [--repeat 3]

Cold: jars downloaded into an empty Maven repository and cache, storage formatted, broker
started. Warm: jars cached, storage formatted, broker started until the first successful
metadata request. Prints each phase's median over the runs, and warm as a ratio of cold.
Uses its own temporary folders and port, so a running codealong broker is not touched.
"""
from __future__ import annotations

import argparse
import os
import statistics
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--port", type=int, default=21700)
    args = parser.parse_args()
    runs = [one_run(args.port) for _ in range(args.repeat)]
    print(f"Kafka {settings.kafka_version()} embedded broker start-up, median of {args.repeat} runs (seconds)")
    print(f"{'phase':<14}{'cold':>8}{'warm':>8}{'spread (cold)':>16}")
    totals = {"cold": [], "warm": []}
    for phase in runs[0][0]:
        cold = [run[0][phase] for run in runs]
        warm = [run[1][phase] for run in runs]
        print(f"{phase:<14}{statistics.median(cold):>8.2f}{statistics.median(warm):>8.2f}"
              f"{max(cold) - min(cold):>16.2f}")
    for label, index in (("cold", 0), ("warm", 1)):
        totals[label] = statistics.median(sum(run[index].values()) for run in runs)
    print(f"{'total':<14}{totals['cold']:>8.2f}{totals['warm']:>8.2f}")
    print(f"warm / cold = {totals['warm'] / totals['cold']:.2f}")


if __name__ == "__main__":
    main()
