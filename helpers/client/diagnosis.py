"""Why a send failed, in words a learner can act on: pure functions, no client and no broker.

The producer collects the facts (the client's error events, the delivery reports, which
partitions had no leader) and these functions turn them into a ProduceError whose cause
names what the client or the broker said, and whose fix says what to do.
"""
from __future__ import annotations

from typing import Any, Iterable, NamedTuple

from confluent_kafka import KafkaError

from .errors import CodealongError


class Delivery(NamedTuple):
    """Where the broker wrote a message."""
    topic: str
    partition: int
    offset: int
    key: Any = None


class ProduceError(CodealongError):
    """A message was not accepted. ``code`` is the error's name (Kafka's, e.g. "TOPIC_EXCEPTION",
    or the helpers' diagnosis, e.g. "LEADER_NOT_AVAILABLE" for a time-out with no leader);
    ``reported`` is what the client itself reported, verbatim ("Local: Message timed out
    (_MSG_TIMED_OUT)"), and ``side`` who produced that: "client" or "broker". ``kafka_error``
    is that report itself, confluent-kafka's ``KafkaError`` (``code()``, ``name()``,
    ``retriable()``, ``fatal()``), or None when the client reported nothing. ``delivered``
    lists what was written before the failure."""

    def __init__(self, cause: str, fix: str, code: str | None = None, delivered: Iterable[Delivery] = (),
                 reported: KafkaError | None = None, side: str | None = None):
        super().__init__(cause, fix)
        self.code = code
        self.delivered = list(delivered)
        self.kafka_error = reported
        self.reported = f"{reported.str()} ({reported.name()})" if reported is not None else ""
        self.side = side or (side_of(reported) if reported is not None else "client")


def side_of(err: KafkaError) -> str:
    """Who produced an error: librdkafka marks the broker's answers "Broker: ..." and its own
    "Local: ..." (a produce() that raises at once is always the client's, see produce_error)."""
    return "broker" if err.str().startswith("Broker:") else "client"


FIXES = {
    "TOPIC_EXCEPTION": "Use a topic name made of ASCII letters, digits, '.', '_' and '-' (no spaces), "
                       "at most 249 characters.",
    "LEADER_NOT_AVAILABLE": "Wait and retry: the partition's leader is starting up or its broker is down. "
                            "Topics with a replication factor above 1 keep a leader when one broker stops, as long "
                            "as another replica is in sync.",
    "NOT_LEADER_OR_FOLLOWER": "Retry: leadership moved to another broker.",
    "MSG_SIZE_TOO_LARGE": "Send smaller messages (split or compress them), or raise the client's "
                          "message.max.bytes and the topic's max.message.bytes (or the broker's "
                          "message.max.bytes, the default of topics without their own).",
    "UNKNOWN_TOPIC_OR_PART": "Create the topic first (helpers.topics.create_topic), or enable "
                             "auto.create.topics.enable on the broker.",
    "_UNKNOWN_PARTITION": "Send to a partition that exists (0 to partitions - 1), or let the strategy choose.",
    "_MSG_TIMED_OUT": "Check that the broker is running and reachable (`codealong broker status`), then retry.",
    "_TRANSPORT": "Start the broker (`codealong broker start`) or correct the endpoints / KAFKA_BOOTSTRAP_SERVERS.",
    "TOPIC_AUTHORIZATION_FAILED": "Your user has no ACL for this topic. In a workshop each learner owns the topics "
                                  "under their prefix (`<learner>.`): the helpers add it for you, a plain client "
                                  "needs chapter.topic(name). Elsewhere, ask the cluster's operator for access.",
    "GROUP_AUTHORIZATION_FAILED": "Your user has no ACL for this consumer group. In a workshop use a group under "
                                  "your prefix (the helpers add it; a plain client needs chapter.group(name)); "
                                  "elsewhere ask the cluster's operator.",
    "_QUEUE_FULL": "Send fewer messages per call, or raise queue.buffering.max.messages in client_settings; "
                   "check that the broker is running (`codealong broker status`).",
    "_TIMED_OUT": "Check that the broker is running and reachable (`codealong broker status`), then retry.",
    "_AUTHENTICATION": "Check the username and password in the environment variables named by [security] "
                       "(KAFKA_USERNAME / KAFKA_PASSWORD by default), and the sasl_mechanism.",
}
#: The one set of answers that mean "not yet" (a topic being created or deleted, a leader being
#: elected, a broker not answering yet): worth asking again while the call's deadline lasts.
#: Used by the producer's metadata look-ups and by the topic administration (topics.py).
RETRIABLE = frozenset({"UNKNOWN_TOPIC_OR_PART", "LEADER_NOT_AVAILABLE", "NOT_LEADER_OR_FOLLOWER", "_TRANSPORT",
                       "_TIMED_OUT"})
