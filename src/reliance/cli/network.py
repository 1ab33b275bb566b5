"""Command-line commands for the network: serve, sync, peers, doctor, config."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import time
from typing import Any

import click

from reliance.app import settings
from reliance.cli.context import Context, echo, emit_json, fail, pass_ctx, say
from reliance.display import InertFormatter, clean
from reliance.i18n import LANGS
from reliance.identity import canonical_peer, encode_peer_id, peer_fingerprint


@click.command("serve")
@click.option("--port", type=int, help="TCP port (default: the configured port, 7447).")
@click.option("--listen", default="0.0.0.0", show_default=True, help="Address to listen on.")
@click.option("--no-mdns", is_flag=True, help="Do not advertise or browse with mDNS.")
@click.option("--quiet", is_flag=True, help="Only warnings and errors.")
@click.option("--web-port", type=click.IntRange(1, 65535), help="Port of the web face (default: 7448).")
@click.option("--no-web", is_flag=True, help="Do not serve the web face to phones.")
@click.option("--web-tls", is_flag=True, help="Serve the web face over HTTPS (self-signed certificate).")
@pass_ctx
def serve_cmd(
    ctx: Context,
    port: int | None,
    listen: str,
    no_mdns: bool,
    quiet: bool,
    web_port: int | None,
    no_web: bool,
    web_tls: bool,
) -> None:
    """Run the headless node until SIGTERM or Ctrl+C.

    Timers and mDNS can be tuned with environment variables (docs/operations.md): RELIANCE_HEARTBEAT,
    RELIANCE_HANDSHAKE_TIMEOUT, RELIANCE_REDIAL_MIN, RELIANCE_REDIAL_MAX, RELIANCE_POLL_INTERVAL (seconds),
    RELIANCE_SERVICE_TYPE (e.g. _test123._tcp.local.) and RELIANCE_MDNS_INTERFACES (comma-separated).
    """
    from reliance.net.config import NodeConfig, config_from_env
    from reliance.net.node import Node

    ws = ctx.workspace()
    config = settings.load_config(ctx.home)
    chosen_port = port if port is not None else config["port"]
    node_config = config_from_env(
        NodeConfig(
            port=chosen_port,
            listen=listen,
            mdns=not no_mdns and bool(config["mdns"]),
        )  # its limits are the workspace's: config.json's `limits`, then RELIANCE_LIMIT_*
    )
    logging.basicConfig(
        level=logging.WARNING if quiet else logging.INFO,
        format="%(asctime)s %(message)s",
        datefmt="%Y-%m-%dT%H:%M:%S",
        stream=sys.stdout,
        force=True,
    )
    for handler in logging.getLogger().handlers:  # peers' names and reasons reach the log: shown inert
        handler.setFormatter(InertFormatter("%(asctime)s %(message)s", "%Y-%m-%dT%H:%M:%S"))
    transport = ("reliance.net.connection", "reliance.net.handshake", "reliance.net.server")
    for noisy in (*transport, "reliance.net.discovery", "zeroconf", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    async def run() -> None:
        from reliance.localapi.owner import Owner

        # The owner of the home: the node, and the local API the CLI and the app beside it talk to.
        owner = Owner(ws, Node(ws, node_config), "serve")
        if config["web"] and not no_web:
            from reliance.web.server import serve_web

            serve_web(
                owner,
                host=listen,
                port=web_port if web_port is not None else config["web_port"],
                tls=web_tls or bool(config["web_tls"]),
            )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        try:
            await owner.start()
        except OSError as exc:
            raise click.ClickException(
                say("cli.serve.cannot_listen", address=f"{listen}:{chosen_port}", reason=exc.strerror)
            ) from None
        echo(say("cli.serve.started", name=ws.identity.name, peer=ws.peer_id), err=False)
        await stop.wait()
        logging.getLogger("reliance.node").info("stopping")
        await owner.stop()
        logging.getLogger("reliance.node").info("stopped cleanly")

    asyncio.run(run())


@click.command("sync")
@click.argument("address")
@click.option("--json", "as_json", is_flag=True)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1, max=86400),
    default=60.0,
    show_default=True,
    help="Seconds for the whole exchange; unfinished by then: exit status 1 and what was left.",
)
@pass_ctx
def sync_cmd(ctx: Context, address: str, as_json: bool, timeout: float) -> None:
    """Sync once with the node at ADDRESS (HOST:PORT) until both hold the same, and exit with a summary.

    Exits 1 with one line saying what was left (the peer not reached, documents not in sync) when the
    exchange cannot end within --timeout seconds."""
    from reliance.net.config import parse_address
    from reliance.net.oneshot import SyncFailed, SyncUnfinished, sync_once

    host, port = parse_address(address)
    try:
        # By the owner of the home when one runs (on its store, in turn with its peers' sessions); else
        # here on the store itself, with the home held.
        owner = ctx.owner() or ctx.hold_home()
        if owner is not None:
            ended = owner.call(
                "sync", {"address": address, "timeout_ms": round(timeout * 1000)}, timeout=timeout + 60
            )
            if ended["failed"]:
                raise SyncFailed(ended["failed"]["key"], **ended["failed"]["params"])
            if ended["unfinished"]:
                raise SyncUnfinished(ended["unfinished"]["why"], ended["summary"], timeout)
            summary = ended["summary"]
        else:
            summary = asyncio.run(sync_once(ctx.workspace(), host, port, timeout=timeout))
    except SyncUnfinished as exc:
        if as_json:
            emit_json(exc.summary)
        fail(exc.message(ctx.lang()))
    except SyncFailed as exc:
        fail(exc.message(ctx.lang()))
    if as_json:
        emit_json(summary)
        return
    echo(
        say(
            "cli.sync.done",
            name=clean(summary["peer_name"] or "?"),
            peer=clean(summary["peer_id"][:14]),
            received=summary["received_changes"],
            documents=len(summary["documents_changed"]),
            sent=summary["sent_changes"],
            seconds=summary["seconds"],
        )
    )


def _require_home(ctx: Context) -> None:
    if not ctx.home.exists():
        fail(say("cli.no_home", home=ctx.home))


def _peer_rows(ctx: Context) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    from reliance.net.events import PeerInfo, PeerState
    from reliance.net.status import read_peers_file, read_state_file

    owner = ctx.owner()
    if owner is not None:  # the running node's own view, through the local API
        return list(owner.call("peers")), owner.call("status")
    state = read_state_file(ctx.home)
    blocked = {encode_peer_id(k) for k in settings.blocked_keys(ctx.home)}
    if state is not None:
        rows = list(state.get("peers", []))
    else:
        rows = [
            PeerInfo(
                str(entry.get("participant") or peer_id),
                entry.get("name", ""),
                PeerState.DISCOVERED,
                (entry.get("addresses") or [""])[0],
                entry.get("last_seen"),
                entry.get("source", "known"),
                device=str(entry.get("device") or "") if entry.get("participant") else "",
                device_id=peer_id if entry.get("participant") else "",
            ).to_json()
            for peer_id, entry in read_peers_file(ctx.home).get("peers", {}).items()
            if isinstance(entry, dict)
        ]
    known = {row["peer_id"] for row in rows}
    rows += [
        PeerInfo(peer_id, "", PeerState.BLOCKED, "", None, "blocked").to_json()
        for peer_id in sorted(blocked - known)
    ]
    for row in rows:
        if row["peer_id"] in blocked:
            row["state"] = "blocked"
    return rows, state


@click.command("peers")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def peers_cmd(ctx: Context, as_json: bool) -> None:
    """Every peer with its state, address, last seen time and per-document sync state."""
    rows, state = _peer_rows(ctx)
    if as_json:
        emit_json(rows)
        return
    if state is None:
        echo(say("cli.peers.no_node"))
    else:
        echo(say("cli.peers.listening", address=state.get("listen")))
    if not rows:
        echo(say("cli.peers.none"))
    for row in rows:
        seen = (
            time.strftime("%H:%M:%S", time.localtime(row["last_seen"]))
            if row.get("last_seen")
            else say("cli.peers.never")
        )
        docs = row.get("docs_in_sync") or {}
        sync_text = say("cli.peers.in_sync", synced=sum(docs.values()), total=len(docs)) if docs else ""
        name = clean(str(row.get("name") or peer_fingerprint(str(row["peer_id"])) or "?"))
        if row.get("device"):  # a device of that participant: its name beside theirs
            name = say("net.peer_device", name=name, device=clean(str(row["device"])))
        address = clean(str(row.get("address") or "-"))
        peer_state = clean(str(row["state"]))
        peer = clean(str(row["peer_id"]))
        echo(
            say(
                "cli.peers.row",
                state=f"{peer_state:11}",
                name=f"{name:16}",
                address=f"{address:22}",
                seen=f"{seen:8}",
                sync=sync_text,
                peer=peer,
            )
        )


@click.group("peer")
def peer_group() -> None:
    """Add a peer by address, accept a pending one, or forget one."""


@peer_group.command("add")
@click.argument("address")
@pass_ctx
def peer_add(ctx: Context, address: str) -> None:
    """Remember HOST:PORT; the node dials it now and after every disconnection."""
    from reliance.net.config import parse_address
    from reliance.net.status import remember_typed_address

    host, port = parse_address(address)
    _require_home(ctx)
    owner = ctx.owner()
    if owner is not None:
        text = owner.call("peer.add", {"address": address})["address"]  # dialled now by the running node
    else:
        text = remember_typed_address(ctx.home, host, port)
    echo(say("cli.peer.added", address=text))


@peer_group.command("remove")
@click.argument("target")
@pass_ctx
def peer_remove(ctx: Context, target: str) -> None:
    """Forget an address typed with 'peer add' (HOST:PORT), or a peer (its id): no longer dialled, no longer
    accepted. To refuse a peer for good, use 'reliance block'."""
    from reliance.model.messages import shown
    from reliance.net.status import forget_in_file

    _require_home(ctx)
    found = forget_in_file(ctx.home, target)  # first: the owner's next save must not bring it back
    owner = ctx.owner()
    if owner is not None:
        found = owner.call("peer.remove", {"target": target})["found"] or found
    if not found:
        fail(say("net.address.unknown", text=shown(target)))
    echo(say("net.address.removed", text=shown(target.strip())))


@peer_group.command("accept")
@click.argument("peer_id")
@pass_ctx
def peer_accept(ctx: Context, peer_id: str) -> None:
    """Accept a pending peer (policy 'known')."""
    from reliance.net.status import peers_file_lock, read_peers_file, write_peers_file

    text = canonical_peer(peer_id)
    _require_home(ctx)
    owner = ctx.owner()
    if owner is not None:
        owner.call("peer.accept", {"peer_id": text})
        echo(say("cli.peer.accepted", peer=text))
        return
    with peers_file_lock(ctx.home):  # a running node rewrites this file too
        data = read_peers_file(ctx.home)
        peers = data.setdefault("peers", {})
        entry = peers.setdefault(text, {"name": "", "addresses": [], "source": "accepted"})
        entry["accepted"] = True
        write_peers_file(ctx.home, data)
    echo(say("cli.peer.accepted", peer=text))


@click.command("doctor")
@click.option("--port", type=int, help="Port to check (default: the configured port).")
@click.option("--json", "as_json", is_flag=True)
@click.option(
    "--lang",
    type=click.Choice(LANGS),
    help="Language (default: the configured one, else the locale's).",
)
@pass_ctx
def doctor_cmd(ctx: Context, port: int | None, as_json: bool, lang: str | None) -> None:
    """Explain in plain words why no peer is found, and what to try."""
    from reliance.i18n import resolve_lang
    from reliance.net.status import diagnose_home

    config = settings.load_config(ctx.home)
    lang = resolve_lang(lang, str(config.get("lang") or ""))
    findings = diagnose_home(ctx.home, port if port is not None else config["port"])
    if as_json:
        emit_json([f.to_json() for f in findings])
        return
    marks = {"ok": "✓", "warning": "!", "problem": "✗"}
    for finding in findings:
        echo(f"{marks.get(finding.level, '-')} {clean(finding.message(lang))}")
        if advice := finding.advice(lang):
            echo(f"    → {clean(advice)}")


@click.group("config")
def config_group() -> None:
    """Settings of this home: policy (open|known), port, mdns, lang, theme."""


@config_group.command("show")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def config_show(ctx: Context, as_json: bool) -> None:
    config = settings.load_config(ctx.home)
    if as_json:
        emit_json(config)
        return
    for key, value in sorted(config.items()):  # as `config set KEY VALUE` takes them back
        echo(f"{key:8} {settings.config_text(key, value)}")


@config_group.command("set")
@click.argument("key")
@click.argument("value")
@pass_ctx
def config_set(ctx: Context, key: str, value: str) -> None:
    """Set KEY to VALUE (e.g. 'policy known')."""
    _require_home(ctx)
    settings.set_config(ctx.home, key, value)
    echo(f"{key} = {value}")


@click.command("status")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def status_cmd(ctx: Context, as_json: bool) -> None:
    """Who owns this home (reliance serve, or the app), where it listens, its peers and last sync."""
    from reliance.i18n import t

    lang = ctx.lang()
    owner = ctx.owner()
    status = owner.call("status") if owner is not None else None
    if as_json:
        emit_json(status or {"owner": None})
        return
    if status is None:
        echo(t("status.no_owner", lang))
        return
    echo(t(f"status.owner_{'app' if status.get('owner') == 'app' else 'serve'}", lang, pid=status.get("pid")))
    listen = status.get("listen")
    echo(
        t("status.listening", lang, address=clean(str(listen))) if listen else t("status.not_listening", lang)
    )
    peers = [p for p in status.get("peers") or [] if isinstance(p, dict)]
    connected = sum(1 for p in peers if p.get("state") == "connected")
    echo(t("status.peers", lang, connected=connected, known=len(peers)))
    last = status.get("last_sync")
    when = time.strftime("%H:%M:%S", time.localtime(last)) if isinstance(last, int | float) else None
    echo(t("status.last_sync", lang, when=when or t("status.never", lang)))


@click.command("events")
@pass_ctx
def events_cmd(ctx: Context) -> None:
    """Print the running node's events as JSON lines until it stops (documents changed, peers, sync)."""
    from reliance.i18n import t

    owner = ctx.owner()
    if owner is None:
        fail(t("status.no_owner", ctx.lang()))
    owner.call("subscribe")
    for event in owner.events():
        emit_json({"event": event.kind, "data": event.data})
        sys.stdout.flush()


def register(cli: click.Group) -> None:
    for command in (
        serve_cmd,
        sync_cmd,
        peers_cmd,
        peer_group,
        doctor_cmd,
        config_group,
        status_cmd,
        events_cmd,
    ):
        cli.add_command(command)
