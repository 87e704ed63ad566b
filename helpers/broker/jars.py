"""Resolve the Kafka broker's jars from Maven Central into a per-version cache.

The cache lives outside the repository (see helpers.settings.cache_dir) so every clone
and every run reuses it; a marker file is written only once the classpath is complete,
so an interrupted download is redone instead of half-used.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from importlib import resources
from pathlib import Path

from ..errors import BrokerError
from .prerequisites import check_maven

MAVEN_TIMEOUT_S = 600
COMPLETE_MARKER = ".complete"


def libs_dir(version: str, cache: Path, artifact: str = "kafka_2.13") -> Path:
    return cache / f"kafka-{version}" / ("libs" if artifact == "kafka_2.13" else f"{artifact}-libs")


def _run_maven(args: list[str], workdir: Path, version: str) -> None:
    mvn = check_maven()
    cmd = [mvn, "-B", "-q", *args]
    try:
        proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=MAVEN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise BrokerError(
            f"Maven did not finish resolving Kafka {version} within {MAVEN_TIMEOUT_S} s.",
            "Check the network connection to Maven Central (or the mirror in ~/.m2/settings.xml) "
            "and run `codealong broker start` again.") from None
    if proc.returncode != 0:
        errors = [line for line in (proc.stdout + proc.stderr).splitlines() if "ERROR" in line]
        detail = (errors[0] if errors else (proc.stdout + proc.stderr).strip()[-300:]).strip()
        raise BrokerError(
            f"Maven could not resolve Kafka {version}'s jars: {detail}",
            "Check that Maven can reach Maven Central (network, proxy, or the mirror in "
            "~/.m2/settings.xml) and that KAFKA_VERSION names a released Kafka version.")


def resolve_jars(version: str, cache: Path, *, offline: bool = False, maven_repo: Path | None = None,
                 artifact: str = "kafka_2.13") -> Path:
    """Return a directory holding the complete runtime classpath of a Kafka artifact.

    Resolves ``org.apache.kafka:<artifact>:<version>`` (the broker by default) with its runtime
    dependencies, then adds the SLF4J-to-Log4j2 binding at the log4j-core version Kafka brought.
    """
    libs = libs_dir(version, cache, artifact)
    if (libs / COMPLETE_MARKER).exists():
        return libs
    work = libs.parent / f"resolve-{artifact}"
    shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(libs, ignore_errors=True)
    work.mkdir(parents=True)
    pom = resources.files("helpers.broker").joinpath("resources/pom.xml").read_text()
    (work / "pom.xml").write_text(pom.replace("${kafka.version}", version).replace("${artifact}", artifact))
    extra = (["-o"] if offline else []) + ([f"-Dmaven.repo.local={maven_repo}"] if maven_repo else [])
    _run_maven([*extra, "dependency:copy-dependencies", "-DincludeScope=runtime",
                f"-DoutputDirectory={libs}"], work, version)
    log4j = sorted(libs.glob("log4j-core-*.jar"))
    if not log4j:
        raise BrokerError(f"Kafka {version}'s classpath has no log4j-core jar.",
                          "Use a Kafka 4.x version (set in the repository's .env).")
    log4j_version = re.sub(r"^log4j-core-|\.jar$", "", log4j[0].name)
    _run_maven([*extra, "dependency:copy",
                f"-Dartifact=org.apache.logging.log4j:log4j-slf4j-impl:{log4j_version}",
                f"-DoutputDirectory={libs}"], work, version)
    shutil.rmtree(work, ignore_errors=True)
    (libs / COMPLETE_MARKER).write_text(version + "\n")
    return libs
