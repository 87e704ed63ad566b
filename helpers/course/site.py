"""The course as a static website: every chapter's solved edition, with the outputs CI stored,
beside the pages of site/ (front page, appendices), built by Sphinx with myst-nb offline.

Nothing is executed at build time. The staged copy of each chapter folds the exercises'
solutions (myst-nb's `hide-input` tag) and replaces an interactive widget, which needs a live
kernel, with a line saying so.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from .editions import BEGIN, solved_notebooks
from .runner import NOTEBOOKS, REPO_ROOT

SITE_SOURCES = REPO_ROOT / "site"
WIDGET = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = "An interactive widget is here when you run the notebook: it needs a live kernel and a broker."


def _slug(heading: str) -> str:
    """MyST's anchor for a heading (GitHub's rule): lower case, punctuation dropped, spaces to '-'."""
    kept = "".join(ch for ch in heading.strip().lower() if ch.isalnum() or ch in " -_")
    return kept.replace(" ", "-")


def _site_anchors(nb: nbformat.NotebookNode) -> None:
    """JupyterLab's heading anchors ("#1.-Leader-not-available") become the site's ("#1-leader-not-available")."""
    headings = [line.lstrip("#").strip() for cell in nb.cells if cell.cell_type == "markdown"
                for line in cell.source.splitlines() if line.startswith("#")]
    anchors = {f"](#{h.replace(' ', '-')})": f"](#{_slug(h)})" for h in headings}
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for jupyter, site in anchors.items():
                cell.source = cell.source.replace(jupyter, site)


def stage_chapter(solved: Path, target: Path) -> None:
    nb = nbformat.read(solved, as_version=4)
    _site_anchors(nb)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tags = cell.metadata.setdefault("tags", [])
        if BEGIN in cell.source and "hide-input" not in tags:
            tags.append("hide-input")
        for output in cell.get("outputs", []):
            if WIDGET in output.get("data", {}):
                output["data"] = {"text/plain": WIDGET_NOTE}
    nbformat.write(nb, target)


def stage(staging: Path, notebooks: Path = NOTEBOOKS) -> list[Path]:
    """site/'s pages and a copy of each chapter (chapters/NN_name.ipynb) in `staging`."""
    if staging.exists():
        shutil.rmtree(staging)
    shutil.copytree(SITE_SOURCES, staging)
    chapters = staging / "chapters"
    chapters.mkdir()
    staged = []
    for solved in solved_notebooks(notebooks):
        target = chapters / solved.name.lstrip(".")
        stage_chapter(solved, target)
        staged.append(target)
    return staged


def build_site(output: Path, notebooks: Path = NOTEBOOKS, timeout: float = 600) -> Path:
    """Build the website into `output` (its index.html is returned). Raises RuntimeError with
    Sphinx's own messages when the build fails."""
    staging = output.parent / f"{output.name}-source"
    stage(staging, notebooks)
    done = subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-q", "-E", str(staging), str(output)],
                          capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"Sphinx could not build the site:\n{done.stderr[-3000:]}")
    return output / "index.html"


if __name__ == "__main__":  # make site
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "build/site")
    print(f"The website is at {build_site(out.resolve())}")
