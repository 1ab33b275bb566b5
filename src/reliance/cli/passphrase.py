"""`reliance passphrase change`: protect this device's key with a new passphrase, or with none."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reliance.cli.context import Context, echo, fail, pass_ctx, say
from reliance.errors import RelianceError
from reliance.identity import change_passphrase, has_identity, key_is_encrypted


def _read_new(path: str) -> bytes:
    try:
        text = Path(path).read_text("utf-8").strip("\r\n")
    except OSError as exc:
        raise RelianceError(say("cli.passphrase.unreadable", reason=exc.strerror)) from None
    if not text:
        raise RelianceError(say("cli.passphrase.empty"))
    return text.encode()


@click.group("passphrase")
def passphrase_group() -> None:
    """The passphrase that protects this device's key."""


@passphrase_group.command("change")
@click.option(
    "--new-passphrase-file", "new_file", type=click.Path(dir_okay=False), help="Read the new one from FILE."
)
@click.option("--remove", is_flag=True, help="Keep the key without a passphrase from now on.")
@pass_ctx
def change_cmd(ctx: Context, new_file: str | None, remove: bool) -> None:
    """Change the key's passphrase (the current one is asked first, or read with --passphrase-file); the
    key, hence your peer id, stays the same."""
    if not has_identity(ctx.home):
        fail(say("cli.no_home", home=ctx.home))
    if remove and new_file:
        fail(say("cli.passphrase.remove_or_new"))
    current = ctx.passphrase() if key_is_encrypted(ctx.home) or ctx.passphrase_file else None
    if remove:
        new: bytes | None = None
    elif new_file:
        new = _read_new(new_file)
    elif sys.stdin.isatty():
        new = str(
            click.prompt(say("cli.passphrase.new_prompt"), hide_input=True, confirmation_prompt=True)
        ).encode()
    else:
        fail(say("cli.passphrase.new_needed"))
    change_passphrase(ctx.home, current, new or None)
    echo(say("cli.passphrase.changed" if new else "cli.passphrase.removed"))


def register(cli: click.Group) -> None:
    cli.add_command(passphrase_group)
