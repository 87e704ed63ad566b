"""`codealong run`: execute the notebooks in order with papermill, into an output folder."""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import papermill
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from papermill.exceptions import PapermillExecutionError
from tqdm.auto import tqdm  # a widget bar in Jupyter, a text bar in a terminal

from .settings import REPO_ROOT

NOTEBOOKS = REPO_ROOT / "notebooks"
CELL_TIMEOUT_S = 300


@dataclass
class NotebookRun:
    notebook: str
    ok: bool
    seconds: float
    problem: str = ""


def find_notebooks(folder: Path = NOTEBOOKS, only: str = "") -> list[Path]:
    """The numbered notebooks of a folder, in order; `only` keeps names containing it."""
    return [p for p in sorted(folder.glob("[0-9][0-9]_*.ipynb")) if only in p.name]


def _last_started_cell(executed: Path) -> str:
    """The execution count of the last cell that started, in a partly executed copy."""
    try:
        counts = [c.execution_count for c in nbformat.read(executed, as_version=4).cells
                  if c.cell_type == "code" and c.execution_count]
    except (OSError, ValueError):
        counts = []
    return str(counts[-1]) if counts else "?"


def run_notebooks(notebooks: list[Path], output: Path, parameters: dict,
                  cell_timeout: float = CELL_TIMEOUT_S) -> list[NotebookRun]:
    """Execute each notebook (in its own folder, so relative paths work) into `output`.

    A failing notebook (an error, a cell over `cell_timeout` seconds, a kernel that died) is
    recorded with the cell that failed, and the others still run.
    """
    output.mkdir(parents=True, exist_ok=True)
    results = []
    bar = tqdm(notebooks, unit="notebook", leave=False)
    for path in bar:
        bar.set_description(path.stem)
        began = time.monotonic()
        try:
            papermill.execute_notebook(str(path), str(output / path.name), parameters=parameters,
                                       kernel_name="python3", cwd=str(path.parent), progress_bar=False,
                                       execution_timeout=cell_timeout, log_output=False)
            results.append(NotebookRun(path.name, True, time.monotonic() - began))
        except PapermillExecutionError as err:
            results.append(NotebookRun(path.name, False, time.monotonic() - began,
                                       f"cell {err.exec_count} raised {err.ename}: {err.evalue}"[:300]))
        except (CellTimeoutError, DeadKernelError) as err:
            what = (f"timed out after {cell_timeout:g} s" if isinstance(err, CellTimeoutError)
                    else "stopped: the kernel died")
            results.append(NotebookRun(path.name, False, time.monotonic() - began,
                                       f"cell {_last_started_cell(output / path.name)} {what}"))
    return results


def summary(results: list[NotebookRun]) -> str:
    width = max([len(r.notebook) for r in results] + [8])
    lines = [f"{'notebook':<{width}}  status  seconds"]
    for r in results:
        lines.append(f"{r.notebook:<{width}}  {'ok' if r.ok else 'FAILED':<6}  {r.seconds:7.1f}"
                     + (f"  {r.problem}" if r.problem else ""))
    return "\n".join(lines)
