"""Apicurio Registry's archive, exactly as the lock file pins it, fetched once into the cache.

`resources/apicurio-registry.lock.toml` pins one Maven artifact (group, artifact, version,
classifier, type, size, SHA-256). On first use it is downloaded from Maven Central (or
$CODEALONG_MAVEN_REPOSITORY, the same variable as the broker's jars) into the cache's
`registry-archive/` folder (not its Maven-layout repository, which tests copy whole), with a
progress bar in bytes, and checked against its SHA-256: a file that differs is deleted and
fetched once more, and a second mismatch is an error naming both hashes.
The checked archive is unpacked into a staging folder that becomes `apicurio-registry-<version>/`
only once complete, so a half-unpacked registry is never started.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from filelock import FileLock
from tqdm.auto import tqdm

from ..broker.jars import MAVEN_CENTRAL, REPOSITORY_VARIABLE, sha256_of
from ..client.loading import tomllib
from .errors import RegistryError

LOCK_NAME = "apicurio-registry.lock.toml"
COMPLETE_MARKER = ".complete"
DOWNLOAD_TIMEOUT_S = 60  # per network read, not for the whole download
CHUNK = 1 << 20
NETWORK_FIX = ("Check the network connection to Maven Central (or set CODEALONG_MAVEN_REPOSITORY to a reachable "
               "Maven repository), then start again: once fetched and checked, it stays in the cache and later "
               "starts need no network.")


@dataclass(frozen=True)
class LockedArchive:
    group: str
    artifact: str
    version: str
    classifier: str
    type: str
    size: int
    sha256: str

    @property
    def coordinate(self) -> str:
        return f"{self.group}:{self.artifact}:{self.version}:{self.classifier}@{self.type}"

    @property
    def filename(self) -> str:
        return f"{self.artifact}-{self.version}-{self.classifier}.{self.type}"

    @property
    def repository_path(self) -> Path:
        return Path(*self.group.split("."), self.artifact, self.version, self.filename)


def lock_file():
    return resources.files("helpers.registry").joinpath(f"resources/{LOCK_NAME}")


def read_lock() -> LockedArchive:
    data = tomllib.loads(lock_file().read_text())
    try:
        return LockedArchive(**data["registry"])
    except (KeyError, TypeError) as err:
        raise RegistryError(f"The registry's lock file (helpers/registry/resources/{LOCK_NAME}) is malformed: {err}.",
                            "Restore it from the repository (`git diff` shows what changed).") from None


def install_dir(cache: Path, locked: LockedArchive | None = None) -> Path:
    locked = locked or read_lock()
    return cache / f"apicurio-registry-{locked.version}"


def archive_path(cache: Path, locked: LockedArchive | None = None) -> Path:
    """Where the checked archive is kept (a folder of its own: see the module docstring)."""
    return cache / "registry-archive" / (locked or read_lock()).filename


def _url(locked: LockedArchive) -> str:
    remote = os.environ.get(REPOSITORY_VARIABLE, "").strip() or MAVEN_CENTRAL
    return f"{remote.rstrip('/')}/{locked.repository_path.as_posix()}"


def _download(locked: LockedArchive, target: Path, progress: bool) -> str:
    """Stream the archive into `target` (a partial file until complete); returns its SHA-256."""
    url = _url(locked)
    partial = target.with_name(f"{target.name}.{os.getpid()}.part")
    digest = hashlib.sha256()
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as answer, open(partial, "wb") as out, \
                tqdm(total=int(answer.headers.get("Content-Length") or locked.size), unit="B", unit_scale=True,
                     unit_divisor=1024, desc=f"downloading {locked.filename}", disable=not progress) as bar:
            for block in iter(lambda: answer.read(CHUNK), b""):
                out.write(block)
                digest.update(block)
                bar.update(len(block))
    except (urllib.error.URLError, OSError) as err:
        partial.unlink(missing_ok=True)
        raise RegistryError(f"Could not download {locked.coordinate} from {url}: {err}", NETWORK_FIX) from None
    except BaseException:  # Ctrl-C: no partial file left behind
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, target)
    return digest.hexdigest()


def fetch_archive(cache: Path, *, offline: bool = False, progress: bool = False) -> Path:
    """The archive in the cache, checked against the lock's SHA-256; downloaded when missing or
    altered (twice at most). Raises RegistryError naming the expected and actual hashes."""
    locked = read_lock()
    target = archive_path(cache, locked)
    if target.is_file() and sha256_of(target) == locked.sha256:
        return target
    if offline:
        raise RegistryError(f"{locked.coordinate} is not in the cache ({target}) and this start is offline.",
                            "Run `codealong prefetch` once where there is a network (it fetches the registry's "
                            "archive with the broker's jars; `codealong prefetch DIR` makes a folder for a room "
                            "without internet), or copy such a cache here.")
    actual = ""
    for _ in range(2):  # a partial or altered file is never kept: fetched once more, then refused
        target.unlink(missing_ok=True)
        actual = _download(locked, target, progress)
        if actual == locked.sha256:
            return target
    target.unlink(missing_ok=True)
    raise RegistryError(f"{locked.coordinate} was downloaded twice from {_url(locked)}, and both times its SHA-256 "
                        f"was {actual}, not {locked.sha256} as helpers/registry/resources/{LOCK_NAME} pins. "
                        "It was deleted, not used.",
                        "A proxy or mirror may be altering downloads: check CODEALONG_MAVEN_REPOSITORY, then start "
                        "again. If Apicurio republished it, pin the new hash in the lock file only after checking it "
                        "against the .sha256 Maven Central publishes.")


def _intact(folder: Path, locked: LockedArchive) -> bool:
    try:
        return (folder / COMPLETE_MARKER).read_text().strip() == locked.sha256 and \
            (folder / "quarkus-run.jar").is_file()
    except OSError:
        return False


def _unpack(archive: Path, into: Path) -> None:
    with tarfile.open(archive, "r:gz") as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(into, filter="data")  # no absolute paths, links out of the folder, devices
        else:  # Python < 3.10.12 / 3.11.4: the same refusal by hand
            root = into.resolve()
            for member in tar.getmembers():
                if not (member.isfile() or member.isdir()) or \
                        not (root / member.name).resolve().is_relative_to(root):
                    raise RegistryError(f"The registry archive holds an unexpected entry: {member.name!r}.",
                                        "Delete the cached archive and start again.")
            tar.extractall(into)


def resolve_registry(cache: Path, *, offline: bool = False, progress: bool = False) -> Path:
    """The unpacked registry (a folder with quarkus-run.jar), fetched and unpacked on first use."""
    locked = read_lock()
    folder = install_dir(cache, locked)
    if _intact(folder, locked):
        return folder
    cache.mkdir(parents=True, exist_ok=True)
    with FileLock(str(cache / f".{folder.name}.lock")):  # two starts at once: one download
        if _intact(folder, locked):
            return folder
        return _fetch_and_unpack(cache, locked, folder, offline, progress)


def _fetch_and_unpack(cache: Path, locked: LockedArchive, folder: Path, offline: bool, progress: bool) -> Path:
    archive = fetch_archive(cache, offline=offline, progress=progress)
    staging = folder.parent / f".{folder.name}-staging-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        _unpack(archive, staging)
        if not (staging / "quarkus-run.jar").is_file():
            raise RegistryError(f"{locked.coordinate} has no quarkus-run.jar at its top.",
                                "Check the lock file's coordinates (classifier `all`, type `tar.gz`).")
        (staging / COMPLETE_MARKER).write_text(locked.sha256)
        shutil.rmtree(folder, ignore_errors=True)
        staging.rename(folder)  # the registry appears whole, or not at all
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder
