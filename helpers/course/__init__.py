"""The course: chapters' setup (start_chapter), exercises and their checks, widgets, demos, pictures."""
from .chapter import Chapter, start_chapter

__all__ = ["Chapter", "start_chapter"]
