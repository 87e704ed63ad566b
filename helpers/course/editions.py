"""Two editions of every chapter: the solved one and the learner's.

The solved edition, `notebooks/.NN_name.ipynb` (a hidden file: JupyterLab's file browser does
not list it unless asked), is what maintainers edit and what CI executes and compares with
nbval. The learner edition, `notebooks/NN_name.ipynb`, is made from it by `codealong editions`
and committed: every code cell's lines between `### BEGIN SOLUTION` and `### END SOLUTION`
(nbgrader's markers) become `# YOUR CODE HERE`, and the outputs of those cells and of the
check cells (tagged `exercise-check`) are cleared, so the notebook a learner opens holds no
answers. Everything else, outputs included, is the solved edition's.
"""
from __future__ import annotations

import copy
from pathlib import Path

import nbformat

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
STUB = "# YOUR CODE HERE"
CHECK_TAG = "exercise-check"


def solved_notebooks(folder: Path) -> list[Path]:
    return sorted(folder.glob(".[0-9][0-9]_*.ipynb"))


def learner_path(solved: Path) -> Path:
    return solved.with_name(solved.name.lstrip("."))


def _strip_solutions(source: str) -> str:
    """Each BEGIN...END region becomes one stub line, indented like the BEGIN marker."""
    lines, out, inside = source.splitlines(), [], False
    for line in lines:
        if line.strip() == BEGIN:
            inside = True
            out.append(line[:len(line) - len(line.lstrip())] + STUB)
        elif line.strip() == END:
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"a {BEGIN} without its {END}")
    return "\n".join(out)


def learner_edition(solved: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The learner's notebook: solutions replaced by stubs, their outputs and the checks' cleared."""
    nb = copy.deepcopy(solved)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        is_exercise = BEGIN in cell.source
        if is_exercise:
            cell.source = _strip_solutions(cell.source)
        if is_exercise or CHECK_TAG in cell.metadata.get("tags", []):
            cell.outputs, cell.execution_count = [], None
    return nb


def _text(nb: nbformat.NotebookNode) -> str:
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"  # as nbformat.write leaves a file


def out_of_date(folder: Path) -> list[Path]:
    """Learner editions that differ from what their solved edition makes (or are missing)."""
    stale = []
    for solved in solved_notebooks(folder):
        wanted = _text(learner_edition(nbformat.read(solved, as_version=4)))
        target = learner_path(solved)
        if not target.exists() or target.read_text() != wanted:
            stale.append(target)
    return stale


def learner_work(target: Path, wanted: nbformat.NotebookNode) -> list[str]:
    """The ids of `target`'s exercise cells that hold a learner's work: code typed in place of the
    stub, or outputs of having run it (cells matched by id with the edition about to be written)."""
    if not target.exists():
        return []
    current = {cell.get("id"): cell for cell in nbformat.read(target, as_version=4).cells}
    worked = []
    for cell in wanted.cells:
        if cell.cell_type != "code" or STUB not in cell.source:
            continue
        mine = current.get(cell.get("id"))
        if mine is not None and (mine.source != cell.source or mine.get("outputs")):
            worked.append(cell.get("id"))
    return worked


class LearnerWorkError(ValueError):
    """Writing the learner editions would overwrite a learner's exercise cells."""


def write_learner_editions(folder: Path, overwrite_work: bool = False) -> list[Path]:
    """Write every learner edition that is out of date; returns those written. A learner edition
    with work in its exercise cells is kept (LearnerWorkError names them) unless `overwrite_work`."""
    planned = []
    for target in out_of_date(folder):
        solved = target.with_name("." + target.name)
        planned.append((target, learner_edition(nbformat.read(solved, as_version=4))))
    if not overwrite_work:
        worked = {target.name: cells for target, wanted in planned if (cells := learner_work(target, wanted))}
        if worked:
            raise LearnerWorkError(worked)
    for target, wanted in planned:
        target.write_text(_text(wanted))
    return [target for target, _ in planned]
