"""The checks behind the chapters' "Your turn" exercises: each inspects the REAL state (the
broker's topics, partitions, messages and committed offsets, or what a handler answers) and
returns one line: done, or "not yet" with a hint. A check never raises: a missing topic, a
broker that does not answer or a name the learner has not defined yet is a "not yet".

    exercises.topic_with_partitions(BOOTSTRAP_SERVERS, "exercise_three", 3)   # in a check cell
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Callable

from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition

from ..workshop import progress
from .catalogue import EXERCISE_IDS  # noqa: F401 (the course's exercises, re-exported)
from ..client.consumer import OK
from ..client.errors import CodealongError
from ..client.names import scoped, topic_name_problem
from ..client.topic_state import partition_offsets, read_messages
from ..client.topics import admin_for

class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()  # what a check gets for a name the learner has not defined yet


def answer(name: str):
    """The value of `name` in the caller's namespace (a notebook's), or MISSING if it is not defined."""
    return sys._getframe(1).f_globals.get(name, MISSING)


@dataclass
class CheckResult:
    exercise: str
    passed: bool
    message: str
    hint: str = ""

    def __str__(self) -> str:
        if self.passed:
            return f"✓ Exercise {self.exercise}: done. {self.message}"
        return f"✗ Exercise {self.exercise}: not yet. {self.message} Hint: {self.hint}"

    __repr__ = __str__


def _done(exercise: str, message: str) -> CheckResult:
    return CheckResult(exercise, True, message)


def _not_yet(exercise: str, message: str, hint: str) -> CheckResult:
    return CheckResult(exercise, False, message, hint)


def _answer_is(exercise: str, name: str, answer, actual, truth: str, missing_hint: str, wrong_hint: str,
               done: str) -> CheckResult:
    """Compare a learner's answer with the real value; `truth` says what the real value is."""
    if answer is MISSING:
        return _not_yet(exercise, f"{name} is not set yet.", missing_hint)
    if answer != actual:
        return _not_yet(exercise, f"{name} is {answer!r}; {truth}.", wrong_hint)
    return _done(exercise, done)


#: Every check defined below, in order (tests keep it equal to catalogue.EXERCISE_IDS).
DEFINED: list[str] = []


def _checked(exercise: str, hint: str):
    """Run a check; anything that goes wrong inside it is a "not yet" naming the cause."""
    DEFINED.append(exercise)

    def wrap(check: Callable[..., CheckResult]):
        def run(*args, **kwargs) -> CheckResult:
            try:
                result = check(*args, **kwargs)
            except Exception as err:  # whatever the learner's code raises (not KeyboardInterrupt: a stop)
                cause = err.cause if isinstance(err, CodealongError) else f"{type(err).__name__}: {err}"
                result = _not_yet(exercise, f"The check could not finish: {cause}", hint)
            progress.report_check(result.exercise, result.passed)  # in a workshop: to the board
            return result
        run.__name__, run.__doc__ = check.__name__, check.__doc__
        return run
    return wrap


# ---- reading the broker's state (helpers.topic_state) ------------------------------------------
_partitions, _messages = partition_offsets, read_messages


def _has_key(data, names) -> bool:
    """Whether a nested dict has any of these keys, at any depth."""
    return isinstance(data, dict) and any(k in names or _has_key(v, names) for k, v in data.items())


def _text(data) -> str | None:
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else data


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
    from .kafka_tools import kafka

    status = kafka("kafka-metadata-quorum", "describe", "--status", where=where).stdout
    actual = next(int(line.split(":")[1]) for line in status.splitlines() if line.startswith("LeaderId"))
    return _answer_is("2.2", "controller_id", answer, actual, f"the quorum's leader is {actual}",
                      "Read LeaderId from the tool's output.", "Take the number after LeaderId, as an int.",
                      f"Node {actual} is the active controller.")


# ---- chapter 3 -------------------------------------------------------------------------------
@_checked("3.1", "The keys are endpoints and topics (see the error's 'Did you mean').")
def fixed_producer_config(data, topic: str = "our_topic") -> CheckResult:
    """`data` parses as a config whose producer sends to `topic`."""
    from ..client.config import parse_config

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
    base = {"topic": "t", "partition": 0, "offset": 0, "value": "v", "headers": [], "ts": 0, "ts_type": "create"}
    if handler({**base, "key": "Metamorphosis"}) != OK:
        return _not_yet("4.1", "A message with a key was not confirmed.", "return OK for it.")
    try:
        refused = handler({**base, "key": None}) != OK
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


