"""The playground in a real browser: JupyterLab on loopback with a token, Debian's Chromium
driven by Playwright (no browser download), Run All, a typed value, a click on Send, and the
message in the consumer panel. A screenshot is saved under artifacts/."""
from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import nbformat
import pytest

from conftest import free_port
from helpers.course.runner import NOTEBOOKS

REPO_ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO_ROOT / "artifacts"
LEARNER = "browser"  # the prefix of the browser test's topics and groups (not a workshop: no login, no board)
# Without the networking flags Chromium keeps calling Google's hosts, which this closed network refuses.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                  "--disable-background-networking", "--disable-component-update"]


def find_chromium() -> str | None:
    return os.environ.get("CODEALONG_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def chromium() -> str:
    path = find_chromium()
    if path is None:
        pytest.skip("Chromium is not installed: `apt-get install chromium` (make test does it when run as root), "
                    "or set CODEALONG_CHROMIUM to a Chromium binary.")
    return path


@pytest.fixture
def jupyterlab(kafka, tmp_path):
    """JupyterLab serving a copy of the playground (the browser saves what it runs), on
    loopback, with a random token; its kernels use the session broker."""
    (tmp_path / "lab").mkdir()
    # The solved edition, its names under a learner's prefix of its own: the notebooks suite runs
    # chapter 6 on the same broker meanwhile, with the same topic and group names.
    playground = nbformat.read(NOTEBOOKS / ".06_playground.ipynb", as_version=4)
    parameters = next(c for c in playground.cells if "parameters" in c.metadata.get("tags", []))
    parameters.source = (parameters.source.replace("BOOTSTRAP_SERVERS = None", f"BOOTSTRAP_SERVERS = {kafka!r}")
                         .replace("LEARNER = None", f"LEARNER = {LEARNER!r}"))
    nbformat.write(playground, tmp_path / "lab" / "06_playground.ipynb")
    # No "get Jupyter news?" prompt over the screenshot (it would also try to reach the internet).
    notification = tmp_path / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notification.parent.mkdir(parents=True)
    notification.write_text('{"fetchNews": "false"}')
    port, token = free_port(), secrets.token_hex(16)
    outside = ("KAFKA_BOOTSTRAP_SERVERS", "CODEALONG_LEARNER")  # the notebook's parameters say where and who
    env = {**{k: v for k, v in os.environ.items() if k not in outside}, "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
           "JUPYTER_DATA_DIR": str(tmp_path / "data"), "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces")}
    log = open(tmp_path / "jupyterlab.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={tmp_path / 'lab'}",
         "--ServerApp.port_retries=0", "--LabApp.expose_app_in_browser=True",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         *(["--allow-root"] if os.geteuid() == 0 else [])],  # CI containers run as root
        env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2):
                break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"JupyterLab did not start: {(tmp_path / 'jupyterlab.log').read_text()[-2000:]}")
            time.sleep(0.5)
    try:
        yield url, token
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def test_playground_send_click_reaches_the_consumer_panel(chromium, jupyterlab):
    from playwright.sync_api import expect, sync_playwright

    url, token = jupyterlab
    typed = f"Franz Kafka, clicked {uuid.uuid4().hex[:8]}"
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{url}/lab/tree/06_playground.ipynb?token={token}", timeout=60_000)
            page.wait_for_selector(".jp-Notebook", timeout=60_000)
            page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget "
                                   "&& window.jupyterapp.shell.currentWidget.sessionContext?.session?.kernel",
                                   timeout=60_000)
            # Run > Run All Cells, as a learner would.
            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
            expect(page.get_by_text("the panel is still running for your clicks")).to_be_visible(timeout=240_000)

            form_value = page.locator(".widget-textarea textarea").first
            form_value.scroll_into_view_if_needed()
            form_value.fill(typed)
            page.get_by_role("button", name="Send").first.click()
            panel = page.locator("table.codealong-messages").first
            expect(panel).to_contain_text(typed, timeout=30_000)
            expect(page.locator(".widget-html-content", has_text=f"written to {LEARNER}.playground").first).to_be_visible()
            panel.scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "browser-playground.png"))

            # The topic name is checked as it is typed, before anything is sent.
            page.locator(".widget-text input").first.fill("my topic")
            expect(page.get_by_text("Kafka would refuse this name").first).to_be_visible(timeout=10_000)
            expect(page.get_by_role("button", name="Send").first).to_be_disabled()
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "browser-playground-failure.png"))
            raise
        finally:
            browser.close()
    assert (ARTIFACTS / "browser-playground.png").stat().st_size > 10_000
