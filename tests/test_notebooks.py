"""The notebooks are uniform, executed and saved, and `codealong run` executes them.
(nbval itself re-runs every notebook and compares every output: see pyproject.toml.)"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from helpers.cli import main
from helpers.course.runner import NOTEBOOKS, find_notebooks

PATHS = find_notebooks()


def code_cells(path):
    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


def test_the_seed_is_covered_chapter_by_chapter_and_five_chapters_go_beyond_it():
    assert [p.name[1:3] for p in PATHS] == [f"{n:02d}" for n in range(1, 17)]


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_notebook_shape(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata.kernelspec.name == "python3"
    cells = code_cells(path)
    assert cells[0].metadata.get("tags") == ["parameters"]   # papermill's, first: nothing runs before it
    assert "BOOTSTRAP_SERVERS = None" in cells[0].source and "TIMEOUT_S" in cells[0].source
    assert "LEARNER = None" in cells[0].source   # None: a workshop's learner from the environment, nobody alone
    # One setup cell: it checks the environment, finds the broker and applies the learner's prefix.
    assert f"chapter = start_chapter({int(path.name[1:3])}, " in cells[1].source
    assert "chapter.done()" in cells[-1].source  # the end reaches the board
    # names and client settings come from the chapter, the one place: chapter.topic(), chapter.client_config()
    assert not [c.source[:60] for c in cells if "scoped(" in c.source or "credentials(" in c.source]
    markdown = [c.source for c in nb.cells if c.cell_type == "markdown"]
    assert markdown[0].startswith(f"# {int(path.name[1:3])}.") and "**Goal:**" in markdown[0]
    assert any(m.startswith("## Check yourself") for m in markdown)
    assert ".ipynb)" in markdown[-1], "the last cell points to the next notebook"
    assert not any("while True" in c.source for c in cells)


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_notebook_is_executed_and_saved_in_order(path):
    cells = code_cells(path)
    assert [c.execution_count for c in cells] == list(range(1, len(cells) + 1))
    for cell in cells:
        assert not [o for o in cell.outputs if o.output_type == "error"], cell.source[:60]


def test_written_files_are_the_committed_example_app():
    """Executing the notebooks rewrites example_app/ with these cells: same bytes, clean repository."""
    written = {}
    for path in PATHS:
        for cell in code_cells(path):
            if cell.source.startswith("%%writefile "):
                name, _, body = cell.source.partition("\n")
                written[name.split()[1]] = body + "\n"
    assert set(written) == {"example_app/producer.toml", "example_app/consumer.toml", "example_app/example_consumer.py",
                            "example_app/example_producer.py", "example_app/application.py"}
    for name, body in written.items():
        assert (NOTEBOOKS / name).read_text() == body, name


def outputs_text(path) -> str:
    return json.dumps([o for c in code_cells(path) for o in c.outputs])


def test_troubleshooting_shows_the_real_errors_labelled_by_side():
    text = outputs_text(NOTEBOOKS / ".08_troubleshooting.ipynb") + outputs_text(NOTEBOOKS / ".09_more_errors.ipynb")
    for evidence in ["Broker: Unknown topic or partition", "LEADER_NOT_AVAILABLE", "Broker: Leader not available",
                     "[client] Local: Message timed out (_MSG_TIMED_OUT)",
                     "helpers' diagnosis [LEADER_NOT_AVAILABLE]",
                     "[broker] Broker: Invalid topic (TOPIC_EXCEPTION)", "Failed to resolve 'kafka:19592'",
                     "Producer terminating with 1 message", "messages in flush_topic: 0",
                     "[client] the delivery report: Local: Message timed out (_MSG_TIMED_OUT)",
                     "No broker at 127.0.0.1:19999", "waited more than 5 s for its partition: True",
                     "[client] confluent-kafka: a bytes-like object is required, not 'dict'",
                     "[client] Unable to produce message: Broker: Message size too large (MSG_SIZE_TOO_LARGE)",
                     "[broker] Broker: Message size too large (MSG_SIZE_TOO_LARGE)",
                     "Subscribed topic not available: no_such_topic"]:
        assert evidence in text, evidence


def test_send_and_receive_shows_the_metamorphosis_message():
    text = outputs_text(NOTEBOOKS / ".05_send_and_receive.ipynb")
    assert "Metamorphosis: Franz Kafka" in text and "'ts_type': 'create'" in text


def test_example_app_runs_outside_jupyter(kafka):
    from helpers import create_topic

    create_topic(kafka, "another_topic")  # as chapter 5 leaves it; the app's consumer does not create topics
    done = subprocess.run([sys.executable, "-m", "example_app"], cwd=NOTEBOOKS, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "example_app.example_consumer: Metamorphosis: Franz Kafka" in done.stdout
    assert "handled: 1 message(s)" in done.stdout


def test_codealong_run_executes_notebooks_and_summarises(kafka, tmp_path):
    result = CliRunner().invoke(main, ["run", "--only", "02", "--output", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "02_start_kafka.ipynb  ok" in result.output
    executed = nbformat.read(tmp_path / "02_start_kafka.ipynb", as_version=4)
    assert all(c.execution_count for c in executed.cells if c.cell_type == "code")
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in executed.cells)


def test_codealong_run_names_the_failing_cell(kafka, tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("BOOTSTRAP_SERVERS = ''", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("raise ValueError('a broken step')")]
    folder = tmp_path / "nbs"
    folder.mkdir()
    nbformat.write(nb, folder / "01_broken.ipynb")  # a plain numbered notebook (no editions)
    result = CliRunner().invoke(main, ["run", "--notebooks", str(folder), "--output", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "01_broken.ipynb  FAILED" in result.output and "raised ValueError: a broken step" in result.output


# ---- the learner edition -------------------------------------------------------------------------
def test_the_committed_learner_edition_is_up_to_date():
    from helpers.course.editions import out_of_date

    stale = out_of_date(NOTEBOOKS)
    assert not stale, f"out of date: {[p.name for p in stale]}; run `codealong editions` and commit them"


def test_the_learner_edition_holds_no_answers():
    from helpers.course.editions import BEGIN, CHECK_TAG, STUB

    learner = find_notebooks(edition="learner")
    assert [p.name for p in learner] == [p.name.lstrip(".") for p in PATHS]
    exercises = 0
    for path in learner:
        for cell in code_cells(path):
            assert BEGIN not in cell.source and "### END SOLUTION" not in cell.source
            if STUB in cell.source or CHECK_TAG in cell.metadata.get("tags", []):
                assert cell.outputs == [], f"{path.name}: an exercise or check cell keeps its output"
            exercises += STUB in cell.source
    assert exercises >= 16
    solved_checks = [c for p in PATHS for c in code_cells(p) if CHECK_TAG in c.metadata.get("tags", [])]
    assert len(solved_checks) >= 2 * len(PATHS)
    assert all("✓ Exercise" in json.dumps(c.outputs, ensure_ascii=False) for c in solved_checks)  # the solved edition passes them


@pytest.mark.timeout(1200)  # two full runs of sixteen chapters, beside the other suites on 2 cores
def test_after_the_solved_run_the_untouched_learner_edition_passes_no_check(kafka, tmp_path):
    """As a newcomer meets it: `make run` (the solved edition) on the default broker, then the
    learner edition, untouched, on the SAME broker: every check says "not yet" with a hint, since
    each exercise makes its own clean slate and looks only at what was done after it began."""
    solved = CliRunner().invoke(main, ["run", "--output", str(tmp_path / "solved")])
    assert solved.exit_code == 0, solved.output
    learner = CliRunner().invoke(main, ["run", "--learner", "--output", str(tmp_path / "learner")])
    assert learner.exit_code == 0, learner.output
    verdicts = [(path.name, json.dumps(cell.outputs, ensure_ascii=False))
                for path in sorted((tmp_path / "learner").glob("*.ipynb")) for cell in code_cells(path)
                if "exercise-check" in cell.metadata.get("tags", [])]
    from helpers.course.catalogue import EXERCISE_IDS

    assert len(verdicts) == len(EXERCISE_IDS)
    for name, text in verdicts:
        assert "not yet" in text and "Hint:" in text, (name, text)
    done = re.findall(r"\.ipynb +ok +[\d.]+ +(\d+)/\d+ ", learner.output)   # the summary's checks column
    assert len(done) == len(PATHS) and set(done) == {"0"}, learner.output


def test_codealong_run_prints_each_chapters_headline(kafka, tmp_path):
    result = CliRunner().invoke(main, ["run", "--only", "05", "--output", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "05_send_and_receive.ipynb  ok" in result.output and "Metamorphosis: Franz Kafka" in result.output
    assert "3/3" in result.output  # the solved edition passes its checks


def test_codealong_run_prints_no_kernel_warning(kafka, tmp_path):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "helpers.cli", "run", "--only", "02", "--output", str(tmp_path)],
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    assert "without encryption" not in done.stdout + done.stderr


def test_stored_outputs_hold_no_frozen_bars_or_overlong_lines():
    for path in PATHS:
        for cell in code_cells(path):
            for output in cell.outputs:
                text = output.get("text", "") or output.get("data", {}).get("text/plain", "")
                for line in text.splitlines():
                    assert "0%|" not in line, f"{path.name}: a progress bar saved at 0%"
                    assert len(line) <= 250, f"{path.name}: {line[:80]}"


def test_every_concept_figure_is_drawn_in_a_chapter_and_stored_as_svg():
    """The figures of helpers/course/figures render where their concept is taught: each module is
    used by a chapter, and the stored outputs hold the SVG itself (what JupyterLab and the website
    show), next to the figure's title as text (what nbval compares)."""
    from helpers.course import figures

    folder = Path(figures.__file__).parent
    modules = {p.stem for p in folder.glob("*.py")} - {"__init__", "svg"}
    used, stored = set(), 0
    for path in PATHS:
        for cell in code_cells(path):
            used.update(re.findall(r"helpers\.course\.figures\.(\w+)", cell.source))
            for output in cell.outputs:
                data = output.get("data", {})
                if "image/svg+xml" in data:
                    assert data["image/svg+xml"].lstrip().startswith("<svg"), path.name
                    assert data["text/plain"].startswith("[figure: "), path.name
                    stored += 1
    assert modules <= used, f"figures no chapter draws: {sorted(modules - used)}"
    assert stored >= len(modules)


def test_every_link_within_a_chapter_names_one_of_its_headings():
    """JupyterLab's anchor of a heading is its text with spaces as '-': a link that misses it goes nowhere."""
    import re

    for path in PATHS:
        nb = nbformat.read(path, as_version=4)
        markdown = [c.source for c in nb.cells if c.cell_type == "markdown"]
        anchors = {line.lstrip("#").strip().replace(" ", "-") for text in markdown for line in text.splitlines()
                   if line.startswith("#")}
        for text in markdown:
            for anchor in re.findall(r"\]\(#((?:[^()]|\([^()]*\))+)\)", text):
                assert anchor in anchors, (path.name, anchor)
