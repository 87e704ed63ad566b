"""The checks of chapter 14: share groups."""
from __future__ import annotations

__all__: list[str] = []
