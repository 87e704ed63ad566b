"""Chapters 1-5, the seed's path: topics, the broker, the producer, the consumer, sending."""
from __future__ import annotations


from ...client.consumer import OK
from ...client.names import scoped
from ...client.topics import admin_for
from .framework import (MISSING, CheckResult, _answer_is, _checked, _committed, _done, _message, _messages,
                        _not_yet, _partitions, _text)


# ---- chapter 1 -------------------------------------------------------------------------------
@_checked("1.1", "create_topic(BOOTSTRAP_SERVERS, name, partitions=3) creates it; an existing topic keeps its "
                 "partition count, so delete it first (delete_topic) if it was made with another.")
def topic_with_partitions(where, topic: str, partitions: int, exercise: str = "1.1") -> CheckResult:
    """The topic exists with exactly `partitions` partitions."""
    offsets = _partitions(where, topic)
    if offsets is None:
        return _not_yet(exercise, f"There is no topic {topic!r} yet.", "Create it with create_topic.")
    if len(offsets) != partitions:
        return _not_yet(exercise, f"{topic!r} has {len(offsets)} partition(s), not {partitions}.",
                        f"Delete it (delete_topic) and create it again with partitions={partitions}.")
    return _done(exercise, f"{topic!r} has {partitions} partitions.")


@_checked("1.2", "Send them with the same key: the key decides the partition.")
def same_key_same_partition(where, topic: str, key: str, at_least: int = 3, exercise: str = "1.2") -> CheckResult:
    """At least `at_least` messages with `key` in the topic, all in one partition."""
    keyed = [m for m in _messages(where, topic) if _text(m["key"]) == key]
    if len(keyed) < at_least:
        return _not_yet(exercise, f"{topic!r} holds {len(keyed)} message(s) with the key {key!r}, not {at_least}.",
                        f"Send {at_least} messages with key={key!r} to {topic!r}.")
    partitions = sorted({m["partition"] for m in keyed})
    if len(partitions) > 1:
        return _not_yet(exercise, f"The messages with key {key!r} are spread over partitions {partitions}.",
                        "Use the md5 strategy (the default), not random, and no explicit partition.")
    return _done(exercise, f"At least {at_least} messages with key {key!r}, all in partition {partitions[0]}.")


# ---- chapter 2 -------------------------------------------------------------------------------
@_checked("2.1", "probe_metadata(BOOTSTRAP_SERVERS, timeout=TIMEOUT_S).brokers is a dict of the brokers.")
def broker_count(where, answer) -> CheckResult:
    """`answer` is the number of brokers the cluster really has."""
    actual = len(admin_for(where).list_topics(timeout=10).brokers)
    return _answer_is("2.1", "broker_count", answer, actual, f"the cluster has {actual} broker(s)",
                      "Set broker_count = len(...brokers).", "Count the entries of the metadata's brokers.",
                      f"The cluster has {actual} broker(s).")


@_checked("2.2", "kafka(\"kafka-metadata-quorum\", \"describe\", \"--status\") prints LeaderId: the active controller.")
def controller_id(where, answer) -> CheckResult:
    """`answer` is the active controller's id, as the quorum itself reports it."""
    from ..kafka_tools import kafka

    status = kafka("kafka-metadata-quorum", "describe", "--status", where=where).stdout
    actual = next(int(line.split(":")[1]) for line in status.splitlines() if line.startswith("LeaderId"))
    return _answer_is("2.2", "controller_id", answer, actual, f"the quorum's leader is {actual}",
                      "Read LeaderId from the tool's output.", "Take the number after LeaderId, as an int.",
                      f"Node {actual} is the active controller.")


# ---- chapter 3 -------------------------------------------------------------------------------
@_checked("3.1", "The keys are endpoints and topics (see the error's 'Did you mean').")
def fixed_producer_config(data, topic: str = "our_topic") -> CheckResult:
    """`data` parses as a config whose producer sends to `topic`."""
    from ...client.config import parse_config

    if data is MISSING:
        return _not_yet("3.1", "fixed is not set yet.", "Copy broken and correct its two keys.")
    producer = parse_config(data).producer
    if producer is None or scoped(topic) not in producer.topics:
        return _not_yet("3.1", f"The config parses, but its producer does not list {topic!r}.",
                        f'Add topics = ["{topic}"] to the producer block.')
    return _done("3.1", f"The config parses; its producer sends to {list(producer.topics)}.")


