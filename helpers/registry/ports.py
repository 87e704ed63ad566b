"""The registry's two loopback ports (its API and Quarkus' management interface): free, or
explained (who holds them, and how to choose others)."""
from __future__ import annotations

import os

from ..broker.ports import HOST, port_is_free, port_owner
from .errors import RegistryError

PORT_VARIABLE = "CODEALONG_REGISTRY_PORT"
#: 8081, the port a Confluent Schema Registry usually has; the management interface takes the next one.
DEFAULT_PORT = 8081


def registry_port() -> int:
    """The registry's API port: $CODEALONG_REGISTRY_PORT or 8081."""
    value = os.environ.get(PORT_VARIABLE, "").strip()
    if not value:
        return DEFAULT_PORT
    if not value.isdigit() or not 0 < int(value) < 65535:
        raise RegistryError(f"{PORT_VARIABLE} is {value!r}, not a port number.",
                            f"Set {PORT_VARIABLE} to a free port such as 18081, or unset it (8081).")
    return int(value)


def check_ports_free(ports: dict[str, int]) -> None:
    """Raise a RegistryError naming the first port another program holds, and that program."""
    for role, port in ports.items():
        if not port_is_free(port):
            raise RegistryError(
                f"Port {port} on {HOST} (the registry's {role}) is taken by another program ({port_owner(port)}), "
                "not by this codealong registry.",
                f"Stop that program, or start the registry on other ports, e.g. "
                f"`{PORT_VARIABLE}=18081 codealong registry start` (it uses that port and the next one; "
                "notebooks read the same variable).")
