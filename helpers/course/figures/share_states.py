"""A share-group record's states (KIP-932): what the broker keeps for each record of a share
partition, and what moves it from one state to the next.

    share_states(lock_ms=30000, delivery_limit=5)   # the group's lock and delivery-count limit
"""
from __future__ import annotations

from .svg import Diagram

STATES = ("AVAILABLE", "ACQUIRED", "ACKNOWLEDGED", "ARCHIVED")


def share_states(lock_ms: int = 30000, delivery_limit: int = 5) -> Diagram:
    """The four states and their transitions, with the group's lock duration and delivery-count limit."""
    d = Diagram(760, 360, "A share-group record's states")
    d.text(380, 18, "One record of a share partition, as the broker tracks it", anchor="middle", bold=True)
    d.box(20, 135, 150, 56, "AVAILABLE", color="log")
    d.box(300, 135, 150, 56, "ACQUIRED", color="broker", text_color="white")
    d.box(590, 45, 150, 56, "ACKNOWLEDGED", color="good", text_color="white")
    d.box(590, 225, 150, 56, "ARCHIVED", color="muted")
    d.arrow(170, 150, 300, 150, color="consumer")
    d.text(235, 112, f"a member fetches it:\ndelivery count + 1,\nlocked {lock_ms / 1000:g} s", size=11,
           anchor="middle", color="consumer")
    d.arrow(300, 178, 170, 178, color="bad")
    d.text(235, 230, "RELEASE, lock expired,\nor the member's session\nended (closed, crashed),\nbelow the limit", size=11,
           anchor="middle", color="bad")
    d.arrow(450, 145, 590, 80, color="good")
    d.text(505, 88, "ACCEPT", size=12, anchor="middle", color="good")
    d.arrow(450, 182, 590, 245, color="text")
    d.text(465, 262, f"REJECT; or released, lock\nexpired or session ended\non delivery {delivery_limit} (the limit)",
           size=11, anchor="middle")
    d.text(375, 214, "Java's RENEW:\nlock renewed", size=10, anchor="middle", color="consumer")
    d.line(20, 312, 740, 312, color="muted")
    d.text(20, 328, f"lock: share.record.lock.duration.ms ({lock_ms} ms); limit: share.delivery.count.limit "
                    f"({delivery_limit}); both group configs.", size=11)
    d.text(20, 346, "ACKNOWLEDGED and ARCHIVED are final: the record is never delivered to the group again.",
           size=11)
    return d
