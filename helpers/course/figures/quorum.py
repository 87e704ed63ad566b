"""Chapter 2's picture of KRaft: the controllers keep the cluster's metadata in a log of their own
(the __cluster_metadata topic's single partition), replicated with Raft; the active controller is
that log's leader; brokers fetch the log from it and send it heartbeats.

    quorum()                       # the usual shape: three controllers, three brokers
    quorum(combined_node=1)        # plus a note on a node that is both (this course's broker)

Kafka's facts it draws: the voters elect one active controller (the Raft leader); a metadata
record is committed once a majority of the voters has it, so three controllers survive the loss
of one; the others are hot standbys that fetch the log; brokers are observers that fetch the same
log to learn about topics, partitions and leaders, and register and heartbeat with the active
controller; producers and consumers never talk to the controllers: they ask brokers for metadata.
"""
from __future__ import annotations

from .svg import Diagram


def quorum(combined_node: int | None = None) -> Diagram:
    d = Diagram(760, 410 if combined_node is not None else 370, "The KRaft quorum: controllers and brokers")
    d.text(20, 20, "KRaft: the controllers keep the metadata log; brokers fetch it", bold=True, size=14)
    d.box(20, 40, 720, 120, color="white", dashed=True)
    d.text(32, 56, "controller quorum (the voters), log __cluster_metadata: a record is committed once a "
                   "majority (2 of 3) has it", size=12)
    for i, node in enumerate((1, 2, 3)):
        x = 40 + 240 * i
        active = i == 1
        d.box(x, 70, 200, 70, color="leader" if active else "follower",
              text_color="white" if active else "text")
        d.text(x + 100, 90, f"controller {node}" + (": ACTIVE" if active else ": standby"), anchor="middle",
               bold=True, color="white" if active else "text")
        d.text(x + 100, 118, "Raft leader of the log" if active else "fetches the log", anchor="middle", size=11,
               color="white" if active else "text")
    d.arrow(280, 105, 242, 105, dashed=True)
    d.arrow(480, 105, 518, 105, dashed=True)
    for i, node in enumerate((4, 5, 6)):
        x = 40 + 240 * i
        d.box(x, 250, 200, 60, color="broker")
        d.text(x + 100, 270, f"broker {node}", anchor="middle", bold=True, color="white")
        d.text(x + 100, 292, "stores partitions; caches metadata", anchor="middle", size=11, color="white")
        d.arrow(380, 142, x + 100, 248, dashed=True)
    d.text(560, 200, "brokers fetch the log and\nheartbeat to the active one", size=11)
    d.text(20, 340, "Producers and consumers ask brokers for metadata, never the controllers (only admin tools "
                    "may, with --bootstrap-controller).", size=11)
    if combined_node is not None:
        d.text(20, 372, f"This course's embedded Kafka: node {combined_node} is broker and controller in one "
                        "process (combined mode),\nthe only voter, so it is always the active controller.",
               size=11, color="note")
    return d
