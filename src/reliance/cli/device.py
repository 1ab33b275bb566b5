"""Commands for the participant's devices and keys: `device list|rename|revoke`, `device invite|join` (linking
a new device with a short code: docs/identity.md, "Linking a device"), `identity backup|restore`, and what
`init` says and does about the recovery phrase (`init --recover`)."""

from __future__ import annotations

import asyncio
import sys
import time
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from reliance.app import settings
from reliance.app.workspace import Workspace
from reliance.cli.context import Context, echo, emit_json, fail, pass_ctx, say
from reliance.display import clean, json_text
from reliance.errors import DeviceError, RelianceError
from reliance.i18n import t
from reliance.limits import Limits

if TYPE_CHECKING:
    from reliance.net.config import NodeConfig


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


# -- linking a device: invite and join ---------------------------------------------------------------------


def json_line(value: object) -> None:
    """One JSON object on one line, at once: a program reads the invitation while the command waits."""
    click.echo(json_text(value, indent=None))


def _inviter_reason(reason_value: str) -> str:
    """The inviter's line for how its invitation ended (some reasons read differently on each side)."""
    if reason_value in ("wrong-code", "expired"):
        return say(f"link.why.{reason_value}.inviter")
    return say(f"link.why.{reason_value}")


def print_qr(text: str) -> None:
    """`text` as a QR code drawn with block characters (segno), for a phone's camera."""
    import io

    import segno

    out = io.StringIO()
    segno.make(text, error="m").terminal(out=out, compact=True)
    click.echo(out.getvalue(), nl=False)


