"""The checks of Chapter 2: the broker and its quorum."""
from __future__ import annotations


from ...client.consumer import OK
from ...client.names import scoped
from ...client.topics import admin_for
from .framework import (MISSING, CheckResult, _answer_is, _checked, _committed, _done, _message, _messages,
                        _not_yet, _partitions, _text)


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

__all__ = [name for name, value in list(globals().items())
           if callable(value) and getattr(value, "__module__", None) == __name__ and not name.startswith("_")]
