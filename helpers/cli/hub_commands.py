"""`codealong workshop hub ...`: JupyterHub for learners who only have a browser (see
helpers.workshop.hub). Registered under `codealong workshop` by workshop_commands.py."""
from __future__ import annotations

import sys
from pathlib import Path

import click

folder_option = click.option("--folder", type=click.Path(path_type=Path), default=None,
                             help="The workshop's folder (default: $CODEALONG_WORKSHOP_DIR, else the state dir's workshop/).")


def _folder(folder) -> Path:
    from ..workshop.room import Room

    return Room.load(folder).folder  # refuses a folder without a workshop, saying how to start one


@click.group()
def hub():
    """Serve learners who only have a browser: JupyterHub on the room's address, one Jupyter server
    per learner with their join sheet's login and the learner edition of the notebooks. They log in
    with their learner name and the password of their join sheet."""


@hub.command("start")
@click.option("--port", type=int, default=None,
              help="Port learners' browsers open (default: 8380; the hub also takes the two below it, on loopback).")
@click.option("--learners", "learners_spec", default=None,
              help="Who may log in: the browser-only learners (ana,ben); default: every learner of the room. "
                   "On a running hub the new list applies at the next login.")
@folder_option
def hub_start(port, learners_spec, folder):
    """Start the hub (installs its proxy, configurable-http-proxy, with npm on first use); reuses a
    running one. The learners' servers start when they log in."""
    from ..workshop.hub import running_hub, start_hub
    from ..workshop.room import Room

    room = Room.load(folder)
    if running_hub(room.folder) is None:
        click.echo(f"Starting JupyterHub for {len(room.learners)} learner(s) on {room.host} ...")
    learners = [name.strip() for name in learners_spec.split(",") if name.strip()] if learners_spec else None
    status = start_hub(room, port=port, learners=learners)
    click.echo(status.text())
    click.echo(f"Tell the room: open {status.url} and log in with your learner name and the password of your join "
               f"sheet (the KAFKA_PASSWORD in your .password.env).")
    click.echo("Mind: the learners' servers run as this OS user, so their code can read what it can (other "
               "learners' password files, the room's admin.env). Serve a room you trust; docs/teaching.md says more.")
    if status.url.startswith("http://127.0.0.1") or status.url.startswith("http://localhost"):
        click.echo("(The room's address is loopback: only this machine reaches it. A room needs "
                   "`codealong workshop start --host YOUR_ADDRESS`.)")


@hub.command("stop")
@folder_option
def hub_stop(folder):
    """Stop the hub, its proxy and every learner's server (their workspaces are kept)."""
    from ..workshop.hub import stop_hub

    stopped = stop_hub(_folder(folder))
    click.echo(f"Stopped {len(stopped)} process(es): the hub, its proxy, the learners' servers and kernels."
               if stopped else "The hub was not running.")


@hub.command("status")
@folder_option
def hub_status(folder):
    """Whether the hub runs and answers, whose servers run, and their memory. Exit code 3: not running."""
    from ..workshop.hub import hub_status as status_of

    status = status_of(_folder(folder))
    click.echo(status.text())
    if status.pid is None:
        sys.exit(3)
    if not status.answers:
        sys.exit(1)
