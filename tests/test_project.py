"""The project's files agree with each other: one Kafka version, one dependency list,
a compose file a real compose tool accepts, and CI running the README's test command."""
from __future__ import annotations

import re
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import yaml

from helpers.settings import REPO_ROOT, kafka_version, read_dotenv

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
COMPOSE_BIN = Path(find_spec("compose").origin).parent / "docker-compose"


def dep_name(requirement: str) -> str:
    return re.split(r"[<>=!~; \[]", requirement, maxsplit=1)[0].lower()


def compose(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(COMPOSE_BIN), *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)


def test_kafka_version_is_pinned_once_and_quoted_by_the_readme():
    pinned = read_dotenv()["KAFKA_VERSION"]
    assert re.fullmatch(r"4\.\d+\.\d+", pinned)
    assert kafka_version() == pinned
    assert f"Kafka {pinned}" in (REPO_ROOT / "README.md").read_text()
    for path in ["helpers", "docker-compose.yml", "environment.yml", "Makefile"]:
        for file in (REPO_ROOT / path).rglob("*") if (REPO_ROOT / path).is_dir() else [REPO_ROOT / path]:
            if file.suffix in {".py", ".yml", ".xml", ".properties", ""} and file.is_file():
                assert pinned not in file.read_text(errors="ignore"), f"{file} repeats the Kafka version"


def test_compose_file_is_accepted_by_docker_compose_in_both_profiles():
    for args in (["config", "-q"], ["--profile", "three-nodes", "config", "-q"]):
        result = compose(*args)
        assert result.returncode == 0, result.stderr


def test_compose_file_rejects_a_broken_copy(tmp_path):
    broken = (REPO_ROOT / "docker-compose.yml").read_text().replace("hostname: kafka\n", "hostnme: kafka\n", 1)
    (tmp_path / "docker-compose.yml").write_text(broken)
    result = subprocess.run([str(COMPOSE_BIN), "-f", str(tmp_path / "docker-compose.yml"), "config", "-q"],
                            capture_output=True, text=True, timeout=60, env={"KAFKA_VERSION": "4.4.0"})
    assert result.returncode != 0 and "hostnme" in result.stderr


