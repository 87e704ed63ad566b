"""How to log in to a cluster: the protocol, the SASL mechanism and the NAMES of the
environment variables that hold the credentials (never the credentials themselves)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import ClassVar, Literal

from .errors import ConfigError
from .validation import Checked, bookkeeping


@dataclass(frozen=True)
class SecurityConfig(Checked):
    """How to reach a secured cluster. Only the NAMES of the credential variables are kept."""
    _section: ClassVar[str] = "security"
    protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "PLAIN"
    username_env: str = "KAFKA_USERNAME"
    password_env: str = "KAFKA_PASSWORD"
    ssl_ca_location: str | None = None
    # The endpoints security_for() chose this login for; None when it was given. A field, so
    # copies (dataclasses.replace) keep it, and a config with other endpoints chooses anew.
    resolved_for: tuple | None = bookkeeping(None)

    def client_settings(self) -> dict[str, str]:
        settings_ = {"security.protocol": self.protocol}
        if self.protocol.startswith("SASL"):
            missing = [var for var in (self.username_env, self.password_env) if not os.environ.get(var)]
            if missing:
                raise ConfigError(
                    f"The {self.protocol} connection needs credentials, but {' and '.join(missing)} "
                    f"{'is' if len(missing) == 1 else 'are'} not set in the environment.",
                    f"Export {self.username_env} and {self.password_env} (for example from your "
                    "cluster's API key) before starting Python; never write them into files or notebooks.")
            settings_.update({"sasl.mechanisms": self.sasl_mechanism,
                              "sasl.username": os.environ[self.username_env],
                              "sasl.password": os.environ[self.password_env]})
        if self.ssl_ca_location:
            settings_["ssl.ca.location"] = self.ssl_ca_location
        return settings_
