"""Learner namespaces and the workshop's pure parts, tested without a broker: learner names,
the one scoping function, which cluster the environment's credentials belong to, the ACLs a
learner gets, the room's files, and the progress board's arithmetic; and, on the session
broker, how the board reads its topic."""
from __future__ import annotations

import stat

import pytest
from confluent_kafka.admin import AclOperation, ResourcePatternType, ResourceType

from helpers import ConsumerConfig, ProducerConfig, credentials, parse_config, scoped
from helpers.client.config import Connection, SecurityConfig, as_connection, security_for
from helpers.client.names import InvalidLearnerName, check_learner
from helpers.course.progress import ProgressEvent
from helpers.workshop.access import acl_bindings
from helpers.workshop.board import ProgressBoard
from helpers.workshop.room import JoinSheet, Room, RoomError, learner_names


@pytest.fixture
def ana(monkeypatch):
    monkeypatch.setenv("CODEALONG_LEARNER", "ana")


@pytest.mark.parametrize("name, why", [
    ("", "empty"), ("a.b", "'.'"), ("ana bo", "' '"), ("x" * 65, "65 characters"), ("workshop", "reserved"),
    ("__ana", "reserved"), ("_ana", "reserved"), ("dlq", "reserved"), ("DLQ", "reserved"), ("añá", "'ñ'"),
])
def test_a_learner_name_kafka_would_refuse_or_with_a_dot_is_a_clear_error(name, why):
    with pytest.raises(InvalidLearnerName) as err:
        check_learner(name)
    assert why in err.value.cause and err.value.fix


def test_a_bad_learner_in_the_environment_is_refused_where_names_are_made(monkeypatch):
    monkeypatch.setenv("CODEALONG_LEARNER", "ana.b")
    with pytest.raises(InvalidLearnerName, match="'.'"):
        scoped("our_topic")


def test_scoped_is_the_identity_alone_and_a_prefix_in_a_workshop(monkeypatch):
    monkeypatch.delenv("CODEALONG_LEARNER", raising=False)
    assert scoped("our_topic") == "our_topic"
    monkeypatch.setenv("CODEALONG_LEARNER", "ana")
    assert scoped("our_topic") == "ana.our_topic"
    assert scoped("ana.our_topic") == "ana.our_topic"          # idempotent
    assert scoped("workshop.leader-demo") == "workshop.leader-demo"  # the room's shared topics
    assert scoped("__consumer_offsets") == "__consumer_offsets"


def test_configs_put_topics_and_groups_under_the_learner(ana):
    config = parse_config({"producer": {"topics": ["our_topic"]},
                           "consumer": {"topics": ["our_topic", "another_topic"], "consumer_group": "example",
                                        "message_handler": "json:dumps"}})
    assert config.producer.topics == ("ana.our_topic",)
    assert config.consumer.topics == ("ana.our_topic", "ana.another_topic")
    assert config.consumer.consumer_group == "ana.example"
    again = ConsumerConfig(endpoints=("h:1",), topics=config.consumer.topics, consumer_group="ana.example")
    assert again.topics == config.consumer.topics and again.consumer_group == "ana.example"


def test_the_environments_login_belongs_to_the_environments_cluster_only(monkeypatch):
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "room:9392")
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("KAFKA_SASL_MECHANISM", "SCRAM-SHA-256")
    monkeypatch.setenv("KAFKA_USERNAME", "ana")
    monkeypatch.setenv("KAFKA_PASSWORD", "not-shown")
    assert Connection().security.protocol == "SASL_PLAINTEXT"
    assert as_connection("room:9392").security.sasl_mechanism == "SCRAM-SHA-256"
    assert ProducerConfig().security.protocol == "SASL_PLAINTEXT"
    # A scratch broker a chapter starts on this machine is spoken to in plain text.
    assert security_for(("127.0.0.1:19592",)).protocol == "PLAINTEXT"
    assert ProducerConfig(endpoints=("127.0.0.1:19592",)).security.protocol == "PLAINTEXT"
    login = credentials("room:9392")
    assert login["sasl.username"] == "ana" and "not-shown" not in repr(login)
    assert credentials("127.0.0.1:19592") == {}
    # A file's explicit [security] still wins.
    explicit = parse_config({"producer": {}, "security": {"protocol": "SSL"}})
    assert explicit.producer.security.protocol == "SSL"


