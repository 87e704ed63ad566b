"""kafka-codealong's helpers: what Kaffe is to the Elixir tutorial, on confluent-kafka.

- ``helpers.broker``: the embedded Kafka broker (``ensure_broker()``)
- ``helpers.config``: Kaffe-style configuration from TOML; ``Connection``, where Kafka is
- ``helpers.producer``: ``SyncProducer``: ``produce``, ``produce_batch`` and Kaffe's ``produce_sync``
- ``helpers.consumer``: ``ConsumerWorker``, a supervised consumer calling your handler
- ``helpers.retry``: ``RetryPolicy``, the backoff and give-up rule of a worker
- ``helpers.dead_letter``: ``DeadLetter``, where a worker puts a message that keeps failing
- ``helpers.share``: ``ShareWorker``, a share-group member calling your handler (``REJECT`` gives up)
- ``helpers.application``: which workers run in prod, test and dev
- ``helpers.topics``: create, delete and recreate topics
- ``helpers.testing``: ``capture_produced`` for your own tests
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
