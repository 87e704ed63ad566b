"""How many learners one machine serves: a workshop cluster started here, then 1, 4 and 8
learners running chapters 3-6 all at once (each in its own process, as on their own machines).
Prints, per room size, the wall time, the mean notebook time per learner and its ratio to one
learner alone (measured in the same run), the brokers' peak memory and its growth per learner
over the idle cluster's, and the CPU time the brokers used (per learner, and as a share of one
core over the run). Nothing is asserted.

    codealong bench --room [--learners 1,4,8,20] [--chapters 3-6] [--nodes 1]
"""
from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

from helpers.broker.cluster import free_ports
from helpers.workshop.lifecycle import start_workshop, stop
from helpers.workshop.simulate import _broker_rss_mib, run_room

DEGRADED = 2.0  # a room "degrades" once a learner's notebooks take twice as long as alone


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="codealong bench --room")
    parser.add_argument("--learners", default="1,4,8", help="room sizes to measure, in order")
    parser.add_argument("--chapters", default="3-6")
    parser.add_argument("--nodes", type=int, default=1, choices=(1, 3))
    parser.add_argument("--output", type=Path, default=Path("runs/bench"))
    args = parser.parse_args(argv)
    sizes = [int(n) for n in args.learners.split(",")]
    rows = {}
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch)
        names = [f"learner{n:02d}" for n in range(1, max(sizes) + 1)]
        room = start_workshop(names, nodes=args.nodes, port=free_ports(2 * args.nodes), folder=base / "workshop",
                              registry=False)  # chapters 3-6: the broker alone is measured
        try:
            idle_mib = _broker_rss_mib(room)
            for size in sizes:
                result = run_room(room, base / f"room-{size}", [(name, args.chapters) for name in names[:size]],
                                  parallel=size)
                failed = [run.learner for run in result.runs if not run.ok]
                rows[size] = {"wall_s": result.seconds,
                              "per_learner_s": statistics.mean(run.seconds for run in result.runs),
                              "broker_peak_rss_mib": result.broker_peak_rss_mib,
                              "broker_mib_per_learner": (result.broker_peak_rss_mib - idle_mib) / size,
                              "broker_cpu_s": result.broker_cpu_s,
                              "broker_cpu_s_per_learner": result.broker_cpu_s / size,
                              "broker_core_share": result.broker_cpu_s / result.seconds, "failed": failed,
                              "failures": {run.learner: run.output[-1500:] for run in result.runs if not run.ok}}
        finally:
            stop(room)
    alone = rows[sizes[0]]["per_learner_s"]
    print(f"\nLearners running chapters {args.chapters} at once on one {args.nodes}-node workshop cluster")
    print(f"  {'learners':>8}  {'wall s':>7}  {'per learner s':>13}  {'ratio to ' + str(sizes[0]):>11}  "
          f"{'broker peak MiB':>15}  {'MiB/learner':>11}  {'broker CPU s':>12}  {'CPU s/learner':>13}  "
          f"{'of one core':>11}  failed")
    degraded = None
    for size, row in rows.items():
        ratio = row["per_learner_s"] / alone
        if degraded is None and ratio >= DEGRADED:
            degraded = size
        print(f"  {size:>8}  {row['wall_s']:>7.0f}  {row['per_learner_s']:>13.0f}  {ratio:>11.2f}  "
              f"{row['broker_peak_rss_mib']:>15.0f}  {row['broker_mib_per_learner']:>11.1f}  "
              f"{row['broker_cpu_s']:>12.1f}  {row['broker_cpu_s_per_learner']:>13.2f}  "
              f"{row['broker_core_share']:>10.0%}  {', '.join(row['failed']) or '-'}")
    print(f"  degrades (per-learner time x{DEGRADED:g} or more) at: "
          f"{degraded if degraded else f'none of {sizes}'} learner(s)")
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "room.json").write_text(json.dumps({"rows": rows, "degraded_at": degraded}, indent=1))
    return {"rows": rows, "degraded_at": degraded}


if __name__ == "__main__":
    main()
