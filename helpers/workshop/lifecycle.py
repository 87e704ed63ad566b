"""What the instructor's `codealong workshop ...` commands do, as functions (the CLI is a thin
layer over them, and the tests call them directly)."""
from __future__ import annotations

import concurrent.futures
import logging
import secrets
import socket
from pathlib import Path

from .. import settings
from ..broker import probe_metadata
from ..client.config import Connection
from ..client.deadline import Deadline
from ..client.topics import admin_for, create_topic
from .access import (Quotas, ResetReport, WorkshopError, add_learner, create_progress_topic, owner_of, reset_learner,
                     set_quotas)
from .board import ProgressBoard, read_progress
from .registry_choice import choose_registry
from .room import Room, RoomError, WORKSHOP_PORT_OFFSET, read_env_file, workshop_dir

DEFAULT_PARTITION_BUDGET = 300  # per learner: chapters 1-15 leave a learner well under half of it (tested)
DEMO_TOPIC = "workshop.leader-demo"  # the leader demonstration's topic (every learner may read workshop.*)

log = logging.getLogger(__name__)


def start_workshop(learners: list[str], nodes: int | None = None, bootstrap: str | None = None,
                   host: str | None = None, port: int | None = None, folder: Path | None = None, quotas: Quotas = Quotas(),
                   registry_url: str | None = None, registry_port: int | None = None, registry: bool = True,
                   partition_budget: int | None = None) -> Room:
    """Start (or extend) a workshop: the cluster (a local one unless `bootstrap` names an existing
    one), the schema registry, the progress topic, quotas, and a user, ACLs and join sheet per
    learner. Running it again with more learners adds them; a learner's password is kept once made.

    The registry: `registry_url` (a Confluent-compatible URL: the instructor's own) if given; else,
    for a local cluster, one the workshop starts (Apicurio, its API on the room's address and
    `registry_port`, default 8381, its journal in the room's Kafka); else $SCHEMA_REGISTRY_URL for
    an existing cluster.
    `registry=False`: none (a room that will not run chapter 15).

    `partition_budget`: the most partitions one learner's topics may hold (default
    DEFAULT_PARTITION_BUDGET; 0: none), enforced by the local cluster's controller (see
    helpers.broker.policy); an existing cluster has whatever limits its operators set."""
    folder = folder or workshop_dir()
    try:
        room = Room.load(folder)
    except RoomError:
        room = None
    if room is not None:
        moving = bool(room.nodes) and host is not None and host != room.host
        _refuse_changed_settings(room, nodes=nodes, bootstrap=bootstrap, host=None if moving else host, port=port,
                                 partition_budget=partition_budget)
        if moving:
            _move(room, check_host(host))
        room.learners = room.learners + [name for name in learners if name not in room.learners]
    elif bootstrap:
        room = Room(folder, bootstrap, list(learners))
    else:
        host, nodes = check_host(host or "127.0.0.1"), nodes or 1
        first = port or settings.base_port() + WORKSHOP_PORT_OFFSET
        budget = DEFAULT_PARTITION_BUDGET if partition_budget is None else partition_budget
        room = Room(folder, ",".join(f"{host}:{first + 2 * i}" for i in range(nodes)), list(learners),
                    nodes=nodes, port=first, host=host, partition_budget=budget or None)
    if registry:
        choose_registry(room, registry_url, registry_port)
    if room.nodes:
        room.make_admin_password()
        log.info("%s", room.cluster().start(progress=True))
    admin = room.admin()
    probe_metadata(room.bootstrap, timeout=10, **admin.client_settings())
    # The users in a thread while the registry starts (15-25 s) here: a JVM started from a thread
    # that then ends would die with it under $CODEALONG_DIE_WITH_PARENT (the test suite).
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        users = pool.submit(_users, room, admin, quotas)
        local = room.registry(login=True)
        if local is not None:
            log.info("%s", local.start(room.bootstrap))
        users.result()
    room.save()
    room.write_room_sheet()
    return room


