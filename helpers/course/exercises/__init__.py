"""The checks behind the chapters' "Your turn" exercises: each inspects the REAL state (the
broker's topics, partitions, messages and committed offsets, or what a handler answers) and
returns one line: done, or "not yet" with a hint. A check never raises: a missing topic, a
broker that does not answer, a name the learner has not defined yet or an exception from the
learner's own code is a "not yet".

    exercises.topic_with_partitions(BOOTSTRAP_SERVERS, "exercise_three", 3)   # in a check cell

framework.py holds what every check shares; the checks live one module per chapter (ch01.py ...).
"""
from ..catalogue import EXERCISE_IDS
from .framework import DEFINED, MISSING, CheckResult, answer, predict, prediction, reveal
# In the chapters' order: each check registers itself in DEFINED as it is defined.
from .ch01 import *  # noqa: F401,F403,E402
from .ch02 import *  # noqa: F401,F403,E402
from .ch03 import *  # noqa: F401,F403,E402
from .ch04 import *  # noqa: F401,F403,E402
from .ch05 import *  # noqa: F401,F403,E402
from .ch06 import *  # noqa: F401,F403,E402
from .ch07 import *  # noqa: F401,F403,E402
from .ch08 import *  # noqa: F401,F403,E402
from .ch09 import *  # noqa: F401,F403,E402
from .ch10 import *  # noqa: F401,F403,E402
from .ch11 import *  # noqa: F401,F403,E402
from .ch12 import *  # noqa: F401,F403,E402
from .ch13 import *  # noqa: F401,F403,E402
from .ch14 import *  # noqa: F401,F403,E402
from .ch15 import *  # noqa: F401,F403,E402
from .ch16 import *  # noqa: F401,F403,E402
