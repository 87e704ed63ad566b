"""The producer form: type a key and a value, click Send, see where it landed."""
from __future__ import annotations

from html import escape

import ipywidgets as w

from ...client.config import ProducerConfig, as_connection
from ...client.errors import CodealongError
from ...client.producer import Delivery, SyncProducer
from ...client.names import topic_name_problem
from .common import _ERROR_STYLE, _OK_STYLE, _error_html

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
