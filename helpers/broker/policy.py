"""The workshop's partition budget, as a Kafka CreateTopicPolicy (resources/PartitionBudgetPolicy.java).

Kafka has no per-user partition limit, and its controller mutation quota admits a single request
of any size, so the limit lives where Kafka lets one live: a policy class the controller calls
before it creates a topic. It is compiled here, on first use, by the Eclipse compiler (ecj: a jar
from Maven Central, pinned by SHA-256 like the broker's jars, run on the broker's own Java, which
has no javac), into the cache; the cluster adds the jar to its nodes' classpath.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import zipfile
from importlib import resources
from pathlib import Path

from ..client.errors import BrokerError
from .jars import LockedJar, _fetch_checked, classpath, repository_cache

COMPILER = LockedJar("org.eclipse.jdt", "ecj", "3.44.0",
                     "14c46ddc2e511c46c998da728f6a80f13a689c920f3832402f7ad150f6a6188d", 3329741)
SOURCE = "PartitionBudgetPolicy.java"
CLASS_NAME = "codealong.PartitionBudgetPolicy"
COMPILE_TIMEOUT_S = 120


def source_text() -> str:
    return resources.files("helpers.broker").joinpath(f"resources/{SOURCE}").read_text()


def fetch_compiler(cache: Path, offline: bool = False) -> Path:
    """ecj, checked against its pinned SHA-256 (also what `codealong prefetch` stores)."""
    return _fetch_checked([COMPILER], repository_cache(cache), offline)[COMPILER]


def policy_jar(java: str, libs: Path, cache: Path, offline: bool = False) -> Path:
    """The compiled policy, built once per source and Kafka classpath."""
    key = hashlib.sha256(f"{source_text()}|{COMPILER.coordinate}|{classpath(libs)}".encode()).hexdigest()[:16]
    jar = cache / "policy" / f"partition-budget-{key}.jar"
    if jar.is_file():
        return jar
    compiler = fetch_compiler(cache, offline)
    work = Path(tempfile.mkdtemp(prefix="codealong-policy-"))
    try:
        (work / SOURCE).write_text(source_text())
        try:
            done = subprocess.run([java, "-jar", str(compiler), "-17", "-nowarn", "-cp", classpath(libs),
                                   "-d", str(work / "classes"), str(work / SOURCE)],
                                  capture_output=True, text=True, timeout=COMPILE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            done = None
        if done is None or done.returncode != 0:
            said = "no answer within the deadline" if done is None else (done.stdout + done.stderr).strip()[-600:]
            raise BrokerError(f"The workshop's partition-budget policy did not compile ({said}).",
                              "Report this as a bug; meanwhile `codealong workshop start --partition-budget 0` "
                              "starts the room without the budget.")
        jar.parent.mkdir(parents=True, exist_ok=True)
        partial = jar.with_suffix(f".{os.getpid()}.partial")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted((work / "classes").rglob("*.class")):
                archive.write(path, path.relative_to(work / "classes").as_posix())
        partial.replace(jar)  # whole, or not at all
        return jar
    finally:
        shutil.rmtree(work, ignore_errors=True)


def policy_properties(budget: int, bootstrap: str) -> str:
    """server.properties lines enabling the policy; `bootstrap` is where it counts partitions."""
    return "\n".join([f"create.topic.policy.class.name={CLASS_NAME}", f"codealong.partition.budget={budget}",
                      f"codealong.policy.bootstrap={bootstrap}", ""])
