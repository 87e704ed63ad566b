"""A workshop's files, in one folder the instructor owns (default: <state dir>/workshop):

    room.toml                 where the cluster is, who the learners are (no secrets)
    admin.env                 the super user's password, when `workshop start` made it (mode 600)
    room.md                   the room sheet: learners, their join files, the commands
    join/<learner>.join.toml  a learner's join sheet: bootstrap, learner, user (no password)
    join/<learner>.password.env   `export KAFKA_PASSWORD=...` (mode 600), sourced, never printed
    cluster/                  the local cluster's data and logs (when the workshop started one)
    registry/                 the room's schema registry (its log; its schemas live in the room's Kafka)
"""
from __future__ import annotations

import os
import secrets
import shlex
from dataclasses import asdict, dataclass
from pathlib import Path

from .. import settings
from ..client.config import Connection, SecurityConfig
from ..client.errors import CodealongError
from ..client.names import check_learner
from ..client.loading import tomllib  # the one tomli fallback

ADMIN_USER_VARIABLE = "CODEALONG_ADMIN_USER"
ADMIN_PASSWORD_VARIABLE = "CODEALONG_ADMIN_PASSWORD"
WORKSHOP_PORT_OFFSET = 300  # a local workshop cluster listens from base port + 300 (9392)
#: What the room sheet says of the registry's isolation (the same sentence as docs/teaching.md).
REGISTRY_ISOLATION = ("The schema registry does no access control per subject in this setup: any learner can "
                      "read, register and delete any subject over its HTTP API. Learners are kept apart by "
                      "naming only (their subjects follow their topic prefix, `ana.books-value`), unlike their "
                      "topics and groups, which Kafka's ACLs protect.")


class RoomError(CodealongError):
    """The workshop's folder or a join sheet is missing or malformed."""


def workshop_dir() -> Path:
    return Path(os.environ.get("CODEALONG_WORKSHOP_DIR") or settings.state_dir() / "workshop")


def learner_names(spec: str) -> list[str]:
    """"ana,ben,cy" -> those names (checked, no repeats); "8" -> learner01 ... learner08."""
    spec = spec.strip()
    if spec.isdigit():
        count = int(spec)
        if not 1 <= count <= 200:
            raise RoomError(f"--learners {count}: a workshop has 1 to 200 learners.", "Pass a number from 1 to 200.")
        return [f"learner{n:0{max(2, len(str(count)))}d}" for n in range(1, count + 1)]
    names = [check_learner(part.strip()) for part in spec.split(",") if part.strip()]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if not names or repeated:
        raise RoomError(f"--learners {spec!r} {'repeats ' + ', '.join(repeated) if repeated else 'names nobody'}.",
                        "Pass distinct names separated by commas (ana,ben,cy), or a count (--learners 8).")
    return names


