"""`codealong workshop hub`: JupyterHub on the instructor's machine, for learners who only have a
browser (a locked-down laptop, a tablet). Each learner logs in with their name and the password of
their join sheet, and gets a Jupyter server of their own, started with their join sheet's
environment in a workspace holding the learner edition of the notebooks.

Its files, in the workshop's folder:

    hub/hub.toml               where it listens (no secrets)
    hub/hub.pid, hub/hub.log   the JupyterHub process and its log (the proxy's too)
    hub/jupyterhub_config.py   two lines calling hub_config.configure (no secrets)
    hub/jupyterhub.sqlite, hub/jupyterhub_cookie_secret   JupyterHub's state (mode 600)
    hub/learners/<name>/       a learner's workspace (kept across restarts: it holds their work)

The learners' servers run as the OS user that starts the hub (JupyterHub's SimpleLocalProcessSpawner:
no system user per learner). So a learner's code can do what that user can: read other learners'
password files, and, if that user is the instructor's, the room's admin.env, and stop the cluster.
Kafka's ACLs keep learners apart only as long as nobody reads another's password. Serve only a room
you trust, or run the hub as an OS user of its own that holds only room.toml and join/.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

import psutil

from .. import settings
from ..client.deadline import Deadline
from ..client.errors import CodealongError
from ..client.loading import tomllib
from .room import WORKSHOP_PORT_OFFSET, Room, _toml

DEFAULT_PORT = 8080 + WORKSHOP_PORT_OFFSET  # 8380, beside the room's registry (8381)
START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 45
#: Never handed to the hub's process (its learners' servers get their own login from the sheets).
SECRET_VARIABLES = ("KAFKA_PASSWORD", "KAFKA_USERNAME", "CODEALONG_ADMIN_PASSWORD", "CODEALONG_ADMIN_USER",
                    "CONFIGPROXY_AUTH_TOKEN", "JUPYTERHUB_API_TOKEN")

log = logging.getLogger(__name__)


class HubError(CodealongError):
    """The workshop's JupyterHub could not be set up, started or stopped."""


