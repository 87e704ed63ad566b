"""The checks of Chapter 13: Kafka 4's consumers."""
from __future__ import annotations


from ...client.consumer import OK
from ...client.names import scoped
from ...client.topics import admin_for
from .framework import (MISSING, CheckResult, _answer_is, _checked, _done, _message, _messages, _not_yet,
                        _partitions, _text)


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
