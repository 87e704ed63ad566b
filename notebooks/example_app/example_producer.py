"""The seed's ExampleProducer: one function, three ways to call it."""
from pathlib import Path

from helpers import SyncProducer, load_config

HERE = Path(__file__).parent
_producer = None


def producer():
    global _producer
    if _producer is None:  # made on first use, so importing this module needs no broker
        _producer = SyncProducer(load_config(HERE / "producer.toml").producer)
    return _producer


def send_my_message(*args):
    """send_my_message((key, value), topic) | send_my_message(key, value) | send_my_message(value)"""
    if len(args) == 2 and isinstance(args[0], tuple):
        (key, value), topic = args
        return producer().produce_sync(topic, key, value)
    if len(args) == 2:
        key, value = args
        return producer().produce_sync(key, value)  # to the first configured topic
    (value,) = args
    return producer().produce_sync("sample_key", value)
