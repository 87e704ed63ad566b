"""The message handler: called once per message; returning OK confirms it."""
import logging

from helpers import OK

log = logging.getLogger(__name__)
counted = {"messages": 0}


def handle_message(message):
    # `message` is a dict: topic, partition, offset, key, value, headers, ts, ts_type.
    # This runs in the consumer's thread, so it logs instead of printing.
    log.info("%s: %s", message["key"], message["value"])
    return OK  # anything else (or an exception) means "not handled": it comes again


def count_message(message):
    counted["messages"] += 1
    return OK
