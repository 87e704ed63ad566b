"""Chapter 3's pictures of a write with acks=all: the leader appends, the in-sync followers fetch,
the high watermark moves, and the producer gets its answer; then a failover.

    write_path()     # acks=all, min.insync.replicas=2, the high watermark
    failover()       # the leader is lost, an in-sync follower takes over

Kafka's facts they draw: with acks=all the leader answers once every replica in the ISR has the
message; min.insync.replicas (here 2) is how small the ISR may get before such writes are
refused (NOT_ENOUGH_REPLICAS); a follower that has not caught up for replica.lag.time.max.ms
(30 s) leaves the ISR; the high watermark is the offset up to which every in-sync replica has
the log, and consumers read only below it. When a leader is lost, the controller makes an
in-sync replica the new leader (unclean election is off by default), so no acknowledged write is
lost. The new leader's log is its own replica: it keeps what it had above the high watermark
(never acknowledged to an acks=all producer; an idempotent producer's retry of it is recognised
as a duplicate), and the old leader, back as a follower, truncates its log to where the new
leader's epoch began and fetches the rest. Since Kafka 4 (KIP-966) the leader also stops
advancing the high watermark while the ISR is smaller than min.insync.replicas; replicas that
leave the ISR then become eligible leader replicas (ELR: on by default for clusters created with
Kafka 4.1 or newer), which still hold every committed message and may be elected.
"""
from __future__ import annotations

from .svg import Diagram

CELL = 30


def _log(d: Diagram, x: int, y: int, cells: int, hw: int, label: str, color: str) -> None:
    """A replica's log: offsets below the high watermark are committed (coloured)."""
    d.text(x, y - 12, label, bold=True, size=12)
    for offset in range(cells):
        d.box(x + CELL * offset, y, CELL, 26, str(offset), color=color if offset < hw else "log", rounded=False,
              size=11)


def _watermark(d: Diagram, x: int, top: int, bottom: int, hw: int) -> None:
    d.line(x + CELL * hw, top, x + CELL * hw, bottom, color="marker", width=2.5, dashed=True)
    d.text(x + CELL * hw + 4, top - 8, f"high watermark = {hw}", color="marker", size=11)


def write_path() -> Diagram:
    d = Diagram(800, 395, "acks=all: the write path through the in-sync replicas")
    d.text(20, 20, "acks=all, min.insync.replicas=2, ISR = {1, 2, 3}", bold=True, size=14)
    d.box(20, 80, 130, 56, "producer\nacks=all", color="producer", text_color="white")
    x = 260
    _log(d, x, 80, 6, 4, "broker 1: leader", "leader")
    _log(d, x, 170, 6, 4, "broker 2: follower (in sync)", "follower")
    _log(d, x, 260, 4, 4, "broker 3: follower (in sync, fetching)", "follower")
    _watermark(d, x, 60, 296, 4)
    d.arrow(150, 100, 256, 93)
    d.text(20, 62, "1. produce (the leader gives it offset 5)", size=11)
    d.arrow(256, 124, 150, 124, "4. ack", color="good")
    d.text(470, 100, "2. leader appends offset 5", size=11)
    d.text(470, 190, "3. followers fetch: broker 2 has 4 and 5", size=11)
    d.text(400, 273, "<- still has to fetch 4 and 5", size=11)
    d.text(20, 320, "4. The ack for offset 5 comes once every ISR replica has it; the high watermark then moves to 6 and "
                    "consumers may read 4 and 5.", size=11)
    d.text(20, 340, "A follower behind for over replica.lag.time.max.ms (30 s) leaves the ISR; while the ISR has "
                    "fewer than min.insync.replicas", size=11)
    d.text(20, 358, "replicas, the leader refuses acks=all writes (NOT_ENOUGH_REPLICAS) and (Kafka 4, KIP-966) its "
                    "high watermark stops; here one", size=11)
    d.text(20, 376, "follower may be lost and writes go on.", size=11)
    return d


def failover() -> Diagram:
    d = Diagram(800, 345, "Failover: the leader is lost, an in-sync follower takes over")
    d.text(20, 20, "Failover: broker 1 (the leader) is lost", bold=True, size=14)
    d.text(20, 55, "before", bold=True, color="muted")
    _log(d, 20, 95, 6, 4, "broker 1: leader", "leader")
    d.line(20, 85, 200, 125, color="bad", width=3)
    d.line(20, 125, 200, 85, color="bad", width=3)
    _log(d, 20, 165, 5, 4, "broker 2: follower (ISR)", "follower")
    _log(d, 20, 235, 4, 4, "broker 3: follower (ISR)", "follower")
    d.arrow(260, 165, 380, 165, "the controller elects\nan ISR member", size=11)
    d.text(420, 55, "after", bold=True, color="muted")
    _log(d, 420, 95, 5, 4, "broker 2: NEW leader", "leader")
    _log(d, 420, 165, 4, 4, "broker 3: follower, fetches from broker 2", "follower")
    d.text(420, 232, "producers and consumers learn the new leader\nfrom a metadata refresh and carry on;\nISR = {2, 3} until broker 1 is back and caught up", size=11)
    d.text(20, 290, "Offsets 0-3 (below the high watermark) are on every ISR replica: no acknowledged write is lost. "
                    "Offsets 4 and 5 were not", size=11)
    d.text(20, 308, "acknowledged yet. Broker 2 keeps 4, and the idempotent producer's retry of it is recognised as a "
                    "duplicate; 5 is written", size=11)
    d.text(20, 326, "again on broker 2. Broker 1, back as a follower, truncates its own 5.", size=11)
    return d
