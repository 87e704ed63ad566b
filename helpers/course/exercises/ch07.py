"""The checks of Chapter 7: variations (config files, environments)."""
from __future__ import annotations

import json

from ...client.names import scoped, topic_name_problem
from .framework import (MISSING, CheckResult, _answer_is, _checked, _committed, _done, _has_key, _messages,
                        _not_yet, _partitions, _text)


@_checked("7.1", '"security": {"protocol": ..., "sasl_mechanism": ..., "username_env": ..., "password_env": ...}')
def scram_config(data, username_env: str, password_env: str) -> CheckResult:
    from ...client.config import parse_config

    if data is MISSING:
        return _not_yet("7.1", "cloud_config is not set yet.", "Write the dict as in the example above.")
    if _has_key(data, ("password", "sasl_password")):
        return _not_yet("7.1", "The config holds a password.", "Name the variables that hold the credentials instead.")
    security = parse_config(data).producer.security
    wanted = ("SASL_SSL", "SCRAM-SHA-512", username_env, password_env)
    actual = (security.protocol, security.sasl_mechanism, security.username_env, security.password_env)
    if actual != wanted:
        return _not_yet("7.1", f"security is {actual}, not {wanted}.", "Set all four keys of [security].")
    return _done("7.1", "SASL_SSL with SCRAM-SHA-512, credentials from the environment.")


@_checked("7.2", "Application(load_config(...)).children(\"dev\") lists the workers, not yet started.")
def dev_workers(answer, expected: list[str]) -> CheckResult:
    if answer is MISSING:
        return _not_yet("7.2", "dev_workers is not set yet.", "Collect worker.name for each child.")
    if list(answer) != expected:
        return _not_yet("7.2", f"dev_workers is {answer!r}; dev starts {expected}.", "In start order, by name.")
    return _done("7.2", f"dev starts {expected}, in that order.")

__all__ = [name for name, value in list(globals().items())
           if callable(value) and getattr(value, "__module__", None) == __name__ and not name.startswith("_")]
