"""A room without internet: `codealong prefetch DIR` holds every wheel and jar and the schema
registry's archive (wheels for this machine only, pack's default: tests/test_prefetch_platforms.py
covers the other platforms); a fresh virtual environment installs from it with no package index, and the
broker and the registry start from it with no Maven repository reachable. Slow (a full install):
it runs in the side suite beside the main one."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.broker.cluster import free_ports
from helpers import settings
from helpers.broker.offline import CACHE_NAME, pack
from helpers.registry.archive import archive_path, fetch_archive
from helpers.settings import REPO_ROOT

NOWHERE = "http://127.0.0.1:9/"  # nothing listens there: any download attempt fails at once


@pytest.mark.timeout(1500)
def test_install_and_broker_and_registry_start_from_the_prefetched_folder_alone(tmp_path):
    folder = tmp_path / "usb-stick"
    registry_archive = fetch_archive(settings.cache_dir())  # what `codealong prefetch DIR` passes
    counts = pack(folder, also=[registry_archive])
    assert counts["wheels"] > 50 and counts["others"] == 1 and (folder / CACHE_NAME / "maven-repository").is_dir()
    assert (folder / CACHE_NAME / registry_archive.relative_to(settings.cache_dir())).stat().st_size == \
        registry_archive.stat().st_size
    readme = (folder / "README.txt").read_text()
    assert "--no-index --find-links" in readme and "codealong registry start" in readme
    assert "this machine (linux" in " ".join(readme.split()) and "--platform all" in readme  # pack's default

    # The README's own commands, as a learner runs them: the project's folder beside this one, and a
    # cache folder that already exists (the copy must merge into it, not nest inside it).
    project = tmp_path / "kafka-codealong"
    subprocess.run(["git", "clone", "--quiet", str(REPO_ROOT), str(project)], check=True, timeout=120)
    home = tmp_path / "learner-home"
    (home / ".cache" / "kafka-codealong").mkdir(parents=True)
    offline = {**os.environ, "PIP_INDEX_URL": NOWHERE, "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1",
               "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache"),
               "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}  # the python3 the wheels are for
    commands = readme.split("macOS and Linux", 1)[1].split("Then", 1)[0]
    steps = [line.strip() for line in commands.splitlines() if line.startswith("    ") and line.strip()]
    assert steps[0] == "cd kafka-codealong" and len(steps) == 4
    installed = subprocess.run(["bash", "-euc", " && ".join(steps)], cwd=tmp_path, env=offline,
                               capture_output=True, text=True, timeout=1200)
    assert installed.returncode == 0, installed.stderr[-2000:]
    cache = home / ".cache" / "kafka-codealong"
    assert (cache / "maven-repository").is_dir() and not (cache / CACHE_NAME).exists()
    venv = project / ".venv"
    learner = {**offline, "XDG_STATE_HOME": str(home / ".local" / "state"), "CODEALONG_MAVEN_REPOSITORY": NOWHERE,
               "CODEALONG_CACHE_DIR": "", "CODEALONG_STATE_DIR": "", "CODEALONG_PORT": str(free_ports(2)),
               "CODEALONG_REGISTRY_PORT": str(free_ports(2))}
    script = ("from helpers.broker import LocalCluster\n"
              "from helpers.registry import LocalRegistry\n"
              "c, r = LocalCluster(), LocalRegistry()\n"
              "try:\n    print(c.start())\n    print(r.start(c.bootstrap))\n"
              "finally:\n    r.stop()\n    c.stop()\n"
              # a workshop's partition-budget policy compiles from the folder's cache too
              "from helpers import settings\n"
              "from helpers.broker.jars import resolve_jars\n"
              "from helpers.broker.policy import policy_jar\n"
              "from helpers.broker.prerequisites import check_java\n"
              "libs = resolve_jars(settings.kafka_version(), settings.cache_dir())\n"
              "print('policy:', policy_jar(check_java()[0], libs, settings.cache_dir()).name)\n")
    started = subprocess.run([str(venv / "bin" / "python"), "-c", script], env=learner, capture_output=True,
                             text=True, timeout=300)
    assert started.returncode == 0, started.stdout[-1000:] + started.stderr[-2000:]
    assert "Kafka is ready at 127.0.0.1:" in started.stdout
    assert "The schema registry is ready at http://127.0.0.1:" in started.stdout
    assert "policy: partition-budget-" in started.stdout
    assert archive_path(home / ".cache" / "kafka-codealong").is_file()  # checked, not fetched again
