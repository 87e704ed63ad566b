"""A group's lag, drawn from offsets a cell measured: per partition, the log from its start to its
end, what the group has committed, and the lag between the two.

    offsets = {0: (0, 5, 8), 1: (0, 8, 11)}     # partition -> (log start, committed or None, end)
    lag(offsets, topic="exercise_lag", group="exercise-lag")

The end is the high watermark (the LOG-END-OFFSET of kafka-consumer-groups): one past the last
message every in-sync replica holds, as far as consumers can read; once replication has caught
up, the offset the next message gets. get_watermark_offsets' `high` is the last stable offset, as
librdkafka's default isolation.level=read_committed asks for it: the high watermark unless a
transaction is still open on the partition.
The committed offset is the next offset the group will read (the last processed message's
offset + 1), so lag = end - committed.
"""
from __future__ import annotations

from typing import Mapping

from .svg import Diagram

LEFT, RIGHT = 120, 560     # where the log's bar starts and ends
ROW = 78                   # height of one partition's row
CELLS_UP_TO = 30           # up to this many offsets, each gets a cell of its own


def partition_lag(start: int, committed: int | None, end: int) -> int:
    """Kafka's lag: end - committed (as kafka-consumer-groups computes it). A group that never
    committed has no lag in Kafka's tool ("-"); here it counts from the log start, as the
    course's TopicView does: what such a group would read from the earliest message."""
    return end - (start if committed is None else committed)


def lag(offsets: Mapping[int, tuple[int, int | None, int]], topic: str = "", group: str = "") -> Diagram:
    """The figure: one row per partition, offsets to scale, committed part and lag coloured."""
    rows = sorted(offsets.items())
    width_of = max([end for _, (_, _, end) in rows] + [1])
    scale = (RIGHT - LEFT) / width_of
    total = sum(partition_lag(*o) for _, o in rows)
    title = f"Lag of group {group!r} on {topic!r}: {total}" if group else f"Lag: {total}"
    d = Diagram(700, 70 + ROW * len(rows) + 60, title)
    d.text(20, 22, title, bold=True, size=14)
    for i, (partition, (start, committed, end)) in enumerate(rows):
        _row(d, 60 + ROW * i, partition, start, committed, end, scale, width_of <= CELLS_UP_TO)
    y = 70 + ROW * len(rows)
    d.box(20, y, 16, 16, color="consumer", rounded=False)
    d.text(42, y + 8, "read and committed by the group", size=12)
    d.box(270, y, 16, 16, color="leader", rounded=False)
    d.text(292, y + 8, "lag: written, not yet committed", size=12)
    d.box(510, y, 16, 16, color="muted", rounded=False, dashed=True)
    d.text(532, y + 8, "deleted (before log start)", size=12)
    d.text(20, y + 38, "lag = end (high watermark) − committed; committed = the NEXT offset the group will read",
           size=12)
    return d


def _row(d: Diagram, y: int, partition: int, start: int, committed: int | None, end: int, scale: float,
         cells: bool) -> None:
    d.text(20, y + 20, f"partition {partition}", bold=True)
    upto = start if committed is None else max(start, committed)
    spans = [(0, start, "muted"), (start, upto, "consumer"), (upto, end, "leader")]
    for low, high, color in spans:
        if high <= low:
            continue
        if cells:
            for offset in range(low, high):
                d.box(LEFT + offset * scale, y + 8, scale, 24, str(offset) if scale >= 14 else "", color=color,
                      rounded=False, dashed=color == "muted", size=10)
        else:
            d.box(LEFT + low * scale, y + 8, (high - low) * scale, 24, color=color, rounded=False,
                  dashed=color == "muted")
    if end == 0:
        d.box(LEFT, y + 8, RIGHT - LEFT, 24, "empty", color="log", rounded=False, dashed=True, size=11)
    _marker(d, LEFT + end * scale, y, f"end {end}", below=True)
    if committed is None:
        d.text(LEFT, y - 4, "nothing committed", color="note", size=11)  # above: "end" is below
    else:
        _marker(d, LEFT + committed * scale, y, f"committed {committed}", below=False)
    d.text(RIGHT + 20, y + 20, f"lag {partition_lag(start, committed, end)}", bold=True, color="leader")


def _marker(d: Diagram, x: float, y: int, label: str, below: bool) -> None:
    """A tick at an offset's left edge, labelled above (committed) or below (end) the bar."""
    d.line(x, y + 2, x, y + 38, color="text", width=2)
    d.text(x, y + 48 if below else y - 4, label, size=11, anchor="middle")
