"""`reliance web`: the web face's address and QR code, pairing a phone, and the paired browsers.

With an owner running (`reliance serve` or the app), everything goes through its local API (`web.url`,
`web.pair`, `web.sessions`, `web.revoke`); without one, `url` and `qr` say where the web face will be served,
`sessions` and `revoke` work on the home's sessions file, and `pair` needs the owner (a pairing link lives in
the running node only).
"""

from __future__ import annotations

import io
import time
from typing import Any

import click

from reliance.cli.context import Context, echo, emit_json, fail, pass_ctx, say
from reliance.display import clean
from reliance.errors import RelianceError
from reliance.localapi.protocol import ApiError


def qr_block(data: str) -> str:
    """A QR code for a terminal (ANSI colours, dark on light whatever the terminal's theme)."""
    import segno

    out = io.StringIO()
    segno.make(data, error="m", boost_error=False).terminal(out, compact=True)
    return out.getvalue()


def _web_info(ctx: Context) -> dict[str, Any]:
    """Where the web face is: the owner's answer, or (no owner) where the settings will serve it."""
    owner = ctx.owner()
    if owner is not None:
        try:
            info: dict[str, Any] = owner.call("web.url", {})
        except ApiError as exc:
            fail(say("web.cli.not_serving", reason=str(exc)))
        if info.get("error"):
            fail(say("web.cli.not_serving", reason=info["error"]))
        if not info.get("urls"):  # the node listens; its web face is still starting (a certificate to make)
            fail(say("web.cli.starting"))
        return info
    from reliance.web.addresses import configured

    info = configured(ctx.home)
    if not info.pop("on"):
        fail(say("web.cli.off"))
    return info


def _show_fingerprint(info: dict[str, Any]) -> None:
    if info.get("fingerprint"):
        echo(say("web.cli.fingerprint", fingerprint=clean(info["fingerprint"])))


@click.group("web")
def web_group() -> None:
    """The web face the node serves to phones on the network (docs/web.md)."""


@web_group.command("url")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def url_cmd(ctx: Context, as_json: bool) -> None:
    """The addresses a phone on the same network can open."""
    info = _web_info(ctx)
    if as_json:
        emit_json(info)
        return
    for url in info["urls"]:
        echo(clean(url))
    _show_fingerprint(info)


@web_group.command("qr")
@pass_ctx
def qr_cmd(ctx: Context) -> None:
    """The address as a QR code, to scan with a phone."""
    info = _web_info(ctx)
    echo(say("web.cli.open"))
    echo(clean(info["urls"][0]))
    click.echo(qr_block(info["urls"][0]))
    _show_fingerprint(info)


@web_group.command("pair")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def pair_cmd(ctx: Context, as_json: bool) -> None:
    """A one-time link (valid 10 minutes) that pairs a phone's browser with this node's person."""
    owner = ctx.owner()
    if owner is None:
        fail(say("web.cli.no_owner"))
    try:
        info: dict[str, Any] = owner.call("web.pair", {})
    except ApiError as exc:
        fail(say("web.cli.not_serving", reason=str(exc)))
    if as_json:
        emit_json(info)
        return
    echo(say("web.cli.pair"))
    echo(clean(info["urls"][0]))
    click.echo(qr_block(info["urls"][0]))
    _show_fingerprint(info)
    if not info["urls"][0].startswith("https:"):
        echo(say("web.cli.plain_http"))


def _sessions(ctx: Context) -> list[dict[str, Any]]:
    owner = ctx.owner()
    if owner is not None:
        try:
            rows: list[dict[str, Any]] = owner.call("web.sessions", {})
        except ApiError as exc:
            fail(say("web.cli.not_serving", reason=str(exc)))
        return rows
    from reliance.web.auth import read_sessions

    return [s.to_json() for s in read_sessions(ctx.home)]


def _when(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(seconds))


@web_group.command("sessions")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def sessions_cmd(ctx: Context, as_json: bool) -> None:
    """The browsers paired with this node."""
    rows = _sessions(ctx)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        echo(say("web.cli.no_sessions"))
    for row in rows:
        echo(
            say(
                "web.cli.session",
                id=row["id"],
                created=_when(row["created"]),
                seen=_when(row["last_seen"]),
                agent=clean(row["agent"]),
            )
        )


@web_group.command("revoke")
@click.argument("session_id")
@pass_ctx
def revoke_cmd(ctx: Context, session_id: str) -> None:
    """End a paired browser's session (its id from `reliance web sessions`; `all` ends every one)."""
    owner = ctx.owner()
    if owner is not None:
        try:
            owner.call("web.revoke", {"session_id": session_id})
        except ApiError as exc:
            fail(str(exc))
    else:
        from reliance.web.auth import revoke_in_home

        try:
            revoked = revoke_in_home(ctx.home, session_id)
        except RelianceError as exc:
            fail(str(exc))
        if not revoked:
            fail(say("web.cli.no_such_session", id=clean(session_id)))
    echo(say("web.cli.revoked", id=clean(session_id)))


def register(cli: click.Group) -> None:
    cli.add_command(web_group)
