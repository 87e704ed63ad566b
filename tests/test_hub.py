"""`codealong workshop hub` (JupyterHub for learners who only have a browser), on loopback with a
workshop room of three: each learner logs in with their join sheet's password, gets a server of
their own, runs exercise 3.1 of the learner edition in a kernel of that server, and the board shows
all three. Then the hub stops and leaves no process behind. Needs the `hub` extra (jupyterhub) and
Node.js with npm (the proxy is installed from npm on first use)."""
from __future__ import annotations

import json
import os
import shutil
import time
import uuid

import pytest

pytest.importorskip("jupyterhub", reason="the hub needs JupyterHub: pip install -e '.[hub]'")
requests = pytest.importorskip("requests")
websocket = pytest.importorskip("websocket", reason="websocket-client drives the kernels")

import psutil  # noqa: E402
from click.testing import CliRunner  # noqa: E402

from conftest import WORKSHOP_FIGURES  # noqa: E402
from helpers.broker.cluster import free_ports  # noqa: E402
from helpers.cli.hub_commands import hub  # noqa: E402
from helpers.client.deadline import Deadline  # noqa: E402
from helpers.settings import REPO_ROOT  # noqa: E402
from helpers.workshop.hub import hub_processes, hub_status, stop_hub  # noqa: E402
from helpers.workshop.lifecycle import start_workshop, status, stop  # noqa: E402
from helpers.workshop.room import JoinSheet  # noqa: E402

LEARNERS = ["ana", "ben", "cy"]
pytestmark = pytest.mark.skipif(not (shutil.which("npm") and shutil.which("node")) and
                                not os.environ.get("CODEALONG_HUB_PROXY"),
                                reason="the hub's proxy is installed with npm: install Node.js 20+")


