"""Kafka's own command-line tools, from the same locked jars: what a professional runs to check
the facts the widgets show.

    print(kafka("kafka-topics", "--describe", "--topic", "another_topic").stdout)
    codealong kafka kafka-consumer-groups --describe --group example-consumer-group

`--bootstrap-server` is added for the tools that talk to a broker, pointing at the current
broker (KAFKA_BOOTSTRAP_SERVERS, else the embedded one) unless the arguments name one, and
that broker is asked first, so a broker that is down is an error with its fix in seconds
rather than a tool that hangs.
"""
from __future__ import annotations

import difflib
import os
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources

from .. import settings
from ..broker.cluster import probe_metadata
from ..broker.jars import classpath, resolve_jars
from ..broker.prerequisites import check_java
from ..client.config import SecurityConfig, as_connection
from ..client.errors import CodealongError

#: The tool's name (as in Kafka's bin/ folder, without .sh) and the class that runs it.
TOOLS = {
    "kafka-topics": "org.apache.kafka.tools.TopicCommand",
    "kafka-consumer-groups": "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
    "kafka-get-offsets": "org.apache.kafka.tools.GetOffsetShell",
    "kafka-console-producer": "org.apache.kafka.tools.ConsoleProducer",
    "kafka-console-consumer": "org.apache.kafka.tools.consumer.ConsoleConsumer",
    "kafka-dump-log": "org.apache.kafka.tools.DumpLogSegments",
    "kafka-metadata-quorum": "org.apache.kafka.tools.MetadataQuorumCommand",
    "kafka-configs": "org.apache.kafka.tools.ConfigCommand",
    "kafka-acls": "org.apache.kafka.tools.AclCommand",
    "kafka-features": "org.apache.kafka.tools.FeatureCommand",
    "kafka-share-groups": "org.apache.kafka.tools.consumer.group.ShareGroupCommand",
}
OFFLINE_TOOLS = {"kafka-dump-log"}  # reads segment files; no broker involved
TIMEOUT_S = 120


class ToolError(CodealongError):
    """A tool that cannot run: unknown, no broker, or no answer within its deadline."""


@dataclass
class ToolRun:
    """What a tool printed and how it ended (Kafka's own words: nothing is rewritten)."""
    tool: str
    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def __str__(self) -> str:
        return (self.stdout + self.stderr).rstrip()


def _tool_class(tool: str) -> str:
    name = tool.removesuffix(".sh")
    if name not in TOOLS:
        close = difflib.get_close_matches(name, TOOLS, n=1)
        hint = f"Did you mean {close[0]!r}? " if close else ""
        raise ToolError(f"{tool!r} is not one of the Kafka tools the codealong runs.",
                        f"{hint}Use one of: {', '.join(TOOLS)}.")
    return TOOLS[name]


_LOGIN_MODULES = {"PLAIN": "org.apache.kafka.common.security.plain.PlainLoginModule",
                  "SCRAM-SHA-256": "org.apache.kafka.common.security.scram.ScramLoginModule",
                  "SCRAM-SHA-512": "org.apache.kafka.common.security.scram.ScramLoginModule"}


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@contextmanager
def _command_config(security: SecurityConfig):
    """The tools' --command-config arguments for a secured cluster: a properties file readable
    by this user only, deleted when the tool ends (the password never reaches the command line)."""
    if security.protocol == "PLAINTEXT":
        yield []
        return
    settings_ = security.client_settings()  # names the missing variable if credentials are absent
    lines = [f"security.protocol={security.protocol}"]
    if security.protocol.startswith("SASL"):
        module = _LOGIN_MODULES[security.sasl_mechanism]
        lines += [f"sasl.mechanism={security.sasl_mechanism}",
                  f"sasl.jaas.config={module} required username={_quoted(settings_['sasl.username'])} "
                  f"password={_quoted(settings_['sasl.password'])};"]
    if security.ssl_ca_location:
        lines += ["ssl.truststore.type=PEM", f"ssl.truststore.location={security.ssl_ca_location}"]
    handle, path = tempfile.mkstemp(prefix="codealong-tool-", suffix=".properties")
    try:
        with os.fdopen(handle, "w") as out:
            out.write("\n".join(lines) + "\n")
        yield ["--command-config", path]
    finally:
        os.unlink(path)


@contextmanager
def _tool_command(tool: str, args: tuple[str, ...], where):
    """The java command line that runs `tool` with `args` on the current broker (and its login file)."""
    main_class = _tool_class(tool)
    name = tool.removesuffix(".sh")
    args = [str(a) for a in args]
    security = SecurityConfig()
    if name not in OFFLINE_TOOLS and "--bootstrap-server" not in args:
        connection = as_connection(where)
        security = connection.security
        # A broker that is down: BrokerUnreachable with its fix, in seconds.
        probe_metadata(connection.bootstrap, timeout=5, **security.client_settings())
        args = ["--bootstrap-server", connection.bootstrap, *args]
    java, _ = check_java()
    libs = resolve_jars(settings.kafka_version(), settings.cache_dir(), artifact="kafka-tools")
    log_config = resources.files("helpers.broker").joinpath("resources/tools-log4j2.properties")
    cmd = [java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", f"-Dlog4j2.configurationFile={log_config}",
           "-cp", classpath(libs), main_class, *args]
    with _command_config(security) as login:
        yield name, args, cmd + login


def kafka(tool: str, *args: str, where=None, input: str | None = None, timeout: float = TIMEOUT_S) -> ToolRun:
    """Run one of Kafka's tools with `args` and return what it printed. `where`: a bootstrap
    string, a Connection or a config (default: KAFKA_BOOTSTRAP_SERVERS, else the embedded broker)."""
    with _tool_command(tool, args, where) as (name, args, cmd):
        try:
            done = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise ToolError(f"{name} did not finish within {timeout:g} s.",
                            "Give it a bound of its own (for the console consumer: --max-messages or --timeout-ms), "
                            "or check the broker (`codealong broker status`).") from None
    return ToolRun(name, args, done.returncode, done.stdout, done.stderr)


STOP_AFTER_INTERRUPT_S = 10  # a tool interrupted by Ctrl-C gets this long to finish its shutdown hooks


def stream(tool: str, *args: str, where=None) -> int:
    """Run a tool in the foreground as Kafka's own scripts do: its stdin, stdout and stderr are
    this terminal's, so a console consumer prints as messages arrive and the console producer
    shows its prompt. Ctrl-C reaches the tool too (it shares our process group); it then has
    STOP_AFTER_INTERRUPT_S to exit before it is killed. Returns the tool's exit code."""
    with _tool_command(tool, args, where) as (_, _, cmd):
        process = subprocess.Popen(cmd)
        try:
            return process.wait()
        except KeyboardInterrupt:
            try:
                return process.wait(timeout=STOP_AFTER_INTERRUPT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                return 130