# ---- chapter 6 -------------------------------------------------------------------------------
@_checked("6.1", "Set form.key.value, then call form.send() (what the Send button does) five times.")
def keyed_sends(where, topic: str, key: str, at_least: int = 5) -> CheckResult:
    count = sum(1 for m in _messages(where, topic, limit=5000) if _text(m["key"]) == key)
    if count < at_least:
        return _not_yet("6.1", f"{topic!r} holds {count} message(s) with key {key!r}, not {at_least}.",
                        f"form.key.value = {key!r}; then form.send(), {at_least} times.")
    return _done("6.1", f"At least {at_least} messages with key {key!r} in {topic!r}.")


@_checked("6.2", "view.refresh() returns the state; sum next_offset - first_offset over its partitions.")
def message_total(where, topic: str, answer) -> CheckResult:
    offsets = _partitions(where, topic)
    if offsets is None:
        return _not_yet("6.2", f"There is no topic {topic!r}.", "Run the chapter's cells first.")
    actual = sum(high - low for low, high in offsets.values())
    return _answer_is("6.2", "total", answer, actual, f"{topic!r} holds {actual} message(s) now",
                      "Refresh a TopicView and add up its partitions.",
                      "Refresh first: the view shows the topic as it was at its last refresh.",
                      f"{topic!r} holds {actual} messages.")


# ---- chapter 7 -------------------------------------------------------------------------------
@_checked("7.1", '"security": {"protocol": ..., "sasl_mechanism": ..., "username_env": ..., "password_env": ...}')
def scram_config(data, username_env: str, password_env: str) -> CheckResult:
    from ..client.config import parse_config

    if data is MISSING:
        return _not_yet("7.1", "cloud_config is not set yet.", "Write the dict as in the example above.")
    if _has_key(data, ("password", "sasl_password")):
        return _not_yet("7.1", "The config holds a password.", "Name the variables that hold the credentials instead.")
    security = parse_config(data).producer.security
    wanted = ("SASL_SSL", "SCRAM-SHA-512", username_env, password_env)
    actual = (security.protocol, security.sasl_mechanism, security.username_env, security.password_env)
    if actual != wanted:
        return _not_yet("7.1", f"security is {actual}, not {wanted}.", "Set all four keys of [security].")
    return _done("7.1", "SASL_SSL with SCRAM-SHA-512, credentials from the environment.")


@_checked("7.2", "Application(load_config(...)).children(\"dev\") lists the workers, not yet started.")
def dev_workers(answer, expected: list[str]) -> CheckResult:
    if answer is MISSING:
        return _not_yet("7.2", "dev_workers is not set yet.", "Collect worker.name for each child.")
    if list(answer) != expected:
        return _not_yet("7.2", f"dev_workers is {answer!r}; dev starts {expected}.", "In start order, by name.")
    return _done("7.2", f"dev starts {expected}, in that order.")


# ---- chapter 8 -------------------------------------------------------------------------------
@_checked("8.1", "Replace the space and the '!' (check_topic_name suggests a name), then send one message.")
def valid_name_used(where, name) -> CheckResult:
    if name is MISSING:
        return _not_yet("8.1", "fixed_name is not set yet.", "Choose a valid name.")
    problem = topic_name_problem(name)
    if problem:
        return _not_yet("8.1", f"{name!r} is still invalid: {problem}.", "Use letters, digits, '.', '_' or '-'.")
    if not _messages(where, name):
        return _not_yet("8.1", f"{name!r} is valid but holds no message yet.", "Send one message to it.")
    return _done("8.1", f"{name!r} is a valid topic with a message in it.")


