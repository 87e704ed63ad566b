"""Who owned which partition when: one member joins a group and leaves it again, under
either rebalance protocol, recorded from the members' own assignment callbacks.

    timeline = rebalance_timeline(BOOTSTRAP_SERVERS, "orders", protocol="consumer")
    timeline.paused     # {"first": 0.0, "second": 0.0}: seconds a member owned nothing
    print(describe_settling(timeline))   # how long each step took to settle (or that it did not)
    plot_rebalance([classic, consumer])

`classic` is the original protocol, still the default of Kafka 4's Java client and of
librdkafka (the group leader assigns; librdkafka's default assignors are eager: every member
gives up every partition first). `consumer` is KIP-848 (the broker assigns and moves only
what must move).
"""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

from ...client.config import ConsumerConfig, as_connection
from ...client.consumer import ConsumerWorker, wait_for_split
from ...client.deadline import Deadline
from ...client.names import scoped
from ...client.topics import admin_for

PROTOCOLS = ("classic", "consumer")


@dataclass
class Timeline:
    protocol: str
    partitions: int
    #: member -> [(partition, owned from, owned until)], seconds from the first member's start
    owned: dict[str, list[tuple[int, float, float]]] = field(default_factory=dict)
    #: what happened to the group, and when: [(seconds, "second joins"), ...]
    marks: list[tuple[float, str]] = field(default_factory=list)
    #: seconds from a mark until every partition had exactly one owner again; None if it never did
    settled_after: dict[str, float | None] = field(default_factory=dict)
    #: seconds each step was given to settle
    waited: dict[str, float] = field(default_factory=dict)
    #: member -> partitions taken from it while it stayed in the group
    revoked: dict[str, int] = field(default_factory=dict)
    #: member -> seconds it spent without partitions it was then given back (a stop-the-world pause)
    paused: dict[str, float] = field(default_factory=dict)
    #: partition -> seconds nobody owned it (nobody could process it) while the group ran
    unowned: dict[int, float] = field(default_factory=dict)
    #: mark -> partitions "first" gave up during that step (e.g. {"second joins": 4})
    gave_up: dict[str, int] = field(default_factory=dict)
    #: (from, until): moments no member owned any partition: the whole group stopped
    stops: list[tuple[float, float]] = field(default_factory=list)
    #: wall clock (seconds since the epoch) when the measurement began
    began: float = 0.0

    def step(self, at: float, mark: str, waited: float, settled_in: float | None) -> None:
        """Record a step taken `at` seconds from the start, given `waited` seconds to settle;
        `settled_in`: how long it took, or None if it did not settle."""
        self.marks.append((at, mark))
        self.waited[mark] = round(waited, 2)
        self.settled_after[mark] = None if settled_in is None else round(settled_in, 2)

    def summary(self) -> str:
        per_member = ", ".join(f"{m} lost {self.revoked[m]} and paused {self.paused[m] * 1000:.0f} ms" for m in self.owned)
        idle = ", ".join(f"p{p} {seconds:.1f} s" for p, seconds in self.unowned.items())
        return f"{self.protocol}: {per_member}; {describe_settling(self)}; unowned: {idle}"


def describe_settling(timeline: Timeline) -> str:
    """One phrase per step: "second joins: settled after 0.3 s", or "... did not settle within 12.0 s"."""
    phrases = []
    for _, mark in timeline.marks:
        seconds = timeline.settled_after.get(mark)
        phrases.append(f"{mark}: settled after {seconds:.1f} s" if seconds is not None
                       else f"{mark}: did not settle within {timeline.waited.get(mark, 0.0):.1f} s")
    return ", ".join(phrases)


def _intervals(worker: ConsumerWorker, start: float, end: float) -> list[tuple[int, float, float]]:
    """The worker's ownership as (partition, from, until), seconds from `start`."""
    owned: dict[int, float] = {}
    intervals = []
    for change in worker.assignment_log:
        for _, partition in change.partitions:
            if change.change == "assigned":
                owned.setdefault(partition, change.at - start)
            elif partition in owned:
                intervals.append((partition, owned.pop(partition), change.at - start))
    return sorted(intervals + [(p, since, end - start) for p, since in owned.items()])


def _gaps(spans: list[tuple[float, float]], begin: float, end: float) -> float:
    """Seconds within [begin, end] covered by none of the spans."""
    covered, reach = 0.0, begin
    for lo, hi in sorted(spans):
        lo, hi = max(lo, reach), min(hi, end)
        if hi > lo:
            covered, reach = covered + hi - lo, hi
    return max(0.0, end - begin - covered)


