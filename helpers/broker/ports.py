"""Loopback ports: which are free, who holds a taken one, and a free range for a cluster of one's own."""
from __future__ import annotations

import random
import socket

import psutil

from ..client.errors import BrokerError

HOST = "127.0.0.1"


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def free_ports(count: int, low: int = 20000, high: int = 32000, tries: int = 200) -> int:
    """The first of `count` consecutive loopback ports that are free now (below the ephemeral
    range, where clients may hold ports), picked at random so that two runs rarely meet."""
    for _ in range(tries):
        first = random.randrange(low, high - count)
        if all(port_is_free(port) for port in range(first, first + count)):
            return first
    raise BrokerError(f"No {count} consecutive free ports found between {low} and {high}.",
                      "Stop some programs listening on loopback, or retry.")


def port_owner(port: int) -> str:
    """A description of the process listening on the port, when the OS lets us see it."""
    try:
        for conn in psutil.net_connections(kind="tcp"):
            if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_LISTEN and conn.pid:
                proc = psutil.Process(conn.pid)
                return f"pid {conn.pid}: {' '.join(proc.cmdline())[:120]}"
    except (psutil.Error, OSError):
        pass
    return "a process this user cannot inspect"


def check_ports_free(ports: tuple[int, ...]) -> None:
    """Raise a BrokerError naming the first port another program holds."""
    for port in ports:
        if not port_is_free(port):
            raise BrokerError(
                f"Port {port} on {HOST} is taken by another program ({port_owner(port)}), "
                "not by this codealong broker.",
                "Stop that program, or run the codealong on other ports, e.g. "
                "`CODEALONG_PORT=19092 codealong broker start` (and the same variable for notebooks).")