@_checked("8.2", "A new group (a fresh consumer_group) and start_with_earliest_message=True.")
def sees_old_message(where, config, topic: str) -> CheckResult:
    """A worker built from the learner's config would receive the message already in the topic.
    Worked out from the group's committed offsets and the config's starting point, without
    joining the group: consuming would commit, and the check would pass only once."""
    if config is MISSING:
        return _not_yet("8.2", "early_config is not set yet.", "Make a ConsumerConfig.")
    offsets = _partitions(where, topic)
    if offsets is None:
        return _not_yet("8.2", f"There is no topic {topic!r}.", "Run the chapter's cells first.")
    topic = scoped(topic)
    if topic not in config.topics:
        return _not_yet("8.2", f"early_config reads {list(config.topics)}, not {topic!r}.", f"topics=[{topic!r}].")
    committed = _committed(where, config.consumer_group, topic, offsets)
    starts = {}
    for p, (low, high) in offsets.items():
        # A partition the group committed on resumes there; any other starts where the config says.
        otherwise = low if config.auto_offset_reset() == "earliest" else high
        starts[p] = max(low, committed.get(p, otherwise))
    first = _messages(where, topic, limit=1, start=starts)
    if not first:
        return _not_yet("8.2", f"A worker with early_config would receive nothing already in {topic!r}.",
                        "A group that starts at the end, or one that already committed, sees nothing old.")
    return _done("8.2", f"A worker with early_config would receive {_text(first[0]['key'])!r} from {topic!r}.")


def _committed(where, group: str, topic: str, offsets: dict) -> dict[int, int]:
    """partition -> the group's committed offset (partitions it never committed on are left out)."""
    group = scoped(group)
    admin = admin_for(where)
    request = ConsumerGroupTopicPartitions(group, [TopicPartition(topic, p) for p in offsets])
    answer = admin.list_consumer_group_offsets([request], request_timeout=10)[group].result(10)
    return {tp.partition: tp.offset for tp in answer.topic_partitions if tp.offset >= 0}


# ---- chapter 9 -------------------------------------------------------------------------------
@_checked("9.1", "json.dumps(book) turns the dict into text a producer accepts.")
def json_message(where, topic: str, field: str) -> CheckResult:
    for m in _messages(where, topic):
        try:
            if field in json.loads(_text(m["value"]) or ""):
                return _done("9.1", f"{topic!r} holds a JSON object with {field!r}.")
        except (ValueError, TypeError):
            continue
    return _not_yet("9.1", f"No JSON object with {field!r} in {topic!r} yet.", "Send json.dumps(book) as the value.")


@_checked("9.2", "Topic config {\"max.message.bytes\": \"2000000\"} AND client_settings={\"message.max.bytes\": 2_000_000}.")
def large_message(where, topic: str, at_least: int) -> CheckResult:
    sizes = [len(m["value"] or b"") for m in _messages(where, topic, limit=10)]
    if not sizes or max(sizes) < at_least:
        return _not_yet("9.2", f"{topic!r} holds no message of {at_least:,} bytes or more yet.",
                        "Raise the topic's and the client's limits together, then send it.")
    return _done("9.2", f"{topic!r} holds a message of {max(sizes):,} bytes.")


# ---- chapter 10 ------------------------------------------------------------------------------
def _keyed(where, topic: str, key: str) -> list[dict]:
    return [m for m in _messages(where, topic) if _text(m["key"]) == key]


@_checked("10.1", "Producer({..., \"partitioner\": \"murmur2_random\"}): librdkafka then hashes keys as Java does.")
def lands_where_java_would(where, topic: str, key: str, value: str) -> CheckResult:
    from ..client.partitioner import murmur2_partition

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
    from ..client.partitioner import md5_partition

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
    from ..client.share import REJECT

    if handler is MISSING or not callable(handler):
        return _not_yet("13.2", "print_job is not a function yet.", "def print_job(message): ...")
    base = {"topic": "t", "partition": 0, "offset": 0, "key": "job", "headers": [], "ts": 0, "ts_type": "create"}
    verdicts = {}
    for value in ("42", "forty-two"):
        try:
            verdicts[value] = handler({**base, "value": value})
        except Exception as err:
            verdicts[value] = f"raised {type(err).__name__}"
    if verdicts["42"] != OK:
        return _not_yet("13.2", f"A number got {verdicts['42']!r}, not OK.", "return OK for it.")
    if verdicts["forty-two"] != REJECT:
        return _not_yet("13.2", f"Text got {verdicts['forty-two']!r}: it would be released and come back "
                        "until the delivery limit.", "return REJECT: it can never succeed.")
    return _done("13.2", "Numbers are accepted; anything else is rejected once, never redelivered.")
