"""The learner edition, run as a learner opens it: every chapter unsolved, on a broker of its
own. (In the side suite, beside the main one: `make test` runs both at once.)"""
from __future__ import annotations

import json

import nbformat
from click.testing import CliRunner

from helpers.cli import main


def code_cells(path):
    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


def test_the_learner_edition_runs_unsolved_with_every_check_saying_not_yet(scratch_cluster, tmp_path, monkeypatch):
    """Papermill runs every chapter as a learner opens it, on a broker of its own (nothing solved
    there by an earlier run): nothing fails, and every check says "not yet" with a hint."""
    scratch_cluster.start()
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", scratch_cluster.bootstrap)
    result = CliRunner().invoke(main, ["run", "--learner", "--output", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    verdicts = []
    for path in sorted((tmp_path / "out").glob("*.ipynb")):
        for cell in code_cells(path):
            if "exercise-check" in cell.metadata.get("tags", []):
                text = json.dumps(cell.outputs, ensure_ascii=False)
                verdicts.append((path.name, text))
    assert len(verdicts) >= 16
    for name, text in verdicts:
        assert "not yet" in text and "Hint:" in text, (name, text)
    assert "0/2" in result.output
