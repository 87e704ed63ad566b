"""A chapter's one setup cell, and the one place its cells get settings and names from.

    chapter = start_chapter(3, bootstrap_servers=BOOTSTRAP_SERVERS, learner=LEARNER)
    conf = chapter.client_config()            # for confluent_kafka.Producer(conf), AdminClient(conf)
    TOPIC = chapter.topic("our_topic")        # "our_topic" alone, "ana.our_topic" in a workshop
    chapter.exercise("3.2", fresh_topics=["exercise_plain"])   # an exercise's clean slate

so that a plain-client cell reads like confluent-kafka's own documentation, in a workshop as alone.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from ..client.configs import Credentials, credentials
from ..client.names import scoped
from . import progress
from .notebook import check_environment, learner_from_environment, use_learner

REGISTRY_REQUEST_TIMEOUT_S = 5  # per request to the schema registry; the client retries a timed-out one


@dataclass(frozen=True)
class Chapter:
    number: int
    bootstrap_servers: str
    learner: str          # "" when working alone
    timeout: float        # the longest any of the chapter's cells waits for Kafka

    def topic(self, name: str) -> str:
        """A topic's name for this learner (their workshop prefix added, if any)."""
        return scoped(name)

    def group(self, name: str) -> str:
        """A consumer group's name for this learner (their workshop prefix added, if any)."""
        return scoped(name)

    def client_config(self, settings: Mapping[str, object] | None = None) -> Credentials:
        """Settings for a plain confluent-kafka client: bootstrap.servers, a workshop's login
        (from the environment; shown as '***'), then `settings` (e.g. {"group.id": ...})."""
        return Credentials({"bootstrap.servers": self.bootstrap_servers, **credentials(self.bootstrap_servers),
                            **(settings or {})})

    def schema_registry_config(self) -> dict[str, str]:
        """Settings for confluent-kafka's SchemaRegistryClient: the url from $SCHEMA_REGISTRY_URL, else
        the embedded registry (Apicurio, started on this chapter's Kafka if needed), and a timeout:
        the client sets none by default, so one request left unanswered would hang a cell for good."""
        from ..registry import registry_url

        return {"url": registry_url(self.bootstrap_servers, progress=True), "timeout": REGISTRY_REQUEST_TIMEOUT_S}

    def exercise(self, exercise_id: str, **slate) -> None:
        """Start an exercise from a slate it makes clean itself, and say what it made clean (see
        exercises.framework.begin for the options: fresh_topics, absent_topics, watch_topics, forget_groups)."""
        from .exercises.framework import begin

        begin(exercise_id, self.bootstrap_servers, **slate)

    def predict(self, exercise_id: str, **values) -> None:
        """Write a prediction down before the cell that shows the truth (a "predict, then run" exercise)."""
        from .exercises.framework import predict

        predict(exercise_id, **values)

    def done(self) -> None:
        """The chapter's last cell: in a workshop, the board learns the chapter is finished."""
        progress.chapter_done(self.number)  # silent: the cell's last line stays the chapter's headline


def start_chapter(number: int, *, bootstrap_servers: str | None = None, learner: str | None = None,
                  timeout: float = 15.0) -> Chapter:
    """Check the machine (Python, confluent-kafka, logging), find Kafka (the given servers, else
    KAFKA_BOOTSTRAP_SERVERS, else the embedded broker, started if needed), and make `learner`
    (else $CODEALONG_LEARNER) the owner of every topic and group the chapter names."""
    found = check_environment(bootstrap_servers)
    learner = learner_from_environment() if learner is None else learner
    use_learner(learner)
    return Chapter(number, found, learner, timeout)
