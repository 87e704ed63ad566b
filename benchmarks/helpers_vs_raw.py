"""The measurements behind `codealong bench` (benchmarks.suite; producing: benchmarks.throughput):
the helpers and raw confluent-kafka doing the same work on the same broker, each function
returning seconds or latencies. Nothing is asserted."""
from __future__ import annotations

import statistics
import threading
import time
import uuid

from confluent_kafka import Consumer, Producer

from helpers import OK, ConsumerConfig, ConsumerWorker, SyncProducer, create_topic
from helpers.client.config import ProducerConfig


def check_count(side: str, got: int, wanted: int) -> None:
    """A side that handled fewer messages than asked measured something else: stop the benchmark."""
    if got < wanted:
        raise RuntimeError(f"{side}: {got} of {wanted} messages; the figures would be meaningless")


def raw_consume(bootstrap: str, topic: str, count: int) -> tuple[float, float]:
    """Wall and CPU seconds from the first message to the `count`-th (joining the group is not
    throughput)."""
    consumer = Consumer({**ConsumerConfig(endpoints=(bootstrap,), consumer_group=f"raw-{uuid.uuid4().hex}",
                                          start_with_earliest_message=True).client_settings()})
    consumer.subscribe([topic])
    got, began, cpu = 0, None, 0.0
    deadline = time.perf_counter() + 120
    try:
        while got < count and time.perf_counter() < deadline:
            msg = consumer.poll(0.2)
            if msg is not None and not msg.error():
                if began is None:
                    began, cpu = time.perf_counter(), time.process_time()
                got += 1
                consumer.store_offsets(msg)
        elapsed = time.perf_counter() - (began or deadline), time.process_time() - cpu
    finally:
        consumer.close()
    check_count("raw consume", got, count)
    return elapsed


def helper_consume(bootstrap: str, topic: str, count: int) -> tuple[float, float]:
    """As raw_consume, with a ConsumerWorker and a no-op handler."""
    config = ConsumerConfig(endpoints=(bootstrap,), topics=(topic,), consumer_group=f"h-{uuid.uuid4().hex}",
                            start_with_earliest_message=True)
    done = threading.Event()
    seen = [0]
    times = [0.0] * 4  # wall and CPU clocks at the first and the count-th message

    def no_op(message):
        seen[0] += 1
        if seen[0] == 1:
            times[0:2] = time.perf_counter(), time.process_time()
        if seen[0] == count:
            times[2:4] = time.perf_counter(), time.process_time()
            done.set()
        return OK
    worker = ConsumerWorker(config, no_op, name=f"bench-{uuid.uuid4().hex}", keep=1).start()
    done.wait(120)
    worker.stop()
    check_count("helpers ConsumerWorker", seen[0], count)
    return times[2] - times[0], times[3] - times[1]


def metamorphosis_seconds(bootstrap: str) -> float:
    """From a started broker to the Metamorphosis message reaching a new worker's handler."""
    began = time.perf_counter()
    topic = f"another_topic-{uuid.uuid4().hex[:6]}"
    create_topic(bootstrap, topic)
    config = ConsumerConfig(endpoints=(bootstrap,), topics=(topic,), consumer_group=f"m-{uuid.uuid4().hex}")
    with ConsumerWorker(config, lambda message: OK, name=f"m-{uuid.uuid4().hex}") as worker:
        worker.wait_for_assignment(timeout=30)
        with SyncProducer(endpoints=[bootstrap]) as producer:
            producer.produce_sync(topic, "Metamorphosis", "Franz Kafka")
        assert worker.wait_for(1, timeout=30), "the message did not reach the handler"
    return time.perf_counter() - began


def helper_latency(bootstrap: str, topic: str, samples: int) -> list[float]:
    create_topic(bootstrap, topic)
    arrived: dict[str, float] = {}
    cond = threading.Condition()

    def record(message):
        with cond:
            arrived[message["key"]] = time.perf_counter()
            cond.notify_all()
        return OK
    config = ConsumerConfig(endpoints=(bootstrap,), topics=(topic,), consumer_group=f"lat-{uuid.uuid4().hex}",
                            start_with_earliest_message=True)
    worker = ConsumerWorker(config, record, name=f"lat-{uuid.uuid4().hex}", keep=1).start()
    worker.wait_for_assignment()
    producer = SyncProducer(endpoints=[bootstrap])
    run = uuid.uuid4().hex[:8]  # keys of this run only: the topic may hold an earlier run's
    latencies = []
    try:
        for i in range(samples):
            key = f"{run}-{i}"
            sent = time.perf_counter()
            producer.produce_sync(topic, key, b"x")
            with cond:
                if not cond.wait_for(lambda: key in arrived, timeout=10):
                    raise TimeoutError(f"message {key} did not reach the handler within 10 s")
            latencies.append((arrived[key] - sent) * 1000)
    finally:
        worker.stop()
    return latencies


def raw_latency(bootstrap: str, topic: str, samples: int) -> list[float]:
    create_topic(bootstrap, topic)
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"rl-{uuid.uuid4().hex}",
                         "auto.offset.reset": "earliest"})
    assigned = threading.Event()
    consumer.subscribe([topic], on_assign=lambda c, p: assigned.set())
    producer = Producer(ProducerConfig(endpoints=(bootstrap,)).client_settings())
    run = uuid.uuid4().hex[:8]
    latencies = []
    try:
        deadline = time.monotonic() + 30
        while not assigned.is_set() and time.monotonic() < deadline:
            consumer.poll(0.1)
        for i in range(samples):
            key = f"{run}-{i}".encode()
            sent = time.perf_counter()
            producer.produce(topic, b"x", key)
            producer.flush(10)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                msg = consumer.poll(0.5)
                if msg is not None and not msg.error() and msg.key() == key:
                    latencies.append((time.perf_counter() - sent) * 1000)
                    break
    finally:
        consumer.close()
    check_count("raw latency", len(latencies), samples)
    return latencies


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1]
