"""A simulated room: learners running chapters at the same time on a workshop's cluster, each
in a process of their own with their own login, notebooks folder and local ports (as on their
own machines). Used by the workshop test and the room benchmark."""
from __future__ import annotations

import concurrent.futures
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from ..broker.cluster import free_ports
from ..settings import REPO_ROOT
from .room import JoinSheet, Room

#: What a learner's machine does not know: the instructor's login and folder (and a registry
#: other than the join sheet's).
INSTRUCTOR_ONLY = ("CODEALONG_ADMIN_USER", "CODEALONG_ADMIN_PASSWORD", "CODEALONG_WORKSHOP_DIR", "SCHEMA_REGISTRY_URL")


@dataclass
class LearnerRun:
    learner: str
    chapters: str
    seconds: float
    returncode: int
    output: str        # the tail of what `codealong run` printed
    folder: Path       # the learner's home: notebooks/, out/ (executed copies), state/

    @property
    def ok(self) -> bool:
        return self.returncode == 0


@dataclass
class RoomRun:
    runs: list[LearnerRun]
    seconds: float
    broker_peak_rss_mib: float = 0.0
    samples: list[float] = field(default_factory=list)
    broker_cpu_s: float = 0.0      # CPU time the brokers used during the run (user + system)


def _not_the_codealong(folder: str, names: list[str]) -> set[str]:
    """What a learner's copy leaves out: the learner edition, the instructor's folder, caches, and
    anything that is not a plain file or folder (the IPC sockets of kernels running right now)."""
    skipped = set(shutil.ignore_patterns("instructor", "[0-9]*", "__pycache__", "kernel-ipc-*", ".state")(folder, names))
    return skipped | {name for name in names if not (os.path.isfile(os.path.join(folder, name))
                                                     or os.path.isdir(os.path.join(folder, name)))}


def learner_home(base: Path, learner: str) -> Path:
    """The learner's own copy of the notebooks (the chapters write example_app's files, which
    learners sharing one folder would overwrite under each other)."""
    home = base / learner
    shutil.copytree(REPO_ROOT / "notebooks", home / "notebooks", dirs_exist_ok=True, ignore=_not_the_codealong)
    shutil.copy(REPO_ROOT / "docker-compose.yml", home / "docker-compose.yml")
    return home


def run_learner(room: Room, base: Path, learner: str, chapters: str, timeout: float = 900,
                extra_env: dict[str, str] | None = None) -> LearnerRun:
    """`codealong run --only CHAPTERS` as the learner, with the join sheet's environment (and
    `extra_env`, e.g. a machine without Java)."""
    home = learner_home(base, learner)
    port = free_ports(110)  # the learner's own brokers: chapter 2's, chapter 8's three nodes and scratch ones
    sheet = JoinSheet.load(room.join_file(learner))
    env = {key: value for key, value in os.environ.items() if key not in INSTRUCTOR_ONLY}
    env.update({**sheet.environment(), "KAFKA_PASSWORD": sheet.password(),
                "CODEALONG_STATE_DIR": str(home / "state"), "CODEALONG_PORT": str(port), **(extra_env or {})})
    began = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "helpers.cli", "run", "--only", chapters,
                           "--notebooks", str(home / "notebooks"), "--output", str(home / "out"),
                           "-p", "SCRATCH_PORT", str(port + 50)],
                          env=env, capture_output=True, text=True, timeout=timeout)
    return LearnerRun(learner, chapters, time.monotonic() - began, done.returncode,
                      (done.stdout + done.stderr)[-3000:], home)


def _broker_processes(room: Room) -> list[psutil.Process]:
    cluster = room.cluster()
    found = []
    for node in cluster.status() if cluster else []:
        try:
            found += [psutil.Process(node.pid)] if node.pid else []
        except psutil.Error:
            pass
    return found


def _broker_rss_mib(room: Room) -> float:
    total = 0
    for process in _broker_processes(room):
        try:
            total += process.memory_info().rss
        except psutil.Error:
            pass
    return total / 2**20


def broker_cpu_s(room: Room) -> float:
    """CPU seconds the room's brokers have used since they started (user + system)."""
    total = 0.0
    for process in _broker_processes(room):
        try:
            times = process.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            pass
    return total


def run_room(room: Room, base: Path, jobs: list[tuple], parallel: int) -> RoomRun:
    """Run every (learner, chapters[, extra_env]) job, `parallel` at a time; samples the brokers' memory."""
    stop = threading.Event()
    samples: list[float] = []

    def sample():
        while not stop.wait(1.0):
            samples.append(_broker_rss_mib(room))
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    cpu_before, began = broker_cpu_s(room), time.monotonic()
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=parallel) as pool:
            runs = list(pool.map(lambda job: run_learner(room, base, job[0], job[1],
                                                         extra_env=job[2] if len(job) > 2 else None), jobs))
    finally:
        stop.set()
        sampler.join(5)
    return RoomRun(runs, time.monotonic() - began, max(samples, default=_broker_rss_mib(room)), samples,
                   broker_cpu_s(room) - cpu_before)
