"""`codealong run`: execute the notebooks in order with papermill, into an output folder."""
from __future__ import annotations

import os
import re
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import nbformat
import papermill
from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from papermill.exceptions import PapermillExecutionError
from tqdm.auto import tqdm  # a widget bar in Jupyter, a text bar in a terminal

from ..settings import REPO_ROOT

NOTEBOOKS = REPO_ROOT / "notebooks"
CELL_TIMEOUT_S = 300
# How long a cell's output may trail its end (nbclient's default, 4 s, failed a cell of a room of twenty
# kernels sharing two cores: its output came later, not never).
IOPUB_TIMEOUT_S = 60


class QuietKernelManager(AsyncKernelManager):
    """Kernels talk to the runner over local sockets (IPC) where the OS has them, so ipykernel has
    no reason to print its "running over TCP without encryption" warning for every notebook."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if os.name != "nt":
            self.transport = "ipc"
            # Sockets named for this kernel alone: the default, "kernel-ipc-1".. in the notebook's
            # folder, is shared by two runs of that folder at once, and one run's kernel then gets
            # the other's messages ("Invalid Signature").
            self.ip = os.path.join(tempfile.gettempdir(), f"codealong-kernel-{uuid.uuid4().hex[:12]}")


@dataclass
class NotebookRun:
    notebook: str
    ok: bool
    seconds: float
    problem: str = ""
    headline: str = ""                      # the last line of the cell tagged "headline"
    checks: tuple[int, int] | None = None   # exercise checks done, out of how many


def chapter_numbers(only: str) -> set[int] | None:
    """Chapters named by `only` as "3-6" or "1,3,5" (None when `only` is a name filter instead)."""
    if not re.fullmatch(r"\d+(-\d+)?(,\d+(-\d+)?)*", only.strip()):
        return None
    numbers: set[int] = set()
    for part in only.split(","):
        low, _, high = part.partition("-")
        numbers.update(range(int(low), int(high or low) + 1))
    return numbers


def find_notebooks(folder: Path = NOTEBOOKS, only: str = "", edition: str = "solved") -> list[Path]:
    """The numbered notebooks of a folder, in order: the solved edition (.NN_name.ipynb) or the
    learner's (NN_name.ipynb); `only` keeps chapters "3-6" / "1,3" or names containing it ("05_")."""
    pattern = ".[0-9][0-9]_*.ipynb" if edition == "solved" else "[0-9][0-9]_*.ipynb"
    chapters = chapter_numbers(only)
    if chapters is not None:
        return [p for p in sorted(folder.glob(pattern)) if int(p.name.lstrip(".")[:2]) in chapters]
    return [p for p in sorted(folder.glob(pattern)) if only in p.name]


def _outputs(cell) -> list[str]:
    """The text a cell showed: what it printed, and its value (a check's verdict is its value)."""
    text = "".join(o.get("text", "") if o.get("output_type") == "stream" else o.get("data", {}).get("text/plain", "")
                   for o in cell.get("outputs", []))
    return [line for line in text.splitlines() if line.strip()]


def read_results(executed: Path) -> tuple[str, tuple[int, int] | None]:
    """The headline and the exercise checks (done, total) of an executed notebook."""
    try:
        cells = nbformat.read(executed, as_version=4).cells
    except (OSError, ValueError):
        return "", None
    headline = next((_outputs(c)[-1] for c in cells if "headline" in c.metadata.get("tags", []) and _outputs(c)), "")
    verdicts = [line for c in cells if "exercise-check" in c.metadata.get("tags", []) for line in _outputs(c)
                if line.startswith(("✓", "✗"))]
    checks = (sum(line.startswith("✓") for line in verdicts), len(verdicts)) if verdicts else None
    return headline, checks


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
        name = path.name.lstrip(".")
        bar.set_description(name)
        began = time.monotonic()
        try:
            papermill.execute_notebook(str(path), str(output / name), parameters=parameters,
                                       kernel_name="python3", cwd=str(path.parent), progress_bar=False,
                                       execution_timeout=cell_timeout, log_output=False,
                                       kernel_manager_class=QuietKernelManager, iopub_timeout=IOPUB_TIMEOUT_S)
            results.append(NotebookRun(name, True, time.monotonic() - began, "", *read_results(output / name)))
        except PapermillExecutionError as err:
            results.append(NotebookRun(name, False, time.monotonic() - began,
                                       f"cell {err.exec_count} raised {err.ename}: {err.evalue}"[:300]))
        except (CellTimeoutError, DeadKernelError) as err:
            what = _timed_out(err) if isinstance(err, CellTimeoutError) else "stopped: the kernel died"
            results.append(NotebookRun(name, False, time.monotonic() - began,
                                       f"cell {_last_started_cell(output / name)} {what}"))
    return results


def _timed_out(err: CellTimeoutError) -> str:
    """"timed out after N s (what nbclient waited for)": the cell's run, or its output trailing it."""
    found = re.search(r"after (\d+) seconds.*?The message was: ([^\n]*?)\.?\n", str(err), re.S)
    return f"timed out after {found.group(1)} s ({found.group(2)})" if found else f"timed out ({err})"[:200]


def summary(results: list[NotebookRun]) -> str:
    width = max([len(r.notebook) for r in results] + [8])
    lines = [f"{'notebook':<{width}}  status  seconds  checks  result"]
    for r in results:
        checks = f"{r.checks[0]}/{r.checks[1]}" if r.checks else "-"
        lines.append(f"{r.notebook:<{width}}  {'ok' if r.ok else 'FAILED':<6}  {r.seconds:7.1f}  {checks:>6}  "
                     + (r.problem or r.headline))
    return "\n".join(lines)
