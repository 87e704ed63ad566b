"""The chapters' prose counts what the chapters hold: "seven more errors", "four chapters go beyond
it", "three ways", "three states". Each count is read from the markdown (as a word or a digit) and
checked against the notebooks themselves (their numbered sections, tables, lists, chapter files),
in both editions, so that adding or removing a section fails here until the prose follows."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from helpers.settings import REPO_ROOT

NOTEBOOKS = REPO_ROOT / "notebooks"
EDITIONS = ("solved", "learner")
WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
         "ten": 10, "eleven": 11, "twelve": 12}
NUMBER = r"(\d+|" + "|".join(WORDS) + r")"


def number(text: str) -> int:
    return int(text) if text.isdigit() else WORDS[text.lower()]


def chapter(n: int, edition: str) -> Path:
    prefix = "." if edition == "solved" else ""
    found = sorted(NOTEBOOKS.glob(f"{prefix}{n:02d}_*.ipynb"))
    assert len(found) == 1, f"chapter {n} ({edition}): {found}"
    return found[0]


def markdown(n: int, edition: str) -> list[str]:
    cells = json.loads(chapter(n, edition).read_text(encoding="utf-8"))["cells"]
    return ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown"]


def claim(n: int, edition: str, pattern: str) -> tuple[int, str]:
    """The one count the prose of chapter n states with `pattern` (its first group is the number),
    and the markdown cell that states it."""
    hits = [(match, text) for text in markdown(n, edition) for match in re.finditer(pattern, text, re.I)]
    assert len(hits) == 1, f"chapter {n} ({edition}): expected one sentence matching {pattern!r}, found {len(hits)}"
    match, text = hits[0]
    return number(match.group(1)), text


def numbered_sections(n: int, edition: str) -> list[int]:
    """The numbers of the chapter's "## N. Title" sections (the error sections of chapters 8 and 9)."""
    return [int(m.group(1)) for text in markdown(n, edition) for m in re.finditer(r"^## (\d+)\. ", text, re.M)]


def table_rows(text: str) -> list[str]:
    """The body rows of the first markdown table in text (header and separator left out)."""
    rows = [line for line in text.splitlines() if line.startswith("|")]
    return rows[2:]


@pytest.mark.parametrize("edition", EDITIONS)
def test_chapter_8_promises_as_many_more_errors_as_chapter_9_has(edition):
    promised, _ = claim(8, edition, NUMBER + r" more \(")
    assert promised == len(numbered_sections(9, edition)), \
        f"chapter 8 promises {promised} more errors; chapter 9 has {len(numbered_sections(9, edition))} sections"


@pytest.mark.parametrize("edition", EDITIONS)
def test_chapter_8_names_each_error_of_chapter_9(edition):
    """The parenthesis after "N more" names each error once: as many names as sections."""
    promised, text = claim(8, edition, NUMBER + r" more \(")
    names = re.search(NUMBER + r" more \(([^)]*)\)", text, re.I | re.S).group(2)
    assert len([name for name in re.split(r",|\band\b", names) if name.strip()]) == promised


@pytest.mark.parametrize("edition", EDITIONS)
def test_chapter_9_counts_its_own_errors(edition):
    stated, text = claim(9, edition, NUMBER + r" more errors")
    sections = numbered_sections(9, edition)
    assert stated == len(sections)
    assert len(table_rows(text)) == len(sections), "the overview table lists each error section once"


@pytest.mark.parametrize("edition", EDITIONS)
def test_chapter_8_table_lists_its_sections_and_chapter_9_numbers_on(edition):
    first = [text for text in markdown(8, edition) if text.startswith("# 8.")][0]
    sections_8, sections_9 = numbered_sections(8, edition), numbered_sections(9, edition)
    assert len(table_rows(first)) == len(sections_8)
    assert sections_8 == list(range(1, len(sections_8) + 1))
    assert sections_9 == list(range(len(sections_8) + 1, len(sections_8) + len(sections_9) + 1))


@pytest.mark.parametrize("edition", EDITIONS)
def test_the_chapters_beyond_the_seed_are_as_many_as_chapter_9_says(edition):
    stated, text = claim(9, edition, NUMBER + r" chapters go beyond it")
    beyond = sorted({int(p.name.lstrip(".")[:2]) for p in NOTEBOOKS.glob("*.ipynb") if p.name.lstrip(".")[:2].isdigit()
                     and int(p.name.lstrip(".")[:2]) > 9})
    assert stated == len(beyond), f"chapter 9 says {stated} chapters go beyond the seed; there are {beyond}"
    listed = re.search(r"chapters go beyond it \(([^)]*)\)", text, re.S).group(1)
    assert len([item for item in re.split(r",", listed) if item.strip()]) == stated


@pytest.mark.parametrize("edition", EDITIONS)
def test_chapter_2_has_as_many_routes_as_it_says(edition):
    ways, _ = claim(2, edition, NUMBER + r" ways to get one")
    routes, text = claim(2, edition, r"there are " + NUMBER + r" routes")
    headings = [m for t in markdown(2, edition) for m in re.finditer(r"^## Route \d+:", t, re.M)]
    assert ways == routes == len(table_rows(text)) == len(headings)


@pytest.mark.parametrize("edition", EDITIONS)
def test_chapter_3_compares_as_many_ways_as_it_says(edition):
    ways, text = claim(3, edition, r"the " + NUMBER + r" ways to say the same thing")
    header = [line for line in text.splitlines() if line.startswith("|")][0]
    columns = [cell for cell in header.strip("|").split("|")][1:]  # after "what you do"
    assert ways == len(columns)


@pytest.mark.parametrize("edition", EDITIONS)
def test_chapter_12_lists_as_many_states_as_it_says(edition):
    states, text = claim(12, edition, NUMBER + r" states, in this order")
    assert states == len(re.findall(r"^\d+\. ", text, re.M))
