"""The checks of Chapter 16: operating what you built."""
from __future__ import annotations

import json

from ...client.lag import group_lag
from ...client.names import scoped
from ...client.topics import admin_for
from .framework import (MISSING, CheckResult, _checked, _done, _messages, _messages_since, _not_yet, prediction,
                        started)

# ---- 16.1 which writes fail with one and with two brokers down ------------------------------------
#: The four writes of the exercise: the name the learner predicts under -> the value the write carries.
WRITES = {"one_down_acks_all": "one down, acks=all", "one_down_acks_1": "one down, acks=1",
          "two_down_acks_all": "two down, acks=all", "two_down_acks_1": "two down, acks=1"}
BACK = "all back, acks=all"  # written once the brokers are back and the ISR is whole again
WHY = {
    "one_down_acks_all": "with broker 3 down the ISR is {1, 2}: still min.insync.replicas = 2 replicas, so the "
                         "leader writes and answers once broker 2 has the message too",
    "one_down_acks_1": "acks=1 needs the leader alone, and the leader (broker 1) is up",
    "two_down_acks_all": "with brokers 2 and 3 down the ISR is {1}, fewer than min.insync.replicas = 2, so the "
                         "leader refuses acks=all writes: NOT_ENOUGH_REPLICAS, from the broker",
    "two_down_acks_1": "acks=1 needs the leader alone: the broker accepts it even with the ISR at {1} (it is on "
                       "broker 1 only until the others come back)",
}


@_checked("16.1", 'chapter.predict("16.1", one_down_acks_all=..., one_down_acks_1=..., two_down_acks_all=..., '
                  'two_down_acks_1=...), each "ok" or "fails", before the cell that stops broker 3.')
def writes_predicted(where, topic: str) -> CheckResult:
    """`where`: the chapter's three-node cluster (TRIO); `topic`: the exercise's topic on it."""
    started("16.1")
    guess = prediction("16.1")
    wrong = {name: value for name, value in guess.items() if name in WRITES and value not in ("ok", "fails")}
    missing = [name for name in WRITES if name not in guess]
    if missing or wrong:
        return _not_yet("16.1", f"The prediction needs all four writes, each \"ok\" or \"fails\" (missing: {missing}; "
                                f"not ok/fails: {wrong}).",
                        "chapter.predict(\"16.1\", one_down_acks_all=\"ok\", ...) with the four names.")
    if where is MISSING or not where:
        return _not_yet("16.1", "The three-node cluster is not running here (TRIO is not set).",
                        "Run the section's cells from the one that starts the three nodes.")
    values = {m["value"] for m in _messages(where, topic, limit=None, decode="text")}
    if BACK not in values:
        return _not_yet("16.1", f"{scoped(topic)!r} has no write made after the brokers came back yet.",
                        "Run the cells that stop the brokers and bring them back, then this check.")
    truth = {name: "ok" if label in values else "fails" for name, label in WRITES.items()}
    misses = [name for name in WRITES if guess[name] != truth[name]]
    if misses:
        return _not_yet("16.1", "Not as predicted: " + "; ".join(
            f"{name} {truth[name]} (you said {guess[name]}): {WHY[name]}" for name in misses) + ".",
                        "Compare the ISR with min.insync.replicas for acks=all; acks=1 needs only the leader.")
    fails = [name for name in WRITES if truth[name] == "fails"]
    why = "; ".join(WHY[name] for name in fails) or "every write found enough replicas"
    return _done("16.1", f"As you predicted: only {', '.join(fails) or 'none'} failed. {why[0].upper()}{why[1:]}.")


# ---- 16.2 the lag query with the AdminClient -------------------------------------------------------
@_checked("16.2", "committed: admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group, partitions)]); "
                  "ends: admin.list_offsets({TopicPartition(topic, p): OffsetSpec.latest()}); lag = end - committed, "
                  "None where the committed offset is negative (nothing committed).")
