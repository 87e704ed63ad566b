"""The progress board: events from `workshop.progress` folded into learners x chapters.

`ProgressBoard` is pure (tested without a broker); `read_progress` reads the topic once (for
`codealong workshop status`); `LiveBoard` keeps reading in a background thread and redraws an
ipywidgets HTML table (the instructor's notebook). None of them joins a consumer group: they
assign the topic's partitions and read from the start, so any number of boards can watch."""
from __future__ import annotations

import html
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field

from confluent_kafka import Consumer, KafkaException, TopicPartition

from ..client.config import as_connection
from ..client.deadline import Deadline
from ..client.errors import CLIENT_LOG, BrokerUnreachable
from ..course.catalogue import checks_per_chapter
from .progress import PROGRESS_TOPIC, ProgressEvent

log = logging.getLogger(__name__)


@dataclass
class LearnerProgress:
    learner: str
    passed: dict[int, set[str]] = field(default_factory=dict)   # chapter -> checks passed
    misses: dict[str, int] = field(default_factory=dict)         # check not passed yet -> failed tries
    last_seen: float | None = None

    def stuck_on(self) -> str:
        """The check tried most often without success, as "3.2 (x4)", or ""."""
        if not self.misses:
            return ""
        check, tries = max(self.misses.items(), key=lambda item: item[1])
        return f"{check} (x{tries})"


class ProgressBoard:
    """Learners x chapters: how many of each chapter's checks a learner has passed."""

    def __init__(self, learners=(), chapters: dict[int, int] | None = None):
        self.chapters = chapters if chapters is not None else checks_per_chapter()
        self.learners: dict[str, LearnerProgress] = {name: LearnerProgress(name) for name in learners}
        self.events = 0

    def apply(self, event: ProgressEvent) -> None:
        row = self.learners.setdefault(event.learner, LearnerProgress(event.learner))
        self.events += 1
        row.last_seen = max(row.last_seen or 0.0, event.time)
        if event.passed:
            row.passed.setdefault(event.chapter, set()).add(event.check)
            row.misses.pop(event.check, None)
        elif event.check not in row.passed.get(event.chapter, set()):
            row.misses[event.check] = row.misses.get(event.check, 0) + 1

    def cell(self, learner: str, chapter: int) -> tuple[int, int]:
        """(checks passed, checks in the chapter)."""
        done = len(self.learners[learner].passed.get(chapter, set()))
        return done, max(self.chapters.get(chapter, 1), done)

    def rows(self, now: float | None = None) -> list[dict]:
        """One dict per learner, the longest idle first (never seen counts as idle longest)."""
        now = time.time() if now is None else now
        result = []
        for name, row in self.learners.items():
            idle = None if row.last_seen is None else max(0.0, now - row.last_seen)
            result.append({"learner": name, "chapters": {c: self.cell(name, c) for c in self.chapters},
                           "idle_s": idle, "stuck_on": row.stuck_on(),
                           "checks": sum(len(s) for s in row.passed.values())})
        return sorted(result, key=lambda r: (-(r["idle_s"] if r["idle_s"] is not None else float("inf")),
                                              r["learner"]))

    def text(self, now: float | None = None) -> str:
        """A plain table (for `codealong workshop status`)."""
        header = ["learner", *(f"ch{c}" for c in self.chapters), "checks", "last seen", "stuck on"]
        lines = [header]
        for row in self.rows(now):
            lines.append([row["learner"], *(f"{d}/{t}" for d, t in row["chapters"].values()), str(row["checks"]),
                          _ago(row["idle_s"]), row["stuck_on"] or "-"])
        widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
        return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in lines)

    def html(self, now: float | None = None) -> str:
        """A coloured table: grey = not started, amber = some checks, green = every check."""
        head = "".join(f"<th>ch{c}</th>" for c in self.chapters)
        body = []
        for row in self.rows(now):
            cells = "".join(f'<td style="background:{_colour(d, t)};text-align:center">{d}/{t}</td>'
                            for d, t in row["chapters"].values())
            body.append(f"<tr><td>{html.escape(row['learner'])}</td>{cells}<td>{row['checks']}</td>"
                        f"<td>{_ago(row['idle_s'])}</td><td>{html.escape(row['stuck_on'] or '-')}</td></tr>")
        return (f'<table style="border-collapse:collapse"><tr><th>learner</th>{head}<th>checks</th>'
                f"<th>last seen</th><th>stuck on</th></tr>{''.join(body)}</table>"
                f"<p>{self.events} event(s); longest idle first.</p>")


def _colour(done: int, total: int) -> str:
    return "#e0e0e0" if done == 0 else "#8fd18f" if done >= total else "#f5c26b"


