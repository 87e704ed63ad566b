"""The claims of chapters 10-14 (keys, delivery and replay, retention and compaction, Kafka 4's
consumer protocol, share groups), each checked against the real broker."""
from __future__ import annotations

import time
from collections import Counter

import pytest

from helpers import OK, ConfigError, ConsumerWorker, SyncProducer, create_topic
from helpers.client.dead_letter import DeadLetter
from helpers.course.demos.delivery import crash_experiment
from helpers.course.demos.keys import JAVA, where_keys_land
from helpers.client.partitioner import md5_partition, murmur2, murmur2_partition
from helpers.client.deadline import Deadline
from helpers.course.demos import rebalance
from helpers.course.demos.rebalance import Timeline, describe_settling, rebalance_timeline
from helpers.course.demos.retention import dump_segment, segment_dir, watch_log
from helpers.client.retry import RetryPolicy
from helpers.client.consumer import WorkerFailed
from helpers.client.share import REJECT, ShareWorker, configure_share_group
from helpers.course.demos.share_demo import kill_a_member_holding_records

from conftest import read_topic


def send(kafka: str, topic: str, pairs) -> list:
    with SyncProducer(endpoints=[kafka]) as producer:
        return producer.produce_sync(topic, list(pairs))


# ---- dead letters ----------------------------------------------------------------------------
def test_a_poison_message_lands_on_the_dead_letter_topic_once_with_its_headers(kafka, unique, consumer_config):
    topic, dead = f"orders-{unique}", f"orders-{unique}.dead"
    create_topic(kafka, topic)
    create_topic(kafka, dead)
    send(kafka, topic, [("a", "1"), ("poison", "2"), ("b", "3")])
    calls = []

    def handle(message):
        calls.append(message["key"])
        if message["key"] == "poison":
            raise ValueError("cannot parse 2")
        return OK

    fast = RetryPolicy(max_retries=1, backoff_s=(0.05, 0.1))  # would give up at the 2nd failure without dead letters
    with ConsumerWorker(consumer_config(topic), handle, retry=fast, dead_letter=DeadLetter(dead, after=3)) as worker:
        confirmed = worker.wait_for(2, timeout=20)
        assert worker.state == "running"
    assert [m["key"] for m in confirmed] == ["a", "b"]   # the worker went on past the poison message
    assert calls.count("poison") == 3
    assert [m["key"] for m in worker.dead_lettered] == ["poison"]
    [copy] = read_topic(kafka, dead, expected=1)
    headers = dict(copy["headers"])
    assert (copy["key"], copy["value"]) == ("poison", "2")
    assert headers["dead_letter.topic"] == topic and headers["dead_letter.partition"] == "0"
    assert headers["dead_letter.offset"] == "1" and headers["dead_letter.attempts"] == "3"
    assert "ValueError: cannot parse 2" in headers["dead_letter.error"]
    # Everything was committed: a new worker of the group finds nothing left to do.
    with ConsumerWorker(consumer_config(topic), lambda m: OK, name=f"again-{unique}") as again:
        again.wait_for_assignment()
        assert again.wait_for(1, timeout=3) == []
    assert len(read_topic(kafka, dead, expected=2, timeout=3)) == 1   # written once


def test_without_a_dead_letter_topic_the_worker_still_gives_up_and_skips_nothing(kafka, unique, consumer_config):
    topic = f"orders-{unique}"
    create_topic(kafka, topic)
    send(kafka, topic, [("poison", "1"), ("b", "2")])

    def handle(message):
        if message["key"] == "poison":
            raise ValueError("bad")
        return OK

    worker = ConsumerWorker(consumer_config(topic), handle, retry=RetryPolicy(max_retries=2, backoff_s=(0.05, 0.1)))
    with worker:
        assert Deadline(15).until(lambda: worker.state == "failed")
    assert "bad" in str(worker.failure)
    # Nothing was skipped: the group starts again at the poison message.
    seen = []
    with ConsumerWorker(consumer_config(topic), lambda m: seen.append(m["key"]) or OK, name=f"b-{unique}") as w:
        w.wait_for(2, timeout=15)
    assert seen[:2] == ["poison", "b"]


