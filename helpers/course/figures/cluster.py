"""Chapter 1's picture of a partition's life: a producer writes to the partition's leader, the
followers on other brokers copy it, and one member of a consumer group reads it.

    cluster()          # a notebook shows it as SVG

Kafka's facts it draws: producers send to the leader; followers fetch from the leader (a pull);
the in-sync replicas (ISR) are the leader and the followers no more than replica.lag.time.max.ms
(30 s) behind it (so a follower a message behind is still in sync); consumers fetch
from the leader (unless a rack-aware setup lets them read a follower); within one group each
partition is read by one member, and one member may read several partitions.
"""
from __future__ import annotations

from .svg import Diagram


def _log(d: Diagram, x: int, y: int, cells: int, color: str, nxt: bool = True) -> None:
    """A partition's log: `cells` offsets from 0 (and where the next write goes)."""
    for offset in range(cells):
        d.box(x + 26 * offset, y, 26, 24, str(offset), color=color, rounded=False, size=11)
    if nxt:
        d.text(x + 26 * cells + 6, y + 12, "<- next write", color="white", size=11)


def cluster(topic: str = "books") -> Diagram:
    title = f"Partition 0 of {topic!r}: the leader takes writes, followers copy it, one group member reads it"
    d = Diagram(800, 385, title)
    d.text(20, 20, f"Partition 0 of topic {topic!r}, replication factor 3", bold=True, size=14)
    d.box(20, 95, 120, 50, "producer", color="producer", text_color="white")
    d.box(210, 60, 260, 110, color="leader")
    d.text(222, 80, "broker 1: partition 0, LEADER", color="white", bold=True)
    _log(d, 222, 100, 5, "log")
    d.text(222, 148, "takes every write for partition 0", color="white", size=11)
    d.arrow(140, 120, 208, 120, "produce")
    for i, broker in enumerate((2, 3)):
        x = 190 + 170 * i
        d.box(x, 250, 160, 80, color="follower")
        d.text(x + 10, 268, f"broker {broker}: follower", bold=True, size=12)
        _log(d, x + 10, 290, 5 - i, "log", nxt=False)
        d.arrow(300 + 60 * i, 172, x + 80, 248, dashed=True)
    d.text(255, 205, "followers fetch from\nthe leader: copies", size=11, anchor="end")
    d.text(20, 350, "ISR (in-sync replicas) = {1, 2, 3}: the leader and the followers no more than "
                    "replica.lag.time.max.ms (30 s)\nbehind it; if broker 1 fails, one of them becomes leader.",
           size=11)
    d.text(540, 290, "broker 3 is one message behind,\nstill fetching", size=11)
    d.box(560, 40, 225, 180, color="white", dashed=True)
    d.text(572, 58, "consumer group 'readers'", bold=True, size=12)
    d.box(575, 75, 195, 40, "member A: partition 0", color="consumer", text_color="white", size=12)
    d.box(575, 125, 195, 40, "member B: partition 1", color="consumer", text_color="white", size=12)
    d.text(575, 190, "one member per partition;\nanother group reads it all again", size=11)
    d.arrow(472, 95, 573, 95, "fetch")
    return d
