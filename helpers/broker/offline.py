"""`codealong prefetch DIR`: everything a room without internet needs, in one folder an
instructor copies to a USB stick or a share:

    DIR/wheels/                  every Python wheel the project installs, with the build backend, for
                                 `pip install --no-index`: for this machine, and (by default) for the
                                 platforms and Pythons a room brings (PLATFORMS x PYTHONS), all in one
                                 folder: pip's --find-links picks the wheel that matches the learner
    DIR/kafka-codealong-cache/   the locked Kafka jars in a Maven-layout repository, and the other
                                 cached files the caller names (the schema registry's archive):
                                 copied to ~/.cache/kafka-codealong, nothing is downloaded
    DIR/README.txt               the commands, for whoever finds the stick
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import requires
from pathlib import Path

from .. import settings
from .policy import COMPILER, fetch_compiler
from .jars import SETS, read_lock, resolve_jars
from ..client.errors import CodealongError

BUILD_BACKEND = ("setuptools>=68", "wheel")
CACHE_NAME = "kafka-codealong-cache"
# requires-python >= 3.10; 3.15 not yet: confluent-kafka has no wheels for it (December 2026)
PYTHONS = ("3.10", "3.11", "3.12", "3.13", "3.14")


@dataclass(frozen=True)
class Platform:
    """A kind of learner machine: pip's --platform tags for it and the environment markers
    (PEP 508) its Python reports, which pip itself would take from the machine running it."""
    name: str
    label: str
    tags: tuple[str, ...]
    markers: tuple[tuple[str, str], ...]

    def environment(self, python: str) -> dict[str, str]:
        return {**dict(self.markers), "python_version": python, "python_full_version": f"{python}.0",
                "implementation_name": "cpython", "implementation_version": f"{python}.0",
                "platform_python_implementation": "CPython"}

    def pip_options(self, python: str) -> list[str]:
        return [*(f"--platform={tag}" for tag in self.tags), f"--python-version={python}",
                "--implementation=cp", "--only-binary=:all:"]


def _manylinux(arch: str) -> tuple[str, ...]:
    # up to glibc 2.28 (Debian 10, Ubuntu 20.04, RHEL 8 and later): numpy has no older wheels
    return (*(f"manylinux_2_{minor}_{arch}" for minor in range(28, 16, -1)), f"manylinux2014_{arch}")


def _unix(system: str, machine: str) -> tuple[tuple[str, str], ...]:
    return (("sys_platform", system.lower()), ("platform_system", system), ("os_name", "posix"),
            ("platform_machine", machine))


PLATFORMS = {p.name: p for p in (
    Platform("linux-x86_64", "Linux x86-64 (glibc 2.28+, also WSL2)", _manylinux("x86_64"),
             _unix("Linux", "x86_64")),
    Platform("linux-arm64", "Linux arm64 (glibc 2.28+)", _manylinux("aarch64"), _unix("Linux", "aarch64")),
    # pip widens a macOS tag to the older versions and to universal2 wheels; 13 (Ventura): confluent-kafka
    # has wheels for Python 3.13 and 3.14 on macOS 13 and later only
    Platform("macos-x86_64", "macOS 13+ on Intel", ("macosx_13_0_x86_64",), _unix("Darwin", "x86_64")),
    Platform("macos-arm64", "macOS 13+ on Apple silicon", ("macosx_13_0_arm64",), _unix("Darwin", "arm64")),
    Platform("windows-x86_64", "Windows x86-64", ("win_amd64",),
             (("sys_platform", "win32"), ("platform_system", "Windows"), ("os_name", "nt"),
              ("platform_machine", "AMD64"))),
)}

# pip evaluates environment markers (`pywin32; sys_platform == "win32"`, `appnope; platform_system ==
# "Darwin"`, `tomli; python_version < "3.11"`) against the Python running it, even with --platform
# (pypa/pip#4304, #6117): this runs pip with the target's markers instead.
_PIP_FOR_TARGET = """\
import json, sys
from pip._vendor.packaging import markers
target, own = json.loads(sys.argv[1]), markers.default_environment
markers.default_environment = lambda: {**own(), **target}
from pip._internal.cli.main import main
sys.exit(main(sys.argv[2:]))
"""


class PrefetchError(CodealongError):
    """The offline folder could not be filled."""


def runtime_requirements() -> list[str]:
    """The project's own dependencies (not its test extras), as pip requirement strings."""
    return [r for r in (requires("kafka-codealong") or []) if not re.search(r";\s*extra\s*==", r)]


def choose_platforms(choice: str) -> list[Platform]:
    """`this` (none besides this machine's), `all`, or names separated by commas."""
    if choice == "this":
        return []
    if choice == "all":
        return list(PLATFORMS.values())
    names = [name.strip() for name in choice.split(",") if name.strip()]
    unknown = [name for name in names if name not in PLATFORMS]
    if unknown or not names:
        raise PrefetchError(f"Unknown platform(s): {', '.join(unknown) or choice!r}.",
                            f"Use this, all, or some of: {', '.join(PLATFORMS)}.")
    return [PLATFORMS[name] for name in names]


