"""A topic's state (helpers.client.topic_state.TopicState) drawn as text: what the topic view
widget shows, and what a notebook can print.

    print(draw_topic_state(read_topic_state(BOOTSTRAP_SERVERS, "orders", group="order-members")))
"""
from __future__ import annotations

from ..client.topic_state import TopicState


def draw_topic_state(state: TopicState, cell: int = 28) -> str:
    """The state as text: a row of the latest offsets per partition, and the group's position."""
    title = f"topic {state.topic!r}" + (f", group {state.group!r}" if state.group else "")
    lines = [title]
    for p in state.partitions:
        boxes = " ".join(f"[{m['offset']}: {_short(m['key'], m['value'], cell)}]" for m in p.latest) or "(empty)"
        lines.append(f"  partition {p.partition}: offsets {p.first_offset}..{p.next_offset - 1} {boxes}"
                     if p.next_offset > p.first_offset else f"  partition {p.partition}: (empty)")
        if state.group is not None:
            where = "nothing committed yet" if p.committed is None else f"committed {p.committed}"
            lines.append(f"               {where}, lag {p.lag}")
    if state.members:
        for member, owned in sorted(state.members.items()):
            lines.append(f"  member {member} owns partition(s) {owned}")
    return "\n".join(lines)


def _short(key, value, width: int) -> str:
    text = f"{key}={value}" if key is not None else str(value)
    return text if len(text) <= width else text[:width - 1] + "…"
