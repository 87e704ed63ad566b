"""The `codealong` command group, and how it shows our errors."""
from __future__ import annotations

import logging

import click

from ..client.errors import CodealongError


class CodealongGroup(click.Group):
    """Show our errors as two plain lines (cause, fix) and exit 1, without a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except CodealongError as err:
            click.secho(f"Error: {err.cause}", fg="red", err=True)
            click.echo(f"Fix: {err.fix}", err=True)
            ctx.exit(1)


def _print_version(ctx, _param, value):
    if not value or ctx.resilient_parsing:
        return
    from importlib.metadata import version

    from .. import settings

    click.echo(f"codealong {version('kafka-codealong')} (Kafka {settings.kafka_version()})")
    ctx.exit(0)


@click.group(cls=CodealongGroup, context_settings={"help_option_names": ["-h", "--help"]},
             epilog="Exit codes: 0 done; 1 an error (its cause and fix are printed); 2 a wrong command line; "
                    "3 `broker status` / `registry status`: not running; `codealong kafka`: the tool's own.")
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Print the codealong's and Kafka's versions, and exit.")
@click.option("-q", "--quiet", is_flag=True, help="Print only warnings and errors.")
@click.option("-v", "--verbose", is_flag=True, help="Print debug messages too (the client's and the helpers').")
def main(quiet, verbose):
    """kafka-codealong: learn Apache Kafka from zero, on a real broker."""
    level = logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO
    logging.basicConfig(level=level, format="%(message)s")
    logging.getLogger("papermill").setLevel(logging.WARNING)
