"""Commands for this device's identity: `init` and `whoami`."""

from __future__ import annotations

import click

from reliance.app.workspace import Workspace
from reliance.cli.context import Context, echo, emit_json, fail, pass_ctx, say
from reliance.display import clean


@click.command()
@click.option("--name", help="Your name as others will see it.")
@click.option(
    "--new-history",
    is_flag=True,
    help="Identity restored but its document lost everywhere: start the document again.",
)
@click.option(
    "--recover", is_flag=True, help="Rebuild your identity from its recovery phrase (--name: this device)."
)
@pass_ctx
def init(ctx: Context, name: str | None, new_history: bool, recover: bool) -> None:
    """Create this device's identity (never replaces an existing one)."""
    from reliance.cli import device

    if recover:
        device.recover(ctx, name)
        return
    if new_history:
        _start_new_history(ctx)
        return
    if not name:
        fail(say("cli.init.name_required"))
    workspace = Workspace.create(ctx.home, name, ctx.passphrase(confirm=True))
    echo(say("cli.init.created", name=workspace.identity.name))
    echo(say("cli.init.peer_id", peer_id=workspace.peer_id))
    echo(say("cli.init.fingerprint", fingerprint=workspace.identity.fingerprint))
    device.show_new_identity(ctx, workspace)


def _start_new_history(ctx: Context) -> None:
    started = ctx.call("identity.new_history")  # by the owner when one runs, else with the home held
    echo(say("cli.init.new_history", peer=started["peer_id"][:14]))


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def whoami(ctx: Context, as_json: bool) -> None:
    """Show your name, peer id and fingerprint."""
    info = ctx.call("whoami")
    if as_json:
        emit_json(info)
        return
    for key in ("name", "peer_id", "fingerprint", "home"):  # a name an older version let in: inert
        echo(f"{key.replace('_', ' ') + ':':13}{clean(info[key])}")


def register(cli: click.Group) -> None:
    for command in (init, whoami):
        cli.add_command(command)
