"""A small SVG canvas for the concept figures: boxes, arrows, lines and text, nothing more.

    d = Diagram(640, 220, "The write path")
    d.box(20, 40, 120, 50, "producer")
    d.arrow(140, 65, 260, 65, "produce")
    d                                   # a notebook shows the SVG; repr() is the title

Coordinates are pixels from the top left. Every shape takes an optional `color` (one of
COLORS, or any SVG color) so that figures of the course look alike.
"""
from __future__ import annotations

from html import escape

COLORS = {
    "producer": "#4c78a8", "broker": "#f58518", "consumer": "#54a24b", "leader": "#e45756",
    "follower": "#f2b5b5", "log": "#eeeeee", "muted": "#bbbbbb", "marker": "#b279a2", "text": "#222222",
    "good": "#54a24b", "bad": "#e45756", "note": "#9d755d",
}
FONT = "font-family='DejaVu Sans, Arial, sans-serif'"


def _color(name: str) -> str:
    return COLORS.get(name, name)


class Diagram:
    """An SVG picture built shape by shape; Jupyter shows it through _repr_svg_."""

    def __init__(self, width: int, height: int, title: str):
        self.width, self.height, self.title = width, height, title
        self._shapes: list[str] = []

    def box(self, x, y, w, h, label: str = "", color: str = "log", text_color: str = "text", size: int = 13,
            rounded: bool = True, dashed: bool = False) -> "Diagram":
        dash = " stroke-dasharray='5,3'" if dashed else ""
        self._shapes.append(f"<rect x='{x}' y='{y}' width='{w}' height='{h}' rx='{6 if rounded else 0}' "
                            f"fill='{_color(color)}' stroke='#555555'{dash}/>")
        if label:
            self.text(x + w / 2, y + h / 2, label, color=text_color, size=size, anchor="middle")
        return self

    def text(self, x, y, label: str, color: str = "text", size: int = 13, anchor: str = "start",
             bold: bool = False) -> "Diagram":
        """Text centred vertically on y; a label with newlines becomes several lines."""
        lines = label.split("\n")
        first = y - (len(lines) - 1) * size * 0.6
        weight = " font-weight='bold'" if bold else ""
        for i, line in enumerate(lines):
            self._shapes.append(f"<text x='{x}' y='{first + i * size * 1.2:.1f}' {FONT} font-size='{size}' "
                                f"fill='{_color(color)}' text-anchor='{anchor}' dominant-baseline='middle'{weight}>"
                                f"{escape(line)}</text>")
        return self

    def line(self, x1, y1, x2, y2, color: str = "text", width: float = 1.5, dashed: bool = False) -> "Diagram":
        dash = " stroke-dasharray='5,3'" if dashed else ""
        self._shapes.append(f"<line x1='{x1}' y1='{y1}' x2='{x2}' y2='{y2}' stroke='{_color(color)}' "
                            f"stroke-width='{width}'{dash}/>")
        return self

    def arrow(self, x1, y1, x2, y2, label: str = "", color: str = "text", dashed: bool = False,
              size: int = 12) -> "Diagram":
        """A line with a head at (x2, y2); the label sits above its middle."""
        dash = " stroke-dasharray='5,3'" if dashed else ""
        self._shapes.append(f"<line x1='{x1}' y1='{y1}' x2='{x2}' y2='{y2}' stroke='{_color(color)}' stroke-width='1.8'"
                            f"{dash} marker-end='url(#head)'/>")
        if label:
            self.text((x1 + x2) / 2, (y1 + y2) / 2 - 10, label, color=color, size=size, anchor="middle")
        return self

    def circle(self, x, y, r, color: str = "muted", label: str = "", size: int = 12) -> "Diagram":
        self._shapes.append(f"<circle cx='{x}' cy='{y}' r='{r}' fill='{_color(color)}' stroke='#555555'/>")
        if label:
            self.text(x, y, label, size=size, anchor="middle")
        return self

    def to_svg(self) -> str:
        head = ("<defs><marker id='head' viewBox='0 0 10 10' refX='9' refY='5' markerWidth='7' markerHeight='7' "
                "orient='auto-start-reverse'><path d='M0,0 L10,5 L0,10 z' fill='#333333'/></marker></defs>")
        title = f"<title>{escape(self.title)}</title>"
        return (f"<svg xmlns='http://www.w3.org/2000/svg' width='{self.width}' height='{self.height}' "
                f"viewBox='0 0 {self.width} {self.height}'>{title}{head}{''.join(self._shapes)}</svg>")

    def _repr_svg_(self) -> str:
        return self.to_svg()

    def __repr__(self) -> str:
        return f"[figure: {self.title}]"

    def save(self, path) -> None:
        """Write the figure as an .svg file (for the course's website or a slide)."""
        from pathlib import Path

        Path(path).write_text(self.to_svg() + "\n")
