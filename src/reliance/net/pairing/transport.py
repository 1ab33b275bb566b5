"""The link exchange over TCP, and the invitation's mDNS advert.

The inviter listens (`InvitationServer`) and advertises a service of type `LINK_SERVICE_TYPE` whose TXT
record holds only the invitation's number and the exchange's version (no peer id, no name: nothing that
outlives the invitation); its instance and host names are random. The joiner finds it by that number
(`find_inviter`) or is given an address, and runs the exchange (`join`) on the first address that answers.

Each connection runs its own `InviterSession`; connections beyond `link_max_connections` are closed at once,
and one that stays silent for `link_step_seconds` is dropped, so a slow or hostile joiner never stalls the
others. `wait()` returns when the invitation is over: linked, spent by a failed try, or expired; until
`close()`, a late joiner is still answered, and told which (`linger`).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import secrets
import time
from collections.abc import Awaitable, Callable

from zeroconf import IPVersion, ServiceStateChange, Zeroconf
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

from reliance.limits import DEFAULT_LIMITS, Limits
from reliance.net import config
from reliance.net.discovery import advertised_addresses
from reliance.net.pairing.codes import MAX_NUMBER, Code
from reliance.net.pairing.protocol import (
    PROTOCOL_VERSION,
    DeviceRequest,
    Event,
    Failed,
    Granted,
    Invitation,
    InvitationState,
    InviterSession,
    JoinerSession,
    Linked,
    Reason,
)

__all__ = [
    "LINK_SERVICE_TYPE",
    "InvitationServer",
    "LinkFailed",
    "find_inviter",
    "join",
    "parse_address",
]

log = logging.getLogger(__name__)

LINK_SERVICE_TYPE = "_reliance-link._tcp.local."
CONNECT_SECONDS = 5.0
READ_CHUNK = 64 * 1024

# Makes the grant for a device that proved it has the code; raising refuses it (the invitation is spent).
GrantMaker = Callable[[DeviceRequest], Awaitable[bytes]]
# Takes the grant on the joiner's side; raising refuses it (the inviter is told).
GrantTaker = Callable[[bytes], Awaitable[None]]


class LinkFailed(Exception):
    """The link ended without linking, for `reason` (`from_peer`: the other side said so)."""

    def __init__(self, reason: Reason, from_peer: bool = False) -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.from_peer = from_peer


def parse_address(text: str) -> tuple[str, int]:
    """`HOST:PORT` or `[v6]:PORT` as typed, read as `reliance peer add` reads it, but with its port said:
    an invitation listens on a port of its own, never the node's. ValueError otherwise."""
    host, port = config.parse_address(text, default_port=0)
    if port == 0:
        raise ValueError(text)
    return host, port


def _routable(host: str) -> bool:
    """An IPv4 address other machines may reach (a host name, or loopback, is not advertised)."""
    try:
        return not ipaddress.IPv4Address(host).is_loopback
    except ValueError:
        return False


