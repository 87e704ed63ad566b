"""Watch a partition's log change: segments rolled, old ones deleted (retention), old values
removed (compaction). Time has to pass for that, so `watch_log` sends a small "tick" record
every `tick_s` seconds (the broker checks `segment.ms` when a record arrives, so the ticks are
what roll the active segment) and takes a snapshot each time, until a condition holds or the deadline.

    snapshots = watch_log(BOOTSTRAP_SERVERS, "short_lived", until=lambda s: s.first_offset > 0)

Segment files are on the broker's disk: they are listed when that disk is this machine's
(the embedded broker); elsewhere `segments` is None and only the offsets are shown.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from confluent_kafka import KafkaException
from confluent_kafka.admin import ConfigResource, ResourceType

from ...client.config import as_connection
from ...client.deadline import Deadline
from ..kafka_tools import kafka
from ...client.names import scoped
from ...client.producer import SyncProducer
from ...client.topic_state import partition_offsets, read_messages
from ...client.topics import admin_for

TICK_KEY = "tick"


@dataclass
class Snapshot:
    at: float                         # seconds since the watch began
    first_offset: int                 # the log start: everything before it is gone
    next_offset: int
    segments: list[int] | None        # base offsets of the segment files, oldest first
    records: list[tuple] | None = None  # (offset, key, value) of what a reader gets now, ticks left out
    wall: float = 0.0                 # time.time() of the snapshot, to compare with message timestamps


def segment_dir(where, topic: str, partition: int = 0) -> Path | None:
    """The partition's folder on this machine's disk, or None if the broker keeps it elsewhere
    (or will not say: a learner's login may not describe the broker)."""
    admin = admin_for(where)
    try:
        metadata = admin.list_topics(scoped(topic), timeout=10).topics[scoped(topic)]
        leader = metadata.partitions[partition].leader
        resource = ConfigResource(ResourceType.BROKER, str(leader))
        log_dirs = admin.describe_configs([resource])[resource].result(10)["log.dirs"].value
    except (KafkaException, KeyError):
        return None
    for folder in (log_dirs or "").split(","):
        candidate = Path(folder) / f"{scoped(topic)}-{partition}"
        if candidate.is_dir():
            return candidate
    return None


def segments(folder: Path | None) -> list[int] | None:
    if folder is None:
        return None
    return sorted(int(path.stem) for path in folder.glob("*.log"))


def snapshot(where, topic: str, folder: Path | None, started: float, read: bool) -> Snapshot:
    first, after = partition_offsets(where, topic)[0]
    records = None
    if read:
        records = [(m["offset"], _text(m["key"]), _text(m["value"])) for m in read_messages(where, topic)
                   if _text(m["key"]) != TICK_KEY]
    return Snapshot(round(time.monotonic() - started, 1), first, after, segments(folder), records, time.time())


def watch_log(where, topic: str, until: Callable[[Snapshot], bool], *, tick_s: float = 0.5, timeout: float = 30.0,
              read: bool = False) -> list[Snapshot]:
    """Snapshots of partition 0, one per tick, until `until(snapshot)` or `timeout` seconds."""
    folder = segment_dir(where, topic)
    started, deadline = time.monotonic(), Deadline(timeout)
    shots = [snapshot(where, topic, folder, started, read)]
    with SyncProducer(endpoints=as_connection(where).endpoints) as producer:
        while not until(shots[-1]) and not deadline.expired():
            time.sleep(min(tick_s, deadline.remaining()))  # time passing IS what we watch
            producer.produce(topic, "", key=TICK_KEY)
            shots.append(snapshot(where, topic, folder, started, read))
    return shots


_RECORD = re.compile(r"^\| offset: (?P<offset>\d+) .*valueSize: (?P<size>-?\d+) .*?key: (?P<key>\S*)(?: payload: (?P<value>.*))?$")


def dump_segment(folder: Path, base_offset: int) -> list[str]:
    """Kafka's kafka-dump-log on one segment file, one line per record: offset, key, value."""
    path = folder / f"{base_offset:020d}.log"
    done = kafka("kafka-dump-log", "--files", str(path), "--print-data-log")
    lines = []
    for match in filter(None, map(_RECORD.match, done.stdout.splitlines())):
        value = "(tombstone)" if match["size"] == "-1" else match["value"]
        lines.append(f"offset {match['offset']:>3}  {match['key']}: {value}")
    return lines


def _text(data):
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else data
