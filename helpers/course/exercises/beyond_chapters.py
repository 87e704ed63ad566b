"""Chapters 10-13, beyond the seed: keys, delivery, retention, the new consumers."""
from __future__ import annotations


from ...client.consumer import OK
from ...client.names import scoped
from ...client.topics import admin_for
from .framework import (MISSING, CheckResult, _answer_is, _checked, _done, _message, _messages, _not_yet,
                        _partitions, _text)


# ---- chapter 10 ------------------------------------------------------------------------------
def _keyed(where, topic: str, key: str) -> list[dict]:
    return [m for m in _messages(where, topic) if _text(m["key"]) == key]


@_checked("10.1", "Producer({..., \"partitioner\": \"murmur2_random\"}): librdkafka then hashes keys as Java does.")
def lands_where_java_would(where, topic: str, key: str, value: str) -> CheckResult:
    from ...client.partitioner import murmur2_partition

    offsets = _partitions(where, topic)
    mine = [m for m in _keyed(where, topic, key) if _text(m["value"]) == value] if offsets else []
    if not mine:
        return _not_yet("10.1", f"No message {key!r}: {value!r} in {topic!r} yet.", "Send it, then flush().")
    java = murmur2_partition(key, len(offsets))
    wrong = sorted({m["partition"] for m in mine} - {java})
    if wrong:
        return _not_yet("10.1", f"Your {key!r} is in partition(s) {wrong}; Java's producer puts it in {java}.",
                        "Set partitioner=murmur2_random on the confluent-kafka Producer.")
    return _done("10.1", f"Your {key!r} is in partition {java}, beside the Java producer's.")


@_checked("10.2", "admin.create_partitions([NewPartitions(topic, 4)]), then a NEW SyncProducer sends the key.")
def key_after_growth(where, topic: str, key: str, partitions: int) -> CheckResult:
    from ...client.partitioner import md5_partition

    offsets = _partitions(where, topic)
    if offsets is None or len(offsets) != partitions:
        count = "no topic" if offsets is None else f"{len(offsets)} partition(s)"
        return _not_yet("10.2", f"{topic!r} has {count}, not {partitions}.", "Add partitions with NewPartitions.")
    now = md5_partition(key, partitions)
    if not any(m["partition"] == now for m in _keyed(where, topic, key)):
        return _not_yet("10.2", f"No {key!r} in partition {now} yet (where md5 puts it with {partitions}).",
                        "Send it again with a new SyncProducer (a running one caches the old count).")
    return _done("10.2", f"{topic!r} has {partitions} partitions and {key!r} now goes to partition {now}.")


# ---- chapter 11 ------------------------------------------------------------------------------
@_checked("11.1", "ConsumerWorker(config, handler, dead_letter=DeadLetter(\"orders.dead\", after=2)).")
def dead_lettered(where, dead_topic: str, original: str, attempts: int) -> CheckResult:
    copies = _messages(where, dead_topic)
    if not copies:
        return _not_yet("11.1", f"{dead_topic!r} holds no message yet.",
                        "Let the worker fail on the poison message until it moves it aside.")
    headers = {name: _text(value) for name, value in copies[-1]["headers"]}
    want = {"dead_letter.topic": scoped(original), "dead_letter.attempts": str(attempts)}
    got = {name: headers.get(name) for name in want}
    if got != want:
        return _not_yet("11.1", f"The copy's headers say {got}, not {want}.", f"Use after={attempts}.")
    return _done("11.1", f"The poison message is in {dead_topic!r} after {attempts} attempts, with why: "
                         f"{headers.get('dead_letter.error', '')[:60]!r}...")


