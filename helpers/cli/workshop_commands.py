"""`codealong workshop ...`: the instructor's commands (see helpers.workshop.lifecycle)."""
from __future__ import annotations

from pathlib import Path

import click

from .group import main


@main.group()
def workshop():
    """Run a workshop: one real Kafka cluster for a room, a user and a namespace per learner,
    a live progress board. See docs/teaching.md."""


folder_option = click.option("--folder", type=click.Path(path_type=Path), default=None,
                             help="The workshop's folder (default: $CODEALONG_WORKSHOP_DIR, else the state dir's workshop/).")


def _room(folder):
    from ..workshop.room import Room

    return Room.load(folder)


@workshop.command("start")
@click.option("--learners", "learners_spec", default=None,
              help="Names (ana,ben,cy) or a count (8: learner01..08). Without it, the room in the folder is started "
                   "again as it was (after a reboot, say).")
@click.option("--nodes", type=click.Choice(["1", "3"]), default=None,
              help="Nodes of the local workshop cluster (default: 1).")
@click.option("--bootstrap", default=None, help="Use this existing cluster (HOST:PORT) instead of starting one; "
              "its super user's login comes from CODEALONG_ADMIN_USER / CODEALONG_ADMIN_PASSWORD.")
@click.option("--host", default=None,
              help="Address the local cluster listens on and advertises: your machine's address on the room's network "
                   "to serve a room (default: 127.0.0.1, to rehearse alone). It must be one of this machine's.")
@click.option("--port", type=int, default=None, help="First port of the local cluster (default: 9392).")
@click.option("--produce-mib-per-s", type=float, default=2.0, show_default=True, help="Each learner's produce quota.")
@click.option("--partition-budget", type=click.IntRange(min=0), default=None,
              help="Most partitions one learner's topics may hold, refused beyond (default: 300; 0: no limit). "
                   "Local cluster only: Kafka's controller enforces it.")
@click.option("--registry-url", default=None,
              help="The schema registry learners use (its Confluent-compatible URL, e.g. http://host:8081/apis/ccompat/v7"
                   " for Apicurio). Default: one the workshop starts beside its local cluster (port 8381); for "
                   "--bootstrap, $SCHEMA_REGISTRY_URL.")
@click.option("--registry-port", type=int, default=None,
              help="Port of the registry the workshop starts (default: 8381; the management interface takes the next).")
@folder_option
def workshop_start(learners_spec, nodes, bootstrap, host, port, produce_mib_per_s, partition_budget, registry_url,
                   registry_port, folder):
    """Start the workshop's cluster (SASL/SCRAM, ACLs enforced) and schema registry, create one user
    per learner with ACLs on their prefix, set quotas, and write a join sheet per learner and the
    room sheet."""
    from ..workshop.access import Quotas
    from ..workshop.lifecycle import start_workshop
    from ..workshop.registry_choice import registry_status
    from ..workshop.room import Room, learner_names, workshop_dir

    if learners_spec is None and not (Path(folder) if folder else workshop_dir()).joinpath(Room.FILE).exists():
        raise click.UsageError("Name the learners (--learners ana,ben or --learners 8): there is no workshop to "
                               "resume in that folder.")
    quotas = Quotas(producer_byte_rate=int(produce_mib_per_s * 1024 * 1024),
                    consumer_byte_rate=int(2 * produce_mib_per_s * 1024 * 1024))
    room = start_workshop(learner_names(learners_spec) if learners_spec else [], nodes=int(nodes) if nodes else None, bootstrap=bootstrap,
                          host=host, port=port,
                          folder=folder, quotas=quotas, registry_url=registry_url, registry_port=registry_port,
                          partition_budget=partition_budget)
    click.echo(f"Workshop ready at {room.bootstrap}: {len(room.learners)} learner(s).")
    click.echo(registry_status(room))
    click.echo(f"Join sheets (hand each learner their .join.toml and .password.env): {room.folder / 'join'}")
    click.echo(f"Room sheet: {room.folder / 'room.md'}")


@workshop.command("join")
@click.argument("sheet_file", type=click.Path(path_type=Path))
@click.option("--env-file", type=click.Path(path_type=Path), default=None,
              help="Also write the variables (password included, mode 600) to this file, to source before Jupyter.")
@click.option("--shell", type=click.Choice(["posix", "powershell"]), default=None,
              help="The shell to print lines for (default: powershell on Windows, else posix: bash, zsh).")
