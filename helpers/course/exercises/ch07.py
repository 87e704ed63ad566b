"""The checks of Chapter 7: variations (config files, environments)."""
from __future__ import annotations

from pathlib import Path

from ...client.loading import tomllib
from .framework import MISSING, CheckResult, _checked, _done, _has_key, _messages_since, _not_yet, _text, started

ENVIRONMENTS = ("prod", "test", "dev")


@_checked("7.1", '"security": {"protocol": ..., "sasl_mechanism": ..., "username_env": ..., "password_env": ...}')
def scram_config(data, username_env: str, password_env: str) -> CheckResult:
    from ...client.config import parse_config

    started("7.1")
    if data is MISSING:
        return _not_yet("7.1", "cloud_config is not set yet.", "Write the dict as in the example above.")
    if _has_key(data, ("password", "sasl_password", "sasl.password")):
        return _not_yet("7.1", "The config holds a password.", "Name the variables that hold the credentials instead.")
    security = parse_config(data).producer.security
    wanted = ("SASL_SSL", "SCRAM-SHA-512", username_env, password_env)
    actual = (security.protocol, security.sasl_mechanism, security.username_env, security.password_env)
    if actual != wanted:
        return _not_yet("7.1", f"security is {actual}, not {wanted}.", "Set all four keys of [security].")
    return _done("7.1", "SASL_SSL with SCRAM-SHA-512, credentials from the environment.")


def _workers_by_environment(config_file) -> dict[str, list[str]]:
    """What each environment starts, read from the TOML file itself (not through Application):
    prod the consumer, test nothing, dev every [consumers.NAME] block in file order, then the consumer."""
    data = tomllib.loads(Path(config_file).read_text())
    others = [name for name in data.get("consumers", {}) if name != "consumer"]
    return {"prod": ["consumer"], "test": [], "dev": [*others, "consumer"]}


@_checked("7.2", "Application(load_config(BILLING)).children(\"dev\") lists the workers, not yet started.")
def dev_workers(answer, config_file) -> CheckResult:
    started("7.2")
    if answer is MISSING:
        return _not_yet("7.2", "dev_workers is not set yet.", "Collect worker.name for each child.")
    expected = _workers_by_environment(config_file)["dev"]
    if not isinstance(answer, (list, tuple)) or list(answer) != expected:
        return _not_yet("7.2", f"dev_workers is {answer!r}; with {Path(config_file).name}, dev starts {expected}.",
                        f"Ask the application built from {Path(config_file).name} (not consumer.toml), "
                        "and keep the start order.")
    return _done("7.2", f"with {Path(config_file).name}, dev starts {expected}, in that order.")


@_checked("7.3", "A plain Producer(chapter.client_config()): one message per environment to chapter.topic(\"env_roster\"), "
                 "key = the environment, value = its workers joined by ',', then flush().")
def env_roster(where, topic: str, config_file) -> CheckResult:
    slate = started("7.3")
    truth = {env: ",".join(names) for env, names in _workers_by_environment(config_file).items()}
    sent: dict[str, list[str]] = {}
    for m in _messages_since(slate, topic):
        sent.setdefault(_text(m["key"]) or "", []).append(_text(m["value"]) or "")
    if not sent:
        return _not_yet("7.3", f"Nothing was written to {topic!r} since the exercise began.",
                        "Send with produce(), then flush() so the messages leave before the cell ends.")
    missing = [env for env in ENVIRONMENTS if env not in sent]
    if missing:
        return _not_yet("7.3", f"{topic!r} has no message keyed {missing[0]!r} (keys seen: {sorted(sent)}).",
                        "One message per environment: prod, test and dev, the name as the key.")
    for env in ENVIRONMENTS:
        if sent[env][-1] != truth[env]:
            return _not_yet("7.3", f"The message for {env!r} says {sent[env][-1]!r}; {env} starts {truth[env]!r}.",
                            "The value: the names of the workers the environment starts, joined by ','.")
    return _done("7.3", f"{topic!r} holds the roster of each environment: {truth}.")


__all__ = [name for name, value in list(globals().items())
           if callable(value) and getattr(value, "__module__", None) == __name__ and not name.startswith("_")]
