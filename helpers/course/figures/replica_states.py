"""Chapter 16's picture of a partition's replicas as brokers stop and come back, drawn from what
`kafka-topics --describe` printed at each moment (leader, ISR, ELR) and what each write got.

    replica_states([ReplicaState("all up", leader=1, replicas=[1, 2, 3], isr=[1, 2, 3], elr=[],
                                 writes={"acks=all": "ok"}), ...], min_isr=2)

Kafka's facts it draws: the in-sync replicas (ISR) are the leader and the followers caught up with
it; a broker that stops leaves the ISR; with acks=all the leader refuses a write while the ISR is
smaller than min.insync.replicas (NOT_ENOUGH_REPLICAS); acks=1 only needs the leader. Since Kafka 4
(KIP-966, on when the eligible.leader.replicas.version feature is 1) a replica removed from the ISR
when that leaves fewer than min.insync.replicas in it becomes an eligible leader replica (ELR): it
holds every committed message, so it may be elected leader later. And since Kafka 3.7, whatever the
feature level, the high watermark does not move while the ISR is below min.insync.replicas.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .svg import Diagram

CELL_W, ROW_H, LEFT = 120, 62, 150


@dataclass
class ReplicaState:
    moment: str                       # e.g. "broker 3 stopped"
    leader: int | None
    replicas: list[int]
    isr: list[int]
    elr: list[int] = field(default_factory=list)
    down: list[int] = field(default_factory=list)
    writes: dict[str, str] = field(default_factory=dict)   # "acks=all" -> "ok" or the error's name


def _role(state: ReplicaState, broker: int) -> tuple[str, str, str]:
    """(label, fill colour, text colour) of one replica at one moment."""
    down = "\n(stopped)" if broker in state.down else ""
    if broker == state.leader:
        return "leader, ISR", "leader", "white"
    if broker in state.isr:
        return "in sync (ISR)", "follower", "text"
    if broker in state.elr:
        return "ELR" + down, "marker", "white"
    return "out of sync" + down, "muted", "text"


def replica_states(states: list[ReplicaState], topic: str = "replicated", min_isr: int = 2) -> Diagram:
    brokers = sorted({b for s in states for b in s.replicas})
    width = LEFT + CELL_W * len(brokers) + 300
    title = f"Partition 0 of {topic!r}: the ISR as brokers stop and come back (min.insync.replicas={min_isr})"
    d = Diagram(width, 110 + ROW_H * len(states) + 45, title)
    d.text(20, 20, title, bold=True, size=14)
    for i, broker in enumerate(brokers):
        d.text(LEFT + CELL_W * i + CELL_W / 2, 56, f"broker {broker}", anchor="middle", bold=True)
    d.text(LEFT + CELL_W * len(brokers) + 20, 56, "ISR, and the writes", bold=True)
    for row, state in enumerate(states):
        y = 74 + ROW_H * row
        d.text(20, y + ROW_H / 2 - 6, state.moment, size=12)
        for i, broker in enumerate(brokers):
            label, fill, ink = _role(state, broker)
            d.box(LEFT + CELL_W * i + 4, y, CELL_W - 8, ROW_H - 14, label, color=fill, text_color=ink, size=11,
                  dashed=broker in state.down)
        verdicts = [f"{acks}: {result}" for acks, result in state.writes.items()]
        isr_line = f"ISR {{{', '.join(map(str, state.isr))}}}" + (
            f", ELR {{{', '.join(map(str, state.elr))}}}" if state.elr else "")
        d.text(LEFT + CELL_W * len(brokers) + 20, y + 10, isr_line, size=11, bold=True,
               color="bad" if len(state.isr) < min_isr else "text")
        for k, verdict in enumerate(verdicts):
            d.text(LEFT + CELL_W * len(brokers) + 20, y + 26 + 14 * k, verdict, size=11,
                   color="good" if verdict.endswith(": ok") else "bad")
    y = 86 + ROW_H * len(states)
    d.text(20, y, f"acks=all needs the ISR to hold at least min.insync.replicas = {min_isr} replicas; acks=1 needs "
                  "the leader alone.", size=12)
    d.text(20, y + 22, "ELR (eligible leader replica, KIP-966): removed from the ISR when that left fewer than "
                       "min.insync.replicas in it;\nit holds every committed message, so it may be elected leader.",
           size=12)
    return d
