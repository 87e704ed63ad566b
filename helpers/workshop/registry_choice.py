"""Which schema registry a room's learners use, and whether it answers."""
from __future__ import annotations

import os

from .room import WORKSHOP_PORT_OFFSET, Room


def choose_registry(room: Room, url: str | None, port: int | None) -> None:
    """Which registry the room's learners use (see start_workshop); a room keeps its choice."""
    from ..registry import URL_VARIABLE
    from ..registry.ports import registry_port
    from ..registry.readiness import CCOMPAT

    if url:
        room.registry_url, room.registry_port = url.rstrip("/"), None
    elif room.registry_url:
        return
    elif room.nodes is None:
        room.registry_url = os.environ.get(URL_VARIABLE, "").strip().rstrip("/") or None
    else:  # the workshop's own, its API on the room's address like the brokers
        room.registry_port = port or registry_port() + WORKSHOP_PORT_OFFSET
        room.registry_url = f"http://{room.host}:{room.registry_port}{CCOMPAT}"


def registry_status(room: Room) -> str:
    """One line: which registry the room uses and whether it answers."""
    from .subjects import RegistryUnreachable, list_subjects

    if not room.registry_url:
        return ("Schema registry: none (chapter 15 needs one: `codealong workshop start --registry-url URL`, "
                "a Confluent-compatible URL the learners' machines reach).")
    try:
        count = len(list_subjects(room.registry_url))
    except RegistryUnreachable as err:
        fix = "`codealong workshop start` starts it again" if room.registry_port else "check it"
        return f"Schema registry at {room.registry_url}: does NOT answer ({err}); {fix}."
    return f"Schema registry at {room.registry_url}: answers, {count} subject(s)."
