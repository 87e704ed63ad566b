"""`codealong registry ...`: the embedded schema registry (Apicurio Registry, loopback only)."""
from __future__ import annotations

import sys

import click

from .group import main


@main.group()
def registry():
    """Start, stop and inspect the schema registry (Apicurio Registry 3, Confluent-compatible API,
    its schemas kept in the embedded Kafka; loopback only)."""


@registry.command("start")
@click.option("--bootstrap", default=None, help="The Kafka that keeps its schemas (default: the embedded broker, "
                                                "started if needed).")
def registry_start(bootstrap):
    """Start the registry (downloads it on first use, about 160 MB); reuses a running one."""
    from ..registry import LocalRegistry, find_registry_java

    registry_ = LocalRegistry()
    if not registry_.is_running():
        click.echo(f"Starting Apicurio Registry {registry_.version} on {registry_.url} "
                   f"(management interface on 127.0.0.1:{registry_.management_port}) ...")
        click.echo(f"Java: {find_registry_java().describe()}")
    click.echo(str(registry_.start(bootstrap, progress=True)))


@registry.command("stop")
def registry_stop():
    """Stop the registry (killed after 20 s if it does not stop); its schemas stay in Kafka."""
    from ..registry import LocalRegistry

    pid = LocalRegistry().stop()
    click.echo(f"Stopped the schema registry (pid {pid})." if pid else "Nothing was running.")


@registry.command("status")
def registry_status():
    """Show its pid, URL, Kafka, memory, and whether its API answers."""
    from ..registry import LocalRegistry

    status = LocalRegistry().status()
    if not status.running:
        click.echo(f"Not running (it would answer at {status.url}). Start it with `codealong registry start`.")
        sys.exit(3)
    state = "answers" if status.answers else "does NOT answer (starting, or see `codealong registry logs`)"
    click.echo(f"The schema registry runs (pid {status.pid}, {status.rss_mib:.0f} MiB resident) at {status.url}: "
               f"its API {state}. Schemas kept in Kafka at {status.bootstrap}.")
    if not status.answers:
        sys.exit(1)


@registry.command("logs")
@click.option("-n", "--lines", type=int, default=50, show_default=True)
def registry_logs(lines):
    """Print the end of the registry's log."""
    from ..registry import LocalRegistry

    registry_ = LocalRegistry()
    click.echo(registry_.log_tail(lines) or f"No log yet at {registry_.process.log_file}.")