@_checked("11.2", "consumer.offsets_for_times([TopicPartition(topic, 0, MARK_MS)]) answers the offset.")
def offset_at_time(where, topic: str, mark_ms: int, answer) -> CheckResult:
    later = [m["offset"] for m in _messages(where, topic) if m["partition"] == 0 and m["ts"] >= mark_ms]
    if not later:
        return _not_yet("11.2", f"No message of {topic!r} is at or after {mark_ms}.", "Run the chapter's cells.")
    actual = min(later)
    return _answer_is("11.2", "replay_from", answer, actual, f"the first message at or after the mark is {actual}",
                      "Store .offset of what offsets_for_times returns.", "Ask with the time in milliseconds.",
                      f"Offset {actual} is the first message at or after the mark.")


# ---- chapter 12 ------------------------------------------------------------------------------
@_checked("12.1", "create_topic(..., config={\"cleanup.policy\": \"compact\"}) (delete it first if it exists).")
def compacted_topic(where, topic: str) -> CheckResult:
    from confluent_kafka.admin import ConfigResource, ResourceType

    if _partitions(where, topic) is None:
        return _not_yet("12.1", f"There is no topic {topic!r} yet.", "Create it.")
    resource = ConfigResource(ResourceType.TOPIC, scoped(topic))
    admin = admin_for(where)
    policy = admin.describe_configs([resource])[resource].result(10)["cleanup.policy"].value
    if policy != "compact":
        return _not_yet("12.1", f"{topic!r} has cleanup.policy={policy}.", "Delete it and create it compacted.")
    return _done("12.1", f"{topic!r} is compacted: Kafka keeps the latest value of each key.")


@_checked("12.2", "produce(topic, None, key=\"ben\"): a value of None is a tombstone.")
def tombstone_for(where, topic: str, key: str) -> CheckResult:
    keyed = _keyed(where, topic, key)
    if not keyed:
        return _not_yet("12.2", f"{topic!r} has no message with key {key!r} at all.", "Run the chapter's cells.")
    if keyed[-1]["value"] is not None:
        return _not_yet("12.2", f"The latest {key!r} still has a value: {_text(keyed[-1]['value'])!r}.",
                        "Send the key with value None.")
    return _done("12.2", f"The latest {key!r} is a tombstone: compaction will delete the key.")


# ---- chapter 13 ------------------------------------------------------------------------------
@_checked("13.1", "configure_share_group(BOOTSTRAP_SERVERS, group, {\"share.auto.offset.reset\": \"earliest\"}).")
def share_group_reads_from_start(where, group: str) -> CheckResult:
    from confluent_kafka.admin import ConfigResource, ResourceType

    resource = ConfigResource(ResourceType.GROUP, scoped(group))
    admin = admin_for(where)
    entry = admin.describe_configs([resource])[resource].result(10).get("share.auto.offset.reset")
    if entry is None or entry.value != "earliest":
        return _not_yet("13.1", f"Group {scoped(group)!r} has share.auto.offset.reset="
                        f"{entry.value if entry else 'latest'}.", "Set it to earliest before members join.")
    return _done("13.1", f"Group {scoped(group)!r} starts at the earliest record.")


@_checked("13.2", "return OK when int(message['value']) works; return REJECT (from helpers) otherwise.")
def number_jobs_handler(handler) -> CheckResult:
    from ...client.share import REJECT

    if handler is MISSING or not callable(handler):
        return _not_yet("13.2", "print_job is not a function yet.", "def print_job(message): ...")
    verdicts = {}
    for value in ("42", "forty-two"):
        try:
            verdicts[value] = handler(_message(key="job", value=value))
        except Exception as err:
            verdicts[value] = f"raised {type(err).__name__}"
    if verdicts["42"] != OK:
        return _not_yet("13.2", f"A number got {verdicts['42']!r}, not OK.", "return OK for it.")
    if verdicts["forty-two"] != REJECT:
        return _not_yet("13.2", f"Text got {verdicts['forty-two']!r}: it would be released and come back "
                        "until the delivery limit.", "return REJECT: it can never succeed.")
    return _done("13.2", "Numbers are accepted; anything else is rejected once, never redelivered.")


__all__ = [name for name, value in list(globals().items())
           if callable(value) and getattr(value, "__module__", None) == __name__ and not name.startswith("_")]