_DOWN = (KafkaError._ALL_BROKERS_DOWN, KafkaError._TRANSPORT)


def produce_error(err: KafkaError, where: str, delivered=(), extra: str = "", refused_locally: bool = False) -> ProduceError:
    """A ProduceError for a Kafka error code, with the fix known for it. `refused_locally`: the
    client refused the message before sending it (produce() raised), whatever the code's text says."""
    who = "The client refused" if refused_locally else "Kafka refused"
    return ProduceError(f"{who} {where}: {err.name()} ({err.str()}){extra}.",
                        FIXES.get(err.name(), "See the broker's log (`codealong broker logs`)."),
                        code=err.name(), delivered=delivered, reported=err,
                        side="client" if refused_locally else None)


def _first(errors: list[KafkaError], *codes: int) -> KafkaError | None:
    return next((e for e in errors if e.code() in codes), None)


def explain_unreachable(servers: str, topic: str, err: KafkaError, client_errors: list[KafkaError]) -> ProduceError:
    """No metadata answer for `topic`: refused credentials, or no broker at all."""
    refused = _first(client_errors, KafkaError._AUTHENTICATION)
    if refused is not None:
        return ProduceError(f"The broker at {servers} refused the credentials (SASL authentication failed).",
                            FIXES["_AUTHENTICATION"], code="_AUTHENTICATION", reported=refused, side="broker")
    return ProduceError(f"No broker at {servers} answered a metadata request for {topic!r} ({err.str()}).",
                        FIXES["_TRANSPORT"], code=err.name(), reported=err)


def explain_timeout(*, topic: str, timeout_s: float, servers: str, client_errors: list[KafkaError],
                    leaderless: list[int], failure: KafkaError | None, missing: int,
                    delivered: list[Delivery]) -> ProduceError:
    """Messages not acknowledged within the call's deadline: say why, from the facts gathered.

    `failure` is a delivery report's error (usually _MSG_TIMED_OUT) or None when the deadline
    came first; `missing` counts messages with no report at all; `leaderless` lists partitions
    the metadata showed without a leader."""
    # What the client itself reported: the delivery report's time-out (or, when the call's own
    # deadline came first, nothing yet). The codes below are the helpers' diagnosis of it.
    timed_out = failure
    unresolved = _first(client_errors, KafkaError._RESOLVE)
    if unresolved is not None:
        name = unresolved.str().split("Failed to resolve '")[-1].split("'")[0]
        return ProduceError(
            f"The broker at {servers} answered, but its metadata names a broker at {name!r}, which this "
            f"machine cannot resolve, so the message was not acknowledged within {timeout_s:g} s.",
            "Make the broker advertise an address clients can reach: with Docker, a second listener "
            "advertised as localhost:29092 (see docker-compose.yml) and KAFKA_BOOTSTRAP_SERVERS=localhost:29092.",
            code="_RESOLVE", delivered=delivered, reported=timed_out)
    if leaderless:
        return ProduceError(f"The message to {topic!r} timed out after {timeout_s:g} s: partition "
                            f"{leaderless[0]} has no leader (LEADER_NOT_AVAILABLE).",
                            FIXES["LEADER_NOT_AVAILABLE"], code="LEADER_NOT_AVAILABLE", delivered=delivered,
                            reported=timed_out)
    if _first(client_errors, KafkaError._AUTHENTICATION):
        return ProduceError(f"The broker at {servers} refused the credentials (SASL authentication failed).",
                            FIXES["_AUTHENTICATION"], code="_AUTHENTICATION", delivered=delivered,
                            reported=timed_out)
    down = [e for e in client_errors if e.code() in _DOWN]
    if down:
        return ProduceError(f"No broker at {servers} acknowledged the message within "
                            f"{timeout_s:g} s ({down[-1].str()}).", FIXES["_TRANSPORT"],
                            code="_MSG_TIMED_OUT", delivered=delivered, reported=timed_out)
    if failure is not None:
        return produce_error(failure, f"a message to {topic!r}", delivered, extra=f" after {timeout_s:g} s")
    return ProduceError(f"{missing} message(s) to {topic!r} were not acknowledged within {timeout_s:g} s "
                        "(they may still be written).", FIXES["_MSG_TIMED_OUT"], code="_MSG_TIMED_OUT",
                        delivered=delivered, side="client")
