"""kafka-codealong's helpers: what Kaffe is to the Elixir tutorial, on confluent-kafka.

- ``helpers.broker``: the embedded Kafka broker (``ensure_broker()``)
- ``helpers.config``: Kaffe-style configuration from TOML
- ``helpers.producer``: ``SyncProducer.produce_sync`` in all of Kaffe's forms
- ``helpers.consumer``: ``ConsumerWorker``, a supervised consumer calling your handler
- ``helpers.application``: which workers run in prod, test and dev
- ``helpers.testing``: ``capture_produced`` for your own tests
"""
from .application import Application
from .broker import ensure_broker
from .config import CodealongConfig, ConfigError, ConsumerConfig, ProducerConfig, load_config, parse_config
from .consumer import NO_COMMIT, OK, CommitUpTo, ConsumerWorker, HandlerError, WorkerFailed
from .errors import CodealongError
from .producer import Delivery, MessageTypeError, ProduceError, SyncProducer
from .testing import capture_produced
from .topics import InvalidTopicName, check_topic_name, create_topic, delete_topic, recreate_topic

__all__ = [
    "Application", "ensure_broker", "CodealongConfig", "ConfigError", "ConsumerConfig", "ProducerConfig",
    "load_config", "parse_config", "NO_COMMIT", "OK", "CommitUpTo", "ConsumerWorker", "HandlerError",
    "WorkerFailed", "CodealongError", "Delivery", "MessageTypeError", "ProduceError", "SyncProducer",
    "capture_produced", "InvalidTopicName", "check_topic_name", "create_topic", "delete_topic", "recreate_topic",
]
