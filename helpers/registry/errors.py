"""The registry's error: what went wrong with the schema registry, and how to fix it."""
from __future__ import annotations

from ..client.errors import CodealongError


class RegistryError(CodealongError):
    """The embedded schema registry could not be fetched, started or stopped."""
