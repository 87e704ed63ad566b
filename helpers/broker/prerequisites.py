"""The tools the embedded broker needs on the machine: Java 17+ and Maven 3."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from ..errors import PrerequisiteError

MIN_JAVA = 17
JAVA_FIX = ("Install a JDK 17 or newer (Debian/Ubuntu: `apt-get install openjdk-17-jdk-headless`; "
            "conda: `conda env create -f environment.yml`) or point JAVA_HOME at one.")
MAVEN_FIX = ("Install Maven 3 (Debian/Ubuntu: `apt-get install maven`; macOS: `brew install maven`; "
             "conda: `conda env create -f environment.yml`).")


def java_command() -> str:
    """The java launcher: $CODEALONG_JAVA, else $JAVA_HOME/bin/java, else `java` on PATH."""
    if os.environ.get("CODEALONG_JAVA"):
        return os.environ["CODEALONG_JAVA"]
    if os.environ.get("JAVA_HOME"):
        candidate = Path(os.environ["JAVA_HOME"]) / "bin" / "java"
        if candidate.exists():
            return str(candidate)
    found = shutil.which("java")
    if not found:
        raise PrerequisiteError("Java was not found: the embedded Kafka broker runs on the JVM.", JAVA_FIX)
    return found


def parse_java_major(version_output: str) -> int:
    """The major version in `java -version` output ("1.8.0_392" -> 8, "17.0.15" -> 17)."""
    match = re.search(r'version "(\d+)(?:\.(\d+))?', version_output)
    if not match:
        raise PrerequisiteError(f"Could not read a Java version from: {version_output.strip()[:200]!r}", JAVA_FIX)
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def check_java() -> tuple[str, int]:
    """Return (java path, major version); raise PrerequisiteError if missing or older than 17."""
    java = java_command()
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise PrerequisiteError(f"Running `{java} -version` failed: {err}", JAVA_FIX) from None
    major = parse_java_major(out.stderr + out.stdout)
    if major < MIN_JAVA:
        raise PrerequisiteError(
            f"Java {major} found at {java}, but Kafka 4 needs Java {MIN_JAVA} or newer.", JAVA_FIX)
    return java, major


def check_maven() -> str:
    """Return the mvn path; raise PrerequisiteError if Maven is not installed."""
    mvn = shutil.which(os.environ.get("CODEALONG_MVN") or "mvn")
    if not mvn:
        raise PrerequisiteError(
            "Maven (`mvn`) was not found: it downloads the Kafka broker's jars from Maven Central.",
            MAVEN_FIX)
    return mvn