def _write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (created so from the start, never world-readable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(handle, "w") as out:
        out.write(text)
    os.chmod(path, 0o600)


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines (with or without `export`, values shell-quoted)."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip().removeprefix("export ").strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = shlex.split(value)[0] if value.strip() else ""
    return values


@dataclass
class Room:
    folder: Path
    bootstrap: str
    learners: list[str]
    nodes: int | None = None             # a local cluster's node count; None: an existing cluster
    port: int | None = None
    host: str = "127.0.0.1"
    protocol: str = "SASL_PLAINTEXT"     # how learners and the admin log in
    mechanism: str = "SCRAM-SHA-256"
    registry_url: str | None = None      # the schema registry learners use (its Confluent-compatible URL)
    registry_port: int | None = None     # the port of the registry this workshop started, if it did
    partition_budget: int | None = None  # most partitions one learner's topics may hold (local cluster only)

    FILE = "room.toml"

    # ---- persistence ---------------------------------------------------------------------
    def save(self) -> None:
        data = {k: v for k, v in asdict(self).items() if k != "folder" and v is not None}
        lines = [f"{key} = {_toml(value)}" for key, value in data.items()]
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / self.FILE).write_text("# The workshop's room (written by `codealong workshop start`).\n"
                                             + "\n".join(lines) + "\n")

    @classmethod
    def load(cls, folder: Path | None = None) -> "Room":
        folder = folder or workshop_dir()
        try:
            data = tomllib.loads((folder / cls.FILE).read_text())
        except FileNotFoundError:
            raise RoomError(f"There is no workshop in {folder} (no {cls.FILE}).",
                            "Start one with `codealong workshop start --learners ana,ben` (or set "
                            "CODEALONG_WORKSHOP_DIR to the folder of the running one).") from None
        return cls(folder=folder, **data)

    # ---- the cluster -----------------------------------------------------------------------
    def cluster(self):
        """The local cluster this workshop started, or None for an existing cluster."""
        if self.nodes is None:
            return None
        from ..broker import LocalCluster

        return LocalCluster(nodes=self.nodes, port=self.port, name="cluster", state_dir=self.folder,
                            advertised_host=self.host, admin=self.admin_login(), partition_budget=self.partition_budget)

    def registry(self, login: bool = False):
        """The schema registry this workshop started (in `registry/`), or None. With `login`, it
        carries the super user's Kafka login, which its kafkasql journal needs on the room's Kafka."""
        if self.registry_port is None:
            return None
        from ..registry import LocalRegistry

        return LocalRegistry(self.registry_port, name="registry", state_dir=self.folder, host=self.host,
                             kafka_login=self.registry_kafka_login() if login else None)

    def registry_kafka_login(self) -> dict[str, str]:
        """Kafka client settings for the registry: the super user over SASL/SCRAM."""
        user, password = self.admin_login()

        def quoted(value: str) -> str:
            return value.replace("\\", "\\\\").replace('"', '\\"')
        return {"security.protocol": self.protocol, "sasl.mechanism": self.mechanism,
                "sasl.jaas.config": "org.apache.kafka.common.security.scram.ScramLoginModule required "
                                    f'username="{quoted(user)}" password="{quoted(password)}";'}

    def admin_login(self) -> tuple[str, str]:
        """The super user's name and password: from the environment, else from admin.env."""
        stored = self.folder / "admin.env"
        if not os.environ.get(ADMIN_PASSWORD_VARIABLE) and stored.exists():
            for key, value in read_env_file(stored).items():
                os.environ.setdefault(key, value)
        user = os.environ.get(ADMIN_USER_VARIABLE, "admin")
        password = os.environ.get(ADMIN_PASSWORD_VARIABLE)
        if not password:
            raise RoomError(f"No admin password: {ADMIN_PASSWORD_VARIABLE} is not set and {stored} does not exist.",
                            f"Export {ADMIN_USER_VARIABLE} and {ADMIN_PASSWORD_VARIABLE} (the cluster's super user).")
        os.environ.setdefault(ADMIN_USER_VARIABLE, user)
        return user, password

    def make_admin_password(self) -> None:
        """For a cluster the workshop starts: a fresh super-user password, kept in admin.env."""
        if os.environ.get(ADMIN_PASSWORD_VARIABLE) or (self.folder / "admin.env").exists():
            return
        _write_private(self.folder / "admin.env",
                       f"{ADMIN_USER_VARIABLE}=admin\n{ADMIN_PASSWORD_VARIABLE}={secrets.token_urlsafe(24)}\n")

    def admin(self) -> Connection:
        """The super user's connection (credentials stay in the environment, by variable name)."""
        self.admin_login()
        return Connection(endpoints=self.bootstrap, security=SecurityConfig(
            protocol=self.protocol, sasl_mechanism=self.mechanism,
            username_env=ADMIN_USER_VARIABLE, password_env=ADMIN_PASSWORD_VARIABLE))

    # ---- join sheets -----------------------------------------------------------------------
    def join_file(self, learner: str) -> Path:
        return self.folder / "join" / f"{learner}.join.toml"

    def password_file(self, learner: str) -> Path:
        return self.folder / "join" / f"{learner}.password.env"

    def write_join_files(self, learner: str, password: str) -> Path:
        _write_private(self.password_file(learner), f"export KAFKA_PASSWORD={shlex.quote(password)}\n")
        path = self.join_file(learner)
        path.write_text(
            f"# Join sheet of {learner}: `codealong workshop join {path.name}` checks it and prints the\n"
            "# lines to export. The password is in the .password.env file beside it: source it, never print it.\n"
            f"bootstrap = {_toml(self.bootstrap)}\nlearner = {_toml(learner)}\nuser = {_toml(learner)}\n"
            f"security_protocol = {_toml(self.protocol)}\nsasl_mechanism = {_toml(self.mechanism)}\n"
            f"password_file = {_toml(self.password_file(learner).name)}\n"
            f"schema_registry_url = {_toml(self.registry_url or '')}\n")
        return path

    def write_room_sheet(self) -> Path:
        rows = "\n".join(f"| {name} | join/{self.join_file(name).name} | join/{self.password_file(name).name} |"
                         for name in self.learners)
        where = (f"a local {self.nodes}-node cluster started by the workshop" if self.nodes
                 else "an existing cluster")
        if self.registry_url:
            whose = "started by the workshop, its schemas kept in the room's Kafka" if self.registry_port \
                else "given to `workshop start`"
            registry = (f"Schema registry: `{self.registry_url}` ({whose}); the join sheets carry it "
                        f"(SCHEMA_REGISTRY_URL).\n{REGISTRY_ISOLATION}")
        else:
            registry = ("Schema registry: none. Chapter 15 (data contracts) needs one that the learners' machines "
                        "reach: `codealong workshop start --registry-url URL` (its Confluent-compatible URL).")
        path = self.folder / "room.md"
        path.write_text(f"""# Workshop room sheet

Cluster: `{self.bootstrap}` ({where}); learners log in with {self.mechanism} over {self.protocol}.

{registry}

Give each learner their two files (the join sheet and the password file). On their machine:

    codealong workshop join <learner>.join.toml        # checks the login, prints two lines to run

| learner | join sheet | password file (keep private) |
|---|---|---|
{rows}

Watch: `codealong workshop status`, or notebooks/instructor/board.ipynb.
Reset one learner (their topics, groups and schema subjects): `codealong workshop reset NAME`.
End: `codealong workshop stop`.
""")
        return path


