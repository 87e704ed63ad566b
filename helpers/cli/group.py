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


@click.group(cls=CodealongGroup)
def main():
    """kafka-codealong: learn Apache Kafka from zero, on a real broker."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("papermill").setLevel(logging.WARNING)