def test_alone_there_are_no_credentials_to_add(monkeypatch):
    for var in ("KAFKA_BOOTSTRAP_SERVERS", "KAFKA_SECURITY_PROTOCOL", "KAFKA_SASL_MECHANISM"):
        monkeypatch.delenv(var, raising=False)
    assert credentials() == {} and credentials("127.0.0.1:9092") == {}


def test_a_learners_acls_cover_their_prefix_and_the_workshops_topics_only():
    bindings = acl_bindings("ana")
    assert {b.principal for b in bindings} == {"User:ana"}
    own_topics = {b.operation for b in bindings if b.restype == ResourceType.TOPIC and b.name == "ana."}
    assert {AclOperation.CREATE, AclOperation.READ, AclOperation.WRITE, AclOperation.DESCRIBE,
            AclOperation.DELETE, AclOperation.ALTER} <= own_topics
    assert all(b.resource_pattern_type == ResourcePatternType.PREFIXED for b in bindings if b.name == "ana.")
    groups = {b.operation for b in bindings if b.restype == ResourceType.GROUP}
    assert groups == {AclOperation.READ, AclOperation.DESCRIBE, AclOperation.DELETE, AclOperation.DESCRIBE_CONFIGS,
                      AclOperation.ALTER_CONFIGS}
    transactions = {(b.name, b.operation) for b in bindings if b.restype == ResourceType.TRANSACTIONAL_ID}
    assert transactions == {("ana.", AclOperation.WRITE), ("ana.", AclOperation.DESCRIBE)}
    shared = {(b.name, b.resource_pattern_type, b.operation) for b in bindings if b.name.startswith("workshop.")}
    assert shared == {("workshop.", ResourcePatternType.PREFIXED, AclOperation.READ),
                      ("workshop.", ResourcePatternType.PREFIXED, AclOperation.DESCRIBE)}  # no write on anything shared
    assert not any(b.restype == ResourceType.BROKER or b.name == "kafka-cluster" for b in bindings)


def test_learner_lists_by_name_or_count():
    assert learner_names("ana, ben,cy") == ["ana", "ben", "cy"]
    assert learner_names("3") == ["learner01", "learner02", "learner03"]
    with pytest.raises(RoomError, match="repeats ana"):
        learner_names("ana,ana")
    with pytest.raises(InvalidLearnerName):
        learner_names("ana,b.c")


def test_join_sheets_keep_the_password_in_a_private_file(tmp_path, monkeypatch):
    room = Room(tmp_path, "127.0.0.1:9392", ["ana"], nodes=1, port=9392)
    room.save()
    sheet_path = room.write_join_files("ana", "pa'ss\"word")
    room.write_room_sheet()
    assert "pa'ss" not in sheet_path.read_text() and "pa'ss" not in (tmp_path / "room.md").read_text()
    secret = room.password_file("ana")
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    sheet = JoinSheet.load(sheet_path)
    assert sheet.password() == "pa'ss\"word"
    lines = sheet.export_lines()
    assert len(lines) == 2 and "CODEALONG_LEARNER=ana" in lines[0] and "pa'ss" not in "".join(lines)
    import os
    import subprocess  # the lines, run by bash, set the learner's environment, password included

    shown = subprocess.run(["bash", "-c", "\n".join(lines) + "\nprintf '%s|%s' \"$CODEALONG_LEARNER\" \"$KAFKA_PASSWORD\""],
                           capture_output=True, text=True, timeout=10, env={"PATH": os.environ["PATH"]})
    assert shown.stdout == "ana|pa'ss\"word", shown
    windows = sheet.export_lines("powershell")  # Windows: PowerShell's own syntax (not runnable here)
    assert "$env:CODEALONG_LEARNER = 'ana'" in windows and windows[-1].startswith("Get-Content '")
    assert "pa'ss" not in "".join(windows)
    assert Room.load(tmp_path) == room


