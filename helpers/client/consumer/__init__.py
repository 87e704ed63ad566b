"""A supervised consumer in Kaffe's style: it calls your handler for every message and
commits only what the handler confirmed.

    def handle_message(message):          # a dict: topic, partition, offset, key, value,
        print(f"{message['key']}: {message['value']}")   # headers, ts, ts_type
        return OK                         # confirm; anything else is an error

    worker = ConsumerWorker(config, handle_message).start()
    worker.wait_for(1, timeout=10)        # what the handler confirmed, drained by the caller
    worker.stop()

One client per worker, for its whole life. If the handler raises (or returns anything but
OK), the worker seeks that partition back to the failed message and pauses it for a
backoff; then the message is delivered again. The other partitions go on meanwhile, and
the group never notices: no rebalance, no pause for the other members. After too many
failures in a window (see RetryPolicy) the worker gives up, leaves the group and says why;
with ``dead_letter=DeadLetter(topic, after=N)`` it instead moves a message that failed N times
to that topic (see helpers.dead_letter) and goes on.
The client is rebuilt only after a fatal client error. Nothing is printed from the
worker's thread; errors go to Python logging and to ``worker.errors``.

Modules: ``messages`` (the handler's contract, errors, records), ``worker`` (supervision),
``session`` (one client's life), ``dispatch`` (calling the handler), ``rebalance`` (assignment
and positions), ``pauses`` (per-partition retry), ``inbox`` (what wait_for returns).
"""
from __future__ import annotations

import atexit

from .messages import (DEFAULT_KEEP, NO_COMMIT, OK, TIMESTAMP_TYPES, AssignmentChange, CommitUpTo, ErrorReport,
                       HandlerError, WorkerFailed, message_dict)
from .split import wait_for_split
from .worker import ConsumerWorker

__all__ = ["ConsumerWorker", "OK", "NO_COMMIT", "CommitUpTo", "HandlerError", "WorkerFailed", "message_dict",
           "wait_for_split", "ErrorReport", "AssignmentChange", "DEFAULT_KEEP", "TIMESTAMP_TYPES"]

# Workers still running when Python exits close their clients, committing what was confirmed.
atexit.register(ConsumerWorker.stop_all)
