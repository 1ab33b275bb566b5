"""Commands for the participant's devices and keys: `device list|rename|revoke`, `identity backup|restore`,
and what `init` says and does about the recovery phrase (`init --recover`)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click

from reliance.app.workspace import Workspace
from reliance.cli.context import Context, echo, emit_json, fail, pass_ctx, say
from reliance.display import clean
from reliance.errors import DeviceError, RelianceError
from reliance.i18n import t


def _message(ctx: Context, exc: DeviceError) -> RelianceError:
    return RelianceError(exc.message(ctx.lang()))


# -- init: the phrase, shown once; recovery from it ----------------------------------------------------------


def show_new_identity(ctx: Context, workspace: Workspace) -> None:
    """After `init`: the recovery phrase, once, with its warning (on standard output)."""
    if not workspace.recovery_phrase:
        return
    echo("")
    echo(say("identity.phrase_shown"))
    words = workspace.recovery_phrase.split()
    for row in range(0, len(words), 6):
        echo("  " + "  ".join(f"{row + i + 1:2}. {word}" for i, word in enumerate(words[row : row + 6])))


def _read_phrase(ctx: Context) -> str:
    if sys.stdin.isatty():
        return str(click.prompt(t("identity.phrase_prompt", ctx.lang()), hide_input=True))
    return sys.stdin.read(4096)


def recover(ctx: Context, device_name: str | None) -> None:
    """`init --recover --name DEVICE`: the participant key from the phrase, a new device key certified by it;
    the participant document is written only once a peer or a bundle brings it back."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from reliance.certificate import make_certificate
    from reliance.identity import participant_key_from_phrase, public_bytes, write_identity

    if not device_name:
        fail(say("identity.recover_name"))
    try:
        participant = participant_key_from_phrase(_read_phrase(ctx))
        device_key = Ed25519PrivateKey.generate()
        certificate = make_certificate(participant, public_bytes(device_key), device_name, int(time.time()))
    except DeviceError as exc:
        raise _message(ctx, exc) from None
    identity = write_identity(
        ctx.home,
        device_name,
        device_key,
        ctx.passphrase(confirm=True),
        participant=public_bytes(participant),
        participant_private=participant,
        certificate=certificate,
        device_name=device_name.strip(),
        shows_participant=False,
    )
    echo(say("identity.recovered", name=clean(identity.name), device=clean(identity.device_name)))
    echo(say("cli.init.peer_id", peer_id=identity.peer_id))


# -- device --------------------------------------------------------------------------------------------------


@click.group("device")
def device_group() -> None:
    """Your devices: each has its own key, certified by your participant key."""


def call(op: str, ctx: Context, **args: Any) -> Any:
    try:
        return ctx.call(op, **args)
    except DeviceError as exc:
        raise _message(ctx, exc) from None


def _day(seconds: int | None) -> str:
    if not seconds:
        return say("device.list.never")
    return time.strftime("%Y-%m-%d", time.localtime(seconds))


@device_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def device_list(ctx: Context, as_json: bool) -> None:
    """Every device: name, short fingerprint, created, last seen, this one, revoked."""
    rows = call("device.list", ctx)
    if as_json:
        emit_json(rows)
        return
    echo(say("device.list.header"))
    for row in rows:
        if row["revoked"]:
            state = say("device.list.revoked")
        elif row["this_one"]:
            state = say("device.list.this")
        else:
            state = say("device.list.active")
        short = "".join(str(row["fingerprint"]).split())[:12]
        name = clean(str(row["name"]))[:20]
        echo(f"{name:20} {short:16} {_day(row['created']):11} {_day(row['last_seen']):11} {state}")


@device_group.command("revoke")
@click.argument("device")
@pass_ctx
def device_revoke(ctx: Context, device: str) -> None:
    """Revoke a device (NAME or FINGERPRINT): nothing it signs is accepted any more once peers know."""
    result = call("device.revoke", ctx, device=device)
    echo(say("device.revoked", name=clean(str(result["name"]))))


@device_group.command("rename")
@click.argument("old")
@click.argument("new")
@pass_ctx
def device_rename(ctx: Context, old: str, new: str) -> None:
    """Rename a device."""
    result = call("device.rename", ctx, device=old, name=new)
    echo(say("device.renamed", old=clean(str(result["old"])), new=clean(str(result["name"]))))


# -- identity backup -----------------------------------------------------------------------------------------


@click.group("identity")
def identity_group() -> None:
    """An encrypted backup of your keys, and its restore."""


def _backup_passphrase(ctx: Context, *, confirm: bool) -> bytes:
    if sys.stdin.isatty():
        text = str(
            click.prompt(
                t("identity.backup_passphrase", ctx.lang()), hide_input=True, confirmation_prompt=confirm
            )
        )
    else:
        text = sys.stdin.readline().rstrip("\r\n")
    return text.encode()


@identity_group.command("backup")
@click.argument("file", type=click.Path(dir_okay=False))
@pass_ctx
def identity_backup(ctx: Context, file: str) -> None:
    """Write an encrypted backup of this identity's keys to FILE (asks for a backup passphrase)."""
    from reliance.fsutil import write_private
    from reliance.keybackup import backup_bytes

    ws = ctx.workspace()
    if ws.identity.participant is None:
        ctx.warn(say("identity.no_phrase_single_key"))
    try:
        data = backup_bytes(ctx.home, ws.identity, _backup_passphrase(ctx, confirm=True))
    except DeviceError as exc:
        raise _message(ctx, exc) from None
    path = Path(file)
    try:
        path.unlink(missing_ok=True)
        write_private(path, data, exclusive=True)
    except OSError as exc:
        fail(say("cli.cannot_write", file=file, reason=exc.strerror))
    echo(say("identity.backup_written", file=clean(file)))


@identity_group.command("restore")
@click.argument("file", type=click.Path(dir_okay=False))
@pass_ctx
def identity_restore(ctx: Context, file: str) -> None:
    """Restore an identity from a backup FILE into this (empty) home."""
    from reliance.keybackup import MAX_BACKUP_BYTES, restore_bytes

    try:
        with open(file, "rb") as handle:
            data = handle.read(MAX_BACKUP_BYTES + 1)
    except OSError as exc:
        fail(say("cli.cannot_read", file=file, reason=exc.strerror))
    try:
        identity = restore_bytes(
            ctx.home, data, _backup_passphrase(ctx, confirm=False), ctx.passphrase_from_file(), file
        )
    except DeviceError as exc:
        raise _message(ctx, exc) from None
    echo(say("identity.restored", name=clean(identity.name), file=clean(file)))


def register(cli: click.Group) -> None:
    cli.add_command(device_group)
    cli.add_command(identity_group)
