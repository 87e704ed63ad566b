"""Reading configs from TOML files (or dicts shaped like them), and the helpers' one import of
a TOML parser: other modules take `tomllib` from here."""
from __future__ import annotations

from pathlib import Path

from .configs import CodealongConfig, ConsumerConfig, ProducerConfig
from .errors import ConfigError
from .security import SecurityConfig
from .validation import unknown_key, user_keys

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib


def _check_keys(section: str, raw: dict, cls) -> None:
    allowed = user_keys(cls) - {"security"}  # [security] is a table of its own
    for key in raw:
        if key not in allowed:
            raise unknown_key(section, key, allowed)


def _build(cls, section: str, raw: dict, security: SecurityConfig | None = None):
    if "password" in raw or "sasl_password" in raw:
        raise ConfigError(f"[{section}] holds a password; credentials must not be stored in files.",
                          "Remove it and export KAFKA_USERNAME / KAFKA_PASSWORD instead (see [security]).")
    _check_keys(section, raw, cls)
    try:
        return cls(**raw, **({"security": security} if security is not None else {}))
    except ConfigError as err:  # name the section as the file does ([consumers.audit])
        raise ConfigError(err.cause.replace(f"[{cls._section}]", f"[{section}]", 1), err.fix) from None


def _consumer(section: str, raw: dict, security: SecurityConfig | None) -> ConsumerConfig:
    _check_keys(section, raw, ConsumerConfig)  # a misspelt key first: it is usually why a required one looks missing
    for key in ("topics", "consumer_group", "message_handler"):
        if key not in raw:
            raise ConfigError(f"[{section}] has no {key}.",
                              f"Add {key} to [{section}] (see the seed's consumer block).")
    return _build(ConsumerConfig, section, raw, security)


def parse_config(data: dict) -> CodealongConfig:
    """Build a CodealongConfig from a dict shaped like the TOML file."""
    allowed = {"producer", "consumer", "consumers", "security"}
    for key in data:
        if key not in allowed:
            raise unknown_key("top level", key, allowed)
    # No [security] table: the environment's (see security_for), so one file serves solo and workshop use.
    security = _build(SecurityConfig, "security", data["security"]) if "security" in data else None
    producer = _build(ProducerConfig, "producer", data["producer"], security) if "producer" in data else None
    consumers = {}
    if "consumer" in data:
        consumers["consumer"] = _consumer("consumer", data["consumer"], security)
    for name, raw in data.get("consumers", {}).items():
        consumers[name] = _consumer(f"consumers.{name}", raw, security)
    return CodealongConfig(producer, consumers)


def load_config(*paths: str | Path) -> CodealongConfig:
    """Read one or more TOML files (later files add sections; see helpers.client.config)."""
    data: dict = {}
    for path in map(Path, paths):
        try:
            part = tomllib.loads(path.read_text())
        except FileNotFoundError:
            raise ConfigError(f"Config file {path} does not exist.", "Check the path, or create it.") from None
        except tomllib.TOMLDecodeError as err:
            raise ConfigError(f"{path} is not valid TOML: {err}.", "Fix the syntax at the line named.") from None
        for section, table in part.items():
            if section in data and section != "consumers":
                raise ConfigError(f"[{section}] is configured in more than one file ({path} repeats it).",
                                  "Keep each section in one file.")
            data.setdefault(section, {}).update(table)
    return parse_config(data)