def lag_measured(where, lag_by_partition, topic: str, group: str) -> CheckResult:
    started("16.2")
    if lag_by_partition is MISSING:
        return _not_yet("16.2", "lag_by_partition is not set yet.", "Make a dict: partition -> lag (or None).")
    if not isinstance(lag_by_partition, dict):
        return _not_yet("16.2", f"lag_by_partition is a {type(lag_by_partition).__name__}, not a dict.",
                        "A dict: {0: ..., 1: ..., 2: ...}.")
    truth = {p: lag.lag for p, lag in group_lag(admin_for(where), scoped(group), scoped(topic)).items()}
    if set(lag_by_partition) != set(truth):
        return _not_yet("16.2", f"lag_by_partition has the partitions {sorted(lag_by_partition, key=str)}; "
                                f"{scoped(topic)!r} has {sorted(truth)}.", "One entry per partition, keyed by its number.")
    off = {p: (lag_by_partition[p], truth[p]) for p in truth if lag_by_partition[p] != truth[p]}
    if off:
        said = "; ".join(f"partition {p}: " + (
            "the group has no committed offset there: None" if want is None
            else "you have None, but the group committed there" if got is None
            else "not a number" if not isinstance(got, int)
            else "too high" if got > want else "too low") for p, (got, want) in sorted(off.items()))
        return _not_yet("16.2", f"Not the group's lag on {scoped(topic)!r}: {said}.",
                        "lag = the end (list_offsets, OffsetSpec.latest()) minus the committed offset "
                        "(list_consumer_group_offsets); a negative committed offset means none: None.")
    return _done("16.2", f"Group {scoped(group)!r} lags by {truth} on {scoped(topic)!r}, as you measured.")


# ---- 16.3 a statistics callback that fires ---------------------------------------------------------
@_checked("16.3", "Set \"statistics.interval.ms\" (e.g. 1000) and wait with producer.poll(0.1), not time.sleep, for a "
                  "report that comes after flush(): the stats callback runs inside poll() or flush(). Then sent = json.loads(reports[-1])[\"topics\"]"
                  "[topic][\"partitions\"][\"0\"][\"txmsgs\"].")
def stats_read(where, reports, sent, topic: str) -> CheckResult:
    slate = started("16.3")
    if reports is MISSING or not reports:
        return _not_yet("16.3", "No statistics report arrived (reports is empty).",
                        "statistics.interval.ms is 0 (off) by default, and the callback only runs inside "
                        "poll() or flush(): set the interval and poll while you wait.")
    last = reports[-1]
    report = json.loads(last) if isinstance(last, (str, bytes)) else last
    if not isinstance(report, dict) or report.get("type") != "producer" or "brokers" not in report:
        return _not_yet("16.3", "The last entry of reports is not a producer's statistics report.",
                        "Let stats_cb append what librdkafka hands it: \"stats_cb\": reports.append.")
    if report.get("time", 0) < slate.began_ms // 1000 - 1:
        return _not_yet("16.3", "The last report is older than the exercise.",
                        "Run the exercise's first cell, then your fixed cell.")
    topic = scoped(topic)
    partition = report.get("topics", {}).get(topic, {}).get("partitions", {}).get("0")
    if partition is None:
        return _not_yet("16.3", f"The last report says nothing about {topic!r}: that producer did not write to it.",
                        f"Produce to chapter.topic({topic.rsplit('.', 1)[-1]!r}), as the broken cell does.")
    if partition["txmsgs"] == 0:
        return _not_yet("16.3", f"The last report counts txmsgs = 0 for {topic!r}: it came before anything was sent.",
                        "produce() and flush() first, then wait (polling) for a report, and read the last one.")
    written = _messages_since(slate, topic)
    if len(written) < partition["txmsgs"]:
        return _not_yet("16.3", f"The last report counts txmsgs = {partition['txmsgs']}, but {topic!r} holds only "
                                f"{len(written)} messages written since the exercise began.",
                        "Run the exercise's first cell, then your fixed copy of it.")
    if sent is MISSING:
        return _not_yet("16.3", "sent is not set yet.", "sent = json.loads(reports[-1])[\"topics\"][...]"
                                                         "[\"partitions\"][\"0\"][\"txmsgs\"].")
    if report.get("msg_cnt", 0) != 0:
        return _not_yet("16.3", f"The last report still counts {report['msg_cnt']} message(s) waiting for their "
                                "delivery report: it came before the producer was done.",
                        "After flush(), poll while you wait for a report that comes after it.")
    if sent != partition["txmsgs"]:
        return _not_yet("16.3", f"sent is {sent!r}, not the txmsgs of partition 0 of {topic!r} in the last report.",
                        "Read it from the report, under topics -> partitions -> \"0\".")
    return _done("16.3", f"The statistics callback fired; its last report says the producer sent {sent} messages "
                         f"to {topic!r}, and the broker holds them.")


__all__ = [name for name, value in list(globals().items())
           if callable(value) and getattr(value, "__module__", None) == __name__ and not name.startswith("_")]
