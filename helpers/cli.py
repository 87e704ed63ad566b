"""The `codealong` command: the embedded broker, the machine check, and running the notebooks."""
from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from .broker import LocalCluster, probe_metadata
from .client.errors import CodealongError


class CodealongGroup(click.Group):
    """Show our errors as two plain lines (cause, fix) and exit 1, without a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except CodealongError as err:
            click.secho(f"Error: {err.cause}", fg="red", err=True)
            click.echo(f"Fix: {err.fix}", err=True)
            ctx.exit(1)


@click.group(cls=CodealongGroup)
def main():
    """kafka-codealong: learn Apache Kafka from zero, on a real broker."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("papermill").setLevel(logging.WARNING)


@main.group()
def broker():
    """Start, stop and inspect the embedded Kafka broker (real Kafka, loopback only)."""


nodes_option = click.option("--nodes", type=click.Choice(["1", "3"]), default="1", show_default=True,
                            help="1: a single node; 3: a three-node cluster (for replication and failover).")
node_option = click.option("--node", type=int, default=None, help="Only this node of the cluster (1, 2 or 3).")


@broker.command()
@nodes_option
@node_option
def start(nodes, node):
    """Start the broker (downloads its jars on first use); reuses a running one."""
    cluster = LocalCluster(nodes=int(nodes))
    if not cluster.is_running():
        click.echo(f"Starting Kafka {cluster.version} ({nodes} node(s)) on {cluster.bootstrap} ...")
    click.echo(str(cluster.start(node=node, progress=True)))


@broker.command()
@nodes_option
@node_option
def stop(nodes, node):
    """Stop the broker gracefully (killed after 30 s if it does not stop)."""
    stopped = LocalCluster(nodes=int(nodes)).stop(node=node)
    click.echo(f"Stopped node(s) {stopped}." if stopped else "Nothing was running.")


@broker.command()
@nodes_option
def status(nodes):
    """Show each node's pid and port, and whether the cluster answers."""
    cluster = LocalCluster(nodes=int(nodes))
    for node in cluster.status():
        state = f"running (pid {node.pid})" if node.running else "stopped"
        click.echo(f"node {node.node_id}  127.0.0.1:{node.port}  {state}")
    if cluster.is_running():
        metadata = probe_metadata(cluster.bootstrap, timeout=5)
        click.echo(f"Kafka {cluster.version} answers at {cluster.bootstrap}: "
                   f"{len(metadata.brokers)} broker(s), {len(metadata.topics)} topic(s). Data: {cluster.dir}")
    else:
        click.echo(f"Not running. Start it with `codealong broker start{' --nodes 3' if nodes == '3' else ''}`.")
        sys.exit(3)


@broker.command()
@nodes_option
@click.option("--node", type=int, default=1, show_default=True)
@click.option("-n", "--lines", type=int, default=50, show_default=True)
def logs(nodes, node, lines):
    """Print the end of a node's broker log."""
    cluster = LocalCluster(nodes=int(nodes))
    click.echo(cluster.log_tail(node, lines) or f"No log yet at {cluster.log_file(node)}.")


@broker.command()
@nodes_option
@click.confirmation_option(prompt="Delete this cluster's topics, messages and logs?")
def reset(nodes):
    """Stop the broker and delete all its data (topics, messages, logs)."""
    cluster = LocalCluster(nodes=int(nodes))
    cluster.reset()
    click.echo(f"Deleted {cluster.dir}. The next start formats a fresh cluster.")


@broker.command()
def lock():
    """Maintainers: pin the broker's and the tools' jars (Maven's resolution, SHA-256) for the Kafka
    version in .env, writing helpers/broker/resources/kafka-<version>.lock.toml."""
    from . import settings as project_settings
    from .broker.jars import lock_file, write_lock

    version = project_settings.kafka_version()
    target = Path(str(lock_file(version)))
    write_lock(version, target)
    click.echo(f"Wrote {target}. Commit it with the .env change.")