def test_compose_services_use_the_pinned_image_loopback_ports_and_two_listeners():
    config = yaml.safe_load(compose("--profile", "three-nodes", "config").stdout)
    services = config["services"]
    assert set(services) == {"kafka", "kafka-1", "kafka-2", "kafka-3", "schema-registry"}
    services.pop("schema-registry")  # its own test below
    for name, service in services.items():
        assert service["image"] == f"apache/kafka:{kafka_version()}"
        assert all(port["host_ip"] == "127.0.0.1" for port in service["ports"]), name
        assert "healthcheck" in service
    single = services["kafka"]["environment"]
    assert "INTERNAL://kafka:9092" in single["KAFKA_ADVERTISED_LISTENERS"]
    assert "EXTERNAL://localhost:29092" in single["KAFKA_ADVERTISED_LISTENERS"]
    assert single["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "1"
    assert {s["environment"]["KAFKA_NODE_ID"] for n, s in services.items() if n != "kafka"} == {"1", "2", "3"}


def test_compose_runs_the_locked_schema_registry_on_its_kafka_published_on_loopback_only():
    """The same Apicurio Registry as `codealong registry start`: the lock file's version, kafkasql
    storage on the compose Kafka, and the settings LocalRegistry passes as system properties."""
    from helpers.registry import LocalRegistry
    from helpers.registry.archive import read_lock

    registry = yaml.safe_load(compose("config").stdout)["services"]["schema-registry"]
    image, tag = registry["image"].rsplit(":", 1)
    assert image in {"quay.io/apicurio/apicurio-registry", "apicurio/apicurio-registry"}
    assert tag == read_lock().version
    assert [(p["host_ip"], p["published"], p["target"]) for p in registry["ports"]] == [("127.0.0.1", "8081", 8080)]
    assert registry["depends_on"]["kafka"]["condition"] == "service_healthy"
    env = registry["environment"]
    assert env["APICURIO_KAFKASQL_BOOTSTRAP_SERVERS"] == "kafka:9092"  # the compose network's listener
    local = LocalRegistry(port=18081).properties("kafka:9092")
    placed_elsewhere = {"quarkus.http.host", "quarkus.http.port", "quarkus.management.host",  # the container's
                        "quarkus.management.port", "apicurio.import.work-dir", "apicurio.storage.snapshot.location"}
    system_properties = dict(option[2:].split("=", 1) for option in env.get("JAVA_OPTS_APPEND", "").split())
    for key, value in local.items():
        if key in placed_elsewhere:
            continue
        variable = key.upper().replace(".", "_").replace("-", "_")
        assert env.get(variable, system_properties.get(key)) == value, f"{key}: compose does not set it as {value!r}"


def test_environment_yml_lists_every_python_dependency_with_a_reason():
    env = yaml.safe_load((REPO_ROOT / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    listed = {dep_name(d) for d in conda + pip}
    wanted = {dep_name(d) for d in PYPROJECT["project"]["dependencies"] + PYPROJECT["project"]["optional-dependencies"]["test"]}
    wanted.discard("tomli")  # only for Python 3.10; conda installs a newer Python
    assert wanted <= listed, f"missing from environment.yml: {wanted - listed}"
    assert "python" in listed and not {"openjdk", "maven"} & listed  # Python is the only prerequisite
    assert "-e ." in pip
    text = (REPO_ROOT / "environment.yml").read_text()
    for line in text.split("dependencies:", 1)[1].splitlines():
        if re.match(r"\s+- [a-z]", line) and line.strip("- :") != "pip":
            assert "#" in line, f"no reason given: {line.strip()}"


def test_ci_runs_the_readme_test_command():
    readme = (REPO_ROOT / "README.md").read_text()
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    commands = [ln.strip() for ln in ci.splitlines() if ln.strip() and not ln.startswith("#")
                and not ln.startswith(("set ", "cd "))]
    assert commands == ["make test"]
    assert "make test" in readme and "make run" in readme


def test_console_command_is_installed():
    result = subprocess.run([sys.executable, "-m", "helpers.cli", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "broker" in result.stdout


def test_the_lock_file_pins_the_kafka_version_in_dotenv():
    from helpers.broker.jars import lock_file, read_lock

    version = kafka_version()
    regenerate = "run `codealong broker lock` (needs Maven) and commit the lock file"
    assert lock_file(version).is_file(), f"no lock file for Kafka {version}: {regenerate}"
    locked = read_lock(version)
    broker = {(j.group, j.artifact): j.version for j in locked["broker"]}
    tools = {(j.group, j.artifact): j.version for j in locked["tools"]}
    assert broker.get(("org.apache.kafka", "kafka_2.13")) == version, f"the broker's jars are not {version}'s: {regenerate}"
    assert tools.get(("org.apache.kafka", "kafka-tools")) == version, f"the tools' jars are not {version}'s: {regenerate}"
    assert ("org.apache.logging.log4j", "log4j-slf4j-impl") in broker  # else the broker logs nothing
    assert all(len(j.sha256) == 64 for j in locked["broker"] + locked["tools"])


def test_the_layers_import_only_downwards():
    """helpers/ is client <- broker <- course <- workshop (and cli on top): a module imports only
    from its own layer and those before it, so the client library stands on its own."""
    import ast

    order = ["client", "broker", "registry", "course", "workshop", "cli"]
    root = Path(__file__).resolve().parent.parent / "helpers"
    wrong = []
    for path in root.rglob("*.py"):
        parts = path.relative_to(root).parts
        if len(parts) == 1:
            continue  # helpers/__init__.py and settings.py: the package's front and its settings
        layer = order.index(parts[0])
        package = ["helpers", *parts[:-1]]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    target = package[:len(package) - node.level + 1] + (node.module.split(".") if node.module else [])
                else:
                    target = (node.module or "").split(".")
                if target[:1] == ["helpers"] and len(target) > 1 and target[1] in order:
                    if order.index(target[1]) > layer:
                        wrong.append(f"{path.relative_to(root)} imports {'.'.join(target)}")
    assert not wrong, wrong


def test_every_public_name_is_importable_from_helpers():
    """The package's front keeps working whatever moves inside it."""
    import helpers

    missing = [name for name in helpers.__all__ if not hasattr(helpers, name)]
    assert not missing and len(helpers.__all__) == len(set(helpers.__all__))
