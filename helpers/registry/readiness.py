"""Is the registry up? Its Confluent-compatible API answers a real request (the subjects list)."""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import psutil

from ..client.deadline import Deadline
from .errors import RegistryError
from .process import RegistryProcess

CCOMPAT = "/apis/ccompat/v7"


def subjects(url: str, timeout: float = 2.0) -> list[str]:
    """GET <url>/apis/ccompat/v7/subjects: the registry's subjects; raises OSError (URLError) if
    nothing answers, ValueError if what answers is not a registry."""
    with urllib.request.urlopen(f"{url}{CCOMPAT}/subjects", timeout=timeout) as answer:
        body = json.loads(answer.read().decode())
    if not isinstance(body, list):
        raise ValueError(f"{url}{CCOMPAT}/subjects answered {str(body)[:100]!r}, not a list of subjects")
    return body


def answers(url: str, timeout: float = 2.0) -> bool:
    try:
        subjects(url, timeout)
        return True
    except (OSError, ValueError):
        return False


def wait_ready(url: str, process: RegistryProcess, launched: psutil.Process, timeout: float,
               tick=lambda: None) -> None:
    """Return once the subjects list answers; raise a RegistryError as soon as the JVM exits, or
    at the deadline."""
    deadline = Deadline(timeout)
    while True:
        tick()
        if not launched.is_running() or launched.status() == psutil.STATUS_ZOMBIE:
            reason = process.failure_reason()
            process.forget()
            raise RegistryError(f"The schema registry exited during start-up: {reason}",
                                f"Read {process.log_file} (`codealong registry logs`).")
        try:
            subjects(url, timeout=min(2.0, deadline.remaining(0.2)))
            return
        except urllib.error.HTTPError as err:  # it answers, but not yet with the list (or not at all)
            last = f"HTTP {err.code}"
        except (OSError, ValueError) as err:
            last = str(err)
        if deadline.expired():
            raise RegistryError(f"The schema registry did not answer {url}{CCOMPAT}/subjects within {timeout:g} s "
                                f"of starting (last: {last}).",
                                f"Read {process.log_file} (`codealong registry logs`); is Kafka up? On a busy "
                                "machine, try again.")
        time.sleep(0.1)
