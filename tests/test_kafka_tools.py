"""Kafka's own tools from the locked jars (`codealong kafka ...`): each tool's happy path on the
real broker, and one failure each, in Kafka's own words or as a helpers error with its fix."""
from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time

import pytest
from click.testing import CliRunner

from conftest import free_port
from helpers import OK, ConsumerConfig, ConsumerWorker, SyncProducer, create_topic
from helpers.broker import LocalCluster
from helpers.cli import main
from helpers.client.errors import BrokerUnreachable
from helpers.course.kafka_tools import ToolError
from helpers.course.kafka_tools import kafka as tool


@pytest.fixture
def filled(kafka, unique):
    """A topic of two partitions with three messages, and a group that read all of them."""
    topic, group = f"tools-{unique}", f"tools-{unique}"
    create_topic(kafka, topic, partitions=2)
    with SyncProducer(endpoints=[kafka]) as producer:
        producer.produce_batch(topic, [("Metamorphosis", "Franz Kafka"), ("The Trial", "1925"), ("Amerika", "1927")])
    config = ConsumerConfig(endpoints=(kafka,), topics=(topic,), consumer_group=group, start_with_earliest_message=True)
    with ConsumerWorker(config, lambda message: OK) as worker:
        assert len(worker.wait_for(3, timeout=20)) == 3
    return topic, group


def test_kafka_topics_describes_leader_replicas_and_isr(filled):
    topic, _ = filled
    run = tool("kafka-topics", "--describe", "--topic", topic)
    assert run.ok and "PartitionCount: 2" in run.stdout
    assert "Partition: 1\tLeader: 1\tReplicas: 1\tIsr: 1" in run.stdout
    missing = tool("kafka-topics", "--describe", "--topic", f"{topic}-missing")
    assert not missing.ok and f"Topic '{topic}-missing' does not exist" in str(missing)


def test_kafka_consumer_groups_shows_offsets_and_lag(filled):
    topic, group = filled
    run = tool("kafka-consumer-groups", "--describe", "--group", group)
    assert run.ok and "CURRENT-OFFSET" in run.stdout and "LAG" in run.stdout
    rows = [line.split() for line in run.stdout.splitlines() if line.startswith(group)]
    # GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG ...: every partition read to its end
    assert sorted((int(r[2]), int(r[3]) == int(r[4]), int(r[5])) for r in rows) == [(0, True, 0), (1, True, 0)]
    missing = tool("kafka-consumer-groups", "--describe", "--group", f"{group}-missing")
    assert f"Group {group}-missing not found" in str(missing)
    assert missing.returncode == 0  # Kafka's own tool reports the missing group, and still exits 0


def test_kafka_get_offsets_lists_the_end_of_each_partition(filled):
    topic, _ = filled
    run = tool("kafka-get-offsets", "--topic", topic)
    ends = dict(line.rsplit(":", 1) for line in run.stdout.split())
    assert run.ok and sum(int(v) for v in ends.values()) == 3 and set(ends) == {f"{topic}:0", f"{topic}:1"}
    bad = tool("kafka-get-offsets", "--topic", topic, "--partitions", "not-a-number")
    assert not bad.ok


def test_console_producer_and_consumer_round_trip(kafka, unique):
    topic = f"console-{unique}"
    create_topic(kafka, topic)
    sent = tool("kafka-console-producer", "--topic", topic, "--reader-property", "parse.key=true",
                "--reader-property", "key.separator=:", input="Metamorphosis:Franz Kafka\n")
    assert sent.ok, str(sent)
    read = tool("kafka-console-consumer", "--topic", topic, "--from-beginning", "--max-messages", "1",
                "--formatter-property", "print.key=true", "--timeout-ms", "20000")
    assert read.ok and read.stdout.strip() == "Metamorphosis\tFranz Kafka"
    empty = tool("kafka-console-consumer", "--topic", f"{topic}-empty", "--timeout-ms", "1500")
    assert "Processed a total of 0 messages" in str(empty)


