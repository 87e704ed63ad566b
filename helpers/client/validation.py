"""The checks every config goes through when it is made, driven by its fields' annotations.

A wrong type, an unknown choice or a value out of range becomes a ConfigError naming the
key and the fix. A few keys (endpoints, topics, the handler, the partition strategy) have a
check of their own, because their annotation cannot say everything.
"""
from __future__ import annotations

import difflib
import types
import typing
from dataclasses import field, fields
from typing import Any, ClassVar, Literal, Union

from .errors import ConfigError
from .names import InvalidTopicName, check_topic_name
from .partitioner import STRATEGIES


def quoted_choices(choices) -> str:
    quoted = [f'"{c}"' for c in choices]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def unknown_key(section: str, key: str, allowed) -> ConfigError:
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f"Did you mean {close[0]!r}? " if close else ""
    return ConfigError(f"Unknown key {key!r} in [{section}].",
                       f"{hint}Allowed keys: {', '.join(sorted(allowed))}.")


def wrong_type(section: str, key: str, expected: str, value) -> ConfigError:
    shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
    return ConfigError(f"[{section}] {key} must be {expected}, not {type(value).__name__} {shown}.",
                       f"Write {key} as {expected}.")


def _endpoints(section: str, value) -> tuple[str, ...]:
    if isinstance(value, str):  # one "host:port", or a bootstrap string "a:1,b:2"
        value = [part.strip() for part in value.split(",")]
    if isinstance(value, dict):  # Kaffe's keyword form: [localhost: 9092]
        value = [f"{host}:{port}" for host, port in value.items()]
    if not isinstance(value, (list, tuple)) or not value or \
            not all(isinstance(v, str) and ":" in v for v in value):
        raise wrong_type(section, "endpoints", 'a list of "host:port" strings', value)
    return tuple(value)


def _topics(section: str, value) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise wrong_type(section, "topics", "a list of topic names", value)
    for topic in value:
        try:
            check_topic_name(topic)
        except InvalidTopicName as err:
            raise ConfigError(f"[{section}] topics: {err.cause}", err.fix) from None
    return tuple(value)


def _callable_or_path(section: str, key: str, value, names=()):
    if callable(value) or value in names or (isinstance(value, str) and ":" in value):
        return value
    if value is None and key == "message_handler":
        return value  # checked when a worker needs it
    choices = f"{quoted_choices(names)}, " if names else ""
    raise ConfigError(f"[{section}] {key} is {value!r}: neither {choices.replace(' or ', ', ')}a callable nor "
                      "a \"module:function\" name.",
                      f"Pass a function, {choices}or a \"module:function\" name.")


_SPECIAL = {
    "endpoints": _endpoints,
    "topics": _topics,
    "message_handler": lambda section, value: _callable_or_path(section, "message_handler", value),
    # the partitioner's own list, so a strategy it offers is never refused here
    "partition_strategy": lambda section, value: _callable_or_path(section, "partition_strategy", value,
                                                                   tuple(STRATEGIES)),
}
_TYPE_NAMES = {str: "a string", bool: "true or false", int: "an integer", float: "a number"}


def check_value(section: str, key: str, value, hint):
    """The value, converted where that is lossless (an int for a float), or a ConfigError."""
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        problems = []
        for option in (o for o in options if o is not type(None)):
            try:
                return check_value(section, key, value, option)
            except ConfigError as err:
                problems.append(err)
        raise problems[0]
    if origin is Literal:
        choices = typing.get_args(hint)
        if value not in choices:
            raise ConfigError(f"[{section}] {key} is {value!r}.", f"Use {quoted_choices(choices)}.")
        return value
    if hint is Any:
        return value
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint is int and isinstance(value, bool):
        raise wrong_type(section, key, _TYPE_NAMES[int], value)
    if isinstance(hint, type) and not isinstance(value, hint):
        raise wrong_type(section, key, _TYPE_NAMES.get(hint, hint.__name__), value)
    return value


def _check_range(section: str, key: str, value, metadata) -> None:
    low, high = metadata.get("min"), metadata.get("max")
    if (low is not None and value < low) or (high is not None and value > high):
        limits = (f"from {low:g} to {high:g}" if low is not None and high is not None
                  else f"at least {low:g}" if low is not None else f"at most {high:g}")
        raise ConfigError(f"[{section}] {key} is {value!r}; it must be {limits}.",
                          f"Set {key} to a value {limits}{metadata.get('why', '')}.")


class Checked:
    """Mixin for frozen config dataclasses: every field is checked (and normalised) on creation."""
    _section: ClassVar[str] = "config"

    def __post_init__(self):
        hints = typing.get_type_hints(type(self))
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in _SPECIAL:
                checked = _SPECIAL[f.name](self._section, value)
            else:
                checked = check_value(self._section, f.name, value, hints[f.name])
                _check_range(self._section, f.name, checked, f.metadata)
            if checked is not value:
                object.__setattr__(self, f.name, checked)


def ranged(default, low=None, high=None, why=""):
    """A field whose value must lie from `low` to `high`; `why` ends the fix's sentence."""
    return field(default=default, metadata={"min": low, "max": high, "why": why})


def bookkeeping(default):
    """A field the helpers keep for themselves: not a key of the file, not shown, not compared."""
    return field(default=default, repr=False, compare=False, metadata={"bookkeeping": True})


def user_keys(cls) -> set[str]:
    """The keys a learner may write for a config class (its fields, less the bookkeeping)."""
    return {f.name for f in fields(cls) if not f.metadata.get("bookkeeping")}
