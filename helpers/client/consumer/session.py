"""One client's life: subscribe, poll, hand messages over, close."""
from __future__ import annotations

import logging
import threading
from typing import Callable

from confluent_kafka import Consumer, KafkaError, KafkaException, Message

from ..config import ConsumerConfig
from ..dead_letter import DeadLetters
from ..diagnosis import FIXES
from ..errors import CLIENT_LOG, CodealongError
from .dispatch import Dispatcher
from .pauses import Pauses
from .rebalance import Assignment

log = logging.getLogger(__name__)


class ClientSession:
    """Runs one confluent-kafka Consumer until `stop` is set, then closes it (committing what was
    confirmed, leaving the group). A fatal client error escapes run(): the worker decides whether
    to build a new client. Client errors the client retries by itself are reported once each."""

    def __init__(self, name: str, config: ConsumerConfig, stop: threading.Event, assignment: Assignment,
                 pauses: Pauses, dispatcher: Dispatcher, dead_letters: DeadLetters | None,
                 report: Callable[[Exception, str], None], set_state: Callable[[str], None]):
        self.name, self.config, self.stop = name, config, stop
        self.assignment, self.pauses, self.dispatcher, self.dead_letters = assignment, pauses, dispatcher, dead_letters
        self._report, self._set_state = report, set_state
        self._reported: set[str] = set()

    def run(self) -> None:
        # client.id names this member in the group's description (the topic view shows it).
        settings = {**self.config.client_settings(), "client.id": self.name, "error_cb": self._on_client_error}
        consumer = Consumer(settings, logger=CLIENT_LOG)
        self.pauses.clear()
        try:
            if self.dead_letters is not None:
                self.dead_letters.open()
            consumer.subscribe(list(self.config.topics), on_assign=self.assignment.on_assign,
                               on_revoke=self.assignment.on_revoke, on_lost=self.assignment.on_revoke)
            self._set_state("running")
            while not self.stop.is_set():
                if self.pauses.resume_due(consumer):
                    self._set_state("running")
                first = consumer.poll(0.2)  # wait for one message at most 0.2 s (so stop() is prompt)
                if first is None:
                    continue
                # Then take what is already fetched, without waiting, up to max_batch_size.
                messages = [first, *consumer.consume(self.config.max_batch_size - 1, timeout=0)]
                self.dispatcher.dispatch(consumer, [m for m in messages if not self._is_event(m)])
        finally:
            if self.dead_letters is not None:
                self.dead_letters.close()
            self.assignment.owned.clear()
            consumer.close()  # commits the offsets stored for confirmed messages; leaves the group

    def _on_client_error(self, err: KafkaError) -> None:
        if err.fatal():
            log.error("Worker %r: fatal client error %s", self.name, err)
        else:
            log.warning("Worker %r: client error %s (the client retries by itself)", self.name, err.str())

    def _is_event(self, msg: Message) -> bool:
        """True for an error or event the poll returned instead of a message; raises if fatal."""
        err = msg.error()
        if err is None:
            return False
        if err.fatal():
            raise KafkaException(err)
        if err.code() != KafkaError._PARTITION_EOF and err.str() not in self._reported:
            self._reported.add(err.str())
            fix = ("Create the topic first (this client's consumers do not create topics: librdkafka's "
                   "allow.auto.create.topics is false)." if err.code() == KafkaError.UNKNOWN_TOPIC_OR_PART
                   else FIXES.get(err.name(), "See the broker log."))
            self._report(CodealongError(f"{err.str()} ({err.name()})", fix), "subscription")
        return True
