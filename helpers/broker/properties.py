"""The files a node reads at start: its server.properties (from the template in resources/, plus
the workshop profile's overrides) and the cluster's log4j2.yaml."""
from __future__ import annotations

import os
import string
import tempfile
from importlib import resources
from pathlib import Path

from .policy import policy_properties
from .layout import Layout
from .ports import HOST


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read. The text goes into a new file (created 0600) that then
    replaces the old one: an existing file's looser mode, or a reader holding it open, sees no secret."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w") as out:
            out.write(text)
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


def _resource(name: str) -> str:
    return resources.files("helpers.broker").joinpath(f"resources/{name}").read_text()


# Several nodes: a node stopped cleanly keeps its broker session until the session times out, and
# started again before that, its registration is refused (DUPLICATE_BROKER_REGISTRATION) and retried
# each heartbeat interval. Kafka's defaults (9 s, 2 s) kept chapter 8's restarted node out ~8 s.
# (One node alone is its own controller: not concerned, its properties stay as they were.)
_SEVERAL_NODES = """
# A stopped node may register again 4 s after its last heartbeat (defaults: 9 s, heartbeats 2 s apart).
broker.session.timeout.ms=4000
broker.heartbeat.interval.ms=1000
"""


class NodeProperties:
    """Renders and writes each node's server.properties."""

    def __init__(self, layout: Layout, ports: dict[int, tuple[int, int]], advertised_host: str,
                 sasl_bootstrap: str | None = None, admin: tuple[str, str] | None = None,
                 internal: tuple[str, dict[int, int]] | None = None, partition_budget: int | None = None):
        self.layout = layout
        self.partition_budget = partition_budget  # the workshop's, per learner (None: no limit)
        self.internal = internal  # (advertised name, node -> port) of the optional INTERNAL listener(s)
        self.ports = ports
        self.advertised_host = advertised_host
        self.sasl_bootstrap = sasl_bootstrap
        self.admin = admin

    def write(self, node: int) -> Path:
        """Write the node's server.properties (private: the workshop profile's holds the super user's
        password) and the cluster's log4j2.yaml; returns the properties file."""
        path = self.layout.properties(node)
        write_private(path, self.render(node))
        self.layout.log4j.write_text(_resource("log4j2.yaml"))
        return path

    def render(self, node: int) -> str:
        broker_port, controller_port = self.ports[node]
        nodes = len(self.ports)
        sasl = f",SASL_PLAINTEXT://{self.sasl_bootstrap}" if self.sasl_bootstrap else ""
        name, internal_ports = self.internal or ("", {})
        port = internal_ports.get(node)
        text = string.Template(_resource("server.properties")).substitute(
            node_id=node, voters=",".join(f"{n}@{HOST}:{c}" for n, (_, c) in self.ports.items()),
            broker_port=broker_port, controller_port=controller_port, advertised_host=self.advertised_host,
            sasl_listener=sasl, sasl_advertised=sasl, data_dir=self.layout.data(node),
            internal_listener=f",INTERNAL://{HOST}:{port}" if port else "",
            internal_advertised=f",INTERNAL://{name}:{port}" if port else "",
            internal_protocol=",INTERNAL:PLAINTEXT" if port else "",
            internal_rf=min(3, nodes), internal_min_isr=2 if nodes >= 3 else 1)
        if nodes > 1:
            text += _SEVERAL_NODES
        if self.admin:
            text += self._workshop(broker_port, controller_port)
        return text

    def _workshop(self, broker_port: int, controller_port: int) -> str:
        """Overrides (later keys win in a properties file) for the workshop profile: SASL/SCRAM for
        everyone, ACLs enforced, one super user (by SASL/PLAIN on the controllers' listener: the
        controllers must authenticate before any SCRAM user exists)."""
        user, password = self.admin
        return "\n".join([
            "", "# ---- workshop profile: SASL/SCRAM for everyone, ACLs enforced ----",
            f"listeners=SASL_PLAINTEXT://{self.advertised_host}:{broker_port},CONTROLLER://{HOST}:{controller_port}",
            f"advertised.listeners=SASL_PLAINTEXT://{self.advertised_host}:{broker_port}",
            "inter.broker.listener.name=SASL_PLAINTEXT",
            "sasl.mechanism.inter.broker.protocol=SCRAM-SHA-256",
            "listener.security.protocol.map=CONTROLLER:SASL_PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT",
            "listener.name.sasl_plaintext.sasl.enabled.mechanisms=SCRAM-SHA-256",
            "listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram."
            f'ScramLoginModule required username="{user}" password="{password}";',
            "sasl.mechanism.controller.protocol=PLAIN",
            "listener.name.controller.sasl.enabled.mechanisms=PLAIN",
            "listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain."
            f'PlainLoginModule required username="{user}" password="{password}" user_{user}="{password}";',
            "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            f"super.users=User:{user}",
            "allow.everyone.if.no.acl.found=false", ""]) + (
            policy_properties(self.partition_budget,
                              ",".join(f"{self.advertised_host}:{port}" for port, _ in self.ports.values()))
            if self.partition_budget else "")
