"""The embedded broker, against the real Kafka it runs."""
from __future__ import annotations

import os
import socket
import stat
import time

import psutil
import pytest
from click.testing import CliRunner
from confluent_kafka import Consumer, Producer

from conftest import free_port
from helpers.broker.cluster import free_ports
from helpers.client.deadline import Deadline
from helpers.broker import LocalCluster, ensure_broker, probe_metadata, resolve_jars
from helpers.broker.prerequisites import check_java, check_maven
from helpers.cli import main
from helpers.client.errors import BrokerError, BrokerUnreachable, PrerequisiteError


def produce_one(bootstrap: str, topic: str, key: bytes, value: bytes) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "message.timeout.ms": 10000})
    errors = []
    producer.produce(topic, value, key, on_delivery=lambda err, msg: errors.append(err))
    assert producer.flush(15) == 0
    assert errors == [None]


def consume_all(bootstrap: str, topic: str, expected: int, timeout: float = 20) -> list:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"t-{topic}",
                         "auto.offset.reset": "earliest"})
    got = []
    try:
        consumer.subscribe([topic])
        deadline = time.monotonic() + timeout
        while len(got) < expected and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and not msg.error():
                got.append((msg.key(), msg.value()))
    finally:
        consumer.close()
    return got


@pytest.fixture(scope="module")
def shared_cluster(tmp_path_factory):
    """A single-node cluster of this module's own, for the tests that need A broker but not a fresh
    one: each leaves it formatted, and starts or stops it as it needs (a start is idempotent)."""
    cluster = LocalCluster(port=free_ports(3), state_dir=tmp_path_factory.mktemp("shared"))
    yield cluster
    cluster.stop(timeout=10)


@pytest.fixture(scope="module")
def shared_trio(tmp_path_factory):
    """A three-node cluster of this module's own (not started), shared by the multinode tests."""
    cluster = LocalCluster(nodes=3, port=free_ports(6), state_dir=tmp_path_factory.mktemp("trio"))
    yield cluster
    cluster.stop()


def test_round_trip_on_the_session_broker(kafka, unique):
    metadata = probe_metadata(kafka, timeout=5)
    assert len(metadata.brokers) == 1
    topic = f"roundtrip-{unique}"
    produce_one(kafka, topic, b"Metamorphosis", b"Franz Kafka")
    assert consume_all(kafka, topic, 1) == [(b"Metamorphosis", b"Franz Kafka")]


def test_second_start_reuses_the_running_broker(kafka):
    cluster = LocalCluster()
    pid_before = cluster.status()[0].pid
    report = cluster.start()
    assert report.reused and report.bootstrap == kafka
    assert cluster.status()[0].pid == pid_before
    assert len([p for p in psutil.process_iter(["cmdline"])
                if "kafka.Kafka" in (p.info["cmdline"] or []) and
                str(cluster.node_dir(1)) in " ".join(p.info["cmdline"])]) == 1


def test_ensure_broker_returns_the_running_local_broker(kafka):
    assert ensure_broker() == kafka


def test_broker_listens_on_loopback_only(kafka):
    pid = LocalCluster().status()[0].pid
    listening = [c.laddr for c in psutil.Process(pid).net_connections(kind="inet") if c.status == psutil.CONN_LISTEN]
    assert listening, "the broker should be listening"
    assert {addr.ip.removeprefix("::ffff:") for addr in listening} == {"127.0.0.1"}
    port = int(kafka.split(":")[1])
    others = [a.address for addrs in psutil.net_if_addrs().values() for a in addrs
              if a.family == socket.AF_INET and not a.address.startswith("127.")]
    for address in others:  # this machine's own non-loopback addresses: must be refused
        with socket.socket() as sock:
            sock.settimeout(2)
            assert sock.connect_ex((address, port)) != 0, f"broker reachable on {address}"


