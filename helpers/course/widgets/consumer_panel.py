"""The consumer panel: a supervised worker whose handled messages appear as they arrive."""
from __future__ import annotations

import logging
import threading
from collections import deque
from dataclasses import replace
from html import escape
from typing import Callable, ClassVar

import ipywidgets as w

from ...client.config import ConsumerConfig, as_connection
from ...client.consumer import OK, ConsumerWorker
from ...client.errors import CodealongError
from ...client.retry import RetryPolicy
from .common import _ERROR_STYLE, _OK_STYLE

log = logging.getLogger(__name__)


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
