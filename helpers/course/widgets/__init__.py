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
from .consumer_panel import ConsumerPanel
from .producer_form import ProducerForm
from .topic_view import TopicView

__all__ = ["ConsumerPanel", "ProducerForm", "TopicView"]
