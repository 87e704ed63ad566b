"""The Kafka broker's jars, exactly as a lock file pins them, downloaded into a per-version cache.

`resources/kafka-<version>.lock.toml` lists every jar of the broker's classpath and of
`kafka-tools` (group, artifact, version, SHA-256, size). At first start each jar is fetched from a
Maven repository (Maven Central, or $CODEALONG_MAVEN_REPOSITORY) by jgo's pure-Python
downloader, or by Maven when $CODEALONG_DOWNLOADER=maven, and checked against its SHA-256.
A mismatch or a partial download is an error naming the artifact; the jars land in a staging
folder that becomes the classpath only once every one of them checked out.

Maintainers regenerate the lock file with `codealong broker lock` (it needs Maven: Maven's own
resolution of Kafka's poms is the reference).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from tqdm.auto import tqdm

from ..client.errors import BrokerError
from ..client.loading import tomllib  # the one tomli fallback
from .prerequisites import check_maven

MAVEN_TIMEOUT_S = 600
COMPLETE_MARKER = ".complete"
SETS = {"kafka_2.13": "broker", "kafka-tools": "tools"}
MAVEN_CENTRAL = "https://repo.maven.apache.org/maven2"
REPOSITORY_VARIABLE = "CODEALONG_MAVEN_REPOSITORY"
DOWNLOADER_VARIABLE = "CODEALONG_DOWNLOADER"
REGENERATE = "Run `codealong broker lock` (it needs Maven and the network) and commit the new lock file."


@dataclass(frozen=True)
class LockedJar:
    group: str
    artifact: str
    version: str
    sha256: str
    size: int = 0  # bytes, for the download's progress bar (0: unknown)

    @property
    def coordinate(self) -> str:
        return f"{self.group}:{self.artifact}:{self.version}"

    @property
    def filename(self) -> str:
        return f"{self.artifact}-{self.version}.jar"

    @property
    def repository_path(self) -> Path:
        """Where the jar sits in a Maven repository (the standard layout)."""
        return Path(*self.group.split("."), self.artifact, self.version, self.filename)


def lock_file(version: str):
    return resources.files("helpers.broker").joinpath(f"resources/kafka-{version}.lock.toml")


def read_lock(version: str) -> dict[str, list[LockedJar]]:
    """The locked jars per set ("broker", "tools") for a Kafka version."""
    path = lock_file(version)
    if not path.is_file():
        raise BrokerError(f"There is no lock file for Kafka {version} (helpers/broker/resources/"
                          f"kafka-{version}.lock.toml), so its jars cannot be fetched as pinned.",
                          f"Use the Kafka version in the repository's .env, or: {REGENERATE}")
    data = tomllib.loads(path.read_text())
    if data.get("kafka_version") != version:
        raise BrokerError(f"The lock file for Kafka {version} says it is for {data.get('kafka_version')!r}.",
                          REGENERATE)
    return {name: [LockedJar(**jar) for jar in data.get(name, [])] for name in SETS.values()}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def libs_dir(version: str, cache: Path, artifact: str = "kafka_2.13") -> Path:
    return cache / f"kafka-{version}" / ("libs" if artifact == "kafka_2.13" else f"{artifact}-libs")


def repository_cache(cache: Path) -> Path:
    """The Maven-layout folder the Python downloader fills (a filled one allows offline starts)."""
    return cache / "maven-repository"


# ---- downloaders: each returns a local file per locked jar (not yet checked) ------------------
def _fetch_with_jgo(jars: list[LockedJar], repository: Path, offline: bool) -> dict[LockedJar, Path]:
    from jgo.maven import MavenContext  # imported here: only a first start needs it

    remote = os.environ.get(REPOSITORY_VARIABLE, "").strip() or MAVEN_CENTRAL
    context = MavenContext(repo_cache=repository, local_repos=[], remote_repos={"kafka-jars": remote},
                           timeout=60, offline=offline)
    found = {}
    missing = [jar for jar in jars if not (repository / jar.repository_path).is_file()]
    # A first download shows bytes and a rate (a terminal or a notebook; nothing in a log file).
    with tqdm(total=sum(jar.size for jar in missing) or None, unit="B", unit_scale=True, unit_divisor=1024,
              desc=f"downloading {len(missing)} of Kafka's jars", disable=True if not missing else None) as bar:
        for jar in jars:
            try:
                found[jar] = context.project(jar.group, jar.artifact).at_version(jar.version).artifact().resolve()
            except Exception as err:  # jgo raises RuntimeError or requests' errors: name the artifact
                where = "the local cache (offline)" if offline else remote
                raise BrokerError(f"Could not fetch {jar.coordinate} from {where}: {err}",
                                  "Check the network connection (or set CODEALONG_MAVEN_REPOSITORY to a reachable "
                                  "Maven repository), then start again; `codealong prefetch` fills the cache for "
                                  "offline use.") from None
            if jar in missing:
                bar.update(Path(found[jar]).stat().st_size)
    return found


def _fetch_with_maven(jars: list[LockedJar], repository: Path | None, offline: bool) -> dict[LockedJar, Path]:
    """Maven copies exactly the locked coordinates (no transitive resolution); its settings
    (mirrors, proxies in ~/.m2/settings.xml) apply."""
    work = Path(tempfile.mkdtemp(prefix="kafka-jars-"))
    deps = "".join(f"<dependency><groupId>{j.group}</groupId><artifactId>{j.artifact}</artifactId>"
                   f"<version>{j.version}</version></dependency>" for j in jars)
    (work / "pom.xml").write_text(
        '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>'
        "<groupId>kafka-codealong</groupId><artifactId>locked-jars</artifactId><version>1</version>"
        f"<packaging>pom</packaging><dependencies>{deps}</dependencies></project>")
    _run_maven([*(["-o"] if offline else []), *([f"-Dmaven.repo.local={repository}"] if repository else []),
                "dependency:copy-dependencies", "-DexcludeTransitive=true", f"-DoutputDirectory={work / 'out'}"],
               work, "the locked jars")
    return {jar: work / "out" / jar.filename for jar in jars}


def _run_maven(args: list[str], workdir: Path, what: str) -> None:
    mvn = check_maven()
    try:
        proc = subprocess.run([mvn, "-B", "-q", *args], cwd=workdir, capture_output=True, text=True,
                              timeout=MAVEN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise BrokerError(f"Maven did not finish resolving {what} within {MAVEN_TIMEOUT_S} s.",
                          "Check the network connection to Maven Central (or the mirror in ~/.m2/settings.xml) "
                          "and try again.") from None
    if proc.returncode != 0:
        errors = [line for line in (proc.stdout + proc.stderr).splitlines() if "ERROR" in line]
        detail = (errors[0] if errors else (proc.stdout + proc.stderr).strip()[-300:]).strip()
        raise BrokerError(f"Maven could not resolve {what}: {detail}",
                          "Check that Maven can reach Maven Central (network, proxy, or the mirror in "
                          "~/.m2/settings.xml).")


def _downloader() -> str:
    choice = os.environ.get(DOWNLOADER_VARIABLE, "python").strip().lower()
    if choice not in ("python", "maven"):
        raise BrokerError(f"{DOWNLOADER_VARIABLE} is {choice!r}.", f'Set {DOWNLOADER_VARIABLE} to "python" (jgo, the '
                          'default) or "maven", or unset it.')
    return choice


def _fetch_checked(jars: list[LockedJar], repository: Path, offline: bool) -> dict[LockedJar, Path]:
    """Fetch and check every jar; a jar whose SHA-256 differs is deleted and fetched once more."""
    fetch = _fetch_with_maven if _downloader() == "maven" else _fetch_with_jgo
    found = fetch(jars, repository, offline)
    wrong = [jar for jar, path in found.items() if not path.is_file() or sha256_of(path) != jar.sha256]
    if wrong:
        for jar in wrong:
            found[jar].unlink(missing_ok=True)  # a partial or altered file is never used
        found.update(fetch(wrong, repository, offline))
    for jar in wrong:
        path = found[jar]
        actual = sha256_of(path) if path.is_file() else "nothing (no file)"
        if actual != jar.sha256:
            path.unlink(missing_ok=True)
            raise BrokerError(f"{jar.coordinate} was fetched twice, and both times its SHA-256 was {actual}, not "
                              f"{jar.sha256} as the lock file pins.",
                              "A proxy or mirror may be altering downloads: check CODEALONG_MAVEN_REPOSITORY or "
                              f"the mirror in ~/.m2/settings.xml, then start again. If Kafka republished it: {REGENERATE}")
    return found


# ---- the classpath folder ------------------------------------------------------------------
def _stat(path: Path) -> list[int]:
    info = path.stat()
    return [info.st_size, info.st_mtime_ns]


def _intact(libs: Path, jars: list[LockedJar]) -> bool:
    """The folder holds exactly the locked jars, unchanged since they were checked. Sizes and
    times are compared on every start (cheap); a file that differs is hashed again."""
    try:
        recorded = json.loads((libs / COMPLETE_MARKER).read_text())
    except (OSError, ValueError):
        return False
    if sorted(recorded) != sorted(jar.filename for jar in jars):
        return False
    for jar in jars:
        path = libs / jar.filename
        if not path.is_file():
            return False
        if _stat(path) != recorded[jar.filename]:
            if sha256_of(path) != jar.sha256:
                return False
            recorded[jar.filename] = _stat(path)
    return True


def resolve_jars(version: str, cache: Path, *, artifact: str = "kafka_2.13", offline: bool = False,
                 repository: Path | None = None) -> Path:
    """A folder holding exactly the locked jars of the broker ("kafka_2.13") or of "kafka-tools".

    Fetched on first use into `repository` (a Maven-layout cache; by default the one under
    `cache`), checked against the lock file, then copied into the classpath folder. A folder
    that no longer matches (a changed or missing jar) is rebuilt.
    """
    jars = read_lock(version)[SETS[artifact]]
    libs = libs_dir(version, cache, artifact)
    if _intact(libs, jars):
        return libs
    found = _fetch_checked(jars, repository or repository_cache(cache), offline)
    staging = libs.parent / f".{libs.name}-staging-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for jar, path in found.items():
        shutil.copyfile(path, staging / jar.filename)
    (staging / COMPLETE_MARKER).write_text(json.dumps({jar.filename: _stat(staging / jar.filename) for jar in jars}))
    shutil.rmtree(libs, ignore_errors=True)
    staging.rename(libs)  # the classpath appears whole, or not at all
    return libs


def classpath(libs: Path, plugins: Path | None = None) -> str:
    """The jars of a classpath folder as an explicit, sorted list (stable, as class-data sharing needs),
    then those of a cluster's `plugins` folder (after them: the archive's classpath stays a prefix)."""
    jars = sorted(libs.glob("*.jar")) + (sorted(plugins.glob("*.jar")) if plugins is not None else [])
    return os.pathsep.join(map(str, jars))


# ---- the maintainer's command: make the lock file from Maven's resolution -------------------
def _maven_resolution(version: str, artifact: str, work: Path) -> list[LockedJar]:
    """Every runtime jar Maven resolves for org.apache.kafka:<artifact>:<version>, hashed."""
    pom = resources.files("helpers.broker").joinpath("resources/pom.xml").read_text()
    folder = work / artifact
    folder.mkdir(parents=True)
    (folder / "pom.xml").write_text(pom.replace("${kafka.version}", version).replace("${artifact}", artifact))
    out = folder / "out"
    _run_maven(["dependency:copy-dependencies", "-DincludeScope=runtime", "-Dmdep.useRepositoryLayout=true",
                f"-DoutputDirectory={out}"], folder, f"Kafka {version}'s {artifact}")
    jars = []
    for path in sorted(out.rglob("*.jar")):
        parts = path.relative_to(out).parts  # group/path/artifact/version/artifact-version.jar
        jars.append(LockedJar(".".join(parts[:-3]), parts[-3], parts[-2], sha256_of(path), path.stat().st_size))
    log4j = [jar for jar in jars if jar.artifact == "log4j-core"]
    if not log4j:
        raise BrokerError(f"Kafka {version}'s {artifact} has no log4j-core jar.", "Use a Kafka 4.x version.")
    if not any(jar.artifact == "log4j-slf4j-impl" for jar in jars):
        # Kafka brings SLF4J 1.7 but no binding: without log4j-slf4j-impl the broker logs nothing
        # and every tool prints SLF4J's "no binding" warning.
        binding = LockedJar("org.apache.logging.log4j", "log4j-slf4j-impl", log4j[0].version, "")
        _run_maven(["dependency:copy", f"-Dartifact={binding.coordinate}", f"-DoutputDirectory={folder / 'binding'}"],
                   folder, binding.coordinate)
        jars.append(LockedJar(binding.group, binding.artifact, binding.version,
                              sha256_of(folder / "binding" / binding.filename),
                              (folder / "binding" / binding.filename).stat().st_size))
    return jars


def write_lock(version: str, target: Path) -> Path:
    """Resolve the broker's and the tools' classpaths with Maven and write the lock file."""
    with tempfile.TemporaryDirectory(prefix="kafka-lock-") as tmp:
        sets = {}
        for artifact, name in SETS.items():
            sets[name] = _maven_resolution(version, artifact, Path(tmp))
    lines = [f"# The exact jars of Kafka {version}'s broker and tools, as Maven resolves them.",
             "# Generated by `codealong broker lock`; checked against .env by the test suite.",
             f'kafka_version = "{version}"', ""]
    for name, jars in sets.items():
        for jar in sorted(jars, key=lambda j: j.coordinate):
            lines += [f"[[{name}]]", f'group = "{jar.group}"', f'artifact = "{jar.artifact}"',
                      f'version = "{jar.version}"', f'sha256 = "{jar.sha256}"', f"size = {jar.size}", ""]
    target.write_text("\n".join(lines))
    return target