@pytest.fixture(scope="module")
def room(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hub-room")
    saved = {k: os.environ.get(k) for k in ("CODEALONG_ADMIN_USER", "CODEALONG_ADMIN_PASSWORD")}
    room = start_workshop(LEARNERS + ["dee"], port=free_ports(2), folder=folder, registry=False)  # dee has a laptop
    yield room
    stop_hub(room.folder)
    stop(room)
    for key, value in saved.items():
        os.environ.pop(key, None) if value is None else os.environ.__setitem__(key, value)


class Learner:
    """A browser-only learner: logs in through the hub's form, then uses their own server's API."""

    def __init__(self, url: str, name: str):
        self.url, self.name, self.http = url, name, requests.Session()
        self.token = None

    def log_in(self, password: str) -> int:
        self.http.get(self.url + "hub/login", timeout=30).raise_for_status()
        reply = self.http.post(self.url + "hub/login", allow_redirects=False, timeout=30,
                               data={"username": self.name, "password": password,
                                     "_xsrf": self.http.cookies.get("_xsrf", path="/hub/")})
        return reply.status_code

    def hub_api(self, method: str, path: str, **kwargs):
        headers = {"X-XSRFToken": self.http.cookies.get("_xsrf", path="/hub/")}
        reply = self.http.request(method, f"{self.url}hub/api/{path}", headers=headers, timeout=30, **kwargs)
        reply.raise_for_status()
        return reply.json() if reply.content else None

    def start_server(self, timeout: float = 90) -> None:
        self.hub_api("POST", f"users/{self.name}/server", json={})
        ready = Deadline(timeout).until(
            lambda: self.hub_api("GET", f"users/{self.name}")["servers"].get("", {}).get("ready"), step=0.5)
        assert ready, f"{self.name}'s server was not ready within {timeout} s"
        self.token = self.hub_api("POST", f"users/{self.name}/tokens",
                                  json={"note": "test", "expires_in": 600})["token"]

    def server(self, method: str, path: str, **kwargs):
        reply = requests.request(method, f"{self.url}user/{self.name}/api/{path}", timeout=30,
                                 headers={"Authorization": f"token {self.token}"}, **kwargs)
        reply.raise_for_status()
        return reply.json()

    def run(self, kernel: str, code: str, timeout: float = 60) -> str:
        """Execute `code` in the kernel (over its websocket, through the proxy): its text output."""
        ws_url = self.url.replace("http://", "ws://") + f"user/{self.name}/api/kernels/{kernel}/channels"
        conn = websocket.create_connection(ws_url, header=[f"Authorization: token {self.token}"], timeout=timeout)
        msg_id = uuid.uuid4().hex
        try:
            conn.send(json.dumps({
                "header": {"msg_id": msg_id, "username": self.name, "session": uuid.uuid4().hex,
                           "msg_type": "execute_request", "version": "5.3"},
                "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
                "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                            "allow_stdin": False, "stop_on_error": True}}))
            return _collect(conn, msg_id, Deadline(timeout))
        finally:
            conn.close()


def _collect(conn, msg_id: str, deadline: Deadline) -> str:
    out, replied, idle = [], False, False
    while not (replied and idle):
        conn.settimeout(deadline.remaining(0.1))
        msg = json.loads(conn.recv())
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind, content = msg["header"]["msg_type"], msg["content"]
        if kind == "stream":
            out.append(content["text"])
        elif kind in ("execute_result", "display_data"):
            out.append(content["data"].get("text/plain", ""))
        elif kind == "error":
            raise AssertionError(f"{content['ename']}: {content['evalue']}\n" + "\n".join(content["traceback"]))
        elif kind == "status" and content["execution_state"] == "idle":
            idle = True
        elif kind == "execute_reply":
            replied = True
    return "\n".join(out)


def chapter_3_cells(notebook: dict) -> dict[str, str]:
    """From the learner edition: the setup, exercise 3.1's given cell, its empty solution, its check."""
    cells = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    source = ["".join(c["source"]) for c in cells]
    begin = next(i for i, s in enumerate(source) if 'chapter.exercise("3.1")' in s)
    check = next(i for i in range(begin, len(cells)) if "exercise-check" in cells[i]["metadata"].get("tags", []))
    return {"parameters": next(s for c, s in zip(cells, source) if "parameters" in c["metadata"].get("tags", [])),
            "setup": next(s for s in source if "start_chapter(" in s),
            "imports": next(s for s in source if "import ConfigError, parse_config" in s),
            "begin": source[begin], "empty": source[begin + 1], "check": source[check]}


def solution_3_1() -> str:
    """Exercise 3.1's solution, from the solved edition (what a learner would type)."""
    solved = json.loads((REPO_ROOT / "notebooks" / ".03_configure_the_producer.ipynb").read_text())
    text = next("".join(c["source"]) for c in solved["cells"] if "### BEGIN SOLUTION" in "".join(c["source"])
                and "exercise_config" in "".join(c["source"]))
    return text.split("### BEGIN SOLUTION")[1].split("### END SOLUTION")[0].strip()


def memory(folder) -> dict[str, tuple[int, int]]:
    """MiB resident (RSS) and unique to the process (USS: freed when it ends), per process; a
    learner's kernels summed as "<learner> kernel"."""
    found = {}
    for name, proc in hub_processes(folder).items():
        info = proc.memory_full_info()
        found[name] = (info.rss, info.uss)
        kernels = [kid.memory_full_info() for kid in proc.children(recursive=True)] if name not in ("hub", "proxy") \
            else []
        if kernels:
            found[f"{name} kernel"] = (sum(k.rss for k in kernels), sum(k.uss for k in kernels))
    return {name: (round(rss / 2**20), round(uss / 2**20)) for name, (rss, uss) in found.items()}


def mib(pair) -> str:
    return f"{pair[0]} MiB RSS ({pair[1]} MiB USS)"


def test_three_learners_log_in_run_a_check_in_their_own_server_and_show_on_the_board(room):
    port = free_ports(3) + 2   # the hub takes port, port-1 and port-2
    cli = CliRunner()
    started = time.monotonic()
    result = cli.invoke(hub, ["start", "--port", str(port), "--learners", ",".join(LEARNERS), "--folder",
                              str(room.folder)])
    assert result.exit_code == 0, result.output + repr(result.exception)
    started_s = time.monotonic() - started
    status_ = hub_status(room.folder)
    assert status_.answers and status_.url == f"http://127.0.0.1:{port}/" and status_.url in result.output
    secrets_ = {name: JoinSheet.load(room.join_file(name)).password() for name in LEARNERS}
    for private in ("jupyterhub_cookie_secret", "jupyterhub.sqlite", "hub.log"):
        assert oct((room.folder / "hub" / private).stat().st_mode)[-3:] == "600", private

    learners = {name: Learner(status_.url, name) for name in LEARNERS}
    assert learners["ana"].log_in(secrets_["ben"]) == 403, "another learner's password must not log ana in"
    assert Learner(status_.url, "mallory").log_in(secrets_["ana"]) == 403, "only the room's learners log in"
    dee = JoinSheet.load(room.join_file("dee")).password()
    assert Learner(status_.url, "dee").log_in(dee) == 403, "and only those named to `hub start --learners`"
    for name, learner in learners.items():
        assert learner.log_in(secrets_[name]) == 302
        learner.start_server()
    idle = memory(room.folder)
    assert "Servers running: ana, ben, cy." in cli.invoke(hub, ["status", "--folder", str(room.folder)]).output

    cells = chapter_3_cells(learners["ana"].server("GET", "contents/03_configure_the_producer.ipynb")["content"])
    solution = solution_3_1()
    for name, learner in learners.items():
        # The workspace holds the learner edition (the solution cell is empty), served by their own server.
        notebook = learner.server("GET", "contents/03_configure_the_producer.ipynb")["content"]
        assert "# YOUR CODE HERE" in chapter_3_cells(notebook)["empty"]
        kernel = learner.server("POST", "kernels", json={"name": "python3"})["id"]
        seen = learner.run(kernel, "import os; from helpers.course.notebook import java_missing; "
                                   "print(os.environ['CODEALONG_LEARNER'], os.getcwd(), "
                                   "bool(os.environ.get('KAFKA_PASSWORD')), bool(java_missing()))")
        # ... and no Java: the learners' own brokers would be twenty times chapter 8's on this machine
        assert seen.split() == [name, str(room.folder / "hub" / "learners" / name), "True", "True"]
        for step in ("parameters", "setup", "imports", "begin"):
            learner.run(kernel, cells[step])
        assert "not yet" in learner.run(kernel, cells["empty"] + "\n" + cells["check"])  # untouched: not passed
        done = learner.run(kernel, solution + "\n" + cells["check"])
        assert "Exercise 3.1: done" in done, done
    busy = memory(room.folder)
    with pytest.raises(requests.HTTPError, match="403"):  # a learner's token opens their own server only
        requests.get(f"{status_.url}user/ben/api/contents", headers={"Authorization": f"token {learners['ana'].token}"},
            timeout=30).raise_for_status()

    board = {row["learner"]: row for row in status(room).rows()}
    for name in LEARNERS:
        assert board[name]["chapters"][3][0] >= 1, f"{name} has no chapter-3 check on the board: {board[name]}"

    pids = [proc.pid for proc in hub_processes(room.folder).values()]
    pids += [kid.pid for proc in hub_processes(room.folder).values() for kid in proc.children(recursive=True)]
    assert len(set(pids)) >= 1 + 1 + 3 + 3, f"hub, proxy, three servers and their kernels: {pids}"
    for pid in set(pids):  # the passwords reach the servers in their environment, never a command line
        assert not any(secret in " ".join(psutil.Process(pid).cmdline()) for secret in secrets_.values())
    stopping = time.monotonic()
    assert cli.invoke(hub, ["stop", "--folder", str(room.folder)]).exit_code == 0
    stopped_s = time.monotonic() - stopping
    left = [pid for pid in pids if psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]
    assert not left, f"processes left after `hub stop`: {left}"
    assert cli.invoke(hub, ["status", "--folder", str(room.folder)]).exit_code == 3
    log = (room.folder / "hub" / "hub.log").read_text()
    assert not any(secret in log for secret in secrets_.values()), "a password in the hub's log"

    WORKSHOP_FIGURES.append(
        f"hub: start {started_s:.1f} s, stop {stopped_s:.1f} s; idle: hub {mib(idle['hub'])}, proxy "
        f"{mib(idle['proxy'])}, a learner's server {mib(max(idle[n] for n in LEARNERS))}; after exercise 3.1: "
        f"server {mib(max(busy[n] for n in LEARNERS))} + its kernel {mib(max(busy[n + ' kernel'] for n in LEARNERS))}"
        f", hub {mib(busy['hub'])}, proxy {mib(busy['proxy'])}")


def test_without_node_the_hub_says_what_to_install(tmp_path, monkeypatch):
    from helpers.workshop.hub import HubError
    from helpers.workshop.hub_proxy import proxy_command

    monkeypatch.setenv("CODEALONG_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("PATH", str(tmp_path))   # no node, no npm
    monkeypatch.delenv("CODEALONG_HUB_PROXY", raising=False)
    with pytest.raises(HubError) as raised:
        proxy_command()
    assert "configurable-http-proxy" in raised.value.cause and "Install Node.js 20" in raised.value.fix