def test_a_refused_dead_letter_write_keeps_the_message_uncommitted(kafka, unique, consumer_config):
    topic, dead = f"orders-{unique}", f"orders-{unique}.dead"
    create_topic(kafka, topic)
    create_topic(kafka, dead, config={"max.message.bytes": "200"})   # the broker refuses the copy
    send(kafka, topic, [("poison", "x" * 1000)])
    policy = RetryPolicy(max_retries=2, backoff_s=(0.05, 0.1))
    worker = ConsumerWorker(consumer_config(topic), lambda m: 1 / 0, retry=policy,
                            dead_letter=DeadLetter(dead, after=1))
    with worker:
        assert Deadline(30).until(lambda: worker.state == "failed")
    assert any("dead-letter topic" in str(report) and "too large" in str(report).lower() for report in worker.errors)
    seen = []
    with ConsumerWorker(consumer_config(topic), lambda m: seen.append(m["key"]) or OK, name=f"b-{unique}") as w:
        w.wait_for(1, timeout=15)
    assert seen == ["poison"]


def test_dead_letters_need_a_per_message_handler(consumer_config):
    with pytest.raises(ConfigError, match="per message"):
        ConsumerWorker(consumer_config("t", batch=True), lambda batch: OK, dead_letter=DeadLetter("t.dead"))
    with pytest.raises(Exception, match="at least once"):
        DeadLetter("t.dead", after=0)


# ---- rebalance protocols ---------------------------------------------------------------------
def test_rebalance_timelines_under_both_protocols(kafka, unique):
    topic = f"rebalance-{unique}"
    create_topic(kafka, topic, partitions=4)
    classic = rebalance_timeline(kafka, topic, "classic")
    consumer = rebalance_timeline(kafka, topic, "consumer")
    for timeline in (classic, consumer):
        assert [mark for _, mark in timeline.marks] == ["second joins", "second leaves"]
        assert set(timeline.settled_after) == {"second joins", "second leaves"}   # both settled
        assert {p for p, _, _ in timeline.owned["second"]} and len(timeline.owned["second"]) == 2
    # Classic (eager): the first member gives up all 4 when the second joins and its 2 again when
    # it leaves; KIP-848 takes away only the 2 that move.
    assert classic.revoked["first"] == 6
    assert consumer.revoked["first"] == 2
    assert consumer.paused["first"] == 0
    kept = [p for p, lo, hi in consumer.owned["first"] if lo < consumer.marks[0][0] and hi > consumer.marks[1][0]]
    assert len(kept) == 2   # two partitions stayed with the first member throughout
    # Per step (chapter 13's exercise 13.2), and the stop-the-world moments its figure shades.
    assert classic.gave_up == {"second joins": 4, "second leaves": 2}
    assert consumer.gave_up == {"second joins": 2, "second leaves": 0}
    assert len(classic.stops) == 2 and all(lo < hi for lo, hi in classic.stops) and consumer.stops == []


class _MemberThatNeverOwns:
    """Stands in for a ConsumerWorker in a group that never settles: it is never given a partition."""

    def __init__(self, config, handler, name):
        self.name, self.assignment, self.assignment_log = name, [], []

    def start(self):
        return self

    def stop(self):
        return True


def test_a_rebalance_that_never_settles_is_reported_not_dropped(monkeypatch):
    from types import SimpleNamespace

    metadata = SimpleNamespace(topics={"stuck": SimpleNamespace(partitions={0: None, 1: None})})
    monkeypatch.setattr(rebalance, "admin_for", lambda where: SimpleNamespace(list_topics=lambda *a, **k: metadata))
    monkeypatch.setattr(rebalance, "ConsumerWorker", _MemberThatNeverOwns)
    monkeypatch.setattr(rebalance, "wait_for_split", lambda workers, partitions, timeout: {})  # at once, unsettled
    timeline = rebalance_timeline("127.0.0.1:9092", "stuck", "consumer", timeout=5)
    assert [mark for _, mark in timeline.marks] == ["second joins", "second leaves"]
    assert timeline.settled_after == {"second joins": None, "second leaves": None}
    assert set(timeline.unowned) == {0, 1}                                # nobody ever owned them
    text = describe_settling(timeline)
    assert text.startswith("second joins: did not settle within ") and "second leaves: did not settle" in text


def test_settling_is_described_step_by_step():
    timeline = Timeline("classic", partitions=2)
    timeline.step(1.0, "second joins", waited=29.0, settled_in=3.04)
    timeline.step(6.0, "second leaves", waited=24.5, settled_in=None)
    assert describe_settling(timeline) == ("second joins: settled after 3.0 s, "
                                           "second leaves: did not settle within 24.5 s")