def _move(room: Room, host: str) -> None:
    """The room's address changed (another network, a new lease): stop its cluster and registry, and
    point the room at `host`; the start that follows brings them up there and writes every join
    sheet again, with the same passwords."""
    log.info("Moving the workshop from %s to %s: stopping its hub, registry and cluster.", room.host, host)
    if _stop_hub(room):
        log.warning("The browser hub was stopped: start it again on the new address (`codealong workshop hub start`).")
    stop_registry(room)
    room.cluster().stop()
    room.host = host
    room.bootstrap = ",".join(f"{host}:{room.port + 2 * i}" for i in range(room.nodes))
    if room.registry_port is not None:
        from ..registry.readiness import CCOMPAT

        room.registry_url = f"http://{host}:{room.registry_port}{CCOMPAT}"


def _users(room: Room, admin: Connection, quotas: Quotas) -> None:
    set_quotas(admin, quotas)
    for learner in room.learners:
        create_progress_topic(admin, learner, _replication_factor(room))
        stored = room.password_file(learner)
        password = read_env_file(stored).get("KAFKA_PASSWORD") if stored.exists() else None
        password = password or secrets.token_urlsafe(18)
        add_learner(admin, learner, password)
        room.write_join_files(learner, password)


def _replication_factor(room: Room) -> int:
    """The room's own topics': every node of a local cluster up to 3; 1 on an existing cluster."""
    return min(3, room.nodes) if room.nodes else 1


def reissue_password(room: Room, learner: str) -> Path:
    """A new password for one learner (their password file was lost, or seen): the cluster's user
    is updated and their join files written again; the old password stops working. Returns the
    new password file."""
    if learner not in room.learners:
        raise RoomError(f"{learner!r} is not a learner of the workshop in {room.folder} "
                        f"({', '.join(room.learners)}).", "Check the name, or add them: `codealong workshop start "
                        f"--learners {learner}`.")
    password = secrets.token_urlsafe(18)
    add_learner(room.admin(), learner, password)
    room.write_join_files(learner, password)
    return room.password_file(learner)


def _refuse_changed_settings(room: Room, **given) -> None:
    """A room keeps the cluster it was started with: a changed --port, --nodes, --bootstrap or
    --partition-budget is refused by name (its join sheets and the cluster's listeners hold the old
    values), never ignored. (A changed --host of a local cluster moves the room: see _move.)"""
    saved = {"nodes": room.nodes, "bootstrap": None if room.nodes else room.bootstrap,
             "host": room.host if room.nodes else None, "port": room.port,
             "partition_budget": room.partition_budget or 0}
    changed = {key: value for key, value in given.items() if value is not None and value != saved[key]}
    if changed:
        was = ", ".join(f"--{key.replace('_', '-')} {saved[key]}" for key in changed)
        now = ", ".join(f"--{key.replace('_', '-')} {value}" for key, value in changed.items())
        raise RoomError(f"The workshop in {room.folder} was started with {was}; this start asks for {now}, which "
                        "its cluster and join sheets do not have.",
                        f"Start the room afresh in a new folder (new passwords and sheets): `codealong workshop stop "
                        f"--folder {room.folder}`, then `codealong workshop start --learners "
                        f"{','.join(room.learners)} {now.replace(',', '')} --folder NEW_FOLDER`; or start this one "
                        "again without those options.")


def check_host(host: str) -> str:
    """The address a local workshop cluster listens on must be one of this machine's (else the
    brokers cannot bind it, and every join sheet would send learners elsewhere)."""
    import psutil

    mine = {address.address.split("%")[0] for addresses in psutil.net_if_addrs().values() for address in addresses
            if address.family in (socket.AF_INET, socket.AF_INET6)}
    if host in mine or host == "localhost":
        return host
    shown = ", ".join(sorted(a for a in mine if ":" not in a)) or "none"
    raise RoomError(f"--host {host} is not an address of this machine (its IPv4 addresses: {shown}).",
                    "Pass this machine's address on the room's network (one of those above; `ip addr` or "
                    "`ipconfig getifaddr en0` on a Mac shows it), or 127.0.0.1 to rehearse alone.")