def test_each_kind_of_room_gets_its_schema_registry_and_the_join_sheets_carry_it(tmp_path, monkeypatch):
    from helpers.workshop.registry_choice import choose_registry

    monkeypatch.delenv("SCHEMA_REGISTRY_URL", raising=False)
    monkeypatch.delenv("CODEALONG_REGISTRY_PORT", raising=False)
    existing = Room(tmp_path / "existing", "kafka.example.org:9092", ["ana"])
    choose_registry(existing, None, None)          # the instructor's business: none given, none started
    assert existing.registry_url is None and existing.registry() is None
    existing.write_join_files("ana", "secret")
    existing.write_room_sheet()
    assert "SCHEMA_REGISTRY_URL" not in JoinSheet.load(existing.join_file("ana")).environment()
    assert "Chapter 15 (data contracts) needs one" in (existing.folder / "room.md").read_text()
    monkeypatch.setenv("SCHEMA_REGISTRY_URL", "http://registry.example.org:8081/apis/ccompat/v7/")
    choose_registry(existing, None, None)
    assert existing.registry_url == "http://registry.example.org:8081/apis/ccompat/v7"
    existing.save()
    existing.write_join_files("ana", "secret")
    existing.write_room_sheet()
    sheet = JoinSheet.load(existing.join_file("ana"))
    assert sheet.environment()["SCHEMA_REGISTRY_URL"] == existing.registry_url
    assert f"SCHEMA_REGISTRY_URL={existing.registry_url}" in sheet.export_lines()[0]
    assert "naming only" in (existing.folder / "room.md").read_text() and Room.load(existing.folder) == existing
    choose_registry(existing, "http://other.example.org:8081", None)   # --registry-url wins
    assert existing.registry_url == "http://other.example.org:8081"
    local = Room(tmp_path / "local", "127.0.0.1:9392", ["ana"], nodes=1, port=9392)
    choose_registry(local, None, None)             # the workshop starts one: 8081 + 300
    assert local.registry_port == 8381 and local.registry_url == "http://127.0.0.1:8381/apis/ccompat/v7"
    assert local.registry().dir == local.folder / "registry" and local.registry().port == 8381
    lan = Room(tmp_path / "lan", "192.168.1.5:9392", ["ana"], nodes=1, port=9392, host="192.168.1.5")
    choose_registry(lan, None, None)               # on a room's network: its API on the room's address
    assert lan.registry_url == "http://192.168.1.5:8381/apis/ccompat/v7"
    registry = lan.registry()
    assert registry.host == "192.168.1.5" and registry.url == "http://192.168.1.5:8381"
    assert registry.properties("192.168.1.5:9392")["quarkus.http.host"] == "192.168.1.5"
    assert registry.properties("192.168.1.5:9392")["quarkus.management.host"] == "127.0.0.1"


def test_a_missing_workshop_or_sheet_says_what_to_do(tmp_path):
    with pytest.raises(RoomError, match="no workshop") as err:
        Room.load(tmp_path)
    assert "workshop start" in err.value.fix
    with pytest.raises(RoomError, match="does not exist"):
        JoinSheet.load(tmp_path / "nobody.join.toml")


def test_the_board_counts_checks_passed_and_who_is_stuck():
    board = ProgressBoard(["ana", "ben", "cy"], chapters={3: 3, 4: 3})
    events = [ProgressEvent("ana", 3, "3.1", False, 100.0), ProgressEvent("ana", 3, "3.1", True, 110.0),
              ProgressEvent("ana", 3, "3.2", True, 120.0), ProgressEvent("ana", 3, "end", True, 130.0),
              ProgressEvent("ben", 3, "3.1", False, 140.0), ProgressEvent("ben", 3, "3.1", False, 150.0),
              ProgressEvent("ana", 3, "3.1", True, 160.0)]   # a re-run counts once
    for event in events:
        board.apply(ProgressEvent.from_json(event.to_json()))
    rows = {row["learner"]: row for row in board.rows(now=200.0)}
    assert rows["ana"]["chapters"] == {3: (3, 3), 4: (0, 3)} and rows["ana"]["stuck_on"] == ""
    assert rows["ben"]["chapters"][3] == (0, 3) and rows["ben"]["stuck_on"] == "3.1 (x2)"
    assert rows["cy"]["idle_s"] is None
    assert [row["learner"] for row in board.rows(now=200.0)] == ["cy", "ben", "ana"]  # idle longest first
    text = board.text(now=200.0)
    assert "3/3" in text and "never" in text and "50 s ago" in text
    assert "#8fd18f" in board.html(now=200.0)  # ana's chapter 3 is green


def test_anything_else_on_the_progress_topic_is_not_an_event():
    with pytest.raises(ValueError):
        ProgressEvent.from_json(b"hello")
    with pytest.raises(ValueError):
        ProgressEvent.from_json(b'{"learner": "ana"}')


