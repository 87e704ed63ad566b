"""Widgets for watching Kafka work: a producer form, a live consumer panel and a topic view.

    form = ProducerForm(BOOTSTRAP_SERVERS)                  # type, click Send
    panel = ConsumerPanel(BOOTSTRAP_SERVERS).start()        # messages appear as they arrive
    view = TopicView(BOOTSTRAP_SERVERS, "another_topic", group=panel.group)

Each is a thin layer over the tested helpers (SyncProducer, ConsumerWorker,
read_topic_state); every button has a method of the same meaning (``form.send()``,
``panel.stop()``, ``view.refresh()``), so code and tests can do what a click does.
Background threads (the consumer worker, the refresh timer) update the widgets through
their traits and never print. ``repr()`` and ``text()`` are plain and stable, so a saved
notebook compares the same way each run.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import replace
from html import escape
from typing import Callable, ClassVar

import ipywidgets as w

from ..client.config import ConsumerConfig, ProducerConfig, as_connection
from ..client.consumer import OK, ConsumerWorker
from ..client.deadline import Deadline
from ..client.errors import CodealongError
from ..client.producer import Delivery, SyncProducer
from ..client.topic_state import TopicState, read_topic_state
from .drawing import draw_topic_state
from ..client.names import topic_name_problem
from ..client.retry import RetryPolicy

log = logging.getLogger(__name__)

_ERROR_STYLE = "color:#a00000"
_OK_STYLE = "color:#006400"


def _error_html(err: CodealongError) -> str:
    return (f"<div style='{_ERROR_STYLE}'><b>{escape(type(err).__name__)}</b>: {escape(err.cause)}"
            f"<br><b>Fix:</b> {escape(err.fix)}</div>")


# ---- producer form ------------------------------------------------------------------------
class ProducerForm(w.VBox):
    """Topic, key, value and partitioner; Send waits for the broker's acknowledgement and
    shows where the message went, or the error with its fix. The topic name is checked as
    you type, before anything is sent."""

    def __init__(self, where, topic: str = "another_topic", key: str = "Metamorphosis",
                 value: str = "Franz Kafka", strategy: str = "md5", timeout_s: float = 10.0):
        """`where`: a bootstrap string, a Connection or a config (for a secured cluster)."""
        self.connection, self.timeout_s = as_connection(where), timeout_s
        self.topic = w.Text(value=topic, description="topic")
        self.topic_check = w.HTML()
        self.key = w.Text(value=key, description="key", placeholder="empty: no key")
        self.value = w.Textarea(value=value, description="value")
        self.strategy = w.Dropdown(options=["md5", "random"], value=strategy, description="partitioner")
        self.send_button = w.Button(description="Send", button_style="primary", icon="paper-plane")
        self.result = w.HTML()
        self.deliveries: list[Delivery] = []
        self.last_error: CodealongError | None = None
        self._producers: dict[str, SyncProducer] = {}
        self.topic.observe(lambda change: self._check_topic(), names="value")
        self.send_button.on_click(lambda button: self.send())
        super().__init__([self.topic, self.topic_check, self.key, self.value, self.strategy, self.send_button,
                          self.result])
        self._check_topic()

    def __repr__(self) -> str:
        return (f"ProducerForm(topic={self.topic.value!r}, key={self.key.value!r}, value={self.value.value!r}, "
                f"partitioner={self.strategy.value!r}, sent={len(self.deliveries)})")

    def _check_topic(self) -> bool:
        problem = topic_name_problem(self.topic.value)
        if problem:
            self.topic_check.value = (f"<span style='{_ERROR_STYLE}'>✗ Kafka would refuse this name: "
                                      f"{escape(problem)}.</span>")
        else:
            self.topic_check.value = f"<span style='{_OK_STYLE}'>✓ a valid topic name</span>"
        self.send_button.disabled = bool(problem)
        return not problem

    def _producer(self) -> SyncProducer:
        strategy = self.strategy.value
        if strategy not in self._producers:
            self._producers[strategy] = SyncProducer(ProducerConfig(
                endpoints=self.connection.endpoints, security=self.connection.security,
                partition_strategy=strategy, timeout_s=self.timeout_s))
        return self._producers[strategy]

    def send(self) -> Delivery | None:
        """What Send does: the delivery, or None once the error is shown (and kept in last_error)."""
        if not self._check_topic():
            return None
        self.send_button.disabled = True  # one send at a time
        self.result.value = "sending…"
        try:
            delivery = self._producer().produce_sync(self.topic.value, self.key.value or None, self.value.value)
        except CodealongError as err:
            self.last_error = err
            self.result.value = _error_html(err)
            return None
        finally:
            self.send_button.disabled = False
        self.last_error = None
        self.deliveries.append(delivery)
        self.result.value = (f"<span style='{_OK_STYLE}'>✓ written to <b>{escape(delivery.topic)}</b> partition "
                             f"<b>{delivery.partition}</b> at offset <b>{delivery.offset}</b></span>")
        return delivery

    def close(self) -> None:
        for producer in self._producers.values():
            producer.close(timeout=self.timeout_s)
        self._producers.clear()
        super().close()


# ---- consumer panel -----------------------------------------------------------------------
class ConsumerPanel(w.VBox):
    """A supervised consumer you start and stop with buttons; each message the handler sees
    is added to a table with the handler's result. Panels are registered by consumer name:
    starting one replaces the running panel of the same name (a re-run cell never leaves two
    consumers behind)."""

    panels: ClassVar[dict[str, "ConsumerPanel"]] = {}

    def __init__(self, where, topics=("another_topic",), group: str = "playground",
                 handler: Callable | None = None, earliest: bool = False, show: int = 15, name: str | None = None,
                 retry: RetryPolicy | None = None):
        """`where`: a bootstrap string, a Connection or a config; `retry` goes (a fresh copy at each
        start) to the ConsumerWorker."""
        self.group = group
        self.name = name or f"panel-{group}"
        connection = as_connection(where)
        self.config = ConsumerConfig(endpoints=connection.endpoints, security=connection.security,
                                     topics=tuple(topics), consumer_group=group, start_with_earliest_message=earliest)
        self.handler = handler or (lambda message: OK)
        self.retry = retry
        self.worker: ConsumerWorker | None = None
        self.received = 0
        self.confirmed = 0
        self.rows: deque[tuple[dict, str]] = deque(maxlen=show)
        self._lock = threading.Lock()
        self.start_button = w.Button(description="Start", icon="play")
        self.stop_button = w.Button(description="Stop", icon="stop", disabled=True)
        self.status = w.HTML()
        self.table = w.HTML()
        self.start_button.on_click(lambda button: self.start())
        self.stop_button.on_click(lambda button: self.stop())
        super().__init__([w.HBox([self.start_button, self.stop_button, self.status]), self.table])
        self._show_status("stopped")
        self._render()

    def __repr__(self) -> str:
        return f"ConsumerPanel(group={self.group!r}, topics={list(self.config.topics)})"

    # ---- buttons ------------------------------------------------------------------------
    def start(self, wait_s: float = 15.0) -> "ConsumerPanel":
        """Start consuming (replacing the running panel of the same name) and wait, at most
        `wait_s`, until the group assigned partitions, so what is sent next is seen."""
        previous = self.panels.get(self.name)
        if previous is not None and previous is not self:
            previous.stop()
            previous._show_status("replaced by a newer panel")
        self.panels[self.name] = self
        # A fresh copy of the policy per start: no failure of an earlier run counts against this one.
        retry = replace(self.retry) if self.retry is not None else None
        self.worker = ConsumerWorker(self.config, self._handle, name=self.name, retry=retry)
        self.worker.on_state = self._on_worker_state
        self.worker.start()
        self.start_button.disabled, self.stop_button.disabled = True, False
        self._show_status("joining the group…")
        assigned = self.worker.wait_for_assignment(wait_s)
        if self.worker.state == "running":
            self._show_status(f"running; owns {_partitions_text(assigned)}" if assigned else
                              f"running, no partitions assigned yet (after {wait_s:g} s)")
        return self

    def _on_worker_state(self, state: str) -> None:
        """The worker's state changes, shown as they happen (called from the worker's thread)."""
        worker = self.worker
        if state == "retrying" and worker is not None and worker.errors:
            self._show_status(f"retrying after a failure ({worker.retries} so far): {worker.errors[-1]}")
        elif state == "failed" and worker is not None and worker.failure is not None:
            self._show_status(f"gave up: {worker.failure.cause} Fix: {worker.failure.fix}")
            self.start_button.disabled, self.stop_button.disabled = False, True
        elif state == "running" and worker is not None and worker.retries:
            self._show_status(f"running again (after retry {worker.retries})")

    def stop(self) -> None:
        """Stop the consumer; it commits what the handler confirmed and leaves the group."""
        if self.worker is not None:
            self.worker.stop()
        if self.panels.get(self.name) is self:
            del self.panels[self.name]
        self.start_button.disabled, self.stop_button.disabled = False, True
        if self.worker is None or self.worker.state != "failed":
            self._show_status("stopped")

    def close(self) -> None:
        self.stop()
        super().close()

    # ---- what the worker calls (in its own thread) -------------------------------------
    def _handle(self, message: dict):
        try:
            result = self.handler(message)
        except Exception as err:
            self._add(message, f"raised {type(err).__name__}: {err}", confirmed=False)
            raise  # the worker pauses the partition and the message comes again
        self._add(message, "ok" if result == OK else repr(result), confirmed=result == OK)
        return result

    def _add(self, message: dict, outcome: str, confirmed: bool) -> None:
        with self._lock:
            self.received += 1
            self.confirmed += confirmed
            self.rows.append((message, outcome))
            self._render()

    # ---- reading it -------------------------------------------------------------------
    def wait_for(self, count: int = 1, timeout: float = 10.0) -> list[dict]:
        """Up to `count` messages the handler confirmed, waiting at most `timeout` seconds."""
        if self.worker is None:
            raise CodealongError("The panel's consumer was never started.", "Click Start (or call panel.start()).")
        return self.worker.wait_for(count, timeout)

    def text(self) -> str:
        """The table as plain text: partition, offset, key, value, handler result."""
        with self._lock:
            rows = list(self.rows)
        lines = [f"{self.received} received, {self.confirmed} confirmed"]
        lines += [f"  {m['topic']}[{m['partition']}] {m['key']!r}: {m['value']!r} -> {outcome}" for m, outcome in rows]
        return "\n".join(lines)

    def _show_status(self, text: str) -> None:
        self.status.value = f"<i>{escape(text)}</i>"

    def _render(self) -> None:
        header = ("<tr><th>topic</th><th>partition</th><th>offset</th><th>key</th><th>value</th>"
                  "<th>handler</th></tr>")
        body = "".join(
            f"<tr><td>{escape(m['topic'])}</td><td>{m['partition']}</td><td>{m['offset']}</td>"
            f"<td>{escape(str(m['key']))}</td><td>{escape(str(m['value']))}</td>"
            f"<td style='{_OK_STYLE if outcome == 'ok' else _ERROR_STYLE}'>{escape(outcome)}</td></tr>"
            for m, outcome in reversed(self.rows))
        self.table.value = (f"<b>{self.received}</b> received, <b>{self.confirmed}</b> confirmed"
                            f"<table class='codealong-messages'>{header}{body}</table>")


def _partitions_text(assigned: list[tuple[str, int]]) -> str:
    return ", ".join(f"{topic}[{partition}]" for topic, partition in assigned)


# ---- topic view ---------------------------------------------------------------------------
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
