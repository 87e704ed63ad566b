"""The instructor's admin side of a workshop: a SCRAM user per learner, PREFIXED ACLs on the
learner's topics and groups, per-user quotas, and a reset that touches one learner only.

Everything here runs as the cluster's super user (the `admin` connection)."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from confluent_kafka import KafkaException
from confluent_kafka.admin import (AclBinding, AclOperation, AclPermissionType, ResourcePatternType, ResourceType,
                                   ScramCredentialInfo, ScramMechanism, UserScramCredentialUpsertion)

from ..client.config import Connection
from ..client.deadline import Deadline
from ..client.errors import CodealongError
from ..course.kafka_tools import kafka
from ..client.names import SHARED_PREFIX, check_learner
from ..course.progress import progress_topic
from ..client.topics import admin_for, create_topic

log = logging.getLogger(__name__)

SCRAM_ITERATIONS = 8192
#: What a learner may do with topics under their prefix: everything the chapters do.
# ALTER: adding partitions to one's own topic (chapter 10).
TOPIC_OPERATIONS = (AclOperation.CREATE, AclOperation.READ, AclOperation.WRITE, AclOperation.DESCRIBE,
                    AclOperation.DELETE, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS, AclOperation.ALTER)
# Configs on groups: chapter 14 sets a share group's start (share.auto.offset.reset).
GROUP_OPERATIONS = (AclOperation.READ, AclOperation.DESCRIBE, AclOperation.DELETE, AclOperation.DESCRIBE_CONFIGS,
                    AclOperation.ALTER_CONFIGS)
# Chapter 11's transactional producer: its transactional.id is under the learner's prefix too.
TRANSACTION_OPERATIONS = (AclOperation.WRITE, AclOperation.DESCRIBE)
# Chapter 14's dead-letter topic, "dlq.<learner>.<topic>": Kafka requires the "dlq." prefix
# (errors.deadletterqueue.topic.name.prefix). The exercise creates it; the check reads it; the
# broker itself writes to it.
DEAD_LETTER_PREFIX = "dlq."
DEAD_LETTER_OPERATIONS = (AclOperation.CREATE, AclOperation.READ, AclOperation.DESCRIBE)


class WorkshopError(CodealongError):
    """An instructor's command could not be carried out."""


#: The admin's own quota: high enough never to throttle resets and the board.
UNLIMITED = ("producer_byte_rate=1073741824,consumer_byte_rate=1073741824,request_percentage=10000,"
             "controller_mutation_rate=1000000")


@dataclass(frozen=True)
class Quotas:
    """Per-user limits, so one learner's runaway loop cannot starve the room. Kafka throttles a
    user over a rate quota (delays its answers); only the mutation quota also refuses requests,
    and only those of the newer request versions (below)."""
    producer_byte_rate: int = 2 * 1024 * 1024
    consumer_byte_rate: int = 4 * 1024 * 1024
    request_percentage: int = 50  # of one broker thread's time, per user
    # Partitions created or deleted per second (KIP-599). While a user is under it, Kafka lets a
    # request through, even one that takes them far over; then it holds them back until the rate is
    # under it again: THROTTLING_QUOTA_EXCEEDED for the newer request versions (Kafka's Java tools),
    # a delayed answer for the older ones librdkafka sends (tested). It bounds churn; the partition
    # budget bounds how many partitions a learner holds.
    controller_mutation_rate: int = 50

    def as_config(self) -> str:
        return (f"producer_byte_rate={self.producer_byte_rate},consumer_byte_rate={self.consumer_byte_rate},"
                f"request_percentage={self.request_percentage},"
                f"controller_mutation_rate={self.controller_mutation_rate}")


def acl_bindings(learner: str) -> list[AclBinding]:
    """Every ACL a learner gets: their prefix's topics (their progress topic among them), groups and
    transactional ids, and read on the workshop's topics. Nothing else: Kafka's authorizer denies
    what no ACL allows."""
    learner = check_learner(learner)
    principal, prefix = f"User:{learner}", f"{learner}."

    def allow(kind, name, pattern, operation):
        return AclBinding(kind, name, pattern, principal, "*", operation, AclPermissionType.ALLOW)

    own = [allow(ResourceType.TOPIC, prefix, ResourcePatternType.PREFIXED, op) for op in TOPIC_OPERATIONS]
    own += [allow(ResourceType.GROUP, prefix, ResourcePatternType.PREFIXED, op) for op in GROUP_OPERATIONS]
    own += [allow(ResourceType.TRANSACTIONAL_ID, prefix, ResourcePatternType.PREFIXED, op)
            for op in TRANSACTION_OPERATIONS]
    own += [allow(ResourceType.TOPIC, DEAD_LETTER_PREFIX + prefix, ResourcePatternType.PREFIXED, op)
            for op in DEAD_LETTER_OPERATIONS]
    shared = [allow(ResourceType.TOPIC, SHARED_PREFIX, ResourcePatternType.PREFIXED, op)
              for op in (AclOperation.READ, AclOperation.DESCRIBE)]
    return own + shared


ADMIN_FIX = ("Check that the admin credentials are the cluster's super user "
             "(CODEALONG_ADMIN_USER / CODEALONG_ADMIN_PASSWORD).")


def _results(futures: dict, doing: str, timeout: float, fix: str = ADMIN_FIX) -> None:
    deadline = Deadline(timeout)
    for key, future in futures.items():
        try:
            future.result(deadline.remaining(0.5))
        except KafkaException as err:
            raise WorkshopError(f"Kafka refused to {doing} ({key}): {err.args[0].str()}.", fix) from None
        except Exception as err:  # a future that timed out on our side
            raise WorkshopError(f"Kafka did not finish to {doing} ({key}) within {timeout:g} s: {err}.",
                                "Check the cluster (`codealong workshop status`) and run the command again.") from None


