"""What the widgets share: how an error is shown."""
from __future__ import annotations

from html import escape

from ...client.errors import CodealongError

_ERROR_STYLE = "color:#a00000"
_OK_STYLE = "color:#006400"


def _error_html(err: CodealongError) -> str:
    return (f"<div style='{_ERROR_STYLE}'><b>{escape(type(err).__name__)}</b>: {escape(err.cause)}"
            f"<br><b>Fix:</b> {escape(err.fix)}</div>")