def _stops(timeline: Timeline, until: float) -> list[tuple[float, float]]:
    """The moments, after the first partition was owned and before `until`, when no partition had an owner."""
    spans = sorted((lo, hi) for owned in timeline.owned.values() for _, lo, hi in owned)
    stops, reach = [], spans[0][1] if spans else until
    for lo, hi in spans[1:]:
        if lo > reach and reach < until:
            stops.append((round(reach, 3), round(min(lo, until), 3)))
        reach = max(reach, hi)
    return stops


def _measure(timeline: Timeline, leaves: dict[str, float], end: float) -> None:
    steps = [at for at, _ in timeline.marks] + [leaves["first"]]
    for (at, mark), step_end in zip(timeline.marks, steps[1:]):
        timeline.gave_up[mark] = sum(1 for _, _, until in timeline.owned.get("first", []) if at <= until < step_end)
    timeline.stops = _stops(timeline, leaves["first"])
    for member, spans in timeline.owned.items():
        timeline.revoked[member] = sum(1 for _, _, until in spans if until < leaves[member])
        paused = 0.0
        for partition in {p for p, _, _ in spans}:
            mine = sorted((lo, hi) for p, lo, hi in spans if p == partition)
            others = [(lo, hi) for other, owned in timeline.owned.items() if other != member
                      for p, lo, hi in owned if p == partition]
            # Taken away and handed back with nobody else owning it meanwhile: a pure pause.
            paused += sum(later[0] - earlier[1] for earlier, later in zip(mine, mine[1:])
                          if not any(lo < later[0] and hi > earlier[1] for lo, hi in others))
        timeline.paused[member] = round(paused, 3)
    # Partitions count as unowned from when the first one was owned (from the start if none ever was).
    first_owned = min((lo for spans in timeline.owned.values() for _, lo, _ in spans), default=0.0)
    for partition in range(timeline.partitions):
        spans = [(lo, hi) for owned in timeline.owned.values() for p, lo, hi in owned if p == partition]
        timeline.unowned[partition] = round(_gaps(spans, first_owned, end - 0.05), 2)


def rebalance_timeline(where, topic: str, protocol: str = "classic", timeout: float = 30.0) -> Timeline:
    """Member "first" joins; "second" joins; "second" leaves; "first" leaves. Each step waits
    (within `timeout`) for the group to settle: every partition owned exactly once."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {PROTOCOLS}, not {protocol!r}")
    connection = as_connection(where)
    topic = scoped(topic)
    partitions = len(admin_for(connection).list_topics(topic, timeout=10).topics[topic].partitions)
    config = ConsumerConfig(endpoints=connection.endpoints, security=connection.security, topics=(topic,),
                            consumer_group=f"rebalance-{protocol}-{uuid.uuid4().hex[:6]}", group_protocol=protocol,
                            start_with_earliest_message=True)
    deadline = Deadline(timeout)
    first = ConsumerWorker(config, lambda message: "ok", name=f"first-{config.consumer_group}")
    second = ConsumerWorker(config, lambda message: "ok", name=f"second-{config.consumer_group}")
    start = time.time()
    timeline = Timeline(protocol, partitions, began=start)
    try:
        first.start()
        wait_for_split([first], partitions, timeout=deadline.remaining())
        for mark, workers, step in (("second joins", [first, second], second.start),
                                    ("second leaves", [first], second.stop)):
            at, allowed = time.time(), deadline.remaining()
            step()
            settled = wait_for_split(workers, partitions, timeout=deadline.remaining())
            owned = sorted(p for assigned in settled.values() for p in assigned)
            every_partition_once = owned == [(topic, p) for p in range(partitions)]
            timeline.step(at - start, mark, allowed, time.time() - at if every_partition_once else None)
    finally:
        first_leaves = time.time()  # taken before stopping: what a member gives up when it leaves is not counted
        first.stop()
        second.stop()
    end = time.time()
    for name, worker in (("first", first), ("second", second)):
        timeline.owned[name] = _intervals(worker, start, end)
    leaves = {"first": first_leaves - start,
              "second": timeline.marks[-1][0] if len(timeline.marks) == 2 else first_leaves - start}
    _measure(timeline, leaves, end - start)
    return timeline