def pip_for(platform: Platform, python: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """pip (with `args`) as if it ran on `platform` with that Python: markers and wheel tags."""
    done = subprocess.run([sys.executable, "-c", _PIP_FOR_TARGET, json.dumps(platform.environment(python)),
                           *args], capture_output=True, text=True, timeout=1800)
    if check and done.returncode != 0:
        raise PrefetchError(f"pip {args[0]} for {platform.name}, Python {python} failed: "
                            f"{(done.stdout + done.stderr).strip()[-800:]}",
                            "Check the network connection to PyPI (or your index); a package with no wheel "
                            "for that platform: leave the platform out with --platform.")
    return done


def _pip(*args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise PrefetchError(f"pip {args[0]} failed: {(done.stdout + done.stderr).strip()[-500:]}",
                            "Check the network connection to PyPI (or your index), then run it again.")


def _wheels_from_sdists(wheels: Path) -> None:
    """A package published only as a source archive: built once into a wheel beside it. A pure-Python
    one (py3-none-any) then serves every platform, as --only-binary requires."""
    for sdist in [*wheels.glob("*.tar.gz"), *wheels.glob("*.zip")]:
        before = set(wheels.glob("*.whl"))
        _pip("wheel", "--quiet", "--no-deps", "--no-index", "--find-links", str(wheels), "--wheel-dir",
             str(wheels), str(sdist))
        impure = [w.name for w in set(wheels.glob("*.whl")) - before if not w.name.endswith("-none-any.whl")]
        if impure:
            raise PrefetchError(f"{sdist.name} has no wheels on PyPI and is not pure Python ({impure[0]}): "
                                "other platforms would have to compile it.",
                                "Prefetch on each kind of learner machine (--platform this), or pin a "
                                "version of it that has wheels.")


def download_for(wheels: Path, platform: Platform, python: str) -> None:
    """Every wheel the project needs on `platform` with that Python, into `wheels`."""
    pip_for(platform, python, "download", "--quiet", "--disable-pip-version-check", "--dest", str(wheels),
            "--find-links", str(wheels), *platform.pip_options(python), *BUILD_BACKEND, *runtime_requirements())


def fill_wheels(wheels: Path, targets: Iterable[tuple[Platform, str]] = (), progress=None) -> None:
    """This machine's wheels (sources too, if a package has no wheel: the build backend is there),
    then those of each (platform, Python) in `targets`. `progress(platform, python, seconds)`: after each."""
    wheels.mkdir(parents=True, exist_ok=True)
    _pip("download", "--quiet", "--dest", str(wheels), *BUILD_BACKEND, *runtime_requirements())
    targets = list(targets)
    if targets:
        _wheels_from_sdists(wheels)
    for platform, python in targets:
        began = time.monotonic()
        download_for(wheels, platform, python)
        if progress:
            progress(platform, python, time.monotonic() - began)


def pack(folder: Path, also: Iterable[Path] = (), platforms: Iterable[Platform] = (),
         pythons: Iterable[str] = PYTHONS, progress=None) -> dict[str, int]:
    """Fill `folder` (see the module docstring); returns how many wheels, jars and other files it
    holds. `also`: files already in the cache (e.g. the schema registry's checked archive), copied
    to the same place in the folder's cache. `platforms` x `pythons`: wheels for those learner
    machines too (none: this machine's only); `progress`: see fill_wheels."""
    wheels = folder / "wheels"
    platforms, pythons = list(platforms), list(pythons)
    fill_wheels(wheels, [(platform, python) for platform in platforms for python in pythons], progress)
    version = settings.kafka_version()
    repository = folder / CACHE_NAME / "maven-repository"
    jars = 0
    for artifact in SETS:
        resolve_jars(version, settings.cache_dir(), artifact=artifact)  # fetched and checked in our cache first
    fetch_compiler(settings.cache_dir())  # the workshop's partition-budget policy is compiled with it
    for jar in [*(jar for artifact in SETS for jar in read_lock(version)[SETS[artifact]]), COMPILER]:
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
    (folder / "README.txt").write_text(readme(folder.name, version, platforms, pythons, registry=bool(others)))
    return {"wheels": len(list(wheels.iterdir())), "jars": jars, "others": others}


def _this_machine() -> str:
    import platform as machine
    return f"this machine ({sys.platform} {machine.machine()}, Python {sys.version_info.major}." \
           f"{sys.version_info.minor})"


def readme(name: str, version: str, platforms: list[Platform], pythons: list[str], registry: bool) -> str:
    """The folder's README.txt: what the wheels cover and the commands per OS."""
    from textwrap import fill

    if platforms:
        covered = fill(f"The wheels are for {_this_machine()}, and for Python {', '.join(pythons)} on:", 96) + \
            "\n\n" + "\n".join(f"    - {p.label}" for p in platforms) + "\n"
    else:
        covered = fill(f"The wheels are for {_this_machine()} only. For the learners' machines, make the folder "
                       f"with `codealong prefetch --platform all {name}`.", 96) + "\n"
    also = (", and `.venv/bin/codealong registry start` the schema registry (its archive is checked against "
            "its lock file too)") if registry else ""
    then = fill(f"Then `.venv/bin/codealong broker start` starts Kafka {version} with no download (its jars are "
                f"checked against the project's lock file){also}.", 96)
    return f"""kafka-codealong, for a machine without internet
=================================================

{covered}
With the project's folder (a copy of the repository) and this folder side by side:

macOS and Linux (also WSL2 on Windows):

    cd kafka-codealong
    python3 -m venv .venv
    .venv/bin/pip install --no-index --find-links ../{name}/wheels -e .
    mkdir -p ~/.cache/kafka-codealong && cp -R ../{name}/{CACHE_NAME}/. ~/.cache/kafka-codealong/

{then}

Windows (native, in cmd or PowerShell): the notebooks run against the room's broker (native Windows
starts no broker of its own; WSL2 does, with the commands above):

    cd kafka-codealong
    py -m venv .venv
    .venv\\Scripts\\pip install --no-index --find-links ..\\{name}\\wheels -e .

Then `.venv\\Scripts\\codealong workshop join NAME.join.toml`, with the join sheet the instructor
hands out.
"""
