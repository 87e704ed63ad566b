"""Every exercise of the course, by chapter, in the order the chapters set them.

Pure data, so that the workshop's progress board can count a chapter's checks without
importing the checks themselves; tests/test_exercises.py keeps it equal to the checks defined
in helpers.course.exercises.
"""
EXERCISE_IDS: tuple[str, ...] = (
    "1.1", "1.2", "2.1", "2.2", "3.1", "3.2", "4.1", "4.2", "5.1", "5.2", "6.1", "6.2", "7.1", "7.2",
    "8.1", "8.2", "9.1", "9.2", "10.1", "10.2", "11.1", "11.2", "12.1", "12.2", "13.1", "13.2",
)


def chapter_of(check: str) -> int:
    """The chapter of an exercise id ("3.1" -> 3)."""
    return int(check.split(".", 1)[0])


def checks_per_chapter(exercise_ids=EXERCISE_IDS) -> dict[int, int]:
    """How many checks each chapter has: its exercises, plus its end."""
    counts: dict[int, int] = {}
    for exercise in exercise_ids:
        counts[chapter_of(exercise)] = counts.get(chapter_of(exercise), 0) + 1
    return {chapter: count + 1 for chapter, count in sorted(counts.items())}
