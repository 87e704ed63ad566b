"""What the helpers cost per message: SyncProducer.produce_batch and ConsumerWorker against raw
confluent-kafka doing the same work on the same broker, in ONE run, as ratios.

Every row sends (or reads) the same messages (str keys, `size`-byte values) to one topic of 6
partitions, with the producer settings SyncProducer uses (idempotent, acks=all, linger.ms=5);
each figure is the median of `repeat` runs, the rows taken in a rotating order so that none
always runs first. Consumers are timed from their first message to the last (group joins are
not throughput). Nothing is asserted.

    codealong bench --throughput [--messages 20000] [--repeat 5] [--profile]
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import time
import uuid
from typing import Callable

from confluent_kafka import Producer

from helpers import SyncProducer, create_topic
from helpers.client.config import ProducerConfig

from .helpers_vs_raw import check_count, helper_consume, raw_consume

PARTITIONS = 6
RAW = "raw fire-and-forget (produce loop, one flush)"
LAMBDA_POLL = "raw, a lambda callback and poll(0) per message"
SHARED = "raw, one shared append callback, results after one flush"
BATCH_CLIENT = "SyncProducer.produce_batch, client partitioner"
BATCH_MD5 = "SyncProducer.produce_batch, md5 (Kaffe)"
RAW_CONSUMER = "raw consumer poll loop"
WORKER = "ConsumerWorker, no-op handler"
PRODUCER_ROWS = (RAW, LAMBDA_POLL, SHARED, BATCH_CLIENT, BATCH_MD5)
GOALS = {BATCH_CLIENT: 0.9, BATCH_MD5: 0.75, WORKER: 0.9}


def raw_producer(bootstrap: str, topic: str) -> Producer:
    """A producer with SyncProducer's settings, warmed up as SyncProducer is by its first call:
    connection, metadata and producer id are in place before the clock starts."""
    producer = Producer(ProducerConfig(endpoints=(bootstrap,)).client_settings())
    producer.list_topics(topic, timeout=10)
    producer.produce(topic, b"warm-up")
    producer.flush(10)
    return producer


def _produce_all(producer: Producer, topic: str, messages: list[tuple], **callback) -> None:
    produce = producer.produce
    for key, value in messages:
        try:
            produce(topic, value, key, **callback)
        except BufferError:  # the local queue is full: let it drain
            producer.poll(0.05)
            produce(topic, value, key, **callback)


class Clock:
    """Wall and CPU (this process, every thread: the client's too) seconds since started."""

    def __init__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def read(self) -> tuple[float, float]:
        return time.perf_counter() - self.wall, time.process_time() - self.cpu


def raw_fire_and_forget(bootstrap: str, topic: str, messages: list[tuple]) -> tuple[float, float]:
    producer = raw_producer(bootstrap, topic)
    clock = Clock()
    _produce_all(producer, topic, messages)
    unsent = producer.flush(60)
    elapsed = clock.read()
    check_count(RAW, len(messages) - unsent, len(messages))
    return elapsed


def raw_lambda_poll(bootstrap: str, topic: str, messages: list[tuple]) -> tuple[float, float]:
    producer = raw_producer(bootstrap, topic)
    delivered: list = []
    produce, poll = producer.produce, producer.poll
    clock = Clock()
    for key, value in messages:
        try:
            produce(topic, value, key, on_delivery=lambda err, msg: delivered.append((err, msg)))
        except BufferError:
            poll(0.05)
            produce(topic, value, key, on_delivery=lambda err, msg: delivered.append((err, msg)))
        poll(0)
    producer.flush(60)
    elapsed = clock.read()
    check_count(LAMBDA_POLL, len(delivered), len(messages))
    return elapsed


def raw_shared_append(bootstrap: str, topic: str, messages: list[tuple]) -> tuple[float, float]:
    producer = raw_producer(bootstrap, topic)
    reports: list = []
    append = reports.append

    def on_delivery(err, msg):
        append((err, msg))
    clock = Clock()
    _produce_all(producer, topic, messages, on_delivery=on_delivery)
    producer.flush(60)
    results = [(msg.partition(), msg.offset()) for err, msg in reports if err is None]
    elapsed = clock.read()
    check_count(SHARED, len(results), len(messages))
    return elapsed


def batch_producer(bootstrap: str, strategy: str) -> Callable[[str, list[tuple]], tuple[float, float]]:
    def run(topic: str, messages: list[tuple]) -> tuple[float, float]:
        producer = SyncProducer(endpoints=[bootstrap], timeout_s=60, partition_strategy=strategy)
        producer.produce(topic, b"", key="warm-up")  # as raw_producer: connection, metadata, producer id
        clock = Clock()
        delivered = producer.produce_batch(topic, messages)
        elapsed = clock.read()
        producer.close()
        check_count(f"produce_batch ({strategy})", len(delivered), len(messages))
        return elapsed
    return run


def measure(bootstrap: str, messages: int, size: int, repeat: int, profile: bool = False) -> dict:
    """Rows of msg/s (median, spread, runs, ratio to the raw row of their side) and of CPU
    microseconds per message (median, ratio to raw: what the work costs, whatever the load)."""
    batch = [(str(i), b"x" * size) for i in range(messages)]
    topic = f"throughput-{uuid.uuid4().hex[:8]}"
    create_topic(bootstrap, topic, partitions=PARTITIONS)
    producers = {RAW: lambda: raw_fire_and_forget(bootstrap, topic, batch),
                 LAMBDA_POLL: lambda: raw_lambda_poll(bootstrap, topic, batch),
                 SHARED: lambda: raw_shared_append(bootstrap, topic, batch),
                 BATCH_CLIENT: lambda: batch_producer(bootstrap, "client")(topic, batch),
                 BATCH_MD5: lambda: batch_producer(bootstrap, "md5")(topic, batch)}
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in (*PRODUCER_ROWS, RAW_CONSUMER, WORKER)}
    for run in range(repeat):
        for name in PRODUCER_ROWS[run % 5:] + PRODUCER_ROWS[:run % 5]:  # a rotating order
            runs[name].append(producers[name]())
        # The topic now holds at least `messages`: both consumers read the first `messages` of it.
        for name, consume in ((RAW_CONSUMER, raw_consume), (WORKER, helper_consume))[::1 if run % 2 else -1]:
            runs[name].append(consume(bootstrap, topic, messages))
    rows = {}
    for name, timings in runs.items():
        rates = [messages / wall for wall, _ in timings]
        rows[name] = {"median": statistics.median(rates), "spread": max(rates) - min(rates), "runs": rates,
                      "cpu_us": statistics.median(cpu for _, cpu in timings) * 1e6 / messages}
    for name, row in rows.items():
        raw = rows[RAW if name in PRODUCER_ROWS else RAW_CONSUMER]
        row["ratio"], row["cpu_ratio"] = row["median"] / raw["median"], row["cpu_us"] / raw["cpu_us"]
        # The second baseline: raw confluent-kafka that also learns each message's offset (what
        # any call returning a result per message must do), so the helpers' own cost shows.
        row["ratio_to_results"] = row["median"] / rows[SHARED]["median"] if name in PRODUCER_ROWS else None
    if profile:
        print_profile(bootstrap, topic, batch)
    return rows


