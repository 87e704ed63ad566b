"""`codealong broker ...` and `codealong prefetch`: the embedded Kafka."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from ..broker import LocalCluster, probe_metadata
from .group import main


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
    from .. import settings as project_settings
    from ..broker.jars import lock_file, write_lock

    version = project_settings.kafka_version()
    target = Path(str(lock_file(version)))
    write_lock(version, target)
    click.echo(f"Wrote {target}. Commit it with the .env change.")


@main.command()
@click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--platform", "platforms", default="all", show_default=True, metavar="this|all|NAME,...",
              help="With FOLDER: the learners' machines to put wheels for, besides this one's: all (Linux "
                   "x86-64 and arm64, macOS Intel and Apple silicon, Windows x86-64; Python 3.10 to 3.14; "
                   "about 1.4 GB), this (this machine's only: fast), or names among linux-x86_64, "
                   "linux-arm64, macos-x86_64, macos-arm64, windows-x86_64.")
def prefetch(folder, platforms):
    """Download (and check) the broker's and the tools' jars and the schema registry's archive
    (unpacked), and build the class-data archive (a throwaway broker started and stopped once), so
    later starts are fast and need no network.

    With FOLDER: also put every Python wheel the project needs (for the platforms a room brings,
    see --platform), the jars and the registry's archive in FOLDER, for a room without internet
    (FOLDER/README.txt says how learners install from it)."""
    import tempfile

    from .. import settings as project_settings
    from ..broker.cluster import free_ports
    from ..broker.jars import resolve_jars
    from ..registry.archive import archive_path, resolve_registry

    if folder:
        from ..broker.offline import choose_platforms

        targets = choose_platforms(platforms)  # a wrong name fails before any download
    version = project_settings.kafka_version()
    for artifact in ("kafka_2.13", "kafka-tools"):
        click.echo(f"{artifact}: {resolve_jars(version, project_settings.cache_dir(), artifact=artifact)}")
    click.echo(f"schema registry: {resolve_registry(project_settings.cache_dir(), progress=True)}")
    from ..broker.policy import fetch_compiler

    click.echo(f"the workshop's policy compiler: {fetch_compiler(project_settings.cache_dir())}")
    with tempfile.TemporaryDirectory() as state:
        throwaway = LocalCluster(port=free_ports(2), name="prefetch", state_dir=Path(state))
        throwaway.start()
        throwaway.stop()  # the clean stop builds the archive
    click.echo(f"Class-data archive: {project_settings.cache_dir() / 'class-data'}")
    if folder:
        from ..broker.offline import PYTHONS, pack

        def done(platform, python, seconds):
            click.echo(f"wheels for {platform.name}, Python {python}: {seconds:.0f} s")

        click.echo(f"Wheels for this machine, then for {len(targets)} platform(s) x {len(PYTHONS)} Pythons ...")
        counts = pack(folder, also=[archive_path(project_settings.cache_dir())], platforms=targets, progress=done)
        click.echo(f"{folder}: {counts['wheels']} wheels, the Kafka jars and the schema registry's archive; "
                   f"see {folder / 'README.txt'}.")
