"""`codealong prefetch DIR`: everything a room without internet needs, in one folder an
instructor copies to a USB stick or a share:

    DIR/wheels/                  every Python wheel the project installs (for this platform and
                                 Python), with the build backend, for `pip install --no-index`
    DIR/kafka-codealong-cache/   the locked Kafka jars in a Maven-layout repository, and the other
                                 cached files the caller names (the schema registry's archive):
                                 copied to ~/.cache/kafka-codealong, nothing is downloaded
    DIR/README.txt               the commands, for whoever finds the stick
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from importlib.metadata import requires
from pathlib import Path

from .. import settings
from .jars import SETS, read_lock, resolve_jars
from ..client.errors import CodealongError

BUILD_BACKEND = ("setuptools>=68", "wheel")
CACHE_NAME = "kafka-codealong-cache"


class PrefetchError(CodealongError):
    """The offline folder could not be filled."""


def runtime_requirements() -> list[str]:
    """The project's own dependencies (not its test extras), as pip requirement strings."""
    return [r for r in (requires("kafka-codealong") or []) if not re.search(r";\s*extra\s*==", r)]


def _pip(*args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise PrefetchError(f"pip {args[0]} failed: {(done.stdout + done.stderr).strip()[-500:]}",
                            "Check the network connection to PyPI (or your index), then run it again.")


def pack(folder: Path, also: Iterable[Path] = ()) -> dict[str, int]:
    """Fill `folder` (see the module docstring); returns how many wheels, jars and other files it
    holds. `also`: files already in the cache (e.g. the schema registry's checked archive), copied
    to the same place in the folder's cache."""
    wheels = folder / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    _pip("download", "--quiet", "--dest", str(wheels), *BUILD_BACKEND, *runtime_requirements())
    version = settings.kafka_version()
    repository = folder / CACHE_NAME / "maven-repository"
    jars = 0
    for artifact in SETS:
        resolve_jars(version, settings.cache_dir(), artifact=artifact)  # fetched and checked in our cache first
        for jar in read_lock(version)[SETS[artifact]]:
            # the jar's whole folder: whatever else the downloader keeps beside it (a .pom) too
            source = settings.cache_dir() / "maven-repository" / jar.repository_path
            target = repository / jar.repository_path
            if not target.exists():
                shutil.copytree(source.parent, target.parent, dirs_exist_ok=True)
                jars += 1
    others = 0
    for file in also:
        target = folder / CACHE_NAME / Path(file).relative_to(settings.cache_dir())
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.is_file() or target.stat().st_size != Path(file).stat().st_size:
            shutil.copyfile(file, target)
        others += 1
    registry = (", and `.venv/bin/codealong registry start` the schema registry (its archive is checked "
                "against its lock file too)") if others else ""
    (folder / "README.txt").write_text(f"""kafka-codealong, for a machine without internet
=================================================

With the project's folder (a copy of the repository) and this folder side by side:

    cd kafka-codealong
    python3 -m venv .venv
    .venv/bin/pip install --no-index --find-links ../{folder.name}/wheels -e .
    mkdir -p ~/.cache/kafka-codealong && cp -R ../{folder.name}/{CACHE_NAME}/. ~/.cache/kafka-codealong/

Then `.venv/bin/codealong broker start` starts Kafka {version} with no download (its jars are
checked against the project's lock file){registry}. The wheels are for {sys.platform}, Python
{sys.version_info.major}.{sys.version_info.minor}: make the folder on the same kind of machine the learners have.
""")
    return {"wheels": len(list(wheels.iterdir())), "jars": jars, "others": others}
