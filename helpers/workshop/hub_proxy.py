"""JupyterHub's proxy, configurable-http-proxy (a Node.js program): $CODEALONG_HUB_PROXY, else a copy
installed with npm on first use into the cache."""
from __future__ import annotations

import logging
import os
import shutil
import subprocess
from pathlib import Path

from .. import settings
from .hub import HubError

PROXY_PACKAGE = "configurable-http-proxy@5"  # JupyterHub's proxy, a Node.js program (npm)
PROXY_VARIABLE = "CODEALONG_HUB_PROXY"       # a configurable-http-proxy command to use instead
NPM_TIMEOUT_S = 300

log = logging.getLogger(__name__)


def proxy_command() -> str:
    """configurable-http-proxy: $CODEALONG_HUB_PROXY, else the copy in the cache (installed with
    npm on first use)."""
    given = os.environ.get(PROXY_VARIABLE)
    if given:
        if not shutil.which(given):
            raise HubError(f"${PROXY_VARIABLE} names {given!r}, which is not a program here.",
                           f"Unset {PROXY_VARIABLE} (the codealong then installs the proxy with npm), or point it "
                           "at a configurable-http-proxy executable.")
        return shutil.which(given)
    target = settings.cache_dir() / "hub-proxy"
    command = target / "node_modules" / ".bin" / "configurable-http-proxy"
    if not command.exists():
        install_proxy(target)
    return str(command)


def install_proxy(target: Path) -> None:
    """`npm install configurable-http-proxy` into `target` (one install at a time)."""
    from filelock import FileLock

    npm, node = shutil.which("npm"), shutil.which("node")
    if not npm or not node:
        raise HubError("JupyterHub needs its proxy, configurable-http-proxy, a Node.js program; "
                       f"{'npm' if node else 'node'} is not on PATH.",
                       "Install Node.js 20 or newer (it brings npm: https://nodejs.org, or your system's "
                       "package manager), then run `codealong workshop hub start` again; it installs the proxy "
                       f"into {target} once. Without Node.js: `pip install configurable-http-proxy` (a pure-Python "
                       f"port) and `export {PROXY_VARIABLE}=configurable-http-proxy`.")
    version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    if int(version.lstrip("v").split(".")[0] or 0) < 20:
        raise HubError(f"configurable-http-proxy 5 needs Node.js 20 or newer; this machine has {version}.",
                       "Install Node.js 20 or newer, then run `codealong workshop hub start` again.")
    target.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target / ".install.lock"), timeout=NPM_TIMEOUT_S):
        if (target / "node_modules" / ".bin" / "configurable-http-proxy").exists():
            return
        log.info("Installing JupyterHub's proxy (%s) into %s with npm ...", PROXY_PACKAGE, target)
        try:
            done = subprocess.run([npm, "install", "--prefix", str(target), "--no-audit", "--no-fund",
                                   "--omit=dev", PROXY_PACKAGE], capture_output=True, text=True,
                                  timeout=NPM_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise HubError(f"npm did not install {PROXY_PACKAGE} within {NPM_TIMEOUT_S} s.",
                           "Check that this machine reaches the npm registry, then try again.") from None
        if done.returncode != 0:
            raise HubError(f"npm could not install {PROXY_PACKAGE}: {(done.stderr or done.stdout).strip()[-600:]}",
                           "Check that this machine reaches the npm registry (`npm ping`), then try again.")