@main.command()
@click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path))
def prefetch(folder):
    """Download (and check) the broker's and the tools' jars, and build the class-data archive (a
    throwaway broker started and stopped once), so later starts are fast and need no network.

    With FOLDER: also put every Python wheel the project needs and the jars in FOLDER, for a room
    without internet (FOLDER/README.txt says how learners install from it)."""
    import tempfile

    from . import settings as project_settings
    from .broker.cluster import free_ports
    from .broker.jars import resolve_jars

    version = project_settings.kafka_version()
    for artifact in ("kafka_2.13", "kafka-tools"):
        click.echo(f"{artifact}: {resolve_jars(version, project_settings.cache_dir(), artifact=artifact)}")
    with tempfile.TemporaryDirectory() as state:
        throwaway = LocalCluster(port=free_ports(2), name="prefetch", state_dir=Path(state))
        throwaway.start()
        throwaway.stop()  # the clean stop builds the archive
    click.echo(f"Class-data archive: {project_settings.cache_dir() / 'class-data'}")
    if folder:
        from .broker.offline import pack

        counts = pack(folder)
        click.echo(f"{folder}: {counts['wheels']} wheels and the Kafka jars; see {folder / 'README.txt'}.")


@main.command()
def doctor():
    """Check Python, Java, Maven, Docker, the ports and the broker; print fixes."""
    from .course.doctor import run_checks

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

    from .broker import ensure_broker
    from .course.runner import CELL_TIMEOUT_S, NOTEBOOKS, find_notebooks, run_notebooks, summary

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
def editions(check):
    """Make the learner edition of every chapter (NN_name.ipynb) from its solved edition
    (.NN_name.ipynb): solutions become stubs, their outputs and the checks' are cleared."""
    from .course.editions import out_of_date, write_learner_editions
    from .course.runner import NOTEBOOKS

    if check:
        stale = out_of_date(NOTEBOOKS)
        if stale:
            raise CodealongError(f"Out of date: {', '.join(p.name for p in stale)}.",
                                 "Run `codealong editions` and commit the learner editions.")
        click.echo("Every learner edition is up to date.")
        return
    written = write_learner_editions(NOTEBOOKS)
    click.echo(f"Wrote {len(written)} learner edition(s)." + "".join(f"\n  {p.name}" for p in written))


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                                "help_option_names": []})
@click.argument("tool")
@click.pass_context
def kafka(ctx, tool):
    """Run one of Kafka's own tools (kafka-topics, kafka-consumer-groups, kafka-get-offsets,
    kafka-console-producer, kafka-console-consumer, kafka-dump-log, kafka-metadata-quorum, kafka-configs,
    kafka-acls)
    against the current broker, e.g. `codealong kafka kafka-topics --describe --topic our_topic`."""
    from .course.kafka_tools import kafka as run_tool

    stdin = None if sys.stdin is None or sys.stdin.isatty() else sys.stdin.read()
    run = run_tool(tool, *ctx.args, input=stdin)
    click.echo(run.stdout, nl=False)
    click.echo(run.stderr, nl=False, err=True)
    sys.exit(run.returncode)


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def bench(ctx):
    """Benchmarks: helpers vs raw confluent-kafka, Kafka's own tool, start-up and notebook times.
    Options: --quick (a smoke run, not a measurement), --messages N, --repeat N, --output DIR.
    `--throughput [--messages N --repeat N --size B --profile]`: only the helpers' cost per
    message, as ratios to raw confluent-kafka. `--room [--learners 1,4,8]`: how many learners
    one machine serves as a workshop cluster."""
    from benchmarks.suite import main as run_benchmarks  # imported here: the CLI starts without it

    run_benchmarks(ctx.args)


# ---- workshop mode ----------------------------------------------------------------------------
@main.group()
def workshop():
    """Run a workshop: one real Kafka cluster for a room, a user and a namespace per learner,
    a live progress board. See docs/teaching.md."""


folder_option = click.option("--folder", type=click.Path(path_type=Path), default=None,
                             help="The workshop's folder (default: $CODEALONG_WORKSHOP_DIR, else the state dir's workshop/).")


def _room(folder):
    from .workshop.room import Room

    return Room.load(folder)


@workshop.command("start")
@click.option("--learners", "learners_spec", required=True, help="Names (ana,ben,cy) or a count (8: learner01..08).")
@click.option("--nodes", type=click.Choice(["1", "3"]), default="1", show_default=True,
              help="Nodes of the local workshop cluster.")