# ---- share groups ----------------------------------------------------------------------------
def _share_topic(kafka, unique, records=10, lock_ms=2000):
    topic, group = f"jobs-{unique}", f"workers-{unique}"
    create_topic(kafka, topic)
    configure_share_group(kafka, group, {"share.auto.offset.reset": "earliest",
                                         "share.record.lock.duration.ms": str(lock_ms)})
    send(kafka, topic, [(f"job-{i}", str(i)) for i in range(records)])
    return topic, group


def _drop_share_group(kafka, topic, group):
    """Delete the test's topic, its share group and the group's configs (which outlive the group)."""
    from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigResource, ResourceType

    from helpers.client.topics import admin_for, delete_topic

    delete_topic(kafka, topic)
    admin = admin_for(kafka)
    try:
        admin.delete_consumer_groups([group], request_timeout=10)[group].result(10)
    except Exception:  # never joined (only its configs exist), or a killed member's session not yet over
        pass
    configs = [ConfigEntry(name, "", incremental_operation=AlterConfigOpType.DELETE)
               for name in ("share.auto.offset.reset", "share.record.lock.duration.ms")]
    try:  # tidying only: the names are unique, so what a slow broker leaves behind harms no test
        for future in admin.incremental_alter_configs([ConfigResource(ResourceType.GROUP, group,
                                                                      incremental_configs=configs)]).values():
            future.result(30)
    except Exception as err:
        print(f"group configs of {group} left on the broker: {err}")


@pytest.fixture
def share_topic(kafka, unique):
    """_share_topic(kafka, unique, ...) whose topic, group and group configs go after the test."""
    made = []

    def make(records=10, lock_ms=2000):
        made.append(_share_topic(kafka, unique, records, lock_ms))
        return made[-1]
    yield make
    for topic, group in made:
        _drop_share_group(kafka, topic, group)


def test_a_new_share_group_starts_at_the_newest_record_unless_configured(kafka, unique):
    topic, group = f"jobs-{unique}", f"late-{unique}"
    create_topic(kafka, topic)
    send(kafka, topic, [("old", "sent before anyone joined")])
    try:
        with ShareWorker(kafka, group, [topic], lambda m: OK, name="late") as late:
            assert late.wait_for(1, timeout=6) == []     # the old record is never delivered
            send(kafka, topic, [("new", "sent after")])
            [record] = late.wait_for(1, timeout=10)
    finally:
        _drop_share_group(kafka, topic, group)
    assert record["key"] == "new"


def test_share_verdicts_accept_release_reject(kafka, share_topic):
    topic, group = share_topic(records=10)
    failed_once = set()

    def flaky(message):
        if message["key"] == "job-3" and "job-3" not in failed_once:
            failed_once.add("job-3")
            raise RuntimeError("try again")
        return REJECT if message["key"] == "job-7" else OK

    with ShareWorker(kafka, group, [topic], flaky, name="one") as one:
        Deadline(20).until(lambda: len([o for o in one.outcomes if o.verdict != "release"]) >= 10)
    final = {o.offset: o for o in one.outcomes if o.verdict != "release"}
    settled = sorted(o.offset for o in one.outcomes if o.verdict != "release")   # one per delivery
    assert settled == list(range(10))                            # every record settled exactly once
    assert final[3].delivery_count == 2 and final[3].verdict == "accept"
    assert final[7].verdict == "reject"
    assert [o.offset for o in one.outcomes if o.verdict == "release"] == [3]
    assert "RuntimeError: try again" in one.errors[0]


def test_two_share_members_take_turns_on_one_partition(kafka, share_topic):
    topic, group = share_topic(records=0)
    with ShareWorker(kafka, group, [topic], lambda m: OK, name="one") as one, \
            ShareWorker(kafka, group, [topic], lambda m: OK, name="two") as two:
        sent, deadline = 0, Deadline(30)
        with SyncProducer(endpoints=[kafka]) as producer:
            # A stream, until both members have had records (joining takes a heartbeat or two).
            while not (one.outcomes and two.outcomes and sent >= 40) and not deadline.expired():
                producer.produce(topic, str(sent), key=f"job-{sent}")
                sent += 1
                time.sleep(0.02)
        Deadline(20).until(lambda: len(one.outcomes) + len(two.outcomes) >= sent)
    outcomes = [o for w in (one, two) for o in w.outcomes]
    assert sorted(o.offset for o in outcomes) == list(range(sent))  # each record to exactly one member
    assert {o.partition for o in outcomes} == {0}                   # one partition...
    assert {o.member for o in outcomes} == {"one", "two"}           # ...two members


