"""`codealong workshop check`: what the instructor needs to know before and during the day —
where the room listens, whether learners' connections arrive, who has joined, and each
learner's partitions against the budget."""
from __future__ import annotations

import ipaddress
from collections import Counter
from dataclasses import dataclass, field

import psutil

from ..broker import probe_metadata
from ..client.errors import BrokerUnreachable
from .board import ProgressBoard
from .room import Room


@dataclass
class RoomCheck:
    bootstrap: str
    answers: str                                                   # "" when the cluster answered, else why not
    listening: list[str] = field(default_factory=list)             # "node 1 on 192.168.1.5:9392 (pid 123)"
    remote: Counter = field(default_factory=Counter)               # other machines' address -> connections
    local_connections: int = 0                                     # from this machine (the admin, a rehearsal)
    joined: list[str] = field(default_factory=list)
    not_joined: list[str] = field(default_factory=list)
    partitions: dict[str, int] = field(default_factory=dict)
    budget: int | None = None
    registry: str = ""
    progress_read: bool = True                                    # False: joins and partitions are unknown

    def text(self) -> str:
        lines = [f"Cluster {self.bootstrap}: " + ("answers (logged in as the admin)." if not self.answers
                                                  else f"does NOT answer: {self.answers}")]
        lines += [f"  listening: {where}" for where in self.listening] or \
            ["  listening: (an existing cluster: its listeners are its operators')"]
        if self.remote:
            shown = ", ".join(f"{ip} ({n})" for ip, n in self.remote.most_common())
            lines.append(f"Connections from other machines: {len(self.remote)} address(es): {shown}.")
        elif self.listening:
            lines.append("Connections from other machines: none yet. If learners' `workshop join` fails, their "
                         "traffic does not reach this machine: the firewall, or a network that keeps devices apart "
                         "(see docs/teaching.md, The network).")
        if self.listening:
            lines.append(f"Connections from this machine: {self.local_connections}.")
        if not self.progress_read:
            return "\n".join(lines + ["Joined and partitions: unknown (the progress topics could not be read)."]
                             + ([self.registry] if self.registry else []))
        lines.append(f"Joined: {len(self.joined)} of {len(self.joined) + len(self.not_joined)}"
                     + (f"; not yet: {', '.join(self.not_joined)}" if self.not_joined else "") + ".")
        budget = f"budget {self.budget} each" if self.budget else "no budget"
        lines.append(f"Partitions ({budget}): " + ", ".join(f"{name} {n}" for name, n in self.partitions.items()) + ".")
        over = [name for name, n in self.partitions.items() if self.budget and n > self.budget]
        if over:  # by adding partitions to a topic: Kafka calls no policy for that
            lines.append(f"OVER the budget: {', '.join(over)} (partitions added to existing topics). "
                         f"`codealong workshop reset NAME` deletes their topics.")
        if self.registry:
            lines.append(self.registry)
        return "\n".join(lines)


def _own_addresses() -> set[str]:
    return {a.address.split("%")[0] for addresses in psutil.net_if_addrs().values() for a in addresses}


def broker_connections(room: Room) -> tuple[list[str], Counter, int]:
    """(what listens where, other machines' address -> established connections, connections from
    this machine) on the room's local cluster, read from the broker processes' sockets."""
    cluster = room.cluster()
    if cluster is None:
        return [], Counter(), 0
    mine, remote, local, listening = _own_addresses(), Counter(), 0, []
    for node in cluster.status():
        if not node.running:
            listening.append(f"node {node.node_id} on {room.host}:{node.port}: NOT running "
                             "(`codealong workshop start` starts it)")
            continue
        listening.append(f"node {node.node_id} on {room.host}:{node.port} (pid {node.pid})")
        try:
            sockets = psutil.Process(node.pid).net_connections(kind="tcp")
        except (psutil.Error, OSError):
            continue
        for conn in sockets:
            if conn.status != psutil.CONN_ESTABLISHED or not conn.raddr or conn.laddr.port != node.port:
                continue
            address = ipaddress.ip_address(conn.raddr.ip.split("%")[0])
            address = getattr(address, "ipv4_mapped", None) or address  # Java's dual-stack sockets: ::ffff:a.b.c.d
            if str(address) in mine or address.is_loopback:
                local += 1
            else:
                remote[str(address)] += 1
    return listening, remote, local


def check_room(room: Room, board: ProgressBoard | None, partitions: dict[str, int], registry: str,
               timeout: float = 8) -> RoomCheck:
    """Put together what `workshop check` prints (the board and the partition counts are read by
    the caller, so that a cluster that does not answer still gives the rest)."""
    try:
        probe_metadata(room.bootstrap, timeout=timeout, **room.admin().client_settings())
        answers = ""
    except BrokerUnreachable as err:
        answers = str(err.cause)
    listening, remote, local = broker_connections(room)
    rows = {row["learner"]: row for row in board.rows()} if board is not None else {}
    # joined at the room's address as it is now (after a move, everyone joins again)
    joined = [name for name in room.learners if rows.get(name, {}).get("joined_at") == room.bootstrap]
    return RoomCheck(room.bootstrap, answers, listening, remote, local, joined,
                     [name for name in room.learners if name not in joined], partitions, room.partition_budget,
                     registry, progress_read=board is not None)
