"""The bad-input matrix: every case must raise the named error type, whose message names the
cause and the fix, within a few seconds, and must not lose data already written."""
from __future__ import annotations

import socket
import stat
import time
from dataclasses import dataclass
from typing import Callable

import pytest
from click.testing import CliRunner

from conftest import read_topic
from helpers import (Application, ConfigError, ConsumerWorker, MessageTypeError, ProduceError, SyncProducer,
                     TopicError, WorkerFailed, create_topic, load_config, parse_config)
from helpers.broker import LocalCluster, check_java, check_maven, ensure_broker
from helpers.broker.cluster import free_ports
from helpers.client.retry import RetryPolicy
from helpers.cli import main
from helpers.client.errors import BrokerError, BrokerUnreachable, CodealongError, PrerequisiteError
from helpers.client.topics import InvalidTopicName

MARKER = ("written-before", "must survive")


@dataclass
class Case:
    name: str
    action: Callable  # (ctx) -> None; must raise
    error: type
    cause: str        # words the cause must contain
    fix: str          # words the fix must contain
    seconds: float = 10.0


def consumer(ctx, **changes):
    return parse_config({"consumer": {"endpoints": [ctx.kafka], "topics": [ctx.topic], "consumer_group": ctx.topic,
                                      "message_handler": "json:dumps", "start_with_earliest_message": True,
                                      **changes}}).consumer


def worker_that_returns(value):
    def run(ctx):
        worker = ConsumerWorker(consumer(ctx), lambda message: value, retry=RetryPolicy(1, 60, (0.05, 0.1)),
                                name=f"bad-{ctx.topic}").start()
        try:
            worker.wait_for(1, timeout=20)
        finally:
            worker.stop()
    return run


