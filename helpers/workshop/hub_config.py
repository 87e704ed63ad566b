"""The JupyterHub side of `codealong workshop hub`: how learners log in, and how each one's server
is started. JupyterHub runs the config file that hub.py writes (hub/jupyterhub_config.py, two
lines), which calls `configure(c, folder)`; nothing secret is in it.

- Login: the learner's name and the Kafka password of their join sheet (read from the room's
  password file at each login, so `workshop password NAME` applies at once; never logged).
- Servers: one per learner, run as the instructor's OS user (no system users needed) in
  hub/learners/<name>/, with that learner's join-sheet environment, Kafka password included.
"""
from __future__ import annotations

import hmac
import os
import sys
from pathlib import Path

from jupyterhub.auth import Authenticator
from jupyterhub.spawner import SimpleLocalProcessSpawner
from traitlets import Unicode

from .. import settings
from .room import JoinSheet, Room, read_env_file

class RoomAuthenticator(Authenticator):
    """A learner of the room, with the password of their join sheet."""

    folder = Unicode(config=True, help="The workshop's folder (room.toml, join/).")

    def normalize_username(self, username):
        return username.strip()  # learner names keep their case: they are Kafka users and topic prefixes

    def _allowed(self) -> tuple[Room, list[str]]:
        from .hub import HubSettings

        room = Room.load(Path(self.folder))
        return room, HubSettings.load(Path(self.folder)).allowed(room)

    def check_allowed(self, username, authentication=None):
        return username in self._allowed()[1]

    async def authenticate(self, handler, data):
        name, given = (data or {}).get("username", "").strip(), (data or {}).get("password", "")
        room, allowed = self._allowed()
        if name not in allowed or not room.password_file(name).exists():
            return None
        expected = read_env_file(room.password_file(name)).get("KAFKA_PASSWORD", "")
        if expected and hmac.compare_digest(given.encode(), expected.encode()):
            return name
        return None


class LearnerSpawner(SimpleLocalProcessSpawner):
    """A learner's Jupyter server: their workspace, their join sheet's environment."""

    folder = Unicode(config=True, help="The workshop's folder (room.toml, join/).")

    async def start(self):
        from ..broker.ports import free_ports
        from .hub import prepare_workspace

        prepare_workspace(Path(self.home_dir))
        # A port below the ephemeral range: JupyterHub's own pick is an ephemeral port, which the
        # OS may hand to some client's connection before the server binds it (seen in CI: "no
        # available port").
        self.port = free_ports(1)
        return await super().start()

    def get_env(self):
        env = super().get_env()
        room = Room.load(Path(self.folder))
        sheet = JoinSheet.load(room.join_file(self.user.name))
        env.update(sheet.environment())
        env["KAFKA_PASSWORD"] = sheet.password()  # in the server's environment only, as `workshop join` does
        env["CODEALONG_CACHE_DIR"] = str(settings.cache_dir())  # the jars, once for the whole room
        # No Java for the learners' own brokers: twenty learners' chapter 8 would start sixty JVMs on
        # this machine, on clashing ports. Their cells take the tested "this machine has no Java"
        # path and say so; the instructor demonstrates those sections (`workshop demo leader`).
        env["CODEALONG_JAVA"] = str(Path(self.home_dir) / "no-java-in-the-hub")
        return env

    def make_preexec_fn(self, name):
        prepare = super().make_preexec_fn(name)
        die = _die_with_parent_if_asked()
        return (lambda: (prepare(), die())) if die else prepare


def _die_with_parent_if_asked():
    from ..broker.process import _die_with_parent_if_asked as hook

    return hook()


def configure(c, folder: str) -> None:
    """Every setting of the hub, from the room in `folder` and hub.py's HubSettings there."""
    from .hub import HubSettings

    hub = HubSettings.load(Path(folder))
    state = hub.state_dir
    c.JupyterHub.bind_url = f"http://{hub.host}:{hub.port}/"
    c.JupyterHub.hub_ip = "127.0.0.1"
    c.JupyterHub.hub_port = hub.port - 2
    c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
    c.JupyterHub.cleanup_servers = True   # `hub stop` stops every learner's server
    c.JupyterHub.cleanup_proxy = True
    c.JupyterHub.proxy_class = "configurable-http-proxy"
    c.ConfigurableHTTPProxy.command = [hub.proxy_command]
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{hub.port - 1}"
    c.ConfigurableHTTPProxy.pid_file = str(state / "proxy.pid")
    c.ConfigurableHTTPProxy.should_start = True   # its token: made per start, held in memory only

    c.JupyterHub.authenticator_class = RoomAuthenticator
    c.RoomAuthenticator.folder = str(folder)
    c.Authenticator.any_allow_config = True     # check_allowed reads the room itself
    c.JupyterHub.spawner_class = LearnerSpawner
    c.LearnerSpawner.folder = str(folder)
    c.LearnerSpawner.home_dir_template = str(state / "learners" / "{username}")
    c.Spawner.notebook_dir = str(state / "learners" / "{username}")
    c.Spawner.cmd = [sys.executable, "-m", "jupyterhub.singleuser"]  # this project's Python: `helpers` imports
    c.Spawner.default_url = "/lab"
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # a CI container: Jupyter refuses root without it
        c.Spawner.args = ["--allow-root"]
    c.Spawner.start_timeout = 60
    c.Spawner.http_timeout = 60

