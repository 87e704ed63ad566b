"""Transaction markers in the log: the records of a committed and an aborted transaction, the
control marker each commit or abort writes (it takes an offset, no consumer receives it), and
what a read_committed and a read_uncommitted consumer get. Drawn from the offsets the chapter read."""
from __future__ import annotations

from .svg import Diagram

CELL, LEFT = 118, 200


def _marker_kind(offset: int, committed: dict[int, str], uncommitted: dict[int, str]) -> str:
    """A control marker ends the transaction of the data records just before it."""
    before = [o for o in uncommitted if o < offset]
    return "COMMIT" if before and max(before) in committed else "ABORT"


def transaction_markers(committed: dict[int, str], uncommitted: dict[int, str], end: int) -> Diagram:
    """`committed`/`uncommitted`: offset -> value as a read_committed / read_uncommitted consumer
    returned them; `end`: the partition's next offset. Offsets in neither are control markers."""
    d = Diagram(max(LEFT + CELL * end + 20, 780), 250, "Transaction markers in the log")
    d.text(LEFT - 10, 62, "the partition", anchor="end", bold=True)
    for offset in range(end):
        x = LEFT + CELL * offset
        d.text(x + CELL / 2, 30, f"offset {offset}", size=11, anchor="middle")
        if offset in uncommitted:
            kept = offset in committed
            d.box(x, 42, CELL - 6, 40, uncommitted[offset], color="good" if kept else "bad", text_color="white",
                  size=11, rounded=False)
            d.text(x + CELL / 2, 94, "committed data" if kept else "aborted data", size=10, anchor="middle",
                   color="good" if kept else "bad")
        else:
            d.box(x, 42, CELL - 6, 40, f"{_marker_kind(offset, committed, uncommitted)} marker", color="marker",
                  text_color="white", size=11, rounded=False, dashed=True)
            d.text(x + CELL / 2, 94, "control record", size=10, anchor="middle", color="marker")
    for row, (name, seen) in enumerate((("read_committed", committed), ("read_uncommitted", uncommitted))):
        y = 140 + 44 * row
        d.text(LEFT - 10, y, f"{name} gets", anchor="end", bold=True)
        for offset in range(end):
            if offset in seen:
                d.circle(LEFT + CELL * offset + CELL / 2 - 3, y, 13, color="consumer", label=str(offset), size=11)
    d.text(10, 226, "A consumer never receives a marker, but it takes an offset. read_committed (librdkafka's "
                    "default) skips aborted data;\nread_uncommitted (the Java client's default) returns it too.",
           size=11)
    return d
