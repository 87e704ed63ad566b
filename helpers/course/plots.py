"""Pictures people would rather look at than read: where keys land, how lag drains, how
long a message takes. Each function returns a matplotlib Figure (not drawn through pyplot,
so a notebook shows it once, as the cell's value)."""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..client.partitioner import partition_counts


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


# ---- chapters 10-14 --------------------------------------------------------------------------
def plot_key_table(table: dict[str, dict[str, int]], partitions_count: int) -> Figure:
    """keys x producers, each cell the partition that producer chose (helpers.keys.where_keys_land)."""
    keys, producers = list(table), list(next(iter(table.values())))
    grid = np.array([[table[key][producer] for producer in producers] for key in keys])
    figure = Figure(figsize=(8, 0.35 * len(keys) + 1.6), layout="constrained")
    ax = figure.subplots()
    ax.imshow(grid, cmap="tab10", vmin=0, vmax=9, aspect="auto")
    for (row, column), partition in np.ndenumerate(grid):
        ax.text(column, row, str(partition), ha="center", va="center", color="white", fontweight="bold")
    ax.set_xticks(range(len(producers)), [p.replace(" (", "\n(") for p in producers], fontsize=8)
    ax.set_yticks(range(len(keys)), keys)
    ax.xaxis.tick_top()
    ax.set_title(f"the partition each producer chose ({partitions_count} partitions)", pad=8)
    return figure


def plot_rebalance(timelines) -> Figure:
    """Who owned which partition when, one panel per protocol (helpers.rebalance.Timeline). The
    moments when no member owned any partition (the whole group stopped) are shaded red; they
    last milliseconds here, so each is drawn at least a little wide and labelled with its length."""
    figure = Figure(figsize=(8, 1.2 + 1.1 * len(timelines) * 1.3), layout="constrained")
    axes = figure.subplots(len(timelines), 1, sharex=True, squeeze=False)[:, 0]
    colours = {"first": "tab:blue", "second": "tab:orange"}
    span = max((hi for t in timelines for spans in t.owned.values() for _, _, hi in spans), default=1.0)
    for ax, timeline in zip(axes, timelines):
        for member, spans in timeline.owned.items():
            for partition, start, end in spans:
                ax.barh(partition, end - start, left=start, color=colours.get(member, "grey"), height=0.7,
                        label=member)
        for at, mark in timeline.marks:
            ax.axvline(at, color="black", linestyle="--", linewidth=1)
            ax.text(at, timeline.partitions - 0.45, f" {mark}", fontsize=8, va="bottom")
        for n, (lo, hi) in enumerate(timeline.stops):
            ax.axvspan(lo, max(hi, lo + span * 0.012), color="tab:red", alpha=0.35, label="stop-the-world")
            # Named by the change that caused it (the last mark before it): a stop can come seconds
            # after its cause, next to a later mark's line.
            cause = max(((at, mark) for at, mark in timeline.marks if at <= lo), default=(0, ""))[1]
            late = hi > span * 0.7  # near the right edge: the label goes to the band's left
            row = -0.62 if n % 2 == 0 else -1.02  # alternate rows: two labels never overlap
            ax.text(lo - span * 0.015 if late else hi + span * 0.015, row, f"stopped {1000 * (hi - lo):.0f} ms"
                    + (f" ({cause})" if cause else ""), color="tab:red", fontsize=7.5, va="center",
                    ha="right" if late else "left")
        ax.set_yticks(range(timeline.partitions), [f"p{p}" for p in range(timeline.partitions)])
        ax.set_ylim(-1.3, timeline.partitions)  # a row below p0 for the stops' lengths
        steps = ", ".join(f"{mark}: first gave up {n}" for mark, n in timeline.gave_up.items())
        ax.set_title(f"group.protocol={timeline.protocol} ({steps})", fontsize=10, pad=14)
        handles = {h.get_label(): h for h in [*ax.containers, *ax.patches] if not h.get_label().startswith("_")}
        ax.legend(handles.values(), handles.keys(), loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    axes[-1].set_xlabel("seconds (white: nobody owns the partition; red: nobody owns any partition, the group stopped)")
    return figure


def plot_log(snapshots, title: str) -> Figure:
    """A partition's first and next offset over time (helpers.retention.Snapshot): what a
    consumer can still read lies between the lines."""
    figure = Figure(figsize=(7, 2.8), layout="constrained")
    ax = figure.subplots()
    times = [s.at for s in snapshots]
    ax.step(times, [s.next_offset for s in snapshots], where="post", label="next offset (the end)")
    ax.step(times, [s.first_offset for s in snapshots], where="post", label="first offset (the log start)")
    ax.fill_between(times, [s.first_offset for s in snapshots], [s.next_offset for s in snapshots], step="post",
                    alpha=0.15)
    ax.set(xlabel="seconds", ylabel="offset", title=title)
    ax.legend(fontsize=8)
    return figure


def plot_groups_side_by_side(group_owners: dict[str, list[int]], share_outcomes) -> Figure:
    """Left: a consumer group, where each partition has ONE owner and a member beyond the partition
    count owns nothing. Right: a share group, where the records of one partition go to several
    members: one mark per delivery (ShareWorker.outcomes), o accepted, x released (it comes back:
    a second mark, one delivery higher), s rejected (archived, never back)."""
    figure = Figure(figsize=(8, 3), layout="constrained")
    left, right = figure.subplots(1, 2, width_ratios=[1, 2])
    members = sorted(set(group_owners) | {o.member for o in share_outcomes})
    colour = {m: f"C{i}" for i, m in enumerate(members)}
    for row, (member, partitions) in enumerate(sorted(group_owners.items())):
        owned = ", ".join(f"p{p}" for p in partitions) or "no partition (waits)"
        left.barh(row, 1, color=colour[member] if partitions else "white", edgecolor=colour[member])
        left.text(0.5, row, f"{member}: {owned}", ha="center", va="center",
                  color="white" if partitions else "black", fontsize=9)
    left.set(yticks=[], xticks=[], title="consumer group: a partition per member")
    names = {"accept": "accepted", "release": "released", "reject": "rejected"}
    for outcome in share_outcomes:
        marker = {"accept": "o", "release": "x", "reject": "s"}[outcome.verdict]
        right.scatter(outcome.offset, outcome.delivery_count, color=colour[outcome.member], marker=marker,
                      s=60 if outcome.verdict != "accept" else 20, zorder=3)
        if outcome.verdict != "accept":  # released above its mark, rejected below: never on top of each other
            right.annotate(names[outcome.verdict], (outcome.offset, outcome.delivery_count), fontsize=8,
                           xytext=(0, 7 if outcome.verdict == "release" else -13), textcoords="offset points",
                           ha="center")
    for member in sorted({o.member for o in share_outcomes}):
        right.scatter([], [], color=colour[member], label=member)
    for verdict, marker in (("accept", "o"), ("release", "x"), ("reject", "s")):
        right.scatter([], [], color="grey", marker=marker, label=names[verdict])
    right.set(xlabel="offset in partition 0", ylabel="delivery", title="share group: one mark per delivery")
    deliveries = sorted({o.delivery_count for o in share_outcomes}) or [1]
    right.set_yticks(deliveries)
    right.set_ylim(0.2, max(deliveries) + 0.7)  # room for a label below delivery 1
    right.legend(fontsize=8, ncol=2, loc="upper right")
    return figure
