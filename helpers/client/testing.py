"""Test helpers for code that produces to Kafka (Kaffe's users asked for these).

    with capture_produced("another_topic", bootstrap) as captured:
        send_my_message(("Metamorphosis", "Franz Kafka"), "another_topic")
    assert [(m["key"], m["value"]) for m in captured.messages] == [("Metamorphosis", "Franz Kafka")]

It reads from the real broker exactly what was appended to the topic while the block ran:
it notes every partition's end offset on entry and reads up to the new end on exit.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field

from .names import scoped
from .topic_state import partition_offsets, read_messages


@dataclass
class Captured:
    topic: str
    messages: list[dict] = field(default_factory=list)

    def pairs(self) -> list[tuple]:
        return [(m["key"], m["value"]) for m in self.messages]


@contextmanager
def capture_produced(topic: str, where, *, decode: str = "text", timeout: float = 10.0):
    """Collect, into ``captured.messages``, what is appended to `topic` inside the block.
    `where`: a bootstrap string, a Connection or a config. Raises ReadTimeout (a CodealongError)
    if what was appended cannot be read back within `timeout` seconds."""
    topic = scoped(topic)
    captured = Captured(topic)
    # A topic that does not exist yet is new in full: every partition is read from its start.
    before = {p: end for p, (_, end) in (partition_offsets(where, topic, timeout) or {}).items()}
    yield captured
    captured.messages.extend(read_messages(where, topic, limit=None, timeout=timeout, start=before, decode=decode))
    captured.messages.sort(key=lambda m: (m["ts"], m["partition"], m["offset"]))
