"""The checks of Chapter 2: the broker and its quorum."""
from __future__ import annotations

from ...client.topics import admin_for
from .framework import CheckResult, _answer_is, _checked, _done, _messages_since, _not_yet, _text, started


@_checked("2.1", "AdminClient(chapter.client_config()).describe_cluster() returns a future; its .result() has "
                 "cluster_id.")
def cluster_id(where, answer) -> CheckResult:
    """`answer` is the cluster's id, as the cluster itself reports it."""
    started("2.1")
    actual = admin_for(where).list_topics(timeout=10).cluster_id
    return _answer_is("2.1", "cluster_id", answer, actual, "that is not this cluster's id",
                      "Ask an AdminClient: describe_cluster().result().cluster_id.",
                      "Store the cluster_id the AdminClient's answer gives, as a string.",
                      "cluster_id is this cluster's id, as the cluster reports it.")


@_checked("2.2", "kafka(\"kafka-features\", \"describe\", where=OWN_BROKER).stdout has a line for metadata.version; "
                 "the value after FinalizedVersionLevel: is the answer.")
def metadata_version(where, answer) -> CheckResult:
    """`answer` is the metadata.version the cluster has finalized (what kafka-features reports)."""
    from ..kafka_tools import kafka

    started("2.2")
    lines = kafka("kafka-features", "describe", where=where).stdout.splitlines()
    line = next(line for line in lines if line.split()[1:2] == ["metadata.version"])
    actual = line.split("FinalizedVersionLevel:")[1].split()[0]
    return _answer_is("2.2", "metadata_version", answer, actual, "not the level this cluster has finalized",
                      "Run kafka-features describe and read metadata.version's FinalizedVersionLevel.",
                      "Take FinalizedVersionLevel (not SupportedMaxVersion) of the metadata.version line, as a string.",
                      f"The cluster runs metadata.version {actual}.")


@_checked("2.3", "bootstrap.servers must name the broker's client listener (BOOTSTRAP_SERVERS, which "
                 "chapter.client_config() already sets), not the controller's port; then flush().")
def fixed_bootstrap(where, topic: str, exercise: str = "2.3") -> CheckResult:
    """A message reached the exercise's fresh topic after it began."""
    slate = started(exercise)
    arrived = _messages_since(slate, topic)
    if not arrived:
        return _not_yet(exercise, f"No message reached {topic!r} since the exercise began.",
                        "Copy the broken cell, point bootstrap.servers at the broker's listener, produce, and flush().")
    return _done(exercise, f"{len(arrived)} message(s) reached {topic!r}, e.g. {_text(arrived[0]['value'])!r}.")


__all__ = [name for name, value in list(globals().items())
           if callable(value) and getattr(value, "__module__", None) == __name__ and not name.startswith("_")]