def test_kafka_dump_log_prints_the_segment(kafka, unique):
    topic = f"dump-{unique}"
    create_topic(kafka, topic)
    SyncProducer(endpoints=[kafka]).produce(topic, "Franz Kafka", key="Metamorphosis")
    segment = LocalCluster().node_dir(1) / "data" / f"{topic}-0" / "00000000000000000000.log"
    run = tool("kafka-dump-log", "--files", str(segment), "--print-data-log")
    assert run.ok and "key: Metamorphosis payload: Franz Kafka" in run.stdout
    missing = tool("kafka-dump-log", "--files", str(segment.with_name("nothing.log")))
    assert "nothing.log" in str(missing)


def test_kafka_metadata_quorum_names_the_active_controller(kafka):
    run = tool("kafka-metadata-quorum", "describe", "--status")
    assert run.ok and "LeaderId:               1" in run.stdout and "CurrentVoters:" in run.stdout


def test_a_broker_that_is_down_is_named_within_seconds():
    began = time.monotonic()
    with pytest.raises(BrokerUnreachable) as err:
        tool("kafka-metadata-quorum", "describe", "--status", where=f"127.0.0.1:{free_port()}")
    assert time.monotonic() - began < 10 and "codealong broker start" in err.value.fix


def test_an_unknown_tool_suggests_the_right_one():
    with pytest.raises(ToolError) as err:
        tool("kafka-topic", "--list")
    assert "Did you mean 'kafka-topics'" in err.value.fix


def codealong(*args: str, **options) -> subprocess.CompletedProcess:
    """The command as a user runs it: `codealong kafka` hands the tool this process's terminal."""
    return subprocess.run([sys.executable, "-m", "helpers.cli", *args], capture_output=True, text=True,
                          timeout=120, **options)


def test_the_command_line_runs_a_tool_and_passes_its_exit_code(filled):
    topic, _ = filled
    result = codealong("kafka", "kafka-topics", "--describe", "--topic", topic)
    assert result.returncode == 0 and f"Topic: {topic}" in result.stdout
    missing = codealong("kafka", "kafka-topics", "--describe", "--topic", f"{topic}-x")
    assert missing.returncode == 1 and "does not exist" in missing.stdout + missing.stderr
    unknown = CliRunner().invoke(main, ["kafka", "kafka-nope"])
    assert unknown.exit_code == 1 and "Error:" in unknown.output and "Fix:" in unknown.output


def test_help_is_the_commands_own_and_a_tools_help_is_the_tools():
    ours = CliRunner().invoke(main, ["kafka", "--help"])
    assert ours.exit_code == 0 and "in the foreground" in ours.output and "kafka-console-consumer" in ours.output
    assert CliRunner().invoke(main, ["kafka", "-h"]).output == ours.output
    theirs = codealong("kafka", "kafka-topics", "--help")
    assert "--describe" in theirs.stdout + theirs.stderr and "in the foreground" not in theirs.stdout


def test_the_console_consumer_streams_as_messages_arrive_and_stops_on_ctrl_c(kafka, unique):
    """`--from-beginning` without a bound: lines appear while the tool runs, and Ctrl-C (SIGINT to
    the terminal's process group) ends it cleanly with Kafka's own summary."""
    topic = f"stream-{unique}"
    create_topic(kafka, topic)
    with SyncProducer(endpoints=[kafka]) as producer:
        producer.produce_batch(topic, [("k", "first"), ("k", "second")])
    process = subprocess.Popen([sys.executable, "-m", "helpers.cli", "kafka", "kafka-console-consumer", "--topic",
                                topic, "--from-beginning"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    lines: queue.Queue = queue.Queue()  # a thread reads: select() cannot see lines already in Python's buffer
    threading.Thread(target=lambda: [lines.put(line.strip()) for line in process.stdout], daemon=True).start()
    try:
        assert [lines.get(timeout=60), lines.get(timeout=30)] == ["first", "second"]
        assert process.poll() is None                                     # printed while still running
        with SyncProducer(endpoints=[kafka]) as producer:
            producer.produce(topic, "third", key="k")
        assert lines.get(timeout=30) == "third"
        os.killpg(process.pid, signal.SIGINT)                             # Ctrl-C in the terminal
        process.wait(timeout=30)
        assert "Processed a total of 3 messages" in process.stderr.read()
        assert process.returncode in (0, 130), process.returncode
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
