"""The checks of Chapter 10: keys, ordering and partitions."""
from __future__ import annotations

from ...client.names import scoped
from ...client.partitioner import murmur2_partition
from .framework import (MISSING, CheckResult, _checked, _done, _messages, _messages_since, _not_yet, _partitions,
                        _text, prediction, started)


def _keys_of_the_check(count: int, partitions: int, moved_from: int | None = None) -> list[str]:
    """`count` random keys nobody could look up beforehand (with `moved_from`: only keys whose
    murmur2 partition differs between that count and `partitions`)."""
    import uuid

    keys: list[str] = []
    while len(keys) < count:
        key = f"check-{uuid.uuid4().hex[:6]}"
        if moved_from is None or murmur2_partition(key, partitions) != murmur2_partition(key, moved_from):
            keys.append(key)
    return keys


def _sent_through(producer, topic: str, keys: list[str], value: str) -> str | None:
    """Send one message per key through the learner's own Producer, letting its partitioner
    choose; None, or why it could not."""
    import confluent_kafka

    if not isinstance(producer, confluent_kafka.Producer):
        return f"it is a {type(producer).__name__}, not a confluent_kafka.Producer"
    for key in keys:
        producer.produce(scoped(topic), value=value.encode(), key=key.encode())
    left = producer.flush(10)
    return f"{left} message(s) were still undelivered after 10 s" if left else None


def _where(messages: list[dict]) -> dict[str, set[int]]:
    """key -> the partitions its messages are in."""
    found: dict[str, set[int]] = {}
    for m in messages:
        found.setdefault(_text(m["key"]), set()).add(m["partition"])
    return found


CHECK_VALUE = "from the check"  # the value of the messages a check sends through the learner's producer


@_checked("10.1", "java_like = Producer({..., \"partitioner\": \"murmur2_random\"}) and no partition= in produce(): "
                  "librdkafka then hashes each key as Java's producer does.")
def lands_where_java_would(where, topic: str, keys: list[str], value: str, producer=MISSING) -> CheckResult:
    """The learner's keys are where murmur2 (Java) puts them, and so are keys the check itself
    sends through the learner's producer (its partitioner, not a partition= the learner computed)."""
    import zlib

    slate = started("10.1")
    offsets = _partitions(where, topic)
    if offsets is None:
        return _not_yet("10.1", f"There is no topic {topic!r}.", "Run the exercise's first cell again.")
    found = _where([m for m in _messages_since(slate, topic) if _text(m["value"]) == value])
    missing = [key for key in keys if key not in found]
    if missing:
        return _not_yet("10.1", f"No {value!r} with key(s) {missing} in {topic!r} since the exercise began.",
                        "produce(topic, value=..., key=...) once per key, then flush().")
    java = {key: murmur2_partition(key, len(offsets)) for key in keys}
    wrong = {key: sorted(found[key]) for key in keys if found[key] != {java[key]}}
    if not wrong:
        if producer is MISSING:
            return _not_yet("10.1", "Your keys are in Java's partitions, but java_like is not defined: the check "
                                    "sends keys of its own through your producer, to see its partitioner choose.",
                            "Name your producer java_like: java_like = Producer(chapter.client_config({...})).")
        ours = _keys_of_the_check(6, len(offsets))  # a default partitioner misses some
        problem = _sent_through(producer, topic, ours, CHECK_VALUE)
        if problem:
            return _not_yet("10.1", f"The check could not send through java_like: {problem}.",
                            "java_like = Producer(chapter.client_config({\"partitioner\": \"murmur2_random\"})).")
        landed = _where([m for m in _messages_since(slate, topic) if _text(m["key"]) in ours])
        off = {key: sorted(landed.get(key, ())) for key in ours
               if landed.get(key) != {murmur2_partition(key, len(offsets))}}
        if off:
            return _not_yet("10.1", f"Keys the check sent through java_like landed elsewhere than Java's: "
                                    + "; ".join(f"{key} in {parts}, Java's in {murmur2_partition(key, len(offsets))}"
                                                for key, parts in off.items())
                            + ". Your own keys were placed by hand (partition=), not by its partitioner.",
                            "Set \"partitioner\": \"murmur2_random\" and let the producer choose (no partition=).")
        return _done("10.1", "Each key is in the partition Java's producer picks: "
                     + ", ".join(f"{key} -> {java[key]}" for key in keys)
                     + "; and so were 6 keys the check sent through java_like: its partitioner chose.")
    listed = "; ".join(f"{key} in {parts}, Java's in {java[key]}" for key, parts in wrong.items())
    crc = all(found[key] == {zlib.crc32(key.encode()) % len(offsets)} for key in wrong)
    why = (" That is confluent-kafka's default partitioner (consistent_random, a CRC32 of the key)." if crc
           else " Every key in one partition: a partition named in produce()?" if len(set().union(*found.values())) == 1
           else "")
    return _not_yet("10.1", f"Not where Java's producer puts them: {listed}.{why}",
                    "Set \"partitioner\": \"murmur2_random\" and let the producer choose (no partition=).")


@_checked("10.2", "AdminClient(conf).create_partitions([NewPartitions(topic, 4)]), then a NEW Producer named grown "
                  "(partitioner murmur2_random) sends the key and flushes.")