def _ago(seconds: float | None) -> str:
    if seconds is None:
        return "never"
    if seconds < 60:
        return f"{seconds:.0f} s ago"
    return f"{seconds / 60:.0f} min ago"


def _reader(where) -> Consumer:
    # group.id is required by the client, but nothing here joins or commits to a group.
    return Consumer({**as_connection(where).client_settings(), "group.id": f"board-{uuid.uuid4().hex[:8]}",
                     "enable.auto.commit": False, "logger": CLIENT_LOG})


def _assign_from_start(reader: Consumer, deadline: Deadline) -> dict[int, int]:
    """Assign every partition of the progress topic at its start; returns partition -> end offset."""
    metadata = reader.list_topics(PROGRESS_TOPIC, timeout=deadline.remaining(0.5))
    topic = metadata.topics.get(PROGRESS_TOPIC)
    if topic is None or topic.error is not None:
        raise BrokerUnreachable(f"The cluster has no readable {PROGRESS_TOPIC} topic"
                                f"{f' ({topic.error.str()})' if topic is not None and topic.error else ''}.",
                                "Start the workshop (`codealong workshop start`), and read it with the admin's "
                                "credentials (the workshop folder's admin.env, or CODEALONG_ADMIN_*).")
    ends = {}
    for partition in topic.partitions:
        low, high = reader.get_watermark_offsets(TopicPartition(PROGRESS_TOPIC, partition),
                                                 timeout=deadline.remaining(0.5))
        ends[partition] = high
    reader.assign([TopicPartition(PROGRESS_TOPIC, p, 0) for p in ends])
    return ends


def _apply(board: ProgressBoard, msg) -> None:
    try:
        board.apply(ProgressEvent.from_json(msg.value()))
    except ValueError as err:
        log.info("Skipping a message of %s at offset %s: %s", PROGRESS_TOPIC, msg.offset(), err)


def read_progress(where, learners=(), timeout: float = 15.0) -> ProgressBoard:
    """The board as the topic holds it now (every event up to its current end)."""
    deadline = Deadline(timeout)
    board = ProgressBoard(learners)
    reader = _reader(where)
    try:
        ends = _assign_from_start(reader, deadline)
        reached = {p: 0 for p in ends}
        while any(reached[p] < ends[p] for p in ends) and not deadline.expired():
            for msg in reader.consume(500, timeout=min(0.5, deadline.remaining())):
                if msg.error() is None:
                    _apply(board, msg)
                    reached[msg.partition()] = msg.offset() + 1
        if any(reached[p] < ends[p] for p in ends):
            raise BrokerUnreachable(f"Not all of {PROGRESS_TOPIC} could be read within {timeout:g} s.",
                                    "Check the cluster (`codealong broker status`) and retry.")
    except KafkaException as err:
        raise BrokerUnreachable(f"Kafka did not answer while reading {PROGRESS_TOPIC} ({err.args[0].str()}).",
                                "Check the cluster and the admin credentials, then retry.") from None
    finally:
        reader.close()
    return board


class LiveBoard:
    """The board as a notebook widget, redrawn as events arrive (at most every `every_s`)."""

    def __init__(self, where, learners=(), every_s: float = 1.0):
        import ipywidgets

        self.board = ProgressBoard(learners)
        self.widget = ipywidgets.HTML(self.board.html())
        self._where, self._every_s = where, every_s
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: Exception | None = None

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

    def start(self, timeout: float = 15.0) -> "LiveBoard":
        """Start following the topic; returns once everything already in it is on the board."""
        self._thread = threading.Thread(target=self._follow, name="progress-board", daemon=True)
        self._thread.start()
        self._ready.wait(timeout)
        return self

    def _follow(self) -> None:
        reader = _reader(self._where)
        try:
            ends = _assign_from_start(reader, Deadline(15))
            reached = {p: 0 for p in ends}
            drawn = 0.0
            while not self._stop.is_set():
                for msg in reader.consume(500, timeout=0.25):
                    if msg.error() is None:
                        _apply(self.board, msg)
                        reached[msg.partition()] = msg.offset() + 1
                if all(reached[p] >= ends[p] for p in ends):
                    self._ready.set()  # everything that was there at the start is on the board
                if time.monotonic() - drawn >= self._every_s:
                    self.widget.value, drawn = self.board.html(), time.monotonic()
        except Exception as err:  # shown on the board, never printed from this thread
            self.error = err
            self.widget.value = f"<p>The board stopped: {html.escape(str(err))}</p>"
            self._ready.set()
        finally:
            reader.close()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
