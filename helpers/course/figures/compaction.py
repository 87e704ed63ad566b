"""Compaction before and after: a partition's records by offset, one row per state a reader saw.

    compaction([("as written", written), ("after the first cleaning", cleaned), ("later", done)])

Each state is a list of (offset, key, value) records, value None for a tombstone. Records are
drawn at their offset's place, so what the cleaner removed leaves a gap: offsets are never
renumbered. Green: what stays in the end; purple: a tombstone; dashed: removed.
"""
from __future__ import annotations

from .svg import Diagram

SLOT, GAP, HEIGHT, ROW = 112, 8, 46, 78   # a record's box, the space between boxes, a row's height
LEFT, TOP = 232, 62                         # where the first slot and the first row start
TEXT_ON = {"good": "white", "marker": "white", "log": "text"}


def _label(offset: int, key: str, value) -> str:
    return f"offset {offset}\n{key}: {'tombstone' if value is None else value}"


def compaction(states: list[tuple[str, list[tuple[int, str, object]]]]) -> Diagram:
    """One row per (label, records) state, in order; the first row is the log as written."""
    offsets = sorted({offset for _, records in states for offset, _, _ in records})
    kept = {offset for offset, _, _ in states[-1][1]}
    width = LEFT + len(offsets) * (SLOT + GAP) + 12
    d = Diagram(width, TOP + len(states) * ROW + 96, "Compaction: the latest record of each key stays, at its offset")
    d.text(12, 22, "One compacted partition, as written, then as read back after each step:", size=14, bold=True)
    for row, (label, records) in enumerate(states):
        y = TOP + row * ROW
        d.text(12, y + HEIGHT / 2, label, size=13, bold=row in (0, len(states) - 1))
        if row:
            d.arrow(LEFT - 14, y - ROW + HEIGHT, LEFT - 14, y, color="muted")
        present = {offset: (key, value) for offset, key, value in records}
        for column, offset in enumerate(offsets):
            x = LEFT + column * (SLOT + GAP)
            if offset not in present:
                d.box(x, y, SLOT, HEIGHT, f"offset {offset}\n(removed)", color="white", text_color="muted",
                      size=11, dashed=True)
                continue
            key, value = present[offset]
            color = "marker" if value is None else "good" if offset in kept else "log"
            d.box(x, y, SLOT, HEIGHT, _label(offset, key, value), color=color, text_color=TEXT_ON[color], size=11)
    bottom = TOP + len(states) * ROW + 6
    x = 12
    for color, meaning in (("good", "stays"), ("marker", "tombstone (value None)"),
                           ("log", "an older value of its key"), ("white", "removed by the cleaner")):
        d.box(x, bottom - 7, 14, 14, color=color, dashed=color == "white", rounded=False)
        d.text(x + 20, bottom, meaning, size=12)
        x += 40 + round(len(meaning) * 6.6)
    notes = ["The cleaner leaves a tombstone in place for delete.retention.ms after its first cleaning,",
             "so that a reader catching up still learns the key was deleted; then the tombstone goes too.",
             "Offsets are never renumbered: a reader gets " + ", then ".join(map(str, sorted(kept)))
             + ", and skips the gaps."]
    for n, note in enumerate(notes):
        d.text(12, bottom + 26 + n * 19, note, size=12, color="note")
    return d
