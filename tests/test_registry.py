"""The schema registry's lifecycle (issue 21 §1): the pinned archive, the Java it runs on, a
start on the session's Kafka answering on loopback only, a schema registered and read back,
a restart that keeps it, a stop that leaves nothing, and a taken port named.

The tests marked `slow` start a real Apicurio Registry (a JVM of about 300 MB; 15-30 s per
start on a 2-core machine): one for the module, restarted once by the last test."""
from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import subprocess
import sys
import urllib.request
import uuid

import psutil
import pytest

from helpers import settings
from helpers.broker.cluster import free_ports
from helpers.client.deadline import Deadline
from helpers.client.errors import PrerequisiteError
from helpers.registry import LocalRegistry, RegistryError, find_registry_java
from helpers.registry.archive import archive_path, fetch_archive, install_dir, read_lock, resolve_registry
from helpers.registry.java import MIN_JAVA

SUBJECT = f"test-registry-{uuid.uuid4().hex[:8]}-value"
SCHEMA = {"type": "record", "name": "Book", "namespace": "codealong",
          "fields": [{"name": "title", "type": "string"}, {"name": "pages", "type": "int"}]}
CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
HTTP_TIMEOUT_S = 10


def http(method: str, url: str, body: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": CONTENT_TYPE})
    with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as answer:
        return json.loads(answer.read().decode())


def _plain(address: str) -> str:
    """An IPv4-mapped IPv6 address (Java's dual-stack sockets: ::ffff:127.0.0.1) as plain IPv4."""
    ip = ipaddress.ip_address(address)
    return str(ip.ipv4_mapped) if ip.version == 6 and ip.ipv4_mapped else str(ip)


def listening(pid: int) -> set[tuple[str, int]]:
    """(address, port) of every listening TCP socket of the process and its children (IPv4-mapped
    addresses as plain IPv4: a socket on ::ffff:127.0.0.1 is on loopback, one on :: is not)."""
    proc = psutil.Process(pid)
    found = set()
    for p in [proc, *proc.children(recursive=True)]:
        connections = getattr(p, "net_connections", None) or p.connections  # psutil < 6 calls it connections
        found |= {(_plain(c.laddr.ip), c.laddr.port) for c in connections(kind="inet") if c.status == psutil.CONN_LISTEN}
    return found


# ---- the pinned archive (no Java) ---------------------------------------------------------------
def test_the_lock_pins_one_archive_by_sha256():
    locked = read_lock()
    assert (locked.group, locked.artifact, locked.classifier, locked.type) == \
        ("io.apicurio", "apicurio-registry-app", "all", "tar.gz")
    assert locked.version.split(".")[0] == "3"
    assert len(locked.sha256) == 64 and int(locked.sha256, 16) >= 0
    assert locked.size > 100 * 2**20


def _repository_holding(tmp_path, content: bytes | None = None, link_to=None):
    """A file:// Maven repository holding the locked archive's path (with these bytes, or a link)."""
    locked = read_lock()
    target = tmp_path / "repository" / locked.repository_path
    target.parent.mkdir(parents=True)
    if link_to is not None:
        target.symlink_to(link_to)
    else:
        target.write_bytes(content)
    return f"file://{tmp_path / 'repository'}"


def test_a_corrupted_download_is_refused_with_both_hashes_and_deleted(tmp_path, monkeypatch):
    corrupted = b"not Apicurio Registry, whatever the name says" * 1000
    monkeypatch.setenv("CODEALONG_MAVEN_REPOSITORY", _repository_holding(tmp_path, corrupted))
    cache = tmp_path / "cache"
    with pytest.raises(RegistryError) as refused:
        resolve_registry(cache)
    cause = refused.value.cause
    assert "downloaded twice" in cause and read_lock().sha256 in cause
    assert hashlib.sha256(corrupted).hexdigest() in cause and "deleted, not used" in cause
    assert "CODEALONG_MAVEN_REPOSITORY" in refused.value.fix
    assert not archive_path(cache).exists() and not install_dir(cache).exists()
    assert not [p for p in cache.rglob("*") if p.is_file() and not p.name.endswith(".lock")]  # no partial file


def test_an_altered_archive_in_the_cache_is_fetched_again(tmp_path, monkeypatch):
    shared = fetch_archive(settings.cache_dir())  # the real one (downloaded here if this machine lacks it)
    monkeypatch.setenv("CODEALONG_MAVEN_REPOSITORY", _repository_holding(tmp_path, link_to=shared))
    cache = tmp_path / "cache"
    cut_short = archive_path(cache)
    cut_short.parent.mkdir(parents=True)
    cut_short.write_bytes(shared.read_bytes()[:100_000])  # as by a lost connection
    fetched = fetch_archive(cache)
    assert fetched == cut_short and fetched.stat().st_size == read_lock().size


# ---- the Java (runs `java -version` only) -------------------------------------------------------
def test_the_registry_runs_on_a_java_21_or_newer_and_says_which():
    java = find_registry_java()
    assert java.major >= MIN_JAVA and os.path.isfile(java.path)
    assert java.path in java.describe() and f"Java {java.major}" in java.describe()


def test_a_java_older_than_21_is_refused_by_name(monkeypatch):
    from helpers.broker.prerequisites import find_java

    broker_java = find_java()
    if broker_java.major >= MIN_JAVA:
        pytest.skip(f"no Java older than {MIN_JAVA} on this machine to refuse")
    monkeypatch.setenv("CODEALONG_REGISTRY_JAVA", broker_java.path)
    with pytest.raises(PrerequisiteError) as refused:
        find_registry_java()
    assert f"Java {broker_java.major}" in refused.value.cause and f"Java {MIN_JAVA}" in refused.value.cause


# ---- a port another program holds (no Java: refused before anything starts) ---------------------
@pytest.mark.parametrize("offset, role", [(0, "API"), (1, "management interface")])
def test_a_taken_port_is_refused_naming_the_program(tmp_path, offset, role):
    port = free_ports(2)
    holder = subprocess.Popen([sys.executable, "-m", "http.server", str(port + offset), "--bind", "127.0.0.1"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
    try:
        deadline = Deadline(15)
        assert deadline.until(lambda: (("127.0.0.1", port + offset) in listening(holder.pid))), \
            "the port holder did not listen within 15 s"
        registry = LocalRegistry(port=port, state_dir=tmp_path)
        with pytest.raises(RegistryError) as refused:
            registry.start("127.0.0.1:1")
        cause = refused.value.cause
        assert f"Port {port + offset} on 127.0.0.1 (the registry's {role})" in cause
        assert f"pid {holder.pid}" in cause and "http.server" in cause
        assert "CODEALONG_REGISTRY_PORT" in refused.value.fix
        assert not registry.is_running()
    finally:
        holder.kill()
        holder.wait(10)


# ---- a real registry on a Kafka of its own --------------------------------------------------------
@pytest.fixture(scope="module")
def registry_kafka(tmp_path_factory):
    """A single-node Kafka for the registry alone: the registry adds topics and consumer groups of its
    own, which must never show up in the chapters nbval runs beside this suite on the default broker."""
    from helpers.broker import LocalCluster

    cluster = LocalCluster(port=free_ports(3), state_dir=tmp_path_factory.mktemp("registry-kafka"))
    yield cluster.start().bootstrap
    cluster.stop(timeout=10)


@pytest.fixture(scope="module")
def registry(registry_kafka, tmp_path_factory):
    """A registry of its own (own ports, folder and journal topic) on its own Kafka."""
    own = LocalRegistry(port=free_ports(2), state_dir=tmp_path_factory.mktemp("registry"),
                        topic=f"kafkasql-journal-test-{uuid.uuid4().hex[:8]}")
    report = own.start(registry_kafka)
    assert not report.reused and report.pid
    yield own
    own.stop()


@pytest.mark.slow
def test_it_answers_on_loopback_and_listens_nowhere_else(registry):
    assert isinstance(http("GET", f"{registry.ccompat_url}/subjects"), list)
    status = registry.status()
    sockets = listening(status.pid)
    assert ("127.0.0.1", registry.port) in sockets and ("127.0.0.1", registry.management_port) in sockets
    assert {address for address, _ in sockets} == {"127.0.0.1"}, f"listening beyond loopback: {sockets}"
    assert status.answers and 100 < status.rss_mib < 1024


@pytest.mark.slow
def test_a_schema_is_registered_and_read_back_over_http(registry):
    registered = http("POST", f"{registry.ccompat_url}/subjects/{SUBJECT}/versions", {"schema": json.dumps(SCHEMA)})
    assert isinstance(registered["id"], int)
    latest = http("GET", f"{registry.ccompat_url}/subjects/{SUBJECT}/versions/latest")
    assert latest["subject"] == SUBJECT and latest["version"] == 1 and latest["id"] == registered["id"]
    assert json.loads(latest["schema"]) == SCHEMA
    assert json.loads(http("GET", f"{registry.ccompat_url}/schemas/ids/{registered['id']}")["schema"]) == SCHEMA
    assert SUBJECT in http("GET", f"{registry.ccompat_url}/subjects")


@pytest.mark.slow
def test_confluent_kafkas_schema_registry_client_registers_and_reads_back(registry):
    try:
        from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
    except ImportError as missing:
        pytest.skip(f"confluent-kafka's `schemaregistry` extra is not installed ({missing}): "
                    "pip install 'confluent-kafka[schemaregistry,avro]'")
    client = SchemaRegistryClient({"url": registry.ccompat_url, "timeout": HTTP_TIMEOUT_S})
    subject = f"client-{SUBJECT}"
    schema_id = client.register_schema(subject, Schema(json.dumps(SCHEMA), "AVRO"))
    latest = client.get_latest_version(subject)
    assert latest.schema_id == schema_id and json.loads(latest.schema.schema_str) == SCHEMA


@pytest.mark.slow
def test_schemas_survive_a_restart_and_stop_leaves_no_process(registry, registry_kafka):
    """Runs last: the schemas live in Kafka's journal topic, so a restarted registry still has them."""
    from confluent_kafka.admin import AdminClient

    http("POST", f"{registry.ccompat_url}/subjects/{SUBJECT}/versions", {"schema": json.dumps(SCHEMA)})  # idempotent
    assert registry.topic in AdminClient({"bootstrap.servers": registry_kafka}).list_topics(timeout=10).topics
    pid = registry.status().pid
    assert registry.stop() == pid
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert not registry.layout.pid_file.exists() and not registry.is_running()
    warm = registry.start(registry_kafka)
    assert not warm.reused
    assert SUBJECT in http("GET", f"{registry.ccompat_url}/subjects")
    pid = warm.pid
    registry.stop()
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert not {p for p in psutil.process_iter(["cmdline"]) if registry.process.marker in (p.info["cmdline"] or [])}