def grown_topic(where, topic: str, partitions: int, before: list[str], key: str, producer=MISSING) -> CheckResult:
    """Grown (not recreated) to `partitions`, the earlier messages in place, `key` where murmur2
    puts it now; and keys the check sends through the learner's new producer land where murmur2
    puts them with the new count (so it was made after the growth, and its partitioner chose)."""
    slate = started("10.2")
    offsets = _partitions(where, topic)
    if offsets is None:
        return _not_yet("10.2", f"There is no topic {topic!r}.", "Run the exercise's first cell again.")
    if len(offsets) != partitions:
        return _not_yet("10.2", f"{topic!r} has {len(offsets)} partition(s), not {partitions}.",
                        f"admin.create_partitions([NewPartitions(topic, {partitions})]) and wait for its result.")
    messages = _messages_since(slate, topic)
    was = len(slate.since(topic))  # the count the exercise created it with
    kept = {_text(m["key"]) for m in messages if m["partition"] < was} & set(before)
    if len(kept) < len(before):
        return _not_yet("10.2", f"{len(before) - len(kept)} of the {len(before)} messages written before are gone: "
                        "the topic was made again, not grown.",
                        "Run the exercise's first cell again, then grow the topic with create_partitions "
                        "(it keeps what is stored).")
    sent = _where([m for m in messages if _text(m["key"]) == key]).get(key)
    now, then = murmur2_partition(key, partitions), murmur2_partition(key, was)
    if not sent:
        return _not_yet("10.2", f"No message with key {key!r} in {topic!r} yet.",
                        "Send it from a Producer made after the growth, then flush().")
    if sent != {now}:
        why = (f" (where murmur2 put it with {was} partitions: that producer still counted {was})" if sent == {then}
               else "")
        return _not_yet("10.2", f"{key!r} is in partition(s) {sorted(sent)}{why}; with {partitions} partitions "
                        f"Java's murmur2 puts it in {now}.",
                        "A new Producer with \"partitioner\": \"murmur2_random\", made after the growth.")
    if producer is MISSING:
        return _not_yet("10.2", f"{key!r} is in partition {now}, but grown is not defined: the check sends keys of "
                                "its own through your new producer.",
                        "Name your new producer grown: grown = Producer(chapter.client_config({...})).")
    ours = _keys_of_the_check(6, partitions, moved_from=was)  # keys whose partition the growth changes
    problem = _sent_through(producer, topic, ours, CHECK_VALUE)
    if problem:
        return _not_yet("10.2", f"The check could not send through grown: {problem}.",
                        "grown = Producer(chapter.client_config({\"partitioner\": \"murmur2_random\"})), made after "
                        "the growth.")
    landed = _where([m for m in _messages_since(slate, topic) if _text(m["key"]) in ours])
    if all(landed.get(k) == {murmur2_partition(k, was)} for k in ours):
        return _not_yet("10.2", f"Keys the check sent through grown went where murmur2 puts them with {was} "
                                f"partitions: that producer still counts {was} (made before the growth).",
                        "Make the Producer after create_partitions has returned.")
    if any(landed.get(k) != {murmur2_partition(k, partitions)} for k in ours):
        return _not_yet("10.2", "Keys the check sent through grown did not land where murmur2 puts them: its "
                                "partitioner is not murmur2 (was dora placed with partition=?).",
                        "grown = Producer(chapter.client_config({\"partitioner\": \"murmur2_random\"})), "
                        "no partition=.")
    return _done("10.2", f"{topic!r} grew from {was} to {partitions} partitions, its {len(before)} messages in place; "
                 f"{key!r} now goes to partition {now} (with {was} partitions it would have gone to {then}), as do "
                 "keys the check sent through grown.")


@_checked("10.3", "chapter.predict(\"10.3\", moved=...) BEFORE running the cell that grows 'growing'.")
def keys_moved(where, topic: str) -> CheckResult:
    started("10.3")
    guess = prediction("10.3").get("moved", MISSING)
    if guess is MISSING:
        return _not_yet("10.3", "Your prediction has no `moved`.", "chapter.predict(\"10.3\", moved=<a number>).")
    before, after = ({_text(m["key"]): m["partition"] for m in _messages(where, topic) if _text(m["value"]) == label}
                     for label in ("before", "after"))
    if not before or set(before) != set(after):
        return _not_yet("10.3", f"{topic!r} does not hold each key before and after the growth yet.",
                        "Run the cell that grows the topic (below your prediction), then this check.")
    moved = sorted(key for key in before if before[key] != after[key])
    truth = (f"{len(moved)} of {len(before)} keys moved ({', '.join(moved)}). From 2 to 4 partitions, "
             "hash % 4 is either hash % 2 (the key stays) or hash % 2 + 2 (it moves): about half the keys "
             "move, and only the hash says which")
    if guess != len(moved):
        return _not_yet("10.3", f"You predicted {guess!r}; {truth}.",
                        "To try again: the exercise's first cell, a prediction, then the cell that grows the topic.")
    return _done("10.3", f"Right: {truth}.")


__all__ = [name for name, value in list(globals().items())
           if callable(value) and getattr(value, "__module__", None) == __name__ and not name.startswith("_")]
