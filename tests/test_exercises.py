"""The exercises as a whole: the framework every check shares (a clean slate per exercise,
predictions written before the truth, a check that never raises), and the catalogue kept true
by the notebooks themselves (every exercise begun, solved and checked in order, of the kinds it
claims). Each chapter's checks are tested four ways in tests/test_exercises_chNN*.py."""
from __future__ import annotations

import re

import nbformat
import pytest
from confluent_kafka import Consumer, Producer

from helpers import create_topic
from helpers.course import catalogue, exercises
from helpers.course.editions import BEGIN, CHECK_TAG, END
from helpers.course.exercises import MISSING, answer
from helpers.course.exercises.framework import (DEFINED, ExerciseNotStarted, _checked, _done, _messages_since,
                                                _partitions, begin, prediction, predict, reveal, started)
from helpers.course.runner import find_notebooks


def test_answer_reads_the_callers_names():
    defined_here = 42  # noqa: F841 (a local: not a global, so not an answer)
    assert answer("no_such_name_anywhere") is MISSING
    assert answer("pytest") is pytest


@pytest.fixture
def a_check():
    """A check made for the test (taken out of the catalogue's list again afterwards)."""
    made = []

    def make(body, exercise="0.1", hint="the hint"):
        check = _checked(exercise, hint)(body)
        made.append(exercise)
        return check
    yield make
    for exercise in made:
        DEFINED.remove(exercise)


# ---- a check never raises, whatever goes wrong ---------------------------------------------------
def test_a_check_catches_anything_the_learners_code_raises_and_still_reports_it(monkeypatch, a_check):
    from helpers.course import progress

    reported = []
    monkeypatch.setattr(progress, "report_check", lambda check, passed: reported.append((check, passed)))
    broken = a_check(lambda handler: handler({"key": None}))
    result = broken(lambda message: message.no_such_attribute)
    assert not result.passed and "AttributeError" in result.message and "no_such_attribute" in result.message
    assert "Hint: the hint" in str(result)
    empty = broken(lambda message: next(iter([])))      # StopIteration is an Exception too
    assert not empty.passed and "StopIteration" in empty.message
    assert reported == [("0.1", False), ("0.1", False)]

    def interrupted(message):
        raise KeyboardInterrupt                           # the learner pressed stop: not a "not yet"
    with pytest.raises(KeyboardInterrupt):
        broken(interrupted)


def test_a_broker_that_is_down_is_a_not_yet_not_a_crash(a_check):
    check = a_check(lambda: _partitions("127.0.0.1:1", "anything", timeout=2) and _done("0.1", "?"))
    result = check()
    assert not result.passed and "could not finish" in result.message


# ---- an exercise's clean slate --------------------------------------------------------------------
def test_a_check_before_its_exercise_began_names_the_missing_step(a_check):
    check = a_check(lambda: started("0.2") and _done("0.2", "began"), exercise="0.2")
    result = check()
    assert not result.passed and "has not begun" in result.message and 'chapter.exercise("0.2"' in result.hint


def test_a_fresh_topic_is_empty_again_each_time_the_exercise_begins(kafka, unique, capsys):
    topic = f"slate-{unique}"
    producer = Producer({"bootstrap.servers": kafka})
    for _ in range(2):
        slate = begin("0.3", kafka, fresh_topics=[topic], partitions=2)
        assert "is new and empty" in capsys.readouterr().out
        assert _messages_since(slate, topic) == []
        producer.produce(topic, b"v", key=b"k")
        assert producer.flush(10) == 0
        assert [m["value"] for m in _messages_since(started("0.3"), topic)] == [b"v"]
    assert len(_partitions(kafka, topic)) == 2


def test_a_watched_topic_counts_only_what_is_written_after_the_exercise_began(kafka, unique):
    topic = f"watched-{unique}"
    create_topic(kafka, topic)
    producer = Producer({"bootstrap.servers": kafka})
    producer.produce(topic, b"before")
    producer.flush(10)
    slate = begin("0.4", kafka, watch_topics=[topic], quiet=True)
    assert _messages_since(slate, topic) == []
    producer.produce(topic, b"after")
    producer.flush(10)
    assert [m["value"] for m in _messages_since(slate, topic)] == [b"after"]


def test_forgetting_a_group_deletes_its_offsets_and_refuses_while_it_has_members(kafka, unique):
    from helpers.client.errors import CodealongError
    from helpers.course.exercises.framework import _committed

    topic, group = f"forget-{unique}", f"forget-{unique}"
    begin("0.5", kafka, fresh_topics=[topic], forget_groups=[group], quiet=True)   # no such group: fine
    producer = Producer({"bootstrap.servers": kafka})
    producer.produce(topic, b"v")
    producer.flush(10)
    consumer = Consumer({"bootstrap.servers": kafka, "group.id": group, "auto.offset.reset": "earliest",
                         "enable.auto.commit": False})
    try:
        consumer.subscribe([topic])
        message = consumer.poll(10)
        consumer.commit(message, asynchronous=False)
        assert _committed(kafka, group, topic, {0: (0, 1)}) == {0: 1}
        with pytest.raises(CodealongError, match="still has running members"):
            begin("0.5", kafka, forget_groups=[group], quiet=True)
    finally:
        consumer.close()
    begin("0.5", kafka, forget_groups=[group], quiet=True)
    assert _committed(kafka, group, topic, {0: (0, 1)}) == {}