def add_learner(admin: Connection, learner: str, password: str, timeout: float = 30) -> None:
    """Create (or update) the learner's SCRAM user and ACLs; safe to run again."""
    client = admin_for(admin)
    upsert = UserScramCredentialUpsertion(learner, ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, SCRAM_ITERATIONS),
                                          password.encode())
    _results(client.alter_user_scram_credentials([upsert], request_timeout=timeout), "create the user", timeout)
    _results(dict(enumerate(client.create_acls(acl_bindings(learner), request_timeout=timeout).values())),
             f"grant {learner}'s ACLs", timeout)


def set_quotas(admin: Connection, quotas: Quotas) -> None:
    """The same quotas for every user (Kafka's default user entity), and none for the admin,
    who must be able to reset and watch the room whatever the learners do."""
    admin_user = admin.security.client_settings()["sasl.username"]
    for entity, limits in ((["--entity-default"], quotas.as_config()), (["--entity-name", admin_user], UNLIMITED)):
        run = kafka("kafka-configs", "--alter", "--entity-type", "users", *entity, "--add-config", limits,
                    where=admin, timeout=60)
        if not run.ok:
            raise WorkshopError(f"kafka-configs could not set the user quotas: {str(run)[-300:]}",
                                "Check the admin credentials and the cluster, then run `workshop start` again.")


def create_progress_topic(admin: Connection, learner: str, replication_factor: int) -> None:
    """The learner's progress topic (kept a week; kept by a reset too: it is the instructor's record)."""
    create_topic(admin, progress_topic(learner), partitions=1, replication_factor=replication_factor,
                 config={"retention.ms": str(7 * 24 * 3600 * 1000)})


def owner_of(topic: str) -> str | None:
    """The learner a topic counts against ("ana" for "ana.orders" and "dlq.ana.orders"), as the
    partition-budget policy counts (helpers/broker/resources/PartitionBudgetPolicy.java)."""
    name = topic[len(DEAD_LETTER_PREFIX):] if topic.startswith(DEAD_LETTER_PREFIX) else topic
    owner, dot, _ = name.partition(".")
    return owner if dot and owner and not name.startswith(("_", "workshop.")) else None


@dataclass
class ResetReport:
    learner: str
    topics: list[str]
    groups: list[str]
    subjects: list[str] = field(default_factory=list)
    registry: str = ""   # why the subjects were not looked at ("" when they were)

    def __str__(self) -> str:
        subjects = f"; {self.registry}" if self.registry else f", {len(self.subjects)} schema subject(s)"
        return (f"{self.learner}: deleted {len(self.topics)} topic(s), {len(self.groups)} group(s){subjects} "
                f"under {self.learner}.")


def reset_learner(admin: Connection, learner: str, timeout: float = 60, registry_url: str | None = None) -> ResetReport:
    """Delete the learner's topics and consumer groups (everything under `<learner>.` but their
    progress topic, and their dead-letter topics under `dlq.<learner>.`), and their subjects in the registry at
    `registry_url` (a Confluent-compatible URL) if given; nothing else.
    A group with live members cannot be deleted: the error says to stop the learner's consumers."""
    prefix = f"{check_learner(learner)}."
    theirs = (prefix, DEAD_LETTER_PREFIX + prefix)
    subjects, unreachable = _reset_subjects(registry_url, theirs, learner) if registry_url else ([], "")
    deadline = Deadline(timeout)
    client = admin_for(admin)
    kept = progress_topic(learner)  # the instructor's record of the learner's progress
    topics = sorted(t for t in client.list_topics(timeout=deadline.remaining(0.5)).topics
                    if t.startswith(theirs) and t != kept)
    if topics:
        _results(client.delete_topics(topics, request_timeout=deadline.remaining(0.5)), "delete topics",
                 deadline.remaining(0.5))
    listing = client.list_consumer_groups(request_timeout=deadline.remaining(0.5)).result(deadline.remaining(0.5))
    groups = sorted(g.group_id for g in listing.valid if g.group_id.startswith(prefix))
    if groups:
        _results(client.delete_consumer_groups(groups, request_timeout=deadline.remaining(0.5)), "delete groups",
                 deadline.remaining(0.5), fix=f"A group with running consumers cannot be deleted: ask {learner} to stop "
                 "them (or restart the notebook's kernel), then reset again.")
    gone = deadline.until(lambda: not any(t.startswith(theirs) and t != kept for t in
                                          client.list_topics(timeout=deadline.remaining(0.5)).topics), step=0.2)
    if not gone:
        raise WorkshopError(f"{learner}'s topics were still listed {timeout:g} s after their deletion.",
                            "Run the reset again in a moment.")
    return ResetReport(learner, topics, groups, subjects, unreachable)


def _reset_subjects(registry_url: str, prefixes: tuple[str, ...], learner: str) -> tuple[list[str], str]:
    """Delete the subjects under the learner's prefixes: (deleted, "") or ([], why not)."""
    from urllib.error import HTTPError

    from .subjects import RegistryUnreachable, delete_subject, learner_subjects

    try:
        subjects = learner_subjects(registry_url, prefixes)
    except RegistryUnreachable as err:
        return [], f"the schema registry did not answer ({err}): {learner}'s subjects were not deleted"
    for subject in subjects:
        try:
            delete_subject(registry_url, subject)
        except (HTTPError, OSError) as err:
            raise WorkshopError(f"The schema registry refused to delete the subject {subject}: {err}.",
                                "Check `codealong workshop status` (does the registry answer?), then reset again.") from None
    return subjects, ""