@click.option("--bootstrap", default=None, help="Use this existing cluster (HOST:PORT) instead of starting one; "
              "its super user's login comes from CODEALONG_ADMIN_USER / CODEALONG_ADMIN_PASSWORD.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address the local cluster listens on and advertises (your machine's LAN address to serve a room).")
@click.option("--port", type=int, default=None, help="First port of the local cluster (default: 9392).")
@click.option("--produce-mib-per-s", type=float, default=2.0, show_default=True, help="Each learner's produce quota.")
@folder_option
def workshop_start(learners_spec, nodes, bootstrap, host, port, produce_mib_per_s, folder):
    """Start the workshop's cluster (SASL/SCRAM, ACLs enforced), create one user per learner with
    ACLs on their prefix, set quotas, and write a join sheet per learner and the room sheet."""
    from .workshop.access import Quotas
    from .workshop.lifecycle import start_workshop
    from .workshop.room import learner_names

    quotas = Quotas(producer_byte_rate=int(produce_mib_per_s * 1024 * 1024),
                    consumer_byte_rate=int(2 * produce_mib_per_s * 1024 * 1024))
    room = start_workshop(learner_names(learners_spec), nodes=int(nodes), bootstrap=bootstrap, host=host, port=port,
                          folder=folder, quotas=quotas)
    click.echo(f"Workshop ready at {room.bootstrap}: {len(room.learners)} learner(s).")
    click.echo(f"Join sheets (hand each learner their .join.toml and .password.env): {room.folder / 'join'}")
    click.echo(f"Room sheet: {room.folder / 'room.md'}")


@workshop.command("join")
@click.argument("sheet_file", type=click.Path(path_type=Path))
@click.option("--env-file", type=click.Path(path_type=Path), default=None,
              help="Also write the variables (password included, mode 600) to this file, to source before Jupyter.")
def workshop_join(sheet_file, env_file):
    """Check that the cluster answers with your join sheet's login, then print the two lines to
    run in your shell before `jupyter lab` (the password stays in its file)."""
    from .workshop.lifecycle import check_join
    from .workshop.room import JoinSheet, _write_private

    sheet = JoinSheet.load(sheet_file)
    click.echo(check_join(sheet))
    lines = sheet.export_lines()
    if env_file:
        _write_private(env_file, lines[0] + "\n" + sheet.password_file.read_text())
        click.echo(f"Wrote {env_file}; run:  source {env_file}")
    else:
        click.echo("Run these two lines in the shell where you start Jupyter:")
        click.echo("\n".join(lines))


@workshop.command("status")
@folder_option
def workshop_status(folder):
    """Learners x chapters: checks passed, when each learner was last seen, where they are stuck."""
    from .workshop.lifecycle import status

    click.echo(status(_room(folder)).text())


@workshop.command("reset")
@click.option("--learner", default=None, help="Only this learner (default: every learner).")
@folder_option
def workshop_reset(learner, folder):
    """Delete a learner's topics and groups (everything under `<learner>.`); others are untouched."""
    from .workshop.lifecycle import reset

    for report in reset(_room(folder), learner):
        click.echo(str(report))


@workshop.command("stop")
@folder_option
def workshop_stop(folder):
    """Stop the workshop's local cluster (data kept: `workshop start` brings it back)."""
    from .workshop.lifecycle import stop

    stopped = stop(_room(folder))
    click.echo(f"Stopped node(s) {stopped}." if stopped else "Nothing was running.")


@workshop.command("demo")
@click.argument("what", type=click.Choice(["leader"]))
@click.option("--down-s", type=float, default=10.0, show_default=True, help="How long the node stays down.")
@folder_option
def workshop_demo(what, down_s, folder):
    """`leader`: stop the node leading a partition of a three-node workshop cluster, show the new
    leader, and start the node again (chapter 8's failover, for the whole room)."""
    from .workshop.lifecycle import demo_leader

    for line in demo_leader(_room(folder), down_s=down_s):
        click.echo(line)


if __name__ == "__main__":
    main()
