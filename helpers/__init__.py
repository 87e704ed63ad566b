"""kafka-codealong's helpers: what Kaffe is to the Elixir tutorial, on confluent-kafka.

The package has four layers, one folder each:

- ``helpers.client``: the Kafka library on confluent-kafka (imports nothing from the others):
  configs and the ``Connection``, ``SyncProducer``, the supervised ``ConsumerWorker`` with its
  ``RetryPolicy`` and ``DeadLetter`` option, ``ShareWorker``, topics, names, errors
- ``helpers.broker``: the embedded Kafka broker (``ensure_broker()``): Java, jars, the process
- ``helpers.course``: what the notebooks use: the setup cell, exercises, widgets, plots, the
  chapters' demonstrations, Kafka's own tools, the learner edition and ``codealong run``
- ``helpers.workshop``: a room on one cluster: users and ACLs, join sheets, the progress board

The library's public names are importable from ``helpers`` itself (see ``__all__``).
"""
from .client.application import Application
from .broker import ensure_broker
from .client.config import (CodealongConfig, ConfigError, Connection, ConsumerConfig, ProducerConfig, credentials,
                     load_config, parse_config)
from .client.consumer import NO_COMMIT, OK, CommitUpTo, ConsumerWorker, HandlerError, WorkerFailed
from .client.dead_letter import DeadLetter
from .client.errors import CodealongError
from .client.names import InvalidLearnerName, InvalidTopicName, check_topic_name, current_learner, scoped
from .client.producer import Delivery, MessageTypeError, ProduceError, SyncProducer
from .client.retry import RetryPolicy
from .client.share import REJECT, ShareWorker
from .client.testing import capture_produced
from .client.topics import TopicError, create_topic, delete_topic, recreate_topic

__all__ = [
    "Application", "ensure_broker", "CodealongConfig", "ConfigError", "Connection", "ConsumerConfig",
    "ProducerConfig", "load_config", "parse_config", "NO_COMMIT", "OK", "CommitUpTo", "ConsumerWorker",
    "HandlerError", "WorkerFailed", "CodealongError", "Delivery", "MessageTypeError", "ProduceError",
    "SyncProducer", "RetryPolicy", "capture_produced", "InvalidTopicName", "TopicError", "check_topic_name",
    "create_topic", "delete_topic", "recreate_topic", "credentials", "scoped", "current_learner",
    "InvalidLearnerName", "DeadLetter", "REJECT", "ShareWorker",
]