class InvitationServer:
    """Listens for joiners of one invitation until it is over; `wait()` gives how it ended."""

    def __init__(
        self,
        invitation: Invitation,
        make_grant: GrantMaker,
        *,
        host: str = "0.0.0.0",
        port: int = 0,
        mdns: bool = True,
        service_type: str = LINK_SERVICE_TYPE,
        on_linked: Callable[[Linked], None] | None = None,
        mdns_interfaces: list[str] | None = None,
        on_late: Callable[[Reason], None] | None = None,
    ) -> None:
        self.invitation = invitation
        self.limits = invitation.limits
        self.make_grant = make_grant
        self.host = host
        self.port = port
        self.mdns = mdns
        self.service_type = service_type
        self.server: asyncio.Server | None = None
        self.connections: set[asyncio.Task[None]] = set()
        self.over = asyncio.Event()
        self.zeroconf: AsyncZeroconf | None = None
        self.addresses: list[str] = []
        self.on_linked = on_linked
        self.on_late = on_late
        self.mdns_interfaces = mdns_interfaces  # None: the addresses it listens on, but loopback
        self.late = asyncio.Event()  # a joiner came after the invitation was over, and was told why

    async def start(self) -> list[str]:
        """Listen (and advertise); the `HOST:PORT` addresses a joiner may type."""
        self.server = await asyncio.start_server(self._connection, self.host, self.port)
        port = self.server.sockets[0].getsockname()[1]
        self.port = port
        hosts = list(advertised_addresses(None)) if self.host in ("0.0.0.0", "") else [self.host]
        self.addresses = [f"{h}:{port}" for h in hosts]
        routable = [h for h in hosts if _routable(h)]
        if self.mdns_interfaces is not None:
            routable = list(self.mdns_interfaces)
        routable = routable if self.mdns else []
        if routable:
            try:
                await self._advertise(routable, port)
            except Exception as exc:  # no multicast here: the typed address still works
                log.warning("the invitation could not be advertised on the network: %s", exc)
        return self.addresses

    async def _advertise(self, hosts: list[str], port: int) -> None:
        self.zeroconf = AsyncZeroconf(interfaces=hosts, ip_version=IPVersion.V4Only)
        info = AsyncServiceInfo(
            self.service_type,
            f"reliance-link-{secrets.token_hex(6)}.{self.service_type}",
            port=port,
            properties={"inv": str(self.invitation.code.number), "pv": str(PROTOCOL_VERSION)},
            server=f"reliance-{secrets.token_hex(6)}.local.",
            parsed_addresses=hosts,
        )
        await self.zeroconf.async_register_service(info, allow_name_change=True)

    async def wait(self) -> Linked | Failed:
        """Until the invitation is over: linked, spent, or expired."""
        while True:
            if self.invitation.state in (InvitationState.LINKED, InvitationState.SPENT):
                outcome = self.invitation.outcome
                assert isinstance(outcome, Linked | Failed)
                return outcome
            if self.invitation.expired:
                return Failed(Reason.EXPIRED)
            left = max(0.05, self.invitation.expires_at - self.invitation.clock())
            if self.invitation.state is InvitationState.CLAIMED:
                left = self.limits.link_step_seconds  # a link under way ends by its own steps
            self.over.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.over.wait(), timeout=min(left, 1.0))

    @property
    def listening(self) -> bool:
        return self.server is not None and self.server.is_serving()

    async def linger(self, seconds: float) -> bool:
        """Once the invitation is over unlinked: go on answering late joiners (each is told it expired, or
        was used) for up to `seconds`; returns at once after telling one (True), else when time is up."""
        self.late.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.late.wait(), timeout=max(0.0, seconds))
            return True
        return False

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
        for task in list(self.connections):
            task.cancel()
        await asyncio.gather(*self.connections, return_exceptions=True)
        if self.zeroconf is not None:
            with contextlib.suppress(Exception):
                await self.zeroconf.async_close()
            self.zeroconf = None
        if self.server is not None:
            with contextlib.suppress(Exception):
                await self.server.wait_closed()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        # An invitation that is over still answers (its session refuses the hello as expired or used):
        # a late joiner is told why, rather than finding nobody.
        if len(self.connections) >= self.limits.link_max_connections:
            writer.close()
            return
        self.connections.add(task)
        try:
            await self._serve(InviterSession(self.invitation), reader, writer)
        except (OSError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # the connection ends here: cancelled by `close`, or its joiner went away
        finally:
            self.connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
            self.over.set()

    async def _serve(
        self, session: InviterSession, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        step = self.limits.link_step_seconds
        while not session.finished:
            try:
                data = await asyncio.wait_for(reader.read(READ_CHUNK), timeout=session.patience())
            except TimeoutError:
                session.timed_out()
                await _flush(session, writer, step)
                return
            # SPAKE2 and sealing a large grant take CPU time: in a thread, so that the loop (the node, the
            # app, the other connections) goes on meanwhile.
            if data:
                events = await asyncio.to_thread(session.receive_data, data)
            else:
                events = session.connection_lost()
            for event in events:
                if isinstance(event, DeviceRequest):
                    try:
                        grant = await self.make_grant(event)
                    except Exception as exc:  # the caller's to report: it knows why
                        log.info("the grant could not be made: %s", exc)
                        session.refuse_grant()
                    else:
                        await asyncio.to_thread(session.send_grant, grant)
                elif isinstance(event, Linked) and self.on_linked is not None:
                    self.on_linked(event)
                elif _late(session, event):
                    assert isinstance(event, Failed)
                    if self.on_late is not None:
                        self.on_late(event.reason)
                    self.late.set()
            await _flush(session, writer, step)
            self.over.set()


def _late(session: InviterSession, event: Event) -> bool:
    """A joiner this connection told that the invitation expired or was already used (it claimed nothing)."""
    return (
        isinstance(event, Failed)
        and not event.from_peer
        and not session.claimed
        and event.reason in (Reason.EXPIRED, Reason.SPENT)
    )


async def _flush(session: InviterSession | JoinerSession, writer: asyncio.StreamWriter, step: float) -> None:
    data = session.data_to_send()
    if data:
        writer.write(data)
        with contextlib.suppress(OSError, TimeoutError):
            await asyncio.wait_for(writer.drain(), timeout=step)


async def join(
    code: Code,
    device_name: str,
    public_key: bytes,
    addresses: list[tuple[str, int]],
    take_grant: GrantTaker,
    *,
    limits: Limits = DEFAULT_LIMITS,
) -> None:
    """Run the exchange with the first address that answers; raises `LinkFailed`, or returns once the
    grant was taken and the inviter told."""
    connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    for host, port in addresses:
        try:
            connection = await asyncio.wait_for(asyncio.open_connection(host, port), timeout=CONNECT_SECONDS)
            break
        except (OSError, TimeoutError):
            continue
    if connection is None:
        raise LinkFailed(Reason.CLOSED)
    reader, writer = connection
    session = JoinerSession(code, device_name, public_key, limits=limits)
    step = limits.link_step_seconds
    try:
        await asyncio.to_thread(session.start)
        await _flush(session, writer, step)
        while not session.finished:
            try:
                data = await asyncio.wait_for(reader.read(READ_CHUNK), timeout=session.patience())
            except TimeoutError:
                session.timed_out()
                await _flush(session, writer, step)
                break
            except OSError:
                data = b""
            events: list[Event] = (
                await asyncio.to_thread(session.receive_data, data) if data else session.connection_lost()
            )
            for event in events:
                if isinstance(event, Granted):
                    try:
                        await take_grant(event.grant)
                    except Exception:
                        session.refuse_grant()
                        await _flush(session, writer, step)
                        raise
                    session.finish()
            await _flush(session, writer, step)
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()
    if session.failure is not None:
        raise LinkFailed(session.failure.reason, session.failure.from_peer)


async def find_inviter(
    number: int,
    *,
    timeout: float = 10.0,
    service_type: str = LINK_SERVICE_TYPE,
    interfaces: list[str] | None = None,
) -> list[list[tuple[str, int]]]:
    """The inviters advertising invitation `number` on the LAN, each as its addresses; waits until one
    is found (then a little more, to notice a second one with the same number) or `timeout` passes."""
    found: dict[str, list[tuple[str, int]]] = {}
    arrived = asyncio.Event()
    tasks: set[asyncio.Task[None]] = set()
    hosts = list(advertised_addresses(interfaces))
    aiozc = AsyncZeroconf(interfaces=hosts, ip_version=IPVersion.V4Only)

    async def resolve(name: str, zc: Zeroconf) -> None:
        info = AsyncServiceInfo(service_type, name)
        if not await info.async_request(zc, 3000):
            return
        props = info.properties
        inv, pv = props.get(b"inv"), props.get(b"pv")
        if (
            inv is None
            or pv is None
            or not inv.isdigit()
            or len(inv) > 2
            or pv != str(PROTOCOL_VERSION).encode()
        ):
            return
        if int(inv) != number or not 1 <= number <= MAX_NUMBER or not info.port:
            return
        addresses = [(a, info.port) for a in info.parsed_addresses(IPVersion.V4Only)][:8]
        if addresses and len(found) < 16:
            found[name.lower()] = addresses
            arrived.set()

    def changed(zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange) -> None:
        if state_change is ServiceStateChange.Added and len(tasks) < 32:
            task = asyncio.ensure_future(resolve(name, zeroconf))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    browser = AsyncServiceBrowser(aiozc.zeroconf, service_type, handlers=[changed])
    try:
        deadline = time.monotonic() + timeout
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(arrived.wait(), timeout=timeout)
            await asyncio.sleep(min(1.0, max(0.0, deadline - time.monotonic())))  # a second one, if any
    finally:
        await browser.async_cancel()
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await aiozc.async_close()
    return list(found.values())