@device_group.command("invite")
@click.option("--json", "as_json", is_flag=True, help="Print the code and addresses as JSON at once.")
@click.option("--listen", default="0.0.0.0", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="TCP port (default: any free one).")
@click.option("--no-mdns", is_flag=True, help="Do not advertise the invitation on the local network.")
@click.option("--minutes", type=click.IntRange(1, 24 * 60), help="How long the invitation stays open.")
@pass_ctx
def invite_cmd(
    ctx: Context, as_json: bool, listen: str, port: int, no_mdns: bool, minutes: int | None
) -> None:
    """Invite a new device: print a short code (and a QR code), then wait for it to join.

    On the new device: `reliance device join CODE --name DEVICE`. The code works once: a wrong try ends
    the invitation. It expires after 10 minutes (--minutes, or the limit `link_invitation_seconds`).
    """
    from reliance.app import linking
    from reliance.localapi.owner import Owner
    from reliance.net.node import Node
    from reliance.net.pairing.codes import new_code
    from reliance.net.pairing.protocol import DeviceRequest, Invitation, Linked, Reason
    from reliance.net.pairing.transport import InvitationServer

    limits: Limits = settings.load_limits(ctx.home)
    if minutes is not None:
        limits = limits.replace(link_invitation_seconds=minutes * 60)
    workspace = ctx.workspace() if ctx.owner() is None else None  # its passphrase asked before the wait
    ctx.call("whoami")
    mdns = not no_mdns and bool(settings.load_config(ctx.home).get("mdns", True))
    code = new_code()
    invitation = Invitation(code, limits=limits)

    refused: list[tuple[str, Exception]] = []

    def told_late(reason: Reason) -> None:
        ctx.warn(say(f"link.invite.late.{reason.value}"))

    async def make_grant(request: DeviceRequest) -> bytes:
        try:
            return await certified(request)
        except Exception as exc:
            refused.append((request.name, exc))
            raise

    home_owner: list[Owner] = []  # this invite's own, when nobody owned the home

    async def certified(request: DeviceRequest) -> bytes:
        args = {"name": request.name, "key": request.public_key.hex()}
        if home_owner:
            result = await home_owner[0].run_operation("device.grant", args)
        else:  # by the home's running owner
            result = await asyncio.to_thread(lambda: ctx.call("device.grant", **args))
        grant_file = result.get("grant_file") if isinstance(result, dict) else None
        if not isinstance(grant_file, str):
            raise RelianceError(say("link.why.refused"))
        return linking.take_grant_file(ctx.home, grant_file)

    async def run() -> object:
        if workspace is not None:
            # Nobody owns the home: this invite does, for its duration, so that a `serve` or the app
            # started meanwhile knows (serve refuses, the app goes through it), and the other commands
            # go through it too. Its node neither listens nor dials.
            owner = Owner(workspace, Node(workspace, invite_node_config()), "invite")
            await owner.start()
            home_owner.append(owner)
        try:
            return await invite()
        finally:
            if home_owner:
                await home_owner[0].stop()

    async def invite() -> object:
        server = InvitationServer(
            invitation, make_grant, host=listen, port=port, mdns=mdns, on_late=told_late
        )
        try:
            addresses = await server.start()
        except OSError as exc:
            fail(say("link.invite.listen_failed", address=f"{listen}:{port}", reason=exc.strerror or exc))
        try:
            if as_json:
                opened = {
                    "code": str(code),
                    "addresses": addresses,
                    "expires_in": limits.link_invitation_seconds,
                }
                json_line(opened)
            else:
                echo(say("link.invite.code", code=str(code)))
                print_qr(str(code))
                echo(say("link.invite.addresses", addresses=", ".join(addresses)))
                minutes_left = max(1, limits.link_invitation_seconds // 60)
                echo(say("link.invite.waiting", code=str(code), minutes=minutes_left))
            outcome = await server.wait()
            if isinstance(outcome, Linked):
                return outcome
            # Said at once; then a joiner who comes late is still told why for a while (and it is logged).
            click.echo(say("cli.error", text=clean(_ended_line(outcome, refused))), err=True)
            await server.linger(limits.link_late_answer_seconds)
            return outcome
        finally:
            await server.close()

    outcome = asyncio.run(run())
    if isinstance(outcome, Linked):
        if as_json:
            json_line({"linked": outcome.name})
        else:
            echo(say("link.invite.linked", name=clean(outcome.name)))
        return
    raise SystemExit(1)  # its line was said when the invitation ended


def invite_node_config() -> NodeConfig:
    """The node of a home owned by `device invite`: serves the local API, neither listens nor dials."""
    from reliance.net.config import NodeConfig

    return NodeConfig(serve=False, dial=False, mdns=False, write_state=False)


def _ended_line(outcome: object, refused: list[tuple[str, Exception]]) -> str:
    """Why an invitation ended without a link, as its inviter is told."""
    if refused:
        name, error = refused[0]
        return say("link.invite.grant_failed", name=clean(name), reason=error)
    reason = getattr(outcome, "reason", None)
    return _inviter_reason(reason.value if reason is not None else "closed")


def _device_name(name: str, limits: Limits) -> str:
    name = name.strip()
    if not 1 <= len(name) <= limits.link_device_name_chars or any(
        unicodedata.category(ch)[0] == "C" for ch in name
    ):
        fail(say("link.join.bad_name", most=limits.link_device_name_chars))
    return name


@device_group.command("join")
@click.argument("code")
@click.option("--name", "device_name", required=True, help="This device's name, e.g. laptop.")
@click.option("--address", help="The inviter's HOST:PORT, when the local network does not find it.")
@pass_ctx
def join_cmd(ctx: Context, code: str, device_name: str, address: str | None) -> None:
    """Join your identity from this new device with the code the other device shows."""
    from reliance.app import linking
    from reliance.net.pairing.codes import CodeError, parse_code
    from reliance.net.pairing.transport import LinkFailed, find_inviter, join, parse_address

    limits: Limits = settings.load_limits(ctx.home)
    try:
        parsed = parse_code(code)
    except CodeError as exc:
        fail(say(exc.reason))
    name = _device_name(device_name, limits)
    if not linking.can_join(ctx.home):
        fail(say("link.join.has_identity", home=str(ctx.home)))
    if address is not None:
        try:
            targets = [parse_address(address)]
        except ValueError:
            fail(say("link.join.bad_address", address=clean(address)))
    else:
        click.echo(say("link.join.searching", number=parsed.number), err=True)
        found = asyncio.run(find_inviter(parsed.number))
        if not found:
            fail(say("link.join.not_found", number=parsed.number))
        if len(found) > 1:
            fail(say("link.join.several", number=parsed.number))
        targets = found[0]
    passphrase = ctx.passphrase(confirm=True)
    public_key = linking.start_join(ctx.home, passphrase)
    ctx.hold_home()  # the grant's documents are written here: no `serve` or command writes them meanwhile
    joined: list[object] = []
    refused: list[RelianceError] = []

    async def take(grant: bytes) -> None:
        try:
            joined.append(await asyncio.to_thread(linking.take_grant, ctx.home, grant, name, passphrase))
        except RelianceError as exc:
            refused.append(exc)
            raise

    try:
        asyncio.run(join(parsed, name, public_key, targets, take, limits=limits))
    except LinkFailed as exc:
        if exc.reason.value == "closed" and not exc.from_peer and not joined:
            fail(say("link.join.unreachable", addresses=", ".join(f"{h}:{p}" for h, p in targets)))
        fail(say(f"link.why.{exc.reason.value}"))
    except RelianceError as exc:
        fail(say("link.join.grant_refused", reason=refused[0] if refused else exc))
    from reliance.app.workspace import Workspace

    ws = joined[0]
    assert isinstance(ws, Workspace)
    echo(say("link.join.joined", device=name, name=clean(ws.identity.name), peer_id=ws.peer_id))


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
