"""The `codealong` command: the embedded broker and schema registry, the machine check, running
the notebooks and workshops. One module per group of commands; each registers itself on `main`."""
from . import (broker_commands, course_commands, registry_commands,  # noqa: F401  (importing registers them)
               workshop_commands)
from .group import main

__all__ = ["main"]