def test_two_share_members_with_a_slow_handler_handle_each_record_once(kafka, share_topic):
    topic, group = share_topic(records=0, lock_ms=30000)        # the lock: far above a poll's work

    def slow(message):
        time.sleep(0.05)                                         # 5 records a poll: 0.25 s, well within 30 s
        return OK

    with ShareWorker(kafka, group, [topic], slow, name="one", max_records=5) as one, \
            ShareWorker(kafka, group, [topic], slow, name="two", max_records=5) as two:
        sent, deadline = 0, Deadline(30)
        with SyncProducer(endpoints=[kafka]) as producer:
            while not (one.outcomes and two.outcomes and sent >= 40) and not deadline.expired():
                producer.produce(topic, str(sent), key=f"job-{sent}")
                sent += 1
                time.sleep(0.02)
        Deadline(30).until(lambda: {o.offset for w in (one, two) for o in list(w.outcomes)} >= set(range(sent)))
    outcomes = [o for w in (one, two) for o in w.outcomes]       # one outcome per delivery
    deliveries = Counter(o.offset for o in outcomes)
    assert sorted(deliveries) == list(range(sent)) and set(deliveries.values()) == {1}   # each record once
    assert {o.delivery_count for o in outcomes} == {1} and {o.verdict for o in outcomes} == {"accept"}
    assert {o.member for o in outcomes} == {"one", "two"}
    assert not [e for w in (one, two) for e in w.errors if "acknowledgement refused" in e]


def test_a_share_record_held_past_its_lock_is_delivered_again_and_each_delivery_recorded(kafka, share_topic):
    topic, group = share_topic(records=3, lock_ms=1000)          # the broker's floor here: 1 s
    stalled = []

    def stalls_once(message):
        if not stalled:                                          # the first record: held past its lock
            stalled.append(message["offset"])
            time.sleep(1.6)
        return OK

    def delivered_again():
        return bool(stalled) and any(o.offset == stalled[0] and o.delivery_count == 2 for o in list(slow.outcomes))

    with ShareWorker(kafka, group, [topic], stalls_once, name="slow") as slow:
        Deadline(30).until(delivered_again)
        Deadline(10).until(lambda: any("acknowledgement refused" in e for e in list(slow.errors)))
    deliveries = Counter(o.offset for o in slow.outcomes)        # one outcome per delivery: nothing overwritten
    assert deliveries[stalled[0]] == 2
    assert [(o.delivery_count, o.verdict) for o in slow.outcomes if o.offset == stalled[0]] == [(1, "accept"),
                                                                                            (2, "accept")]
    assert sorted(deliveries) == [0, 1, 2]                       # nothing lost: at least once
    refused = [e for e in slow.errors if "acknowledgement refused" in e]
    assert f"@{stalled[0]}" in refused[0] or f",{stalled[0]}" in refused[0]
    assert "record state is invalid" in refused[0].lower()      # the broker refused the late verdict


def test_a_killed_members_records_go_to_another_member(kafka, share_topic):
    topic, group = share_topic(records=5)
    held = kill_a_member_holding_records(kafka, group, topic)
    assert held == [0, 1, 2, 3, 4]
    with ShareWorker(kafka, group, [topic], lambda m: OK, name="survivor") as survivor:
        records = survivor.wait_for(5, timeout=20)
    assert sorted(r["offset"] for r in records) == held           # nothing lost
    assert {r["delivery_count"] for r in records} == {2}          # each was delivered once before


def test_a_share_member_whose_thread_dies_says_so_at_once(kafka, unique, share_topic, monkeypatch):
    import confluent_kafka

    class FailingShareConsumer(confluent_kafka.ShareConsumer):
        def poll(self, *args, **kwargs):
            raise RuntimeError("the client broke")

    topic, group = share_topic(records=1)
    monkeypatch.setattr(confluent_kafka, "ShareConsumer", FailingShareConsumer)
    worker = ShareWorker(kafka, group, [topic], lambda m: OK, name=f"doomed-{unique}").start()
    try:
        began = time.monotonic()
        with pytest.raises(WorkerFailed, match="RuntimeError: the client broke"):
            worker.wait_for(1, timeout=15)
        assert time.monotonic() - began < 2                       # promptly, not at the end of the timeout
        assert worker.state == "failed" and isinstance(worker.failure.__cause__, RuntimeError)
    finally:
        worker.stop()


