"""`codealong doctor`, `run`, `editions`, `kafka` and `bench`: the course."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from ..client.errors import CodealongError
from .group import main


@main.command()
def doctor():
    """Check Python, Java, the registry's Java, Maven, Docker, the ports and the broker; print fixes."""
    from ..course.doctor import run_checks

    failed = False
    for check in run_checks():
        mark = click.style("ok  ", fg="green") if check.ok else click.style(
            "FAIL" if check.required else "note", fg="red" if check.required else "yellow")
        click.echo(f"{mark} {check.name}: {check.detail}")
        if check.fix:
            click.echo(f"     fix: {check.fix}")
        failed |= check.required and not check.ok
    sys.exit(1 if failed else 0)


@main.command()
@click.option("--output", type=click.Path(file_okay=False, path_type=Path), default=Path("runs/latest"),
              show_default=True, help="Where the executed copies go.")
@click.option("--only", default="", help="Run only these chapters (3-6, or 1,3) or notebooks whose name contains "
                                         "this (e.g. 05_).")
@click.option("--notebooks", "folder", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=None, help="Another folder of numbered notebooks.")
@click.option("-p", "--parameter", "extra", type=(str, str), multiple=True,
              help="A notebook parameter, e.g. -p TIMEOUT_S 30 (values are read as Python literals).")
@click.option("--cell-timeout", type=float, default=None, help="Seconds a cell may run (default 300).")
@click.option("--learner", is_flag=True, help="Run the learner edition (your notebooks) and count the checks "
                                              "you have passed, instead of the solved edition.")
def run(output, only, folder, extra, cell_timeout, learner):
    """Run the codealong end to end: every notebook, in order, on a real broker."""
    import ast

    from ..broker import ensure_broker
    from ..course.runner import CELL_TIMEOUT_S, NOTEBOOKS, find_notebooks, run_notebooks, summary

    notebooks = find_notebooks(folder or NOTEBOOKS, only, edition="learner" if learner else "solved")
    if not notebooks and folder and not learner:  # a folder of plain numbered notebooks, without editions
        notebooks = find_notebooks(folder, only, edition="learner")
    if not notebooks:
        raise CodealongError(f"No numbered notebooks (NN_name.ipynb) matching {only!r} in {folder or NOTEBOOKS}.",
                             "Check --notebooks and --only.")
    bootstrap = ensure_broker(progress=True)
    parameters = {"BOOTSTRAP_SERVERS": bootstrap}
    for name, value in extra:
        try:
            parameters[name] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            parameters[name] = value
    click.echo(f"Running {len(notebooks)} notebook(s) against Kafka at {bootstrap}; output in {output}/")
    results = run_notebooks(notebooks, output, parameters, cell_timeout=cell_timeout or CELL_TIMEOUT_S)
    click.echo(summary(results))
    failed = [r for r in results if not r.ok]
    if failed:
        click.secho(f"{len(failed)} notebook(s) failed; open the executed copy in {output}/ to see the cell.",
                    fg="red", err=True)
        sys.exit(1)
    click.echo(f"All {len(results)} notebooks ran. Executed copies: {output}/")


@main.command()
@click.option("--check", is_flag=True, help="Only check that every learner edition is up to date (exit 1 if not).")
@click.option("--force", is_flag=True, help="Overwrite learner notebooks even where their exercise cells hold work.")
def editions(check, force):
    """Make the learner edition of every chapter (NN_name.ipynb) from its solved edition
    (.NN_name.ipynb): solutions become stubs, their outputs and the checks' are cleared."""
    from ..course.editions import out_of_date, write_learner_editions
    from ..course.runner import NOTEBOOKS

    if check:
        stale = out_of_date(NOTEBOOKS)
        if stale:
            raise CodealongError(f"Out of date: {', '.join(p.name for p in stale)}.",
                                 "Run `codealong editions` and commit the learner editions.")
        click.echo("Every learner edition is up to date.")
        return
    from ..course.editions import LearnerWorkError

    try:
        written = write_learner_editions(NOTEBOOKS, overwrite_work=force)
    except LearnerWorkError as err:
        worked = err.args[0]
        raise CodealongError(f"Your work is in {', '.join(worked)} ({sum(map(len, worked.values()))} exercise "
                             f"cell(s) no longer hold just the stub): nothing was written.",
                             "Copy your notebooks elsewhere first (or `git stash`), then run `codealong editions "
                             "--force` to overwrite them.") from None
    click.echo(f"Wrote {len(written)} learner edition(s)." + "".join(f"\n  {p.name}" for p in written))


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                                "help_option_names": []})
@click.argument("tool", required=False)
@click.pass_context
def kafka(ctx, tool):
    """Run one of Kafka's own tools (kafka-topics, kafka-consumer-groups, kafka-get-offsets,
    kafka-console-producer, kafka-console-consumer, kafka-dump-log, kafka-metadata-quorum, kafka-configs,
    kafka-acls, kafka-features, kafka-share-groups) against the current broker, in the foreground as
    Kafka's own scripts run: the console consumer prints as messages arrive, the console producer
    reads what you type, and Ctrl-C stops the tool. `--bootstrap-server` is added for you.

    \b
    codealong kafka kafka-topics --describe --topic our_topic
    codealong kafka kafka-console-consumer --topic our_topic --from-beginning
    codealong kafka kafka-topics --help        (the tool's own help)

    Exit code: the tool's own (130 if it had to be killed after Ctrl-C)."""
    from ..course.kafka_tools import TOOLS, stream

    if tool in (None, "-h", "--help"):
        click.echo(ctx.get_help())
        click.echo(f"\nTools: {', '.join(TOOLS)}.")
        ctx.exit(0 if tool else 2)
    sys.exit(stream(tool, *ctx.args))


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                                "help_option_names": []})  # --help: the benchmarks' own option list
@click.pass_context
def bench(ctx):
    """Benchmarks: helpers vs raw confluent-kafka, Kafka's own tool, start-up and notebook times.
    Options: --quick (a smoke run, not a measurement), --messages N, --repeat N, --output DIR.
    `--throughput [--messages N --repeat N --size B --profile]`: only the helpers' cost per
    message, as ratios to raw confluent-kafka. `--room [--learners 1,4,8]`: how many learners
    one machine serves as a workshop cluster."""
    from benchmarks.suite import main as run_benchmarks  # imported here: the CLI starts without it

    run_benchmarks(ctx.args)