def test_a_prediction_counts_only_when_written_before_the_truth_was_shown(kafka):
    begin("0.6", kafka, quiet=True)
    with pytest.raises(ExerciseNotStarted, match="No prediction"):
        prediction("0.6")
    predict("0.6", partition=2)
    reveal("0.6")
    assert prediction("0.6") == {"partition": 2}
    predict("0.6", partition=1)                       # changed after seeing the answer
    with pytest.raises(ExerciseNotStarted, match="after the answer was shown"):
        prediction("0.6")
    begin("0.6", kafka, quiet=True)                   # beginning again starts over
    predict("0.6", partition=1)
    reveal("0.6")
    assert prediction("0.6") == {"partition": 1}


# ---- the catalogue, kept true by the notebooks ----------------------------------------------------
def test_the_catalogue_lists_every_check_defined():
    """The progress board counts checks from the catalogue, without importing the checks."""
    assert list(exercises.DEFINED) == list(catalogue.EXERCISE_IDS)


def test_there_are_enough_exercises_of_every_kind():
    kinds = catalogue.EXERCISES
    assert len(kinds) >= 36
    assert sum("plain" in k for k in kinds.values()) >= 0.4 * len(kinds)   # the client a learner uses at work
    for kind in catalogue.KINDS:
        assert any(kind in k for k in kinds.values()), kind
    assert all(set(k) <= set(catalogue.KINDS) for k in kinds.values())


CLIENT_CALLS = re.compile(r"\b(Producer|Consumer|AdminClient|ShareConsumer|SchemaRegistryClient|AvroSerializer|"
                          r"AvroDeserializer|JSONSerializer|JSONDeserializer)\(|\.(produce|flush|poll|consume|commit|"
                          r"subscribe|assign|seek|create_topics|create_partitions|incremental_alter_configs|"
                          r"describe_\w+|list_\w+|offsets_for_times|init_transactions|begin_transaction|"
                          r"send_offsets_to_transaction|commit_transaction|acknowledge|commit_sync|register_schema|set_compatibility|"
                          r"test_compatibility|get_latest_version)\(")


def exercise_cells():
    """exercise id -> (chapter file, the chapter's code cells, index of its begin, solution, check cells)."""
    found = {}
    for path in find_notebooks():
        cells = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
        for at, cell in enumerate(cells):
            if CHECK_TAG not in cell.metadata.get("tags", []):
                continue
            ids = {getattr(exercises, name).exercise_id for name in re.findall(r"exercises\.(\w+)\(", cell.source)
                   if hasattr(getattr(exercises, name, None), "exercise_id")}
            assert len(ids) == 1, (path.name, cell.source)
            exercise = ids.pop()
            solution = max(i for i in range(at) if BEGIN in cells[i].source)
            began = max((i for i in range(at) if f'chapter.exercise("{exercise}"' in cells[i].source), default=None)
            found[exercise] = (path.name, cells, began, solution, at)
    return found


def test_every_exercise_begins_is_solved_and_checked_in_order_and_its_kinds_are_true():
    found = exercise_cells()
    assert sorted(found, key=lambda e: tuple(map(int, e.split(".")))) == list(catalogue.EXERCISE_IDS)
    for exercise, (name, cells, began, solution, check) in found.items():
        assert name[1:3].lstrip("0") == exercise.split(".")[0], (exercise, name)
        assert began is not None and began <= solution < check, (exercise, "begin -> solution -> check")
        body = cells[solution].source.split(BEGIN, 1)[1].split(END, 1)[0]
        kinds = catalogue.EXERCISES[exercise]
        if "plain" in kinds:
            assert CLIENT_CALLS.search(body) and "from helpers" not in body, (exercise, body)
        if "predict" in kinds:
            assert f'chapter.predict("{exercise}"' in body, (exercise, body)
            assert any(f'reveal("{exercise}")' in c.source for c in cells[solution + 1:check]), exercise
        if "debug" in kinds:
            assert any("exercise-broken" in c.metadata.get("tags", []) for c in cells[began:solution]), exercise


def test_every_chapter_sets_an_exercise_in_its_first_half():
    by_chapter: dict[str, list[tuple[int, int]]] = {}
    for exercise, (name, cells, began, solution, check) in exercise_cells().items():
        by_chapter.setdefault(name, []).append((check, len(cells)))
    for name, positions in by_chapter.items():
        assert min(at for at, _ in positions) < positions[0][1] / 2, name
# ---- how the checks read topics: from the start, without a group, to the end --------------------
def test_read_messages_reads_to_the_end_past_a_transaction_marker_and_from_given_offsets(kafka, unique):
    import time

    from confluent_kafka import Producer

    from helpers.client.topic_state import read_messages

    topic = f"read-{unique}"
    create_topic(kafka, topic)
    producer = Producer({"bootstrap.servers": kafka, "transactional.id": f"read-{unique}"})
    producer.init_transactions(10)
    producer.begin_transaction()
    producer.produce(topic, b"1", key=b"a")
    producer.produce(topic, b"2", key=b"b")
    producer.commit_transaction(10)   # the log ends with a commit marker no reader is ever given
    began = time.monotonic()
    assert [m["value"] for m in read_messages(kafka, topic, timeout=60)] == [b"1", b"2"]
    assert time.monotonic() - began < 30               # the end is known, not waited out (60 s) past the marker
    assert [m["key"] for m in read_messages(kafka, topic, start={0: 1}, decode="text")] == ["b"]
    assert read_messages(kafka, f"no-such-topic-{unique}") == []