def test_starting_a_share_member_again_replaces_the_running_one(kafka, share_topic):
    topic, group = share_topic(records=3)
    first = ShareWorker(kafka, group, [topic], lambda m: OK, name="printer").start()
    again = ShareWorker(kafka, group, [topic], lambda m: OK, name="printer")   # the same cell, run again
    try:
        again.start()
        assert not first.is_alive() and again.is_alive()
        assert ShareWorker.running[(group, "printer")] is again
        Deadline(20).until(lambda: len(first.outcomes) + len(again.outcomes) >= 3)
        assert sorted(o.offset for w in (first, again) for o in w.outcomes) == [0, 1, 2]   # each record once
        other = ShareWorker(kafka, group, [topic], lambda m: OK, name="other").start()   # another name: both run
        assert again.is_alive() and other.is_alive()
        other.stop()
    finally:
        again.stop()
        first.stop()
    assert again.state == "stopped" and (group, "printer") not in ShareWorker.running


# ---- keys and partitions ---------------------------------------------------------------------
KEYS = ["ana", "ben", "eva", "kafka", "gregor", "josef", "milena", "ottla"]


def test_three_partitioners_disagree_and_murmur2_random_matches_java(kafka, unique):
    topic = f"mixed-{unique}"
    create_topic(kafka, topic, partitions=6)
    table = where_keys_land(kafka, topic, KEYS)
    java = {key: row[JAVA] for key, row in table.items()}
    assert java == {key: row["confluent-kafka murmur2_random"] for key, row in table.items()}
    assert java == {key: murmur2_partition(key, 6) for key in KEYS}            # our murmur2 is Kafka's
    assert {key: row["helpers (md5, Kaffe's)"] for key, row in table.items()} == {k: md5_partition(k, 6) for k in KEYS}
    disagree = [key for key, row in table.items() if len({row[JAVA], row["confluent-kafka default"]}) == 2]
    assert len(disagree) >= 4   # the default (consistent_random, a CRC32) differs from Java for most keys


def test_kafkas_own_murmur2_test_vectors():
    signed = {"21": -973932308, "foobar": -790332482, "a-little-bit-long-string": -985981536}
    for key, expected in signed.items():
        assert murmur2(key.encode()) - (1 << 32 if murmur2(key.encode()) >= 1 << 31 else 0) == expected


def test_adding_partitions_moves_keys(kafka, unique):
    from confluent_kafka.admin import NewPartitions

    from helpers.client.topics import admin_for

    topic = f"grow-{unique}"
    create_topic(kafka, topic, partitions=2)
    with SyncProducer(endpoints=[kafka]) as producer:
        before = {key: producer.produce(topic, "v", key=key).partition for key in KEYS}
    admin = admin_for(kafka)
    admin.create_partitions([NewPartitions(topic, 5)])[topic].result(10)
    with SyncProducer(endpoints=[kafka]) as producer:   # a new producer: a running one learns of them later
        Deadline(10).until(lambda: producer.partitions_count(topic) == 5 or producer._partition_counts.clear())
        after = {key: producer.produce(topic, "v", key=key).partition for key in KEYS}
    assert before == {k: md5_partition(k, 2) for k in KEYS} and after == {k: md5_partition(k, 5) for k in KEYS}
    assert before != after


# ---- delivery guarantees ---------------------------------------------------------------------
def test_commit_order_decides_what_a_crash_loses_or_repeats(kafka, unique, tmp_path):
    topic = f"payments-{unique}"
    create_topic(kafka, topic)
    send(kafka, topic, [(f"p{i:02d}", "x") for i in range(20)])
    commit_first = crash_experiment(kafka, topic, "commit-first", crash_after=7, effects_dir=tmp_path)
    process_first = crash_experiment(kafka, topic, "process-first", crash_after=7, effects_dir=tmp_path)
    idempotent = crash_experiment(kafka, topic, "process-first", crash_after=7, idempotent=True,
                                  effects_dir=tmp_path)
    assert commit_first.crashed and process_first.crashed and idempotent.crashed   # killed by SIGKILL
    # Batches of 5, killed after the 7th message: the batch 5-9 was committed before it was done...
    assert (commit_first.lost, commit_first.twice) == (3, 0)
    # ...or done in part (5, 6) and not committed, so done again after the restart.
    assert (process_first.lost, process_first.twice) == (0, 2)
    assert (idempotent.lost, idempotent.twice) == (0, 0)


