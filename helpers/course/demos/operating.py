"""Chapter 16's demonstrations: reading a partition's state from Kafka's own describe output,
a node's own words when it loses the controller quorum, and a slow consumer whose lag is sampled
live with the AdminClient (and fed to a LagRule) while its clients report statistics.

    state = describe_partition(kafka("kafka-topics", "--describe", "--topic", TOPIC, where=TRIO).stdout, TOPIC)
    run = run_slow_consumer(producer, consumer, admin, TOPIC, GROUP, LagRule(for_s=1.0), rate=400, produce_s=2.0)
"""
from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from matplotlib.figure import Figure

from ...client.deadline import Deadline
from ...client.lag import LagRule, group_lag
from .. import plots  # noqa: F401 (teaches IPython to show a bare Figure)


# ---- what kafka-topics --describe says about a partition -----------------------------------------
def describe_partition(text: str, topic: str, partition: int = 0) -> dict:
    """Leader, Replicas, Isr, Elr and LastKnownElr of one partition, from `kafka-topics --describe`'s
    output (lists of broker ids; the leader None when it prints "none" or -1)."""
    for line in text.splitlines():
        fields = dict(part.split(": ", 1) if ": " in part else (part.rstrip(":"), "")
                      for part in line.strip().split("\t") if part)
        if fields.get("Topic") == topic and fields.get("Partition") == str(partition):
            ids = {key: [int(b) for b in fields.get(key, "").split(",") if b.strip().lstrip("-").isdigit()]
                   for key in ("Replicas", "Isr", "Elr", "LastKnownElr")}
            leader = fields.get("Leader", "none").strip()
            return {"leader": int(leader) if leader.lstrip("-").isdigit() and int(leader) >= 0 else None, **ids}
    raise ValueError(f"kafka-topics printed no line for partition {partition} of {topic!r}")


# ---- a node's log, from a mark on ------------------------------------------------------------------
QUORUM_LOST = ("Election timed out before receiving sufficient vote responses",)
HEARTBEAT_LOST = "Unable to send a heartbeat"  # the broker's side; it comes later (after its heartbeat's timeout)


def log_mark(log_file: Path) -> int:
    """Where a node's log ends now (its size): `quorum_evidence` reads only what comes after."""
    try:
        return log_file.stat().st_size
    except OSError:
        return 0


def quorum_evidence(log_file: Path, mark: int, timeout: float = 10.0, phrases=QUORUM_LOST) -> list[str]:
    """The node's first log line with each of `phrases` (by default: it cannot win an election, so
    there is no controller quorum), written after `mark`; waits for all of them up to `timeout` s.
    Each line without its timestamp and logger, e.g.
    "[RaftManager id=1] Election timed out before receiving sufficient vote responses ..."."""
    found: dict[str, str] = {}

    def read() -> bool:
        try:
            with open(log_file, "rb") as log:
                size = log.seek(0, 2)
                log.seek(mark if size >= mark else 0)
                text = log.read().decode("utf-8", "replace")
        except OSError:
            return False
        for line in text.splitlines():
            for phrase in phrases:
                if phrase in line and phrase not in found:
                    found[phrase] = _bare(line, phrase)
        return len(found) == len(phrases)

    Deadline(timeout).until(read, step=0.1)
    return [found[p] for p in phrases if p in found]


def _bare(line: str, phrase: str) -> str:
    """A log line cut to its logger's tag and the phrase: '[RaftManager id=1] Election timed out ...'."""
    match = re.search(r"(\[[A-Za-z]+ id=\d+\]) ", line)
    return f"{match.group(1) if match else ''} {phrase} ...".strip()


# ---- a slow consumer, its lag sampled live ---------------------------------------------------------
@dataclass
class LagRun:
    samples: list[tuple[float, int]] = field(default_factory=list)  # (seconds since the start, total lag)
    produced: int = 0
    consumed: int = 0
    fired_at: float | None = None     # when the rule began to fire (seconds since the start)
    cleared_at: float | None = None   # when it stopped
    began: float = 0.0                # time.monotonic() at the start, to place other samples (stats) on the same axis
    caught_up: bool = False


def run_slow_consumer(producer, consumer, admin, topic: str, group: str, rule: LagRule, *, rate: int = 400,
                      produce_s: float = 2.0, work_s: float = 0.005, sample_s: float = 0.2,
                      timeout: float = 20.0) -> LagRun:
    """Write `rate` messages a second to `topic` for `produce_s` seconds while `consumer` (subscribed
    here, in a thread of its own) spends `work_s` on each message; meanwhile sample the group's
    total lag with `admin` every `sample_s` and feed it to `rule`, until the consumer has caught up
    (lag 0 once everything is written) or `timeout`. Closes the consumer; flushes the producer."""
    run, stop, assigned = LagRun(), threading.Event(), threading.Event()
    consumed = [0]

    def consume():
        try:
            consumer.subscribe([topic], on_assign=lambda c, partitions: assigned.set())
            while not stop.is_set():
                msg = consumer.poll(0.1)
                if msg is None or msg.error() is not None:
                    continue
                time.sleep(work_s)  # the "work" each message needs: what makes this consumer slow
                consumed[0] += 1
        finally:
            consumer.close()  # commits what it has read (enable.auto.commit), leaves the group

    def produce():
        deadline = time.monotonic() + produce_s
        while time.monotonic() < deadline:
            producer.produce(topic, value=f"view {run.produced}".encode())
            run.produced += 1
            producer.poll(0)  # serves delivery reports and the stats callback
            time.sleep(1 / rate)
        producer.flush(timeout)

    reader = threading.Thread(target=consume, name="slow-consumer", daemon=True)
    reader.start()
    deadline = Deadline(timeout)
    try:
        if not assigned.wait(deadline.remaining()):
            raise TimeoutError(f"the consumer got no partition of {topic!r} within {timeout:g} s")
        writer = threading.Thread(target=produce, name="steady-producer", daemon=True)
        run.began = time.monotonic()
        writer.start()
        while not deadline.expired():
            lags = group_lag(admin, group, topic, timeout=deadline.remaining(0.5))
            # A partition the group has not committed on yet counts from 0: the topic is new.
            lag = sum(p.end if p.lag is None else p.lag for p in lags.values())
            at = time.monotonic() - run.began
            run.samples.append((at, lag))
            rule.feed(at, lag)
            if not writer.is_alive() and lag == 0:
                run.caught_up = True
                break
            deadline.wait(sample_s)
        writer.join(deadline.remaining(0.5))
    finally:
        stop.set()
        reader.join(10)
    run.consumed, run.fired_at, run.cleared_at = consumed[0], rule.fired_at, rule.cleared_at
    return run