def workshop_join(sheet_file, env_file, shell):
    """Check that the cluster answers with your join sheet's login, then print the lines to run in
    your shell before `jupyter lab` (the password stays in its file)."""
    import os

    from ..workshop.joining import check_join
    from ..workshop.room import JoinSheet, _write_private

    sheet = JoinSheet.load(sheet_file)
    click.echo(check_join(sheet))
    if env_file:  # a file to `source`: bash and zsh
        _write_private(env_file, sheet.export_lines("posix")[0] + "\n" + sheet.password_file.read_text())
        click.echo(f"Wrote {env_file}; run:  source {env_file}")
    else:
        click.echo("Run these lines in the shell where you start Jupyter:")
        click.echo("\n".join(sheet.export_lines(shell or ("powershell" if os.name == "nt" else "posix"))))


@workshop.command("status")
@folder_option
def workshop_status(folder):
    """Learners x chapters: checks passed, when each learner was last seen, where they are stuck;
    and whether the room's schema registry answers."""
    from ..workshop.lifecycle import status
    from ..workshop.registry_choice import registry_status

    room = _room(folder)
    click.echo(status(room).text())
    click.echo(registry_status(room))


@workshop.command("check")
@folder_option
def workshop_check(folder):
    """Before and during the day: whether the cluster answers, what listens where, whether
    learners' connections arrive (the other machines connected to the brokers now), who has
    joined (`workshop join` tells the board), and each learner's partitions against the budget.
    Exits 1 when the cluster does not answer."""
    from ..workshop.check import check_room
    from ..workshop.lifecycle import partition_usage, status
    from ..workshop.registry_choice import registry_status

    from confluent_kafka import KafkaException

    from ..client.errors import CodealongError

    room = _room(folder)
    try:
        board, partitions = status(room, timeout=8), partition_usage(room, timeout=8)
    except (CodealongError, KafkaException) as err:  # check_room says whether the cluster answers
        board, partitions = None, {}
        click.echo(f"Progress and partitions could not be read: {getattr(err, 'cause', err)}")
    report = check_room(room, board, partitions, registry_status(room))
    click.echo(report.text())
    if report.answers:
        raise SystemExit(1)


@workshop.command("reset")
@click.argument("names", nargs=-1)
@click.option("--all", "everyone", is_flag=True, help="Every learner of the room (asks first, unless --yes).")
@click.option("--yes", is_flag=True, help="Do not ask before resetting every learner.")
@click.option("--learner", "named", multiple=True, hidden=True)  # the old spelling of NAMES
@folder_option
def workshop_reset(names, everyone, yes, named, folder):
    """Delete the topics, groups and schema subjects of the learners NAMES (everything under
    `<learner>.`); other learners are untouched. `--all` resets every learner, e.g. between two
    groups; it asks first unless --yes."""
    from ..workshop.lifecycle import reset

    names = (*names, *named)
    if bool(names) == everyone:
        raise click.UsageError("Name the learners to reset (`codealong workshop reset ana ben`), or pass --all "
                               "for every learner.")
    room = _room(folder)
    if everyone and not yes:
        click.confirm(f"Delete the topics, groups and schema subjects of all {len(room.learners)} learners?",
                      abort=True)
    for name in names or [None]:
        for report in reset(room, name):
            click.echo(str(report))


@workshop.command("password")
@click.argument("learner")
@folder_option
def workshop_password(learner, folder):
    """Give LEARNER a new password (their password file was lost, or seen by others): the cluster's
    user is updated, their join sheet and password file are written again, the old password stops
    working. The password is never printed."""
    from ..workshop.lifecycle import reissue_password

    written = reissue_password(_room(folder), learner)
    click.echo(f"New password for {learner} in {written} (hand them that file and their join sheet again).")


@workshop.command("stop")
@folder_option
def workshop_stop(folder):
    """Stop the workshop's schema registry and local cluster (data kept: `workshop start` brings
    them back)."""
    from ..workshop.lifecycle import stop, stop_registry

    room = _room(folder)
    registry = stop_registry(room) if room.nodes is not None else None
    stopped = stop(room)
    if registry is not None:
        click.echo(f"Stopped the schema registry (pid {registry}).")
    click.echo(f"Stopped node(s) {stopped}." if stopped else "No node was running.")


@workshop.command("demo")
@click.argument("what", type=click.Choice(["leader"]))
@click.option("--down-s", type=float, default=10.0, show_default=True, help="How long the node stays down.")
@folder_option
def workshop_demo(what, down_s, folder):
    """`leader`: stop the node leading a partition of a three-node workshop cluster, show the new
    leader, and start the node again (chapter 8's failover, for the whole room)."""
    from ..workshop.lifecycle import demo_leader

    for line in demo_leader(_room(folder), down_s=down_s):
        click.echo(line)


from .hub_commands import hub  # noqa: E402  (`codealong workshop hub start|stop|status`)

workshop.add_command(hub)
