"""The topic view: each partition's newest messages, a group's committed offsets and lag, members."""
from __future__ import annotations

import logging
import threading
import time
from html import escape

import ipywidgets as w

from ...client.config import as_connection
from ...client.deadline import Deadline
from ...client.errors import CodealongError
from ...client.topic_state import TopicState, read_topic_state
from ..drawing import draw_topic_state
from .common import _error_html

log = logging.getLogger(__name__)


class TopicView(w.VBox):
    """Each partition as a row of its newest offsets, and a group's committed offset and lag.
    Refreshed by the button, or every `every_s` seconds while "auto" is ticked; the timer
    stops when the box is unticked or the view is closed. `history` keeps (time, total lag)
    of each refresh, for plots.plot_lag."""

    def __init__(self, where, topic: str, group: str | None = None, latest: int = 3,
                 every_s: float = 2.0, timeout_s: float = 10.0):
        """`where`: a bootstrap string, a Connection or a config."""
        self.connection, self.topic, self.group = as_connection(where), topic, group
        self.latest, self.every_s, self.timeout_s = latest, every_s, timeout_s
        self.state: TopicState | None = None
        self.last_error: CodealongError | None = None
        self.history: list[tuple[float, int | None]] = []
        self._lock = threading.Lock()
        self._stop_timer = threading.Event()
        self._timer: threading.Thread | None = None
        self.picture = w.HTML()
        self.refresh_button = w.Button(description="Refresh", icon="refresh")
        self.auto = w.Checkbox(value=False, description=f"refresh every {every_s:g} s", indent=False)
        self.refresh_button.on_click(lambda button: self.refresh())
        self.auto.observe(lambda change: self._timer_on() if change["new"] else self._timer_off(), names="value")
        super().__init__([w.HBox([self.refresh_button, self.auto]), self.picture])

    def __repr__(self) -> str:
        return f"TopicView(topic={self.topic!r}, group={self.group!r})"

    def refresh(self) -> TopicState | None:
        """Read the topic (and group) now and redraw; on an error, show it with its fix."""
        with self._lock:
            try:
                state = read_topic_state(self.connection, self.topic, self.group, self.latest, self.timeout_s)
            except CodealongError as err:
                self.picture.value = _error_html(err)  # drawn first: whoever sees last_error sees the picture too
                self.last_error = err
                return None
            self.picture.value = _state_html(state)
            self.history.append((state.read_at, state.total_lag))
            self.state, self.last_error = state, None
            return state

    def wait_until_caught_up(self, timeout: float = 30.0, every_s: float = 0.25) -> bool:
        """Refresh every `every_s` until the group has committed everything written to each
        non-empty partition (lag 0 everywhere), or until `timeout`. True if it caught up."""
        def caught_up() -> bool:
            state = self.refresh()
            return state is not None and state.group is not None and all(
                p.committed == p.next_offset for p in state.partitions if p.next_offset > p.first_offset)

        return bool(Deadline(timeout).until(caught_up, step=every_s))

    def text(self) -> str:
        """The last refresh as plain text (refreshing first if there was none)."""
        if self.state is None and self.refresh() is None:
            return str(self.last_error)
        return draw_topic_state(self.state)

    @property
    def timer_running(self) -> bool:
        return self._timer is not None and self._timer.is_alive()

    def _timer_on(self) -> None:
        if self.timer_running:
            return
        self._stop_timer.clear()
        self._timer = threading.Thread(target=self._tick, name=f"topic-view-{self.topic}", daemon=True)
        self._timer.start()

    def _tick(self) -> None:
        while not self._stop_timer.is_set():
            try:
                self.refresh()  # a broker that went away shows as an error; the timer goes on
            except Exception:  # anything unforeseen is logged, never the end of the timer
                log.exception("Topic view of %r: a refresh failed.", self.topic)
            self._stop_timer.wait(self.every_s)

    def _timer_off(self) -> None:
        self._stop_timer.set()
        if self._timer is not None:
            self._timer.join(self.timeout_s + self.every_s)
        if self.auto.value:
            self.auto.value = False

    def close(self) -> None:
        self._timer_off()
        super().close()


def _state_html(state: TopicState) -> str:
    rows = []
    for p in state.partitions:
        boxes = "".join(
            f"<span style='display:inline-block;border:1px solid #888;border-radius:3px;padding:1px 5px;"
            f"margin:1px;{'background:#e6f2e6' if p.committed is not None and m['offset'] < p.committed else ''}'>"
            f"<small>{m['offset']}</small> {escape(str(m['key']))}={escape(str(m['value'])[:20])}</span>"
            for m in p.latest) or "<i>empty</i>"
        group = ("" if state.group is None else
                 f"<td>{'—' if p.committed is None else p.committed}</td><td>{'—' if p.lag is None else p.lag}</td>")
        rows.append(f"<tr><td>{p.partition}</td><td>{p.first_offset}..{p.next_offset - 1}</td><td>{boxes}</td>"
                    f"{group}</tr>")
    group_head = "" if state.group is None else "<th>committed</th><th>lag</th>"
    members = "".join(f"<li>{escape(name)} owns {owned}</li>" for name, owned in sorted(state.members.items()))
    title = f"topic <b>{escape(state.topic)}</b>" + (f", group <b>{escape(state.group)}</b>" if state.group else "")
    read = time.strftime("%H:%M:%S", time.localtime(state.read_at))
    return (f"{title} <small>(read {read}; green = committed by the group)</small>"
            f"<table><tr><th>partition</th><th>offsets</th><th>newest messages</th>{group_head}</tr>"
            f"{''.join(rows)}</table>" + (f"<ul>{members}</ul>" if members else ""))
