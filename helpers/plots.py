"""Pictures people would rather look at than read: where keys land, how lag drains, how
long a message takes. Each function returns a matplotlib Figure (not drawn through pyplot,
so a notebook shows it once, as the cell's value)."""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from .partitioner import partition_counts


def _show_figures_as_png() -> None:
    """Teach a running IPython to display a bare Figure as a PNG (pyplot would do it, but
    pyplot also re-draws every figure at the end of the cell)."""
    try:
        from IPython import get_ipython
        from IPython.core.pylabtools import print_figure
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:
        shell.display_formatter.formatters["image/png"].for_type(Figure, lambda figure: print_figure(figure, "png"))


_show_figures_as_png()


def plot_partition_counts(keys, partitions_count: int, strategies=("md5", "random")) -> Figure:
    """Messages per partition for the same keys under each strategy, side by side."""
    keys = list(keys)
    figure = Figure(figsize=(7, 3), layout="constrained")
    ax = figure.subplots()
    width = 0.8 / len(strategies)
    for i, strategy in enumerate(strategies):
        counts = partition_counts(keys, partitions_count, strategy)
        ax.bar([p + i * width for p in range(partitions_count)], counts, width, label=str(strategy))
    ax.set_xticks([p + width * (len(strategies) - 1) / 2 for p in range(partitions_count)],
                  [str(p) for p in range(partitions_count)])
    ax.set(xlabel="partition", ylabel="messages", title=f"{len(keys)} keys over {partitions_count} partitions")
    ax.legend()
    return figure


def plot_lag(history: list[tuple[float, int | None]]) -> Figure:
    """A group's total lag at each sample (time, lag), as TopicView.history records it."""
    points = [(t, lag) for t, lag in history if lag is not None]
    figure = Figure(figsize=(7, 3), layout="constrained")
    ax = figure.subplots()
    if points:
        start = points[0][0]
        ax.step([t - start for t, _ in points], [lag for _, lag in points], where="post", marker=".")
    ax.set(xlabel="seconds", ylabel="messages not yet committed", title="consumer lag over time")
    ax.set_ylim(bottom=0)
    return figure


def plot_latency(samples_ms, ax=None) -> Figure:
    """A histogram of produce-to-handler times in milliseconds: one list, or {name: list} to
    compare (the benchmark draws helpers against raw confluent-kafka this way). Log bins, so
    the slow tail stays visible; the median and p99 of each are marked. Draws on `ax` if given."""
    groups = samples_ms if isinstance(samples_ms, dict) else {"latency": samples_ms}
    if ax is None:
        ax = Figure(figsize=(7, 3), layout="constrained").subplots()
    every = [v for samples in groups.values() for v in samples]
    if every:
        bins = np.geomspace(max(min(every), 0.05), max(max(every), 0.1), 40)
        for name, samples in groups.items():
            ordered = sorted(samples)
            p50, p99 = (ordered[min(len(ordered) - 1, int(q * len(ordered)))] for q in (0.50, 0.99))
            ax.hist(ordered, bins=bins, alpha=0.6, label=f"{name}: p50 {p50:.1f} ms, p99 {p99:.1f} ms")
        ax.legend()
    ax.set_xscale("log")
    ax.set(xlabel="produce-to-handler latency (ms, log scale)", ylabel="messages")
    return ax.figure
