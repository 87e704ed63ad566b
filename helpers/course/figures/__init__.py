"""The course's concept figures: diagrams drawn as SVG by code (svg.Diagram), one module per
concept, shown at the point of use. They render in JupyterLab, in stored outputs and on the
course's website; their text form (what nbval compares) is the figure's title."""
