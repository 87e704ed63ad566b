"""Errors that say what went wrong and how to fix it.

Every error the helpers raise on purpose derives from CodealongError and carries two
sentences: the cause and the fix. Learners read the message; tests read the parts.
"""
from __future__ import annotations

import logging

#: The logger every Kafka client made by the helpers writes librdkafka's log lines to, so
#: they go through Python logging (JupyterLab and nbval then see the same output).
CLIENT_LOG = logging.getLogger("helpers.librdkafka")


class CodealongError(Exception):
    """Base class: ``str(err)`` is "<cause>\\nFix: <fix>"."""

    def __init__(self, cause: str, fix: str):
        self.cause = cause
        self.fix = fix
        super().__init__(f"{cause}\nFix: {fix}")


class PrerequisiteError(CodealongError):
    """Java, Maven or another tool the embedded broker needs is missing or too old."""


class BrokerError(CodealongError):
    """The embedded broker could not be set up, started or stopped."""


class BrokerUnreachable(CodealongError):
    """No Kafka broker answered at the given bootstrap servers."""


class LoginRefused(CodealongError):
    """The broker answered but refused the credentials (SASL authentication failed)."""



class ConfigError(CodealongError, ValueError):
    """A configuration key is unknown, missing or of the wrong type."""