@_checked("3.2", "produce(topic, value=..., key=...), then flush(): it returns 0 once everything is delivered.")
def plain_send(where, topic: str, key: str, value: str, left) -> CheckResult:
    """A message (key, value) is in the topic, and flush() returned 0."""
    found = [m for m in _messages(where, topic) if (_text(m["key"]), _text(m["value"])) == (key, value)]
    if not found:
        return _not_yet("3.2", f"No message {key!r}: {value!r} in {topic!r} yet.",
                        "produce() only queues it: call flush() before checking.")
    if left != 0:
        return _not_yet("3.2", f"The message is there, but left is {left!r}.", "Store what flush() returns in left.")
    return _done("3.2", f"{key!r}: {value!r} is in {topic!r}, and flush() left nothing behind.")


# ---- chapter 4 -------------------------------------------------------------------------------
@_checked("4.1", "Return OK when message['key'] is not None; raise an exception (or return something else) otherwise.")
def keyed_only_handler(handler) -> CheckResult:
    """The handler confirms a message with a key and refuses one without."""
    if handler is MISSING or not callable(handler):
        return _not_yet("4.1", "keyed_only is not a function yet.", "def keyed_only(message): ...")
    if handler(_message(key="Metamorphosis", value="v")) != OK:
        return _not_yet("4.1", "A message with a key was not confirmed.", "return OK for it.")
    try:
        refused = handler(_message(value="v")) != OK
    except Exception:
        refused = True
    if not refused:
        return _not_yet("4.1", "A message without a key was confirmed too.", "Check message['key'] first.")
    return _done("4.1", "Keyed messages are confirmed, unkeyed ones are not.")


@_checked("4.2", "start_with_earliest_message=True for a NEW group, let it confirm everything, then stop() it "
                 "(stopping commits).")
def group_read_from_start(where, group: str, topic: str) -> CheckResult:
    """The group has committed every partition of the topic up to its end."""
    offsets = _partitions(where, topic)
    if offsets is None:
        return _not_yet("4.2", f"There is no topic {topic!r}.", f"Create {topic!r} first.")
    group, topic = scoped(group), scoped(topic)
    committed = _committed(where, group, topic, offsets)
    behind = {p: (committed.get(p, -1), high) for p, (low, high) in offsets.items()
              if high > low and committed.get(p, -1) < high}
    if behind:
        return _not_yet("4.2", f"Group {group!r} has not committed everything of {topic!r} "
                        f"(partition: (committed, end) = {behind}).",
                        "A new group with start_with_earliest_message=True reads from the start; stop the "
                        "worker so it commits.")
    return _done("4.2", f"Group {group!r} read {topic!r} from the beginning to the end.")


# ---- chapter 5 -------------------------------------------------------------------------------
@_checked("5.1", "send_my_message((key, value), topic) sends to that topic.")
def message_in_topic(where, topic: str, key: str, value: str, exercise: str = "5.1") -> CheckResult:
    found = any((_text(m["key"]), _text(m["value"])) == (key, value) for m in _messages(where, topic))
    if not found:
        return _not_yet(exercise, f"No message {key!r}: {value!r} in {topic!r} yet.",
                        f"Send it, with the key first: ({key!r}, {value!r}).")
    return _done(exercise, f"{key!r}: {value!r} is in {topic!r}.")


@_checked("5.2", "assign([TopicPartition(topic, 0, 0)]) then poll(); msg.key() is bytes: decode() it.")
def first_key(where, topic: str, answer) -> CheckResult:
    """`answer` is the key of the message at offset 0 of partition 0."""
    first = [m for m in _messages(where, topic) if m["partition"] == 0]
    if not first:
        return _not_yet("5.2", f"{topic!r} has no message in partition 0.", "Run the chapter's cells first.")
    actual = _text(min(first, key=lambda m: m["offset"])["key"])
    return _answer_is("5.2", "first_key", answer if answer is MISSING else _text(answer), actual,
                      f"offset 0 holds the key {actual!r}", "Read the message and store its key.",
                      "Start at offset 0 (the third argument of TopicPartition).",
                      f"Offset 0 of {topic!r} holds the key {actual!r}.")


__all__ = [name for name, value in list(globals().items())
           if callable(value) and getattr(value, "__module__", None) == __name__ and not name.startswith("_")]