def fake_java(ctx):
    script = ctx.tmp / "java"
    script.write_text("#!/bin/sh\necho 'openjdk version \"11.0.2\"' >&2\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    ctx.monkeypatch.setenv("CODEALONG_JAVA", str(script))
    check_java()


def squatted_port(ctx):
    port = free_ports(2)
    cluster = LocalCluster(port=port)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        cluster.start()


def half_formatted(ctx):
    cluster = LocalCluster(port=free_ports(2))
    data = cluster.node_dir(1) / "data"
    data.mkdir(parents=True)
    (data / "bootstrap.checkpoint").write_text("partial")
    cluster.start()


def cli_error(args):
    def run(ctx):
        result = CliRunner().invoke(main, args)
        if result.exit_code == 1 and "Error:" in result.output and "Fix:" in result.output:
            lines = result.output.splitlines()
            raise CodealongError(lines[0].removeprefix("Error: "), lines[1].removeprefix("Fix: "))
    return run


def producer(ctx, **kw):
    return SyncProducer(endpoints=[ctx.kafka], timeout_s=5, **kw)


CASES = [
    # configuration
    Case("unknown config key", lambda c: parse_config({"consumer": {"topcs": []}}), ConfigError,
         "Unknown key 'topcs'", "Did you mean 'topics'"),
    Case("topics given as a string", lambda c: parse_config({"producer": {"topics": "our_topic"}}), ConfigError,
         "topics must be a list", "Write topics as"),
    Case("earliest and reset_to_latest together", lambda c: consumer(c, offset_reset_policy="reset_to_latest"),
         ConfigError, "contradicts", "Keep one of them"),
    Case("password in the config", lambda c: parse_config({"producer": {"password": "x"}}), ConfigError,
         "holds a password", "KAFKA_PASSWORD"),
    Case("SASL without credentials in the environment",
         lambda c: parse_config({"producer": {}, "security": {"protocol": "SASL_SSL", "username_env": "NO_SUCH_USER",
                                                              "password_env": "NO_SUCH_PASS"}}).producer.client_settings(),
         ConfigError, "NO_SUCH_USER and NO_SUCH_PASS are not set", "Export"),
    Case("config file that is not TOML", lambda c: (c.tmp / "bad.toml").write_text("[x") and load_config(c.tmp / "bad.toml"),
         ConfigError, "is not valid TOML", "Fix the syntax"),
    Case("config file missing", lambda c: load_config(c.tmp / "missing.toml"), ConfigError, "does not exist",
         "Check the path"),
    Case("handler module not importable", lambda c: consumer(c, message_handler="no_such_module:handle").resolve_handler(),
         ConfigError, "cannot be imported", "sys.path"),
    Case("handler attribute missing", lambda c: consumer(c, message_handler="json:handle").resolve_handler(),
         ConfigError, "json has no 'handle'", "Define handle"),
    Case("unknown partition strategy", lambda c: parse_config({"producer": {"partition_strategy": "round_robin"}}),
         ConfigError, "partition_strategy is 'round_robin'", "md5"),
    Case("unknown environment", lambda c: Application(parse_config({})).start("staging"), ConfigError,
         "Unknown environment 'staging'", "prod, test, dev"),
    # producer
    Case("topic name with a space", lambda c: producer(c).produce_sync("our topic", "k", "v"), InvalidTopicName,
         "contains ' '", "'our_topic'"),
    Case("topic name '.'", lambda c: producer(c).produce_sync(".", "k", "v"), InvalidTopicName, "reserved",
         "letters, digits"),
    Case("topic name '..'", lambda c: producer(c).produce_sync("..", "k", "v"), InvalidTopicName, "reserved",
         "letters, digits"),
    Case("topic name of 250 characters", lambda c: producer(c).produce_sync("t" * 250, "k", "v"), InvalidTopicName,
         "250 characters long", "Use a name like"),
    Case("non-ASCII topic name", lambda c: producer(c).produce_sync("tópico", "k", "v"), InvalidTopicName,
         "contains 'ó'", "Use a name like"),
    Case("dict value", lambda c: producer(c).produce_sync(c.topic, "k", {"a": 1}), MessageTypeError,
         "value is a dict", "json.dumps"),
    Case("int key", lambda c: producer(c).produce_sync(c.topic, 7, "v"), MessageTypeError, "key is a int",
         "str(key)"),
    Case("2 MB value", lambda c: producer(c).produce_sync(c.topic, "k", "x" * 2_000_000), ProduceError,
         "MSG_SIZE_TOO_LARGE", "max.message.bytes"),
    Case("partition that does not exist", lambda c: producer(c).produce_sync(c.topic, 5, "k", "v"), ProduceError,
         "Unknown partition", "partition that exists"),
    Case("no broker at the endpoint", lambda c: SyncProducer(endpoints=["127.0.0.1:1"], timeout_s=3).produce_sync(
        c.topic, "k", "v"), ProduceError, "No broker at 127.0.0.1:1", "codealong broker start"),
    Case("first-topic form without topics", lambda c: producer(c).produce_sync("k", "v"), CodealongError,
         "no topics are configured", "Pass topics="),
    Case("replication factor above the broker count", lambda c: create_topic(c.kafka, f"{c.topic}-rf", replication_factor=3),
         TopicError, "INVALID_REPLICATION_FACTOR", "codealong broker start --nodes 3"),
    Case("a config with a wrong type", lambda c: SyncProducer(endpoints=[c.kafka], timeout_s="10"), ConfigError,
         "timeout_s must be a number, not str '10'", "timeout_s"),
    Case("a decode choice that does not exist", lambda c: consumer(c, decode="txt"), ConfigError, "decode is 'txt'",
         '"text" or "bytes"'),
    Case("a batch size of zero", lambda c: consumer(c, max_batch_size=0), ConfigError,
         "max_batch_size is 0; it must be from 1", "max_batch_size"),
    # consumer
    Case("handler returns None", worker_that_returns(None), WorkerFailed, "gave up after 1 retries within 60 s",
         "start the worker again", seconds=20),
    Case("handler that is not callable", lambda c: ConsumerWorker(consumer(c), 42), ConfigError,
         "neither a callable", "Pass a function"),
    # broker management and command line
    Case("Java older than 17", fake_java, PrerequisiteError, "Java 11", "JDK 17"),
    Case("Maven missing", lambda c: c.monkeypatch.setenv("CODEALONG_MVN", "/nonexistent/mvn") or check_maven(),
         PrerequisiteError, "Maven (`mvn`) was not found", "apt-get install maven"),
    Case("port taken by another program", squatted_port, BrokerError, "is taken by another program", "CODEALONG_PORT"),
    Case("half-formatted data directory", half_formatted, BrokerError, "half-formatted", "codealong broker reset"),
    Case("KAFKA_BOOTSTRAP_SERVERS pointing nowhere",
         lambda c: c.monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1") or ensure_broker(),
         BrokerUnreachable, "KAFKA_BOOTSTRAP_SERVERS is set", "unset it"),
    Case("stop a node the cluster does not have", lambda c: LocalCluster(port=free_ports(2)).stop(node=7), BrokerError,
         "there is no node 7", "--node"),
    Case("codealong run with no matching notebook", cli_error(["run", "--only", "zzz"]), CodealongError,
         "No numbered notebooks", "--only"),
    Case("codealong broker stop --node 9", cli_error(["broker", "stop", "--node", "9"]), CodealongError,
         "no node 9", "--node"),
]


class Context:
    def __init__(self, kafka, topic, tmp, monkeypatch):
        self.kafka, self.topic, self.tmp, self.monkeypatch = kafka, topic, tmp, monkeypatch


def test_the_matrix_is_large_enough():
    assert len(CASES) >= 25


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_bad_input(case, kafka, unique, tmp_path, monkeypatch):
    monkeypatch.setenv("CODEALONG_STATE_DIR", str(tmp_path / "state"))
    ctx = Context(kafka, f"bad-{unique}", tmp_path, monkeypatch)
    with SyncProducer(endpoints=[kafka]) as p:
        p.produce_sync(ctx.topic, *MARKER)
    started = time.monotonic()
    with pytest.raises(case.error) as err:
        case.action(ctx)
    elapsed = time.monotonic() - started
    assert isinstance(err.value, CodealongError)
    assert case.cause in err.value.cause, err.value.cause
    assert case.fix in err.value.fix, err.value.fix
    assert elapsed < case.seconds, f"took {elapsed:.1f} s"
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    assert (MARKER[0], MARKER[1]) in [(m["key"], m["value"]) for m in read_topic(kafka, ctx.topic, 1)]


def test_doctor_reports_a_docker_that_hangs_within_its_deadline(tmp_path, monkeypatch):
    docker = tmp_path / "docker"
    docker.write_text("#!/bin/sh\nsleep 60\n")  # a client whose daemon never answers
    docker.chmod(docker.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}:{__import__('os').environ['PATH']}")
    started = time.monotonic()
    result = CliRunner().invoke(main, ["doctor"])
    assert time.monotonic() - started < 20
    assert "no Docker engine answered within 5 s" in result.output and "Traceback" not in result.output


def test_codealong_run_reports_a_cell_timeout_and_a_dead_kernel_and_goes_on(kafka, tmp_path):
    import nbformat

    folder = tmp_path / "nbs"
    folder.mkdir()
    for name, body in [("01_slow", "import time\ntime.sleep(30)"), ("02_dies", "import os\nos._exit(1)"),
                       ("03_fine", "print('fine')")]:
        nb = nbformat.v4.new_notebook()
        nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb.cells = [nbformat.v4.new_code_cell("BOOTSTRAP_SERVERS = ''", metadata={"tags": ["parameters"]}),
                    nbformat.v4.new_code_cell(body)]
        nbformat.write(nb, folder / f"{name}.ipynb")
    started = time.monotonic()
    result = CliRunner().invoke(main, ["run", "--notebooks", str(folder), "--output", str(tmp_path / "out"),
                                       "--cell-timeout", "3"])
    assert time.monotonic() - started < 90
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "01_slow.ipynb  FAILED" in result.output and "timed out after 3 s" in result.output
    assert "02_dies.ipynb  FAILED" in result.output and "the kernel died" in result.output
    assert "03_fine.ipynb  ok" in result.output