def status(room: Room, timeout: float = 15) -> ProgressBoard:
    return read_progress(room.admin(), room.learners, timeout=timeout)


def reset(room: Room, learner: str | None = None) -> list[ResetReport]:
    names = [learner] if learner else room.learners
    unknown = [n for n in names if n not in room.learners]
    if unknown:
        raise WorkshopError(f"{', '.join(unknown)} is not a learner of this workshop.",
                            f"Use one of: {', '.join(room.learners)}.")
    admin = room.admin()
    reports = [reset_learner(admin, name, registry_url=room.registry_url) for name in names]
    for name in names:  # a learner may have deleted their own progress topic: the reset brings it back
        create_progress_topic(admin, name, _replication_factor(room))
    return reports


def partition_usage(room: Room, timeout: float = 10) -> dict[str, int]:
    """Partitions each learner's topics hold now (what the partition budget counts)."""
    usage = dict.fromkeys(room.learners, 0)
    for topic, metadata in admin_for(room.admin()).list_topics(timeout=timeout).topics.items():
        owner = owner_of(topic)
        if owner in usage:
            usage[owner] += len(metadata.partitions)
    return usage


def stop(room: Room) -> list[int]:
    """Stop the workshop's browser hub and registry, then its local cluster (their data and the
    learners' workspaces are kept; `start` brings them back)."""
    cluster = room.cluster()
    if cluster is None:
        raise WorkshopError(f"This workshop uses an existing cluster ({room.bootstrap}); the codealong did not "
                            "start it and does not stop it.", "Stop it the way it was started, if you mean to.")
    _stop_hub(room)
    stop_registry(room)
    return cluster.stop()


def _stop_hub(room: Room) -> list[int]:
    """Stop the room's browser hub if it has one: the pids that were running."""
    from .hub import hub_processes, stop_hub as stop_it

    return stop_it(room.folder) if hub_processes(room.folder) else []


def stop_registry(room: Room) -> int | None:
    """Stop the registry this workshop started: its pid, or None if none was running."""
    local = room.registry()
    return local.stop() if local is not None else None


def demo_leader(room: Room, down_s: float = 10.0, timeout: float = 60) -> list[str]:
    """For the whole room: stop the node leading the demonstration's topic (replicated on all three), show that another node
    took over while it was down, then start it again. Returns what happened, line by line."""
    cluster = room.cluster()
    if cluster is None or cluster.nodes < 3:
        raise WorkshopError("The leader demonstration needs the workshop's own three-node cluster.",
                            "Start the workshop with `--nodes 3` (a cluster you did not start is not ours to stop).")
    admin = room.admin()
    client = admin_for(admin)
    create_topic(admin, DEMO_TOPIC, partitions=1, replication_factor=3)
    before = client.list_topics(DEMO_TOPIC, timeout=10).topics[DEMO_TOPIC].partitions[0].leader
    said = [f"{DEMO_TOPIC} partition 0 is led by node {before}; stopping node {before}."]
    cluster.stop(node=before)
    deadline = Deadline(timeout)

    def new_leader():
        leader = admin_for(admin).list_topics(DEMO_TOPIC, timeout=5).topics[DEMO_TOPIC].partitions[0].leader
        return leader if leader not in (-1, before) else None

    after = deadline.until(new_leader, step=0.5)
    said.append(f"Node {after} leads it now." if after else f"No new leader within {timeout:g} s.")
    Deadline(down_s).wait(down_s)  # time for the room to look at their own consumers and producers
    cluster.start(node=before)
    said.append(f"Node {before} is back, as a follower.")
    return said
