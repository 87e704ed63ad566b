"""The checks of chapter 13: the new consumer protocol (KIP-848)."""
from __future__ import annotations

from ...client.names import scoped
from ...client.topics import admin_for
from .framework import (MISSING, CheckResult, _checked, _committed, _done, _messages, _not_yet, _partitions,
                        _text, prediction, started)


@_checked("13.1", "Consumer(chapter.client_config({\"group.id\": ..., \"group.protocol\": \"consumer\", "
                  "\"auto.offset.reset\": \"earliest\"})), subscribe, poll until every message is read (with a "
                  "deadline, keeping each message's value in the list `values`), commit(asynchronous=False), "
                  "close() in finally.")
def modern_group_read_everything(where, topic: str, group: str, values=MISSING) -> CheckResult:
    """The group (forgotten when the exercise began) is a consumer-protocol group with no member
    left, it committed the end of every partition of the (fresh) topic, and `values` holds every
    message's value (drawn at random when the exercise began: only reading finds them)."""
    from collections import Counter

    from confluent_kafka import ConsumerGroupState, ConsumerGroupType

    started("13.1")  # which recreated the topic and forgot the group: what is there now came since
    offsets = _partitions(where, topic)
    if not offsets or not any(high for _, high in offsets.values()):
        return _not_yet("13.1", f"{scoped(topic)!r} holds no messages.", "Run the exercise's first cell: it writes them.")
    admin = admin_for(where)  # kept in a name: the future needs the client alive
    description = admin.describe_consumer_groups([scoped(group)], request_timeout=10)[scoped(group)].result(10)
    if description.state in (ConsumerGroupState.DEAD, ConsumerGroupState.UNKNOWN):
        return _not_yet("13.1", f"The broker has no group {scoped(group)!r} since the exercise began.",
                        "Create your Consumer with that group.id, subscribe and poll.")
    if description.type != ConsumerGroupType.CONSUMER:
        return _not_yet("13.1", f"{scoped(group)!r} is a {description.type.name.lower()} group: the client joined "
                                "with the classic protocol (librdkafka's default).",
                        "Add \"group.protocol\": \"consumer\" to the Consumer's settings; run the first cell again.")
    if description.members:
        return _not_yet("13.1", f"{len(description.members)} member(s) of {scoped(group)!r} are still in the group.",
                        "Close your consumer (consumer.close() in a finally block).")
    ends = {p: high for p, (_, high) in offsets.items()}
    committed = _committed(where, group, scoped(topic), offsets)
    if committed != ends:
        return _not_yet("13.1", f"The group committed {committed or 'nothing'}; the partitions end at {ends}.",
                        "Poll until you have read every message (count them), then commit(asynchronous=False) "
                        "before close().")
    stored = Counter(_text(m["value"]) for m in _messages(where, topic))
    if values is MISSING or not isinstance(values, (list, tuple)):
        return _not_yet("13.1", "values is not a list of the values you read yet.",
                        "values = [] before the loop; values.append(message.value().decode()) for each message.")
    if Counter(_text(v) for v in values) != stored:
        return _not_yet("13.1", f"values holds {len(values)} value(s), not the {sum(stored.values())} messages of "
                                f"{scoped(topic)!r} (each once).",
                        "Append each message's value as you poll it; run the exercise's first cell again.")
    return _done("13.1", f"{scoped(group)!r} is a consumer-protocol group with no member left; it committed every "
                         f"partition's end ({sum(ends.values())} messages), and you read each of them once.")


@_checked("13.2", "chapter.predict(\"13.2\", classic=..., consumer=...) (partitions `first` gives up when `second` "
                  "joins) BEFORE the cell that measures the timelines.")
def rebalance_prediction(timelines) -> CheckResult:
    """The learner's prediction of how many partitions `first` gave up when `second` joined,
    under each protocol, against the timelines measured after the prediction."""
    slate = started("13.2")
    guess = prediction("13.2")
    if not {"classic", "consumer"} <= set(guess):
        return _not_yet("13.2", f"The prediction names {sorted(guess)}, not both classic and consumer.",
                        "Predict both: chapter.predict(\"13.2\", classic=..., consumer=...).")
    measured = {t.protocol: t for t in timelines} if timelines is not MISSING else {}
    if set(measured) != {"classic", "consumer"} or min(t.began for t in measured.values()) * 1000 < slate.began_ms:
        return _not_yet("13.2", "The timelines were not measured since the exercise began.",
                        "Run the cell that measures them (after your prediction).")
    truth = {name: measured[name].gave_up.get("second joins") for name in ("classic", "consumer")}
    owned = measured["classic"].partitions
    if (guess["classic"], guess["consumer"]) != (truth["classic"], truth["consumer"]):
        return _not_yet("13.2", f"You predicted classic {guess['classic']}, consumer {guess['consumer']}; `first` "
                                f"gave up {truth['classic']} and {truth['consumer']}. Under classic, librdkafka's "
                                f"default assignors are eager: every member gives up all it owns ({owned} here) "
                                "and waits for the new assignment. Under the consumer protocol the broker "
                                f"moves only what the newcomer gets ({owned // 2} of {owned}); the rest keep "
                                "being processed.",
                        "Run the exercise's first cell again, predict, then run the cell that measures.")
    return _done("13.2", f"classic {truth['classic']}, consumer {truth['consumer']}, as you predicted: eager "
                         "revocation stops every member, the broker's assignment moves only what must move.")


__all__ = [name for name, value in list(globals().items())
           if callable(value) and getattr(value, "__module__", None) == __name__ and not name.startswith("_")]
