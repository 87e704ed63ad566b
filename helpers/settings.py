"""Project-wide settings: the pinned Kafka version and where files live.

The Kafka version is pinned once, in the repository's ``.env`` (docker compose reads the
same file). Environment variables override for experiments, never in CI.
"""
from __future__ import annotations

import os
from pathlib import Path

from .client.errors import CodealongError

REPO_ROOT = Path(__file__).resolve().parent.parent
DOTENV = REPO_ROOT / ".env"

#: Default port of the single-node broker; a 3-node cluster starts at DEFAULT_PORT + 100.
DEFAULT_PORT = 9092


def read_dotenv(path: Path = DOTENV) -> dict[str, str]:
    """Parse the KEY=VALUE lines of a .env file (comments and blanks ignored)."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def kafka_version() -> str:
    """The Kafka version: $KAFKA_VERSION if set, else the pin in the repository's .env."""
    if os.environ.get("KAFKA_VERSION"):
        return os.environ["KAFKA_VERSION"]
    try:
        return read_dotenv()["KAFKA_VERSION"]
    except (OSError, KeyError):
        raise CodealongError(
            f"The Kafka version pin was not found in {DOTENV}.",
            "Install the project from its repository with `pip install -e .` (the pin lives "
            "in the repository's .env), or set KAFKA_VERSION.",
        ) from None


def base_port() -> int:
    """Port of the single-node broker: $CODEALONG_PORT or 9092."""
    return int(os.environ.get("CODEALONG_PORT", DEFAULT_PORT))


def _xdg(var: str, fallback: str) -> Path:
    return Path(os.environ.get(var) or Path.home() / fallback)


def cache_dir() -> Path:
    """Per-user cache for the broker's jars, shared by every clone of the project."""
    return Path(os.environ.get("CODEALONG_CACHE_DIR") or _xdg("XDG_CACHE_HOME", ".cache") / "kafka-codealong")


def state_dir() -> Path:
    """Where the embedded brokers keep their pid files, data and logs."""
    return Path(os.environ.get("CODEALONG_STATE_DIR") or _xdg("XDG_STATE_HOME", ".local/state") / "kafka-codealong")