def test_new_endpoints_get_their_own_login_not_the_environments(monkeypatch):
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "room:9392")
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    from helpers.client.config import with_overrides

    room = ProducerConfig()
    assert room.security.protocol == "SASL_PLAINTEXT"
    assert with_overrides(room, endpoints=["127.0.0.1:9192"]).security.protocol == "PLAINTEXT"
    explicit = ProducerConfig(security=SecurityConfig(protocol="SSL"))
    assert with_overrides(explicit, endpoints=["127.0.0.1:9192"]).security.protocol == "SSL"


def test_a_progress_event_never_fails_or_slows_the_learners_cell(monkeypatch):
    """Nothing answers at the bootstrap address: the check's event is queued and dropped later."""
    import time

    from helpers.course import progress

    monkeypatch.setenv("CODEALONG_LEARNER", "ana")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9")
    monkeypatch.delenv("KAFKA_SECURITY_PROTOCOL", raising=False)
    monkeypatch.setattr(progress, "_publisher", progress._Publisher())
    assert progress.workshop_mode()
    began = time.monotonic()
    for _ in range(20):
        progress.report_check("3.1", True)
    progress.chapter_done(3)
    assert time.monotonic() - began < 0.5
    assert progress.flush(0.1) > 0   # still queued: nobody received them, and nobody waited


def test_alone_no_progress_event_is_made(monkeypatch):
    from helpers.course import progress

    monkeypatch.delenv("CODEALONG_LEARNER", raising=False)
    monkeypatch.setattr(progress, "_publisher", progress._Publisher())
    progress.report_check("3.1", True)
    assert progress._publisher._producer is None


def test_learner_scope_sets_and_restores_the_learner(monkeypatch):
    from helpers.client.names import learner_scope

    monkeypatch.setenv("CODEALONG_LEARNER", "ana")
    with learner_scope(None):
        assert scoped("t") == "t"
    with learner_scope("ben"):
        assert scoped("t") == "ben.t"
    assert scoped("t") == "ana.t"


def test_the_board_reads_each_learners_topic_from_the_start_once_and_live(kafka, unique):
    """Each learner's events come from their own topic; an event in one learner's topic that names
    another is skipped (a learner cannot fill in someone else's row); a learner without a topic yet
    has no events."""
    from helpers import SyncProducer, create_topic
    from helpers.client.deadline import Deadline
    from helpers.course.progress import progress_topic
    from helpers.workshop import board

    ana, ben, cy = f"ana{unique}", f"ben{unique}", f"cy{unique}"
    for name in (ana, ben):
        create_topic(kafka, progress_topic(name))
    with SyncProducer(endpoints=[kafka]) as producer:
        producer.produce(progress_topic(ana), ProgressEvent(ana, 3, "3.1", True, 100.0).to_json().decode())
        producer.produce(progress_topic(ben), ProgressEvent(ben, 3, "3.1", False, 110.0).to_json().decode())
        producer.produce(progress_topic(ben), ProgressEvent(ana, 3, "3.2", True, 111.0).to_json().decode())  # forged
        producer.produce(progress_topic(ben), "not an event")                               # skipped too
        once = board.read_progress(kafka, [ana, ben, cy], timeout=10)
        assert once.events == 2 and once.cell(ana, 3)[0] == 1 and once.learners[ben].misses == {"3.1": 1}
        assert "3.2" not in once.learners[ana].passed.get(3, set())
        assert once.learners[cy].last_seen is None                                          # no topic: never seen
        live = board.LiveBoard(kafka, [ana, ben], every_s=0.1).start(timeout=10)
        try:
            assert live.board.events == 2 and live.error is None             # what was there on start
            later = ProgressEvent(ben, 3, "3.1", True, 120.0)
            producer.produce(progress_topic(ben), later.to_json().decode(), key=ben)
            assert Deadline(10).until(lambda: live.board.events == 3)        # and what comes after
            assert Deadline(5).until(lambda: ben in live.widget.value)
        finally:
            live.stop()


def test_workshop_reset_names_its_learners_and_asks_before_resetting_everyone(tmp_path, monkeypatch):
    """The command line only (the reset itself is tested on the room's cluster in test_workshop)."""
    from click.testing import CliRunner

    from helpers.cli import main
    from helpers.workshop import lifecycle

    Room(tmp_path, "127.0.0.1:9392", ["ana", "ben"], nodes=1, port=9392).save()
    done = []
    monkeypatch.setattr(lifecycle, "reset", lambda room, learner=None: done.append(learner) or [])
    folder = ["--folder", str(tmp_path)]
    nothing = CliRunner().invoke(main, ["workshop", "reset", *folder])
    assert nothing.exit_code == 2 and "--all" in nothing.output and done == []
    refused = CliRunner().invoke(main, ["workshop", "reset", "--all", *folder], input="n\n")
    assert refused.exit_code == 1 and "all 2 learners?" in refused.output and done == []
    assert CliRunner().invoke(main, ["workshop", "reset", "ana", "ben", *folder]).exit_code == 0
    assert CliRunner().invoke(main, ["workshop", "reset", "--all", "--yes", *folder]).exit_code == 0
    assert done == ["ana", "ben", None]


