"""Commit first or process first: what a crash loses or repeats, message by message, drawn from
the chapter's measured runs (helpers.course.demos.delivery.DeliveryCount). The arrow for the
offset committed at the crash is computed from the batch size and the commit order, not measured."""
from __future__ import annotations

from collections import Counter

from .svg import Diagram

CELL, LEFT, TOP, ROW = 26, 215, 78, 74


def committed_at_crash(mode: str, crash_after: int, batch_size: int) -> int:
    """The group's committed offset when the consumer dies while handling offset `crash_after`,
    computed (not read from the broker): commit-first has committed the batch in hand,
    process-first only the batches before it. The measured counts (lost, twice) agree with it."""
    batch_start = crash_after // batch_size * batch_size
    return batch_start + batch_size if mode.startswith("commit-first") else batch_start


def delivery_timelines(counts, keys: list[str], crash_after: int = 7, batch_size: int = 5) -> Diagram:
    """One row per run: each message (by offset) coloured by how often it was processed across
    the crash and the restart (0: lost, 1, 2: twice), the crash, and the offset committed then."""
    width = LEFT + CELL * len(keys) + 30
    d = Diagram(max(width, 760), TOP + ROW * len(counts) + 50, f"Commit first or process first: a crash after {crash_after} messages")
    d.text(10, 16, f"{len(keys)} messages (offsets 0-{len(keys) - 1}), read in batches of {batch_size}. The first "
                   f"process is killed (SIGKILL) after {crash_after} messages;\na second one of the same group "
                   "reads on from the committed offset. Thick lines: batch boundaries.", size=11)
    crash_x = LEFT + CELL * crash_after
    d.line(crash_x, TOP - 24, crash_x, TOP + ROW * len(counts) - 20, color="bad", width=2, dashed=True)
    d.text(crash_x, TOP - 30, "SIGKILL", color="bad", size=11, anchor="middle", bold=True)
    for row, count in enumerate(counts):
        y = TOP + ROW * row
        done = Counter(count.effects)
        d.text(LEFT - 12, y + 11, count.mode, anchor="end", bold=True)
        d.text(LEFT - 12, y + 29, f"lost {count.lost}, twice {count.twice}", anchor="end", size=11,
               color="bad" if count.lost else "text")
        for offset, key in enumerate(keys):
            times = done[key]
            color = {0: "bad", 1: "good"}.get(times, "broker")
            d.box(LEFT + CELL * offset, y, CELL - 2, 24, str(offset), color=color, text_color="white", size=10,
                  rounded=False)
            if times != 1:
                d.text(LEFT + CELL * offset + CELL / 2 - 1, y - 9, "lost" if times == 0 else f"{times}x",
                       color="bad" if times == 0 else "broker", size=9, anchor="middle")
        for start in range(batch_size, len(keys), batch_size):
            d.line(LEFT + CELL * start - 1, y - 3, LEFT + CELL * start - 1, y + 27, width=2)
        at = committed_at_crash(count.mode, crash_after, batch_size)
        d.arrow(LEFT + CELL * at - 1, y + 54, LEFT + CELL * at - 1, y + 29, color="marker")
        d.text(LEFT + CELL * at + 4, y + 52, f"committed at the crash: {at}", color="marker", size=10)
    y = TOP + ROW * len(counts) + 10
    for i, (color, label) in enumerate((("good", "processed once"), ("broker", "processed twice"),
                                        ("bad", "lost: never processed"))):
        d.box(LEFT + 170 * i, y, 14, 14, color=color, rounded=False)
        d.text(LEFT + 170 * i + 20, y + 7, label, size=11)
    return d
