"""The progress board: events from each learner's progress topic (`<learner>.progress`) folded
into learners x chapters.

`ProgressBoard` is pure (tested without a broker); `read_progress` reads the topics once (for
`codealong workshop status`); `LiveBoard` keeps reading in a background thread and redraws an
ipywidgets HTML table (the instructor's notebook). None of them joins a consumer group: they
assign the topics' partitions and read from the start, so any number of boards can watch.

An event counts for the learner whose topic holds it (only their login, and the instructor's, may
write there); one that names somebody else is skipped, so nobody can fill in another's row."""
from __future__ import annotations

import html
import logging
import threading
import time
from dataclasses import dataclass, field

from confluent_kafka import KafkaException

from ..client.deadline import Deadline
from ..client.errors import BrokerUnreachable
from ..client.topic_state import TopicReader, UnknownTopic
from ..client.topics import admin_for
from ..course.catalogue import checks_per_chapter
from ..course.progress import JOINED, ProgressEvent, progress_topic, topic_learner

log = logging.getLogger(__name__)


@dataclass
class LearnerProgress:
    learner: str
    passed: dict[int, set[str]] = field(default_factory=dict)   # chapter -> checks passed
    misses: dict[str, int] = field(default_factory=dict)         # check not passed yet -> failed tries
    last_seen: float | None = None
    joined_at: str | None = None                                  # the address `workshop join` last got them in at

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
        if event.check == JOINED:
            row.joined_at = event.detail
        elif event.passed:
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
                           "idle_s": idle, "stuck_on": row.stuck_on(), "joined_at": row.joined_at,
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


def _open(where, learners, timeout: float) -> TopicReader:
    """One reader of the learners' progress topics from their start (no group: any number of
    boards can watch). A learner whose topic is missing (they deleted it) has no events yet;
    `codealong workshop reset NAME` makes it again."""
    deadline = Deadline(timeout)
    try:
        listed = admin_for(where).list_topics(timeout=deadline.remaining(0.5)).topics
        return TopicReader(where, [t for t in map(progress_topic, learners) if t in listed],
                           timeout=deadline.remaining(0.5))
    except (UnknownTopic, KafkaException) as err:
        raise BrokerUnreachable(f"The learners' progress topics could not be read ({err})",
                                "Start the workshop (`codealong workshop start`), and read them with the admin's "
                                "credentials (the workshop folder's admin.env, or CODEALONG_ADMIN_*).") from None


def _apply(board: ProgressBoard, message: dict) -> None:
    try:
        event = ProgressEvent.from_json(message["value"])
    except ValueError as err:
        log.info("Skipping a message of %s at offset %s: %s", message["topic"], message["offset"], err)
        return
    if event.learner != topic_learner(message["topic"]):
        log.info("Skipping an event for %s written to %s: a learner's topic counts for that learner only.",
                 event.learner, message["topic"])
        return
    board.apply(event)


def read_progress(where, learners, timeout: float = 15.0) -> ProgressBoard:
    """The board as the learners' topics hold it now (every event up to their current end)."""
    deadline = Deadline(timeout)
    board = ProgressBoard(learners)
    try:
        with _open(where, learners, deadline.remaining(0.5)) as reader:
            while not reader.reached():
                if deadline.expired():
                    raise BrokerUnreachable(f"Not all progress events could be read within {timeout:g} s.",
                                            "Check the cluster (`codealong broker status`) and retry.")
                for message in reader.read_available(min(0.5, deadline.remaining())):
                    _apply(board, message)
    except KafkaException as err:
        raise BrokerUnreachable(f"Kafka did not answer while reading progress events ({err.args[0].str()}).",
                                "Check the cluster and the admin credentials, then retry.") from None
    return board


class LiveBoard:
    """The board as a notebook widget, redrawn as events arrive (at most every `every_s`)."""

    def __init__(self, where, learners, every_s: float = 1.0):
        import ipywidgets

        self.board = ProgressBoard(learners)
        self.widget = ipywidgets.HTML(self.board.html())
        self._where, self._learners, self._every_s = where, list(learners), every_s
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
        try:
            with _open(self._where, self._learners, timeout=15) as reader:
                drawn = 0.0
                while not self._stop.is_set():
                    for message in reader.read_available(0.25):
                        _apply(self.board, message)
                    if reader.reached():
                        self._ready.set()  # everything that was there at the start is on the board
                    if time.monotonic() - drawn >= self._every_s:
                        self.widget.value, drawn = self.board.html(), time.monotonic()
        except Exception as err:  # shown on the board, never printed from this thread
            self.error = err
            self.widget.value = f"<p>The board stopped: {html.escape(str(err))}</p>"
            self._ready.set()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
