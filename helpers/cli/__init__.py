"""The `codealong` command: the embedded broker, the machine check, running the notebooks and
workshops. One module per group of commands; each registers itself on `main`."""
from . import broker_commands, course_commands, workshop_commands  # noqa: F401  (importing registers them)
from .group import main

__all__ = ["main"]