def test_a_host_that_is_not_this_machines_is_refused_before_anything_starts(tmp_path):
    from helpers.workshop.lifecycle import check_host, start_workshop
    from helpers.workshop.room import RoomError

    assert check_host("127.0.0.1") == "127.0.0.1"
    with pytest.raises(RoomError) as err:
        start_workshop(["ana"], host="203.0.113.7", folder=tmp_path / "room")   # TEST-NET-3: nobody's
    assert "not an address of this machine" in err.value.cause and "127.0.0.1" in err.value.cause
    assert not (tmp_path / "room").exists()


def test_a_learner_whose_join_cannot_reach_the_room_is_told_what_to_check_within_seconds(tmp_path, monkeypatch):
    import time

    from conftest import free_port
    from helpers.workshop.joining import JOIN_PROBE_S, check_join
    from helpers.workshop.room import JoinSheet, RoomError

    password = tmp_path / "ana.password.env"
    password.write_text("export KAFKA_PASSWORD=not-used\n")
    sheet = JoinSheet(f"127.0.0.1:{free_port()}", "ana", "ana", "SASL_PLAINTEXT", "SCRAM-SHA-256", password)
    began = time.monotonic()
    with pytest.raises(RoomError) as err:
        check_join(sheet)
    assert time.monotonic() - began < JOIN_PROBE_S + 5
    assert "does not answer" in err.value.cause
    assert "same Wi-Fi" in err.value.fix and "firewall" in err.value.fix
    assert "broker start" not in err.value.fix      # not "start a broker of your own"


def test_workshop_start_without_learners_needs_a_room_to_resume(tmp_path):
    from click.testing import CliRunner

    from helpers.cli import main

    shown = CliRunner().invoke(main, ["workshop", "start", "--folder", str(tmp_path / "none")])
    assert shown.exit_code == 2 and "no workshop to resume" in shown.output


def test_workshop_check_tells_other_machines_from_this_one(tmp_path, monkeypatch):
    """The connections `workshop check` counts, from the broker processes' sockets: a learner's
    laptop counts as another machine; loopback, this machine's own addresses and Java's
    IPv4-mapped forms of them do not; a connection to another port is not the broker's."""
    from collections import namedtuple

    import psutil

    from helpers.broker.cluster import NodeStatus
    from helpers.workshop import check

    Address = namedtuple("Address", "ip port")
    Connection = namedtuple("Connection", "laddr raddr status")

    def conn(local_port, ip, status=psutil.CONN_ESTABLISHED):
        return Connection(Address("192.0.2.2", local_port), Address(ip, 50000), status)

    sockets = [conn(9392, "192.0.2.40"), conn(9392, "::ffff:192.0.2.40"), conn(9392, "192.0.2.41"),
               conn(9392, "127.0.0.1"), conn(9392, "::ffff:127.0.0.1"), conn(9392, "::ffff:192.0.2.2"),
               conn(9392, "192.0.2.2"), conn(9393, "192.0.2.99"), conn(9392, "192.0.2.98", psutil.CONN_TIME_WAIT)]

    class Cluster:
        def status(self):
            return [NodeStatus(1, 9392, 4242, True)]

    class Process:
        def __init__(self, pid):
            assert pid == 4242

        def net_connections(self, kind):
            return sockets

    room = Room(tmp_path, "192.0.2.2:9392", ["ana"], nodes=1, port=9392, host="192.0.2.2")
    monkeypatch.setattr(Room, "cluster", lambda self: Cluster())
    monkeypatch.setattr(check.psutil, "Process", Process)
    monkeypatch.setattr(check, "_own_addresses", lambda: {"127.0.0.1", "192.0.2.2", "::1"})
    listening, remote, local = check.broker_connections(room)
    assert listening == ["node 1 on 192.0.2.2:9392 (pid 4242)"]
    assert dict(remote) == {"192.0.2.40": 2, "192.0.2.41": 1} and local == 4