def test_restart_keeps_data_and_stop_when_stopped_is_a_no_op(shared_cluster, unique, capsys):
    shared_cluster.stop()  # whatever an earlier test left running
    report = shared_cluster.start(progress=True)
    assert not report.reused and set(report.phases) == {"resolve jars", "format", "start"}
    bar = capsys.readouterr().err
    assert "waiting for a metadata answer" in bar and "3/3 phases, ready" in bar
    produce_one(shared_cluster.bootstrap, f"keep-{unique}", b"k", b"kept")
    assert shared_cluster.stop() == [1]
    assert not shared_cluster.is_running()
    started = time.monotonic()
    assert shared_cluster.stop() == []
    assert time.monotonic() - started < 2
    shared_cluster.start()
    assert "phases" not in capsys.readouterr().err  # no bar unless asked for
    assert consume_all(shared_cluster.bootstrap, f"keep-{unique}", 1) == [(b"k", b"kept")]


def test_stale_pid_file_is_detected_and_replaced(shared_cluster):
    shared_cluster.stop()
    pid_file = shared_cluster.node_dir(1) / "pid"
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.write_text(str(os.getpid()))  # a live process, but not a Kafka broker
    assert not shared_cluster.is_running()
    shared_cluster.start()
    assert int(pid_file.read_text()) != os.getpid()
    assert shared_cluster.is_running()


def test_port_taken_by_another_program_is_a_clear_error(scratch_cluster):
    broker_port = scratch_cluster.ports[1][0]
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", broker_port))
        squatter.listen()
        started = time.monotonic()
        with pytest.raises(BrokerError) as err:
            scratch_cluster.start()
        assert time.monotonic() - started < 10
    assert f"Port {broker_port}" in err.value.cause and "CODEALONG_PORT" in err.value.fix
    assert not scratch_cluster.is_running()


def test_port_taken_via_the_cli_prints_cause_and_fix(scratch_cluster):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", scratch_cluster.ports[1][0]))
        squatter.listen()
        env = {"CODEALONG_PORT": str(scratch_cluster.ports[1][0])}
        result = CliRunner().invoke(main, ["broker", "start"], env=env)
    assert result.exit_code == 1
    assert "Error: Port" in result.output and "Fix:" in result.output
    assert "Traceback" not in result.output


def test_half_formatted_data_directory_is_refused_and_kept(scratch_cluster):
    data = scratch_cluster.node_dir(1) / "data"
    data.mkdir(parents=True)
    (data / "bootstrap.checkpoint").write_text("partial")
    with pytest.raises(BrokerError) as err:
        scratch_cluster.start()
    assert "half-formatted" in err.value.cause and "codealong broker reset" in err.value.fix
    assert (data / "bootstrap.checkpoint").read_text() == "partial"  # nothing deleted


def test_data_of_another_cluster_is_refused(scratch_cluster):
    scratch_cluster.start()
    scratch_cluster.stop()
    (scratch_cluster.dir / "cluster.id").write_text("AAAAAAAAAAAAAAAAAAAAAA")
    with pytest.raises(BrokerError) as err:
        scratch_cluster.start()
    assert "another cluster or is corrupted" in err.value.cause
    assert (scratch_cluster.node_dir(1) / "data" / "meta.properties").exists()


def test_damaged_meta_properties_makes_start_fail_with_the_log_reason(scratch_cluster):
    scratch_cluster.start()
    scratch_cluster.stop()
    meta = scratch_cluster.node_dir(1) / "data" / "meta.properties"
    meta.write_text(meta.read_text().replace("node.id=1", "node.id=7"))
    started = time.monotonic()
    with pytest.raises(BrokerError) as err:
        scratch_cluster.start(timeout=60)
    assert time.monotonic() - started < 60
    assert "exited during start-up" in err.value.cause and "broker.log" in err.value.fix
    assert not scratch_cluster.is_running()


