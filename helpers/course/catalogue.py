"""Every exercise of the course, by chapter, in the order the chapters set them, with its kinds.

Pure data, so that the workshop's progress board can count a chapter's checks without
importing the checks themselves; tests/test_exercises.py keeps it equal to the checks defined
in helpers.course.exercises, and checks each kind against the exercise's solution cell.

Kinds: "plain" (the learner writes confluent-kafka itself: Producer, Consumer, AdminClient,
ShareConsumer), "helpers" (the course's helpers, where they teach a pattern), "predict" (the
learner writes a number down before the cell that shows it runs), "debug" (the learner fixes a
broken cell).
"""
EXERCISES: dict[str, tuple[str, ...]] = {
    "1.1": ("plain",), "1.2": ("helpers",), "1.3": ("predict",),
    "2.1": ("plain",), "2.2": ("helpers",), "2.3": ("debug", "plain"),
    "3.1": ("helpers",), "3.2": ("plain",), "3.3": ("plain",),
    "4.1": ("helpers",), "4.2": ("helpers",), "4.3": ("plain",),
    "5.1": ("helpers",), "5.2": ("plain",), "5.3": ("predict",),
    "6.1": ("helpers",), "6.2": ("helpers",), "6.3": ("predict",),
    "7.1": ("helpers",), "7.2": ("helpers",), "7.3": ("plain",),
    "8.1": ("helpers",), "8.2": ("helpers",), "8.3": ("debug", "plain"),
    "9.1": ("helpers",), "9.2": ("helpers",), "9.3": ("debug", "plain"),
    "10.1": ("plain",), "10.2": ("plain",), "10.3": ("predict",),
    "11.1": ("helpers",), "11.2": ("plain",), "11.3": ("plain",), "11.4": ("debug", "plain"),
    "12.1": ("plain",), "12.2": ("plain",), "12.3": ("predict",),
    "13.1": ("plain",), "13.2": ("predict",),
    "14.1": ("plain",), "14.2": ("helpers",), "14.3": ("plain",),
    "15.1": ("plain",), "15.2": ("predict",), "15.3": ("debug", "plain"),
    "16.1": ("predict",), "16.2": ("plain",), "16.3": ("debug", "plain"),
}
EXERCISE_IDS: tuple[str, ...] = tuple(EXERCISES)
KINDS = ("plain", "helpers", "predict", "debug")


def chapter_of(check: str) -> int:
    """The chapter of an exercise id ("3.1" -> 3)."""
    return int(check.split(".", 1)[0])


def checks_per_chapter(exercise_ids=EXERCISE_IDS) -> dict[int, int]:
    """How many checks each chapter has: its exercises, plus its end."""
    counts: dict[int, int] = {}
    for exercise in exercise_ids:
        counts[chapter_of(exercise)] = counts.get(chapter_of(exercise), 0) + 1
    return {chapter: count + 1 for chapter, count in sorted(counts.items())}