@dataclass
class HubSettings:
    folder: Path      # the workshop's folder
    host: str
    port: int         # learners' browsers: http://host:port/; the proxy's API and the hub: port-1, port-2 (loopback)
    proxy_command: str
    learners: list[str] = field(default_factory=list)  # who may log in (the browser-only ones); empty: the room

    def allowed(self, room: Room) -> list[str]:
        return [name for name in room.learners if not self.learners or name in self.learners]

    FILE = "hub.toml"

    @property
    def state_dir(self) -> Path:
        return self.folder / "hub"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def save(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        (self.state_dir / self.FILE).write_text(
            "# The workshop's JupyterHub (written by `codealong workshop hub start`).\n"
            f"host = {_toml(self.host)}\nport = {self.port}\nproxy_command = {_toml(self.proxy_command)}\n"
            f"learners = {_toml(self.learners)}\n")

    @classmethod
    def load(cls, folder: Path) -> "HubSettings":
        try:
            data = tomllib.loads((folder / "hub" / cls.FILE).read_text())
        except FileNotFoundError:
            raise HubError(f"The workshop in {folder} has no hub (no hub/{cls.FILE}).",
                           "Start it with `codealong workshop hub start`.") from None
        return cls(folder=folder, **data)


@dataclass
class HubStatus:
    url: str
    pid: int | None = None
    answers: bool = False
    rss_mib: dict[str, float] = field(default_factory=dict)   # "hub", "proxy", "<learner>", "<learner> kernels"
    servers: list[str] = field(default_factory=list)          # learners whose server runs

    def text(self) -> str:
        if self.pid is None:
            return f"The hub is not running (it would answer at {self.url}). Start it: `codealong workshop hub start`."
        state = "answers" if self.answers else "does NOT answer (starting, or see hub/hub.log)"
        memory = ", ".join(f"{name} {mib:.0f} MiB" for name, mib in self.rss_mib.items())
        return (f"The hub runs (pid {self.pid}) at {self.url}: it {state}. Learners log in with their name and the "
                f"password of their join sheet.\nServers running: {', '.join(self.servers) or 'none'}.\n"
                f"Memory (resident): {memory}.")


# ---- workspaces -------------------------------------------------------------------------
def notebooks_dir() -> Path:
    found = settings.REPO_ROOT / "notebooks"
    if not any(found.glob("[0-9][0-9]_*.ipynb")):
        raise HubError(f"No learner notebooks in {found}.",
                       "Run the hub from a clone of the project installed with `pip install -e .` "
                       "(the notebooks live in the repository, not in the package).")
    return found


def prepare_workspace(workspace: Path) -> Path:
    """The learner edition of every chapter and the example app they import, copied once: a
    learner's own work is never overwritten."""
    source = notebooks_dir()
    workspace.mkdir(parents=True, exist_ok=True, mode=0o700)
    for notebook in sorted(source.glob("[0-9][0-9]_*.ipynb")):
        if not (workspace / notebook.name).exists():
            shutil.copy2(notebook, workspace / notebook.name)

    def copy_if_absent(src, dst):
        if not Path(dst).exists():
            shutil.copy2(src, dst)
    shutil.copytree(source / "example_app", workspace / "example_app", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__"), copy_function=copy_if_absent)
    return workspace


# ---- the hub's process ------------------------------------------------------------------
def _pid_file(folder: Path) -> Path:
    return folder / "hub" / "hub.pid"


def running_hub(folder: Path) -> psutil.Process | None:
    """The hub's live process, or None (a pid file naming another process is stale: removed)."""
    path = _pid_file(folder)
    try:
        proc = psutil.Process(int(path.read_text()))
        if proc.status() != psutil.STATUS_ZOMBIE and str(folder / "hub" / "jupyterhub_config.py") in proc.cmdline():
            return proc
    except (OSError, ValueError, psutil.Error):
        pass
    path.unlink(missing_ok=True)
    return None


def start_hub(room: Room, port: int | None = None, timeout: float = START_TIMEOUT_S,
              learners: list[str] | None = None) -> HubStatus:
    """Start the room's JupyterHub on the room's address (reused if it runs); returns once its
    login page answers through the proxy. `learners`: who may log in (default: every learner);
    on a running hub, the new list applies at the next login."""
    import importlib.util

    if importlib.util.find_spec("jupyterhub") is None:
        raise HubError(f"JupyterHub is not installed in this Python ({sys.executable}).",
                       "Install the codealong's hub extra: `pip install -e '.[hub]'` in the project's folder.")
    folder = room.folder
    strangers = sorted(set(learners or ()) - set(room.learners))
    if strangers:
        raise HubError(f"{', '.join(strangers)}: not a learner of the workshop in {folder}.",
                       f"Name learners of the room ({', '.join(room.learners)}), or add them first with "
                       "`codealong workshop start --learners ...`.")
    from .hub_proxy import proxy_command

    hub = HubSettings(folder, room.host, port or DEFAULT_PORT, proxy_command(), list(learners or ()))
    if running_hub(folder) is not None:
        running = HubSettings.load(folder)
        if (port and port != running.port) or running.host != room.host:
            raise HubError(f"The hub already runs at {running.url}"
                           + (f", but the room is now at {room.host}." if running.host != room.host else "."),
                           "Stop it first (`codealong workshop hub stop`), then start it again.")
        if learners is not None:
            running.learners = list(learners)
            running.save()
        return hub_status(folder)
    left = stop_hub(folder)  # a proxy or servers left by a hub that was killed would hold the ports
    if left:
        log.info("Stopped %d process(es) left by a hub that did not stop cleanly.", len(left))
    _check_ports(hub)
    hub.save()
    config = hub.state_dir / "jupyterhub_config.py"
    config.write_text("# Written by `codealong workshop hub start`: every setting is in hub_config.py.\n"
                      "from helpers.workshop.hub_config import configure\n"
                      f"configure(c, {str(folder)!r})\n")
    env = {key: value for key, value in os.environ.items() if key not in SECRET_VARIABLES}
    log_file = hub.state_dir / "hub.log"
    with os.fdopen(os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab") as out:
        # A session of its own (it outlives the command), unless $CODEALONG_DIE_WITH_PARENT (tests).
        from ..broker.process import _die_with_parent_if_asked

        popen = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(config)], cwd=hub.state_dir,
                                 env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                 start_new_session=True, umask=0o077, preexec_fn=_die_with_parent_if_asked())
    _pid_file(folder).write_text(str(popen.pid))
    deadline = Deadline(timeout)
    while not _answers(hub.url):
        if popen.poll() is not None:
            _pid_file(folder).unlink(missing_ok=True)
            raise HubError(f"JupyterHub stopped as it started (exit {popen.returncode}): {_log_error(log_file)}",
                           f"Read {log_file}; a port in use shows there as 'Address already in use'.")
        if not deadline.wait(0.25):
            stop_hub(folder)  # nothing left half-started
            raise HubError(f"JupyterHub did not answer at {hub.url} within {timeout:g} s (it was stopped).",
                           f"Read {log_file}, then start it again.")
    return hub_status(folder)


def _check_ports(hub: HubSettings) -> None:
    from ..broker.ports import port_is_free, port_owner

    for port in (hub.port, hub.port - 1, hub.port - 2):
        if not port_is_free(port):
            raise HubError(f"Port {port} is in use ({port_owner(port)}); the hub needs {hub.port} (learners' "
                           f"browsers) and {hub.port - 1}, {hub.port - 2} (its own, on loopback).",
                           "Stop that program, or pass another --port to `codealong workshop hub start`.")


def _answers(url: str) -> bool:
    try:
        with urlopen(url + "hub/api/", timeout=2) as reply:
            return reply.status == 200 and "version" in json.loads(reply.read())
    except (OSError, URLError, ValueError):
        return False


def _log_error(log_file: Path) -> str:
    lines = log_file.read_text(errors="replace").splitlines()[-60:] if log_file.exists() else []
    errors = [line for line in lines if "ERROR" in line or "Error" in line]
    return (errors[-1] if errors else lines[-1] if lines else "no log output")[:400]


def hub_processes(folder: Path) -> dict[str, psutil.Process]:
    """The hub, its proxy and each learner's server (found by its workspace, so that servers left by
    a hub that was killed are found too), as far as they run."""
    state = folder / "hub"
    found = {}
    if (hub := running_hub(folder)) is not None:
        found["hub"] = hub
    try:
        proxy = psutil.Process(int((state / "proxy.pid").read_text()))
        if "configurable" in " ".join(proxy.cmdline()):
            found["proxy"] = proxy
    except (OSError, ValueError, psutil.Error):
        pass
    for proc in psutil.process_iter(["cmdline"]):
        try:
            if "jupyterhub.singleuser" in (proc.info["cmdline"] or []) and \
                    Path(proc.cwd()).parent == state / "learners":
                found[Path(proc.cwd()).name] = proc
        except psutil.Error:
            continue
    return found


def hub_status(folder: Path) -> HubStatus:
    try:
        hub = HubSettings.load(folder)
    except HubError:
        return HubStatus(url="(no hub set up yet)")
    status = HubStatus(url=hub.url)
    procs = hub_processes(folder)
    if "hub" not in procs:
        return status
    status.pid, status.answers = procs["hub"].pid, _answers(hub.url)
    for name, proc in procs.items():
        try:
            status.rss_mib[name] = proc.memory_info().rss / 2**20
            if name not in ("hub", "proxy"):
                status.servers.append(name)
                kernels = proc.children(recursive=True)
                if kernels:
                    status.rss_mib[f"{name} kernels"] = sum(k.memory_info().rss for k in kernels) / 2**20
        except psutil.Error:
            continue
    return status


def stop_hub(folder: Path, timeout: float = STOP_TIMEOUT_S) -> list[int]:
    """Stop the hub: JupyterHub stops every learner's server and its proxy; whatever of them is
    still alive after `timeout` s (or was left by a hub that was killed) is killed. Returns the pids
    that were running."""
    procs = hub_processes(folder)
    every = list(procs.values())
    for proc in list(every):
        try:
            every.extend(proc.children(recursive=True))  # the learners' kernels
        except psutil.Error:
            pass
    every = list({proc.pid: proc for proc in every}.values())
    if "hub" in procs:
        procs["hub"].send_signal(signal.SIGTERM)
        _, alive = psutil.wait_procs(every, timeout=timeout)
    else:
        alive = every
    for proc in alive:
        log.info("Hub process %s was still running; killing it.", proc.pid)
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=10)
    _pid_file(folder).unlink(missing_ok=True)
    return [proc.pid for proc in every]
