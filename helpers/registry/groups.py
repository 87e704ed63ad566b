"""The registry's consumer groups on its Kafka: recognisable, and not left to pile up.

Apicurio's kafkasql consumers (the journal's, the snapshots', and one that checks the topics'
settings) join a NEW group at every start, `<apicurio.kafkasql.consumer.group-prefix><random
UUID>`: a fixed group.id is refused (KafkaSqlConfiguration drops it and logs "KafkaSQL requires
a unique consumer group on each startup to ensure full journal replay"). What we can do:
- the prefix `codealong-registry-` says whose groups they are (Apicurio's default is `apicurio-`);
- no offsets committed (`enable.auto.commit=false`: a fresh group reads the journal from the
  start anyway), so Kafka's group coordinator deletes each group on its own once it is empty
  (its periodic clean-up, offsets.retention.check.interval.ms, 10 min by default), instead of
  keeping it for the offsets' retention (7 days);
- and we delete the empty ones at once after each start and stop. The journal consumer is not
  closed when Apicurio stops, so its group keeps a dead member until the session times out
  (session.timeout.ms, 45 s by default); the next start or stop deletes it.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Mapping

log = logging.getLogger(__name__)

GROUP_PREFIX = "codealong-registry-"
ADMIN_TIMEOUT_S = 10.0
_JAAS_FIELD = r'\b{}\s*=\s*"([^"]*)"'


def admin_config(bootstrap: str, kafka_login: Mapping[str, str] | None = None) -> dict[str, str]:
    """librdkafka settings for an AdminClient on the registry's Kafka, with its login (the Java
    `sasl.jaas.config` read back as sasl.username / sasl.password)."""
    config = {"bootstrap.servers": bootstrap}
    for key, value in (kafka_login or {}).items():
        if key in ("security.protocol", "sasl.mechanism"):
            config[key] = value
        elif key == "sasl.jaas.config":
            for field in ("username", "password"):
                found = re.search(_JAAS_FIELD.format(field), value)
                if found:
                    config[f"sasl.{field}"] = found.group(1)
    return config


def registry_groups(admin, timeout: float = ADMIN_TIMEOUT_S) -> dict[str, str]:
    """The registries' groups on this Kafka: group id -> state (e.g. "STABLE", "EMPTY")."""
    listed = admin.list_consumer_groups(request_timeout=timeout).result(timeout)
    return {g.group_id: g.state.name for g in listed.valid if g.group_id.startswith(GROUP_PREFIX)}


def forget_stale_groups(bootstrap: str, kafka_login: Mapping[str, str] | None = None,
                        timeout: float = ADMIN_TIMEOUT_S) -> list[str]:
    """Delete the registries' groups that no consumer uses any more (empty: a stopped registry's).
    Best effort: a Kafka that refuses or does not answer is logged, never raised. Returns the
    deleted group ids."""
    from confluent_kafka.admin import AdminClient

    try:
        admin = AdminClient(admin_config(bootstrap, kafka_login))
        stale = [group for group, state in registry_groups(admin, timeout).items() if state in ("EMPTY", "DEAD")]
        if not stale:
            return []
        deleted = []
        for group, future in admin.delete_consumer_groups(stale, request_timeout=timeout).items():
            try:
                future.result(timeout)
                deleted.append(group)
            except Exception as err:  # KafkaException: it became active again, or no permission
                log.debug("Could not delete the registry's old consumer group %s: %s", group, err)
        return deleted
    except Exception as err:  # a Kafka that is gone or refuses us: the groups stay, nothing breaks
        log.debug("Could not list the registry's old consumer groups on %s: %s", bootstrap, err)
        return []