# ---- pictures ---------------------------------------------------------------------------------------
def plot_lag_run(run: LagRun, stats_lag: list[tuple[float, int]] | None = None) -> Figure:
    """The group's lag over time (from the AdminClient), where the rule fired and cleared, and, if
    given, the consumer's own consumer_lag from its statistics (time, lag)."""
    figure = Figure(figsize=(7, 3), layout="constrained")
    ax = figure.subplots()
    ax.step([t for t, _ in run.samples], [lag for _, lag in run.samples], where="post", marker=".",
            label="end − committed (AdminClient)")
    if stats_lag:
        ax.plot([t for t, _ in stats_lag], [lag for _, lag in stats_lag], "s--", color="tab:purple",
                label="consumer_lag (the consumer's statistics)")
    for at, what, colour in ((run.fired_at, "rule fires", "tab:red"), (run.cleared_at, "rule clears", "tab:green")):
        if at is not None:
            ax.axvline(at, color=colour, linestyle="--", linewidth=1)
            ax.text(at, ax.get_ylim()[1] * 0.95, f" {what}", color=colour, fontsize=8, va="top")
    ax.set(xlabel="seconds", ylabel="messages", title="a slow consumer's lag, sampled live")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8, loc="lower center")  # the lag is low at both ends, high in the middle
    return figure


def plot_round_trips(reports: list[tuple[float, dict]], began: float = 0.0) -> Figure:
    """Per broker, the round-trip time's average and p99 (milliseconds) in each statistics report
    (time.monotonic(), parsed JSON) of a producer; and the messages it had in flight."""
    figure = Figure(figsize=(7, 3), layout="constrained")
    left, right = figure.subplots(1, 2)
    names = sorted({name for _, report in reports for name in report["brokers"] if "/" in name
                    and report["brokers"][name]["nodeid"] >= 0})
    for name in names:
        points = [(at - began, report["brokers"][name]["rtt"]) for at, report in reports if name in report["brokers"]]
        points = [(t, rtt) for t, rtt in points if rtt["cnt"] > 0]
        left.plot([t for t, _ in points], [rtt["avg"] / 1000 for _, rtt in points], "o-", label=f"{name} avg")
        left.plot([t for t, _ in points], [rtt["p99"] / 1000 for _, rtt in points], "^--", label=f"{name} p99")
    left.set(xlabel="seconds", ylabel="ms", title="round-trip time per broker (rtt)")
    left.set_ylim(bottom=0)
    left.legend(fontsize=7)
    right.step([at - began for at, _ in reports], [report["msg_cnt"] for _, report in reports], where="post",
               marker=".", label="msg_cnt (in the producer's queues)")
    right.step([at - began for at, _ in reports],
               [sum(b["waitresp_msg_cnt"] for b in report["brokers"].values()) for _, report in reports],
               where="post", marker=".", label="waitresp_msg_cnt (sent, no answer yet)")
    right.set(xlabel="seconds", ylabel="messages", title="messages awaiting their delivery report")
    right.set_ylim(bottom=0)
    right.legend(fontsize=7)
    return figure


# ---- a topic led by its first replica --------------------------------------------------------------
def wait_for_preferred_leader(bootstrap: str, topic: str, timeout: float = 15.0) -> tuple[int, list[int]]:
    """Wait until partition 0 of `topic` is led by its first replica with every replica in sync,
    asking the controller for a preferred-leader election if another replica got the lead (a
    broker that was still starting when the topic was made). Returns (leader, ISR)."""
    from confluent_kafka import ElectionType, TopicCollection, TopicPartition
    from confluent_kafka.admin import AdminClient

    from ...client.errors import CLIENT_LOG

    deadline = Deadline(timeout)
    while True:
        admin = AdminClient({"bootstrap.servers": bootstrap, "logger": CLIENT_LOG})
        try:
            described = admin.describe_topics(TopicCollection([topic]), request_timeout=deadline.remaining(0.5))[topic]
            partition = described.result(deadline.remaining(0.5)).partitions[0]
            leader, isr = partition.leader.id, sorted(node.id for node in partition.isr)
            preferred = partition.replicas[0].id
            if leader == preferred and len(isr) == len(partition.replicas):
                return leader, isr
            if len(isr) == len(partition.replicas):
                admin.elect_leaders(ElectionType.PREFERRED, [TopicPartition(topic, 0)],
                                    request_timeout=deadline.remaining(0.5)).result(deadline.remaining(0.5))
        except Exception:  # noqa: BLE001 (a topic just made may not be known everywhere yet: ask again)
            if deadline.expired():
                raise
        if not deadline.wait(0.1):
            raise TimeoutError(f"partition 0 of {topic!r} was not led by its first replica within {timeout:g} s")