# ---- retention and compaction ----------------------------------------------------------------
def test_retention_deletes_whole_old_segments(kafka, unique):
    topic = f"short-lived-{unique}"
    create_topic(kafka, topic, config={"retention.ms": "3000", "segment.ms": "1000"})
    written = time.time()   # the messages' timestamps are later than this
    send(kafka, topic, [(f"k{i}", "old") for i in range(5)])
    shots = watch_log(kafka, topic, until=lambda s: s.first_offset >= 5, timeout=20)
    assert shots[-1].first_offset >= 5                       # the five old records are gone...
    assert shots[0].segments == [0] and 0 not in shots[-1].segments   # ...with their segment file
    assert shots[-1].wall - written >= 3.0                   # not before retention.ms


def test_compaction_keeps_the_latest_value_and_honours_tombstones(kafka, unique):
    topic = f"profiles-{unique}"
    create_topic(kafka, topic, config={"cleanup.policy": "compact", "segment.ms": "100", "min.compaction.lag.ms": "0",
                                       "min.cleanable.dirty.ratio": "0.01", "delete.retention.ms": "3000"})
    send(kafka, topic, [("ana", "Prague"), ("ben", "Vienna"), ("ana", "Berlin"), ("ben", None), ("eva", "Paris")])
    shots = watch_log(kafka, topic, read=True, timeout=30,
                      until=lambda s: [r[1] for r in s.records] == ["ana", "eva"])
    assert shots[-1].records == [(2, "ana", "Berlin"), (4, "eva", "Paris")]   # offsets kept, gaps left
    compacted = [s.records for s in shots if len(s.records) == 3]
    assert compacted and compacted[0] == [(2, "ana", "Berlin"), (3, "ben", None), (4, "eva", "Paris")]  # tombstone first
    folder = segment_dir(kafka, topic)
    assert dump_segment(folder, shots[-1].segments[0])[:2] == ["offset   2  ana: Berlin", "offset   4  eva: Paris"]


# ---- transactions ----------------------------------------------------------------------------
def test_aborted_messages_are_invisible_to_read_committed(kafka, unique):
    from confluent_kafka import Consumer, Producer, TopicPartition

    topic = f"ledger-{unique}"
    create_topic(kafka, topic)
    producer = Producer({"bootstrap.servers": kafka, "transactional.id": f"ledger-{unique}"})
    producer.init_transactions(10)
    for value, commit in (("kept", True), ("aborted", False)):
        producer.begin_transaction()
        producer.produce(topic, value.encode(), key=b"t")
        producer.flush(10)   # in the log before the abort: an abort purges what is still queued
        producer.commit_transaction(10) if commit else producer.abort_transaction(10)
    seen = {}
    for isolation in ("read_committed", "read_uncommitted"):
        consumer = Consumer({"bootstrap.servers": kafka, "group.id": f"g-{unique}", "isolation.level": isolation,
                             "enable.partition.eof": True})
        try:
            consumer.assign([TopicPartition(topic, 0, 0)])
            got, deadline = [], Deadline(10)
            while not deadline.expired():
                msg = consumer.poll(0.5)
                if msg is not None and msg.error() is None:
                    got.append(msg.value().decode())
                elif msg is not None:
                    break   # end of partition
            seen[isolation] = got
        finally:
            consumer.close()
    assert seen == {"read_committed": ["kept"], "read_uncommitted": ["kept", "aborted"]}


