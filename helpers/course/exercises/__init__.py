"""The checks behind the chapters' "Your turn" exercises: each inspects the REAL state (the
broker's topics, partitions, messages and committed offsets, or what a handler answers) and
returns one line: done, or "not yet" with a hint. A check never raises: a missing topic, a
broker that does not answer, a name the learner has not defined yet or an exception from the
learner's own code is a "not yet".

    exercises.topic_with_partitions(BOOTSTRAP_SERVERS, "exercise_three", 3)   # in a check cell

framework.py holds what every check shares; the checks live by part of the course.
"""
from ..catalogue import EXERCISE_IDS
from .framework import DEFINED, MISSING, CheckResult, answer
# In the chapters' order: each check registers itself in DEFINED as it is defined.
from .seed_chapters import *  # noqa: F401,F403,E402
from .tools_chapters import *  # noqa: F401,F403,E402
from .beyond_chapters import *  # noqa: F401,F403,E402