def print_rows(rows: dict, size: int, messages: int, repeat: int, quick: bool = False) -> None:
    print(f"\nThroughput, {size}-byte values, {messages} messages, {PARTITIONS} partitions, median of {repeat}")
    if quick:
        print("  (quick: a smoke run; with so few messages these figures are not measurements)")
    print("  ratio: to raw fire-and-forget (producers) or the raw poll loop (consumers); with results:"
          " to the raw\n  loop with one shared callback, which learns every message's offset as produce_batch does")
    print(f"  {'':58}{'msg/s':>10}{'spread':>9}{'MB/s':>7}{'ratio':>7}{'with results':>13}{'CPU us/msg':>12}"
          f"{'CPU ratio':>10}")
    for name, row in rows.items():
        to_results = "" if row["ratio_to_results"] is None else f"{row['ratio_to_results']:.2f}"
        print(f"  {name:58}{row['median']:>10.0f}{row['spread']:>9.0f}{row['median'] * size / 1e6:>7.1f}"
              f"{row['ratio']:>7.2f}{to_results:>13}{row['cpu_us']:>12.2f}{row['cpu_ratio']:>10.2f}")


def goals(rows: dict) -> dict:
    shown = {f"{name} / raw": {"goal": goal, "measured": rows[name]["ratio"]} for name, goal in GOALS.items()}
    for name in (BATCH_CLIENT, BATCH_MD5):  # the same goals against the raw loop that also gets results
        shown[f"{name} / raw with results"] = {"goal": GOALS[name], "measured": rows[name]["ratio_to_results"]}
    return shown


def print_profile(bootstrap: str, topic: str, batch: list[tuple]) -> None:
    """Where produce_batch spends its time (cProfile, md5 then the client partitioner)."""
    for strategy in ("md5", "client"):
        producer = SyncProducer(endpoints=[bootstrap], timeout_s=60, partition_strategy=strategy)
        producer.produce(topic, b"", key="warm-up")
        profiler = cProfile.Profile()
        profiler.runcall(producer.produce_batch, topic, batch)
        producer.close()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(12)
        print(f"\ncProfile of produce_batch, {strategy}, {len(batch)} messages (by own time):")
        print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:4000])


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="codealong bench --throughput", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run, not a measurement")
    parser.add_argument("--messages", type=int, default=None, help="messages per run (default 20000)")
    parser.add_argument("--size", type=int, default=100, help="bytes per value (default 100)")
    parser.add_argument("--repeat", type=int, default=None, help="runs per row (default 5; quick: 1)")
    parser.add_argument("--profile", action="store_true", help="also print cProfile of produce_batch")
    args = parser.parse_args(argv)
    from helpers import ensure_broker

    messages = args.messages or (1000 if args.quick else 20000)
    repeat = args.repeat or (1 if args.quick else 5)
    rows = measure(ensure_broker(), messages, args.size, repeat, args.profile)
    print_rows(rows, args.size, messages, repeat, args.quick)
    print("\nGoals (shown, not asserted)")
    for name, row in goals(rows).items():
        met = "met" if row["measured"] >= row["goal"] else "MISSED"
        print(f"  {name:64} goal >= {row['goal']:<5} measured {row['measured']:.2f}  {met}")
    return rows


if __name__ == "__main__":
    main()