def test_without_share_consumer_the_chapter_says_why_and_skips(kafka, monkeypatch, capsys):
    import confluent_kafka
    from IPython.core.interactiveshell import InteractiveShell

    from helpers.course import notebook
    from helpers.client.share import ShareGroupsUnavailable, share_groups_problem

    assert share_groups_problem(kafka) is None                     # this client and broker have them
    monkeypatch.delattr(confluent_kafka, "ShareConsumer")          # as with confluent-kafka before 2.15
    assert "no ShareConsumer (added in 2.15)" in share_groups_problem(kafka)
    with pytest.raises(ShareGroupsUnavailable, match="2.15"):
        ShareWorker(kafka, "g", ["t"], lambda m: OK)
    shell = InteractiveShell.instance()
    monkeypatch.setitem(shell.user_ns, "BOOTSTRAP_SERVERS", kafka)
    monkeypatch.setattr(notebook, "_share_group_problems", {})
    notebook.needs_share_groups("", "ran = True")
    assert "Skipped: share groups are not available here" in capsys.readouterr().out
    assert "ran" not in shell.user_ns


def test_a_member_beyond_the_partition_count_owns_nothing(kafka, unique, consumer_config):
    from helpers.client.consumer import wait_for_split

    topic = f"few-{unique}"
    create_topic(kafka, topic, partitions=3)
    members = [ConsumerWorker(consumer_config(topic), lambda m: OK, name=f"m{n}-{unique}") for n in range(4)]
    try:
        for member in members:
            member.start()
        split = wait_for_split(members, partitions=3, timeout=30, idle=1)
    finally:
        for member in members:
            member.stop()
    assert sorted(len(owned) for owned in split.values()) == [0, 1, 1, 1]


def test_a_group_reset_to_an_offset_replays_from_there(kafka, unique, consumer_config):
    from helpers.course.kafka_tools import kafka as tool

    topic = f"replay-{unique}"
    create_topic(kafka, topic)
    send(kafka, topic, [("e", f"event {n}") for n in range(6)])
    with ConsumerWorker(consumer_config(topic), lambda m: OK) as worker:
        assert len(worker.wait_for(6, timeout=15)) == 6
    plan = tool("kafka-consumer-groups", "--group", f"group-{unique}", "--topic", topic, "--reset-offsets",
                "--to-offset", "2", "--dry-run", where=kafka)
    assert plan.ok and f"group-{unique}" in plan.stdout
    with ConsumerWorker(consumer_config(topic), lambda m: OK) as worker:   # a dry run changes nothing
        assert worker.wait_for(1, timeout=3) == []
    done = tool("kafka-consumer-groups", "--group", f"group-{unique}", "--topic", topic, "--reset-offsets",
                "--to-offset", "2", "--execute", where=kafka)
    assert done.ok, str(done)
    with ConsumerWorker(consumer_config(topic), lambda m: OK) as worker:
        assert [m["value"] for m in worker.wait_for(4, timeout=15)] == [f"event {n}" for n in range(2, 6)]


class _MemberThatLeavesSlowly:
    """Owns both partitions from its start; when it stops, it gives them up and then takes 0.3 s
    to finish closing (a close that commits and leaves the group, on a busy machine)."""

    def __init__(self, config, handler, name):
        self.name, self.assignment_log = name, []
        self.assignment = [("slow", 0), ("slow", 1)] if name.startswith("first") else []

    def start(self):
        from helpers.client.consumer import AssignmentChange
        if self.assignment:
            self.assignment_log.append(AssignmentChange(time.time(), "assigned", (("slow", 0), ("slow", 1))))
        return self

    def stop(self):
        from helpers.client.consumer import AssignmentChange
        if self.assignment:
            self.assignment_log.append(AssignmentChange(time.time(), "revoked", (("slow", 0), ("slow", 1))))
            self.assignment = []
            time.sleep(0.3)  # the rest of a slow close itself, not a wait for something
        return True


def test_what_a_member_gives_up_when_it_leaves_is_not_counted_as_revoked(monkeypatch):
    """Found by CI under load: classic's first member counted 10 partitions given up instead of 6,
    because the ones it gave up while stopping slowly were counted as taken from it."""
    from types import SimpleNamespace

    metadata = SimpleNamespace(topics={"slow": SimpleNamespace(partitions={0: None, 1: None})})
    monkeypatch.setattr(rebalance, "admin_for", lambda where: SimpleNamespace(list_topics=lambda *a, **k: metadata))
    monkeypatch.setattr(rebalance, "ConsumerWorker", _MemberThatLeavesSlowly)
    monkeypatch.setattr(rebalance, "wait_for_split",
                        lambda workers, partitions, timeout: {w.name: w.assignment for w in workers})
    timeline = rebalance_timeline("127.0.0.1:9092", "slow", "classic", timeout=5)
    assert timeline.revoked == {"first": 0, "second": 0}
