"""Workshop mode: one real Kafka cluster for a room, one namespace and one SCRAM user per
learner, ACLs that keep learners apart, and progress events carried by Kafka itself.

- access.py: users, ACLs, quotas and per-learner reset (the instructor's admin side)
- room.py: the room's files (room.toml, join sheets, password files, the room sheet)
- board.py: the progress board (events folded into learners x chapters)
"""
from ..course.progress import ProgressEvent, progress_topic
from .access import acl_bindings, add_learner, reset_learner
from .board import ProgressBoard, read_progress
from .room import Room

__all__ = ["progress_topic", "ProgressEvent", "ProgressBoard", "Room", "acl_bindings", "add_learner",
           "read_progress", "reset_learner"]