@dataclass
class JoinSheet:
    bootstrap: str
    learner: str
    user: str
    security_protocol: str
    sasl_mechanism: str
    password_file: Path
    schema_registry_url: str = ""   # empty: the room has no registry

    @classmethod
    def load(cls, path: Path) -> "JoinSheet":
        try:
            data = tomllib.loads(Path(path).read_text())
            sheet = cls(**{**data, "password_file": Path(path).parent / data["password_file"]})
        except FileNotFoundError:
            raise RoomError(f"Join sheet {path} does not exist.", "Check the path the instructor gave you.") from None
        except (tomllib.TOMLDecodeError, TypeError, KeyError) as err:
            raise RoomError(f"{path} is not a workshop join sheet ({err}).",
                            "Use the .join.toml file the instructor handed out, unchanged.") from None
        check_learner(sheet.learner)
        if not sheet.password_file.exists():
            raise RoomError(f"The password file {sheet.password_file} (named by {path}) does not exist.",
                            "Put the .password.env file the instructor gave you beside the join sheet.")
        return sheet

    def password(self) -> str:
        return read_env_file(self.password_file).get("KAFKA_PASSWORD", "")

    def environment(self) -> dict[str, str]:
        """The variables that make every notebook run as this learner (the password excluded)."""
        registry = {"SCHEMA_REGISTRY_URL": self.schema_registry_url} if self.schema_registry_url else {}
        return {"KAFKA_BOOTSTRAP_SERVERS": self.bootstrap, "KAFKA_SECURITY_PROTOCOL": self.security_protocol,
                "KAFKA_SASL_MECHANISM": self.sasl_mechanism, "KAFKA_USERNAME": self.user,
                "CODEALONG_LEARNER": self.learner, **registry}

    def export_lines(self, shell: str = "posix") -> list[str]:
        """What to run in the shell that starts Jupyter: the variables, then the password read from
        its file (never printed). `shell`: "posix" (bash, zsh) or "powershell" (Windows)."""
        password_file = str(self.password_file.resolve())
        if shell == "powershell":
            def quoted(value: str) -> str:
                return "'" + value.replace("'", "''") + "'"
            # The file holds `export KAFKA_PASSWORD=...` (made by token_urlsafe: never quoted).
            return [*(f"$env:{k} = {quoted(v)}" for k, v in self.environment().items()),
                    f"Get-Content {quoted(password_file)} | ForEach-Object {{ if ($_ -match "
                    """'^(export )?KAFKA_PASSWORD=(.*)$') { $env:KAFKA_PASSWORD = $Matches[2].Trim("'") } }"""]
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in self.environment().items())
        return [f"export {exports}", f"source {shlex.quote(password_file)}"]


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