def test_reset_wipes_the_cluster(scratch_cluster, unique):
    scratch_cluster.start()
    produce_one(scratch_cluster.bootstrap, f"gone-{unique}", b"k", b"v")
    scratch_cluster.reset()
    assert not scratch_cluster.dir.exists()
    scratch_cluster.start()
    topics = probe_metadata(scratch_cluster.bootstrap, timeout=5).topics
    assert f"gone-{unique}" not in topics


def fake_java(tmp_path, version_line: str) -> str:
    script = tmp_path / "java"
    script.write_text(f"#!/bin/sh\necho '{version_line}' >&2\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def test_java_older_than_17_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("CODEALONG_JAVA", fake_java(tmp_path, 'openjdk version "11.0.22" 2024-01-16'))
    with pytest.raises(PrerequisiteError) as err:
        check_java()
    assert "Java 11" in err.value.cause and "JDK 17" in err.value.fix


def test_java_8_version_scheme_is_read(tmp_path, monkeypatch):
    monkeypatch.setenv("CODEALONG_JAVA", fake_java(tmp_path, 'java version "1.8.0_392"'))
    with pytest.raises(PrerequisiteError, match="Java 8 found"):
        check_java()


def test_missing_java_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("CODEALONG_JAVA", str(tmp_path / "no-such-java"))
    with pytest.raises(PrerequisiteError) as err:
        check_java()
    assert "JDK 17" in err.value.fix


def test_missing_maven_is_refused(monkeypatch):
    monkeypatch.setenv("CODEALONG_MVN", "/nonexistent/mvn")
    with pytest.raises(PrerequisiteError) as err:
        check_maven()
    assert "Maven" in err.value.cause and "apt-get install maven" in err.value.fix


def test_maven_downloader_failure_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("CODEALONG_DOWNLOADER", "maven")
    started = time.monotonic()
    with pytest.raises(BrokerError) as err:  # Maven, offline, with an empty local repository
        resolve_jars("4.4.0", tmp_path / "cache", offline=True, repository=tmp_path / "empty-m2")
    assert time.monotonic() - started < 60
    assert "Maven could not resolve the locked jars" in err.value.cause
    assert "Maven Central" in err.value.fix
    assert not (tmp_path / "cache" / "kafka-4.4.0" / "libs" / ".complete").exists()


def test_an_unknown_downloader_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("CODEALONG_DOWNLOADER", "gradle")
    with pytest.raises(BrokerError, match="CODEALONG_DOWNLOADER is 'gradle'"):
        resolve_jars("4.4.0", tmp_path / "cache")


def test_bootstrap_servers_pointing_nowhere(monkeypatch):
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{free_port()}")
    started = time.monotonic()
    with pytest.raises(BrokerUnreachable) as err:
        ensure_broker()
    assert time.monotonic() - started < 10
    assert "KAFKA_BOOTSTRAP_SERVERS" in err.value.cause and "unset it" in err.value.fix


def test_cli_status_and_stop_of_a_cluster_that_is_not_running(tmp_path):
    env = {"CODEALONG_STATE_DIR": str(tmp_path), "CODEALONG_PORT": str(free_ports(2))}
    status = CliRunner().invoke(main, ["broker", "status"], env=env)
    assert status.exit_code == 3 and "stopped" in status.output
    stop = CliRunner().invoke(main, ["broker", "stop"], env=env)
    assert stop.exit_code == 0 and "Nothing was running" in stop.output


def test_cli_status_of_the_session_broker(kafka):
    result = CliRunner().invoke(main, ["broker", "status"])
    assert result.exit_code == 0, result.output
    assert f"answers at {kafka}: 1 broker(s)" in result.output


def test_doctor_names_a_missing_java_and_its_fix(tmp_path):
    result = CliRunner().invoke(main, ["doctor"], env={"CODEALONG_JAVA": str(tmp_path / "nope")})
    assert result.exit_code == 1
    assert "FAIL Java" in result.output and "JDK 17" in result.output
    assert "ok   Maven" in result.output


@pytest.mark.multinode
def test_three_node_cluster_forms_and_one_node_restarts(shared_trio):
    cluster = shared_trio
    cluster.start()
    assert sorted(probe_metadata(cluster.bootstrap, 5).brokers) == [1, 2, 3]
    assert cluster.stop(node=2) == [2]
    assert [s.running for s in cluster.status()] == [True, False, True]
    assert Deadline(30).until(lambda: 2 not in probe_metadata(cluster.bootstrap, 5).brokers, step=0.2)
    assert sorted(probe_metadata(cluster.bootstrap, 5).brokers) == [1, 3]
    assert not cluster.start(node=2).reused
    # start() returns once a metadata answer lists node 2; the others' answers follow within moments
    assert Deadline(30).until(lambda: sorted(probe_metadata(cluster.bootstrap, 5).brokers) == [1, 2, 3], step=0.2)

def test_cluster_ids_never_look_like_options():
    from helpers.broker.cluster import new_cluster_id

    ids = [new_cluster_id() for _ in range(2000)]  # about 31 of 2000 raw ids would start with "-"
    assert all(len(i) == 22 and not i.startswith("-") for i in ids)


def test_a_cluster_id_starting_with_a_dash_still_formats(scratch_cluster):
    scratch_cluster.dir.mkdir(parents=True)
    (scratch_cluster.dir / "cluster.id").write_text("-" + "A" * 21)
    scratch_cluster.start()
    assert "cluster.id=-AAAA" in (scratch_cluster.node_dir(1) / "data" / "meta.properties").read_text()


STARTER = """
import sys
from helpers.broker import LocalCluster, ensure_broker
print(ensure_broker(), LocalCluster().status()[0].pid, flush=True)
sys.stdin.readline()  # stay alive (the broker dies with the process that started it)
"""


def kafka_jvms(state_dir) -> list[psutil.Process]:
    return [p for p in psutil.process_iter(["cmdline"])
            if "kafka.Kafka" in (p.info["cmdline"] or []) and str(state_dir) in " ".join(p.info["cmdline"])]


def test_two_processes_starting_the_broker_together_share_one_jvm(tmp_path):
    import subprocess
    import sys

    env = {**os.environ, "CODEALONG_STATE_DIR": str(tmp_path / "state"), "CODEALONG_PORT": str(free_ports(2))}
    starters = [subprocess.Popen([sys.executable, "-c", STARTER], env=env, stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    try:
        answers = [starter.stdout.readline().split() for starter in starters]
        assert all(answers), [s.stderr.read() for s in starters if s.poll() is not None]
        assert answers[0] == answers[1]  # the same bootstrap and the same broker pid
        assert len(kafka_jvms(tmp_path / "state")) == 1
    finally:
        for starter in starters:
            starter.stdin.close()
            starter.wait(30)
    # Its starter is gone, so the test broker is too (CODEALONG_DIE_WITH_PARENT, set by conftest).
    assert Deadline(15).until(lambda: not kafka_jvms(tmp_path / "state"))


def test_a_broker_started_by_a_killed_process_dies_with_it(tmp_path):
    import subprocess
    import sys

    env = {**os.environ, "CODEALONG_STATE_DIR": str(tmp_path / "state"), "CODEALONG_PORT": str(free_ports(2))}
    starter = subprocess.Popen([sys.executable, "-c", STARTER], env=env, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    pid = int(starter.stdout.readline().split()[1])
    starter.kill()  # SIGKILL, as when CI kills pytest
    starter.wait(10)
    assert Deadline(15).until(lambda: not psutil.pid_exists(pid) or
                              psutil.Process(pid).status() == psutil.STATUS_ZOMBIE)


def test_ctrl_c_during_a_start_leaves_no_jvm_behind(shared_cluster, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    shared_cluster.stop()
    monkeypatch.setattr("helpers.broker.launcher.wait_ready", interrupted)
    with pytest.raises(KeyboardInterrupt):
        shared_cluster.start()
    assert not kafka_jvms(shared_cluster.dir) and not shared_cluster.is_running()


def test_a_broker_of_another_version_is_restarted_and_said_so(shared_cluster, caplog):
    shared_cluster.start()
    before = shared_cluster.status()[0].pid
    (shared_cluster.dir / "version").write_text("4.3.0")  # as if an older pin had started it
    with caplog.at_level("WARNING"):
        report = shared_cluster.start()
    assert not report.reused and shared_cluster.status()[0].pid != before
    assert f"Kafka 4.3.0 is running for {shared_cluster.dir}, but Kafka {shared_cluster.version} is pinned" \
        in caplog.text
    assert (shared_cluster.dir / "version").read_text() == shared_cluster.version


@pytest.mark.multinode
def test_a_failed_start_stops_only_the_nodes_it_launched(shared_trio):
    shared_trio.start()
    shared_trio.stop(node=3)
    meta = shared_trio.node_dir(3) / "data" / "meta.properties"
    intact = meta.read_text()
    meta.write_text(intact.replace("node.id=3", "node.id=9"))  # node 3 now fails at start
    try:
        with pytest.raises(BrokerError, match="exited during start-up"):
            shared_trio.start()  # the whole cluster: only node 3 is launched, and it fails
        assert [s.running for s in shared_trio.status()] == [True, True, False]
    finally:
        meta.write_text(intact)  # the trio is shared: leave node 3 able to start


# ---- secrets stay out of command lines and world-readable files ----------------------------------

@pytest.mark.parametrize("profile", ["workshop", "sasl"])
def test_no_command_line_of_a_secured_start_holds_the_password(tmp_path, monkeypatch, profile):
    import secrets
    import subprocess

    monkeypatch.setenv("CODEALONG_STATE_DIR", str(tmp_path / "state"))
    password = f"pw-{secrets.token_hex(8)}"
    if profile == "sasl":
        monkeypatch.setenv("CODEALONG_SASL_USERNAME", "learner")
        monkeypatch.setenv("CODEALONG_SASL_PASSWORD", password)
        cluster = LocalCluster(port=free_ports(3), sasl=True)
    else:
        cluster = LocalCluster(port=free_ports(3), admin=("admin", password))
    command_lines = []

    class Recording(subprocess.Popen):  # every process a start launches goes through Popen
        def __init__(self, args, *more, **options):
            command_lines.append([str(arg) for arg in args])
            super().__init__(args, *more, **options)

    monkeypatch.setattr(subprocess, "Popen", Recording)
    try:
        cluster.start()
        command_lines.append(psutil.Process(cluster.status()[0].pid).cmdline())  # what /proc shows
    finally:
        cluster.stop(timeout=10)
    assert (cluster.node_dir(1) / "data" / "meta.properties").exists()  # this start formatted the storage
    assert len(command_lines) >= 3  # the format, the broker, and the broker as /proc shows it
    assert not [line for line in command_lines if password in " ".join(line)]
    assert not list(cluster.dir.rglob("*.args"))  # the storage tool's argument file is gone


def test_a_readable_properties_file_is_made_private_before_the_password_goes_in(tmp_path):
    cluster = LocalCluster(port=free_ports(3), admin=("admin", "s3cret"), state_dir=tmp_path)
    properties = cluster.node_dir(1) / "server.properties"
    properties.parent.mkdir(parents=True)
    properties.write_text("# left by an older version\n")
    properties.chmod(0o644)
    # Data without meta.properties stops the start at the format, after the properties are written:
    # no JVM is needed to see how they were written.
    (cluster.node_dir(1) / "data").mkdir()
    (cluster.node_dir(1) / "data" / "leftover").write_text("")
    with pytest.raises(BrokerError, match="half-formatted"):
        cluster.start()
    assert "s3cret" in properties.read_text()
    assert stat.S_IMODE(properties.stat().st_mode) == 0o600


def properties_of(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))


def test_the_internal_listener_listens_on_loopback_and_advertises_its_name_on_the_ports_after_the_others(tmp_path):
    cluster = LocalCluster(nodes=3, port=30000, state_dir=tmp_path, internal_host="kafka")
    node_1 = properties_of(cluster._properties.render(1))
    assert node_1["listeners"] == "PLAINTEXT://127.0.0.1:30000,CONTROLLER://127.0.0.1:30001,INTERNAL://127.0.0.1:30006"
    assert node_1["advertised.listeners"] == "PLAINTEXT://127.0.0.1:30000,INTERNAL://kafka:30006"
    assert node_1["listener.security.protocol.map"].endswith(",INTERNAL:PLAINTEXT")
    assert node_1["inter.broker.listener.name"] == "PLAINTEXT"  # the nodes talk over PLAINTEXT, as before
    assert cluster.internal_bootstrap == "127.0.0.1:30006"
    node_2 = properties_of(cluster._properties.render(2))  # node 1 alone has it, as one broker in Docker would
    assert "INTERNAL" not in node_2["listeners"] + node_2["advertised.listeners"]
    with pytest.raises(ValueError, match="plain-text"):
        LocalCluster(port=30000, state_dir=tmp_path, internal_host="kafka", admin=("admin", "x"))


def test_the_default_single_node_keeps_its_listeners_and_kafkas_session_defaults(tmp_path):
    single = properties_of(LocalCluster(port=30000, state_dir=tmp_path)._properties.render(1))
    assert single["listeners"] == "PLAINTEXT://127.0.0.1:30000,CONTROLLER://127.0.0.1:30001"
    assert single["advertised.listeners"] == "PLAINTEXT://127.0.0.1:30000"
    assert single["listener.security.protocol.map"] == \
        "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT"
    assert "broker.session.timeout.ms" not in single and "broker.heartbeat.interval.ms" not in single
    # Several nodes: a node stopped cleanly may register again 4 s after its last heartbeat, not 9 s.
    trio = properties_of(LocalCluster(nodes=3, port=30000, state_dir=tmp_path)._properties.render(3))
    assert (trio["broker.session.timeout.ms"], trio["broker.heartbeat.interval.ms"]) == ("4000", "1000")
    assert "INTERNAL" not in trio["listeners"] + trio["listener.security.protocol.map"]


def test_a_first_download_of_jars_shows_bytes_and_a_rate(tmp_path, monkeypatch):
    """The jars not yet in the cache are counted in bytes (the lock file gives each size), so the
    bar shows bytes, a rate and a total; jars already cached are not counted and show no bar."""
    from helpers import settings
    from helpers.broker import jars as jars_module

    bars = []

    class Recorder:
        def __init__(self, **options):
            self.options, self.updates = options, []
            bars.append(self)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def update(self, n):
            self.updates.append(n)

    monkeypatch.setattr(jars_module, "tqdm", Recorder)
    locked = jars_module.read_lock(settings.kafka_version())["tools"]
    two_small = sorted(locked, key=lambda jar: jar.size)[:2]
    assert all(jar.size > 0 for jar in locked)
    jars_module._fetch_with_jgo(two_small, tmp_path / "repo", offline=False)   # from Maven Central
    bar = bars[-1]
    assert bar.options["unit"] == "B" and bar.options["unit_scale"] and bar.options["disable"] is None
    assert bar.options["total"] == sum(jar.size for jar in two_small) == sum(bar.updates)
    jars_module._fetch_with_jgo(two_small, tmp_path / "repo", offline=True)    # cached now: nothing to show
    assert bars[-1].options["disable"] is True and bars[-1].updates == []
