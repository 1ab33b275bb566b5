"""The link exchange over real loopback connections: a silent or garbage-sending connection does not stall
the invitation, a wrong code ends it on both sides, and the server stops when the invitation is over."""

from __future__ import annotations

import asyncio

import pytest

from reliance.limits import DEFAULT_LIMITS
from reliance.net.pairing.codes import Code, new_code
from reliance.net.pairing.protocol import DeviceRequest, Failed, Invitation, InvitationState, Linked, Reason
from reliance.net.pairing.transport import InvitationServer, LinkFailed, find_inviter, join, parse_address

KEY = bytes(range(32))
LIMITS = DEFAULT_LIMITS.replace(link_step_seconds=2, link_max_connections=3)


async def granting(request: DeviceRequest) -> bytes:
    return b"grant for " + request.name.encode()


async def serve(code: Code) -> tuple[InvitationServer, tuple[str, int]]:
    server = InvitationServer(Invitation(code, limits=LIMITS), granting, host="127.0.0.1", mdns=False)
    [address] = await server.start()
    return server, parse_address(address)


async def test_a_joiner_with_the_right_code_gets_the_grant_and_the_inviter_sees_it_linked() -> None:
    code = new_code()
    server, address = await serve(code)
    taken: list[bytes] = []

    async def take(grant: bytes) -> None:
        taken.append(grant)

    try:
        await join(code, "laptop", KEY, [address], take, limits=LIMITS)
        assert await asyncio.wait_for(server.wait(), 5) == Linked("laptop")
    finally:
        await server.close()
    assert taken == [b"grant for laptop"]


async def test_a_wrong_code_fails_on_both_sides_at_once() -> None:
    code = Code(7, ("guitar", "ocean"))
    server, address = await serve(code)

    async def take(grant: bytes) -> None:
        raise AssertionError("no grant for a wrong code")

    try:
        with pytest.raises(LinkFailed) as raised:
            await join(Code(7, ("guitar", "orange")), "laptop", KEY, [address], take, limits=LIMITS)
        assert raised.value.reason is Reason.WRONG_CODE
        assert await asyncio.wait_for(server.wait(), 5) == Failed(Reason.WRONG_CODE, from_peer=True)
    finally:
        await server.close()


async def test_silent_and_garbage_connections_do_not_stall_or_spend_the_invitation() -> None:
    code = new_code()
    server, (host, port) = await serve(code)
    silent = [await asyncio.open_connection(host, port) for _ in range(2)]
    answer, garbage = await asyncio.open_connection(host, port)
    garbage.write(b"\x00\x00\x00\x05hello")
    await garbage.drain()
    assert b"malformed" in await asyncio.wait_for(answer.read(), 5)  # refused, then closed

    async def take(grant: bytes) -> None:
        pass

    try:
        # the garbage connection is answered and closed; its slot comes back for the real joiner
        await asyncio.wait_for(join(code, "laptop", KEY, [(host, port)], take, limits=LIMITS), 10)
        assert await asyncio.wait_for(server.wait(), 5) == Linked("laptop")
    finally:
        for _, writer in silent:
            writer.close()
        garbage.close()
        await server.close()


async def test_connections_beyond_the_limit_are_closed_at_once() -> None:
    server, (host, port) = await serve(new_code())
    held = [await asyncio.open_connection(host, port) for _ in range(LIMITS.link_max_connections)]
    try:
        await asyncio.sleep(0)  # the server accepted them
        reader, writer = await asyncio.open_connection(host, port)
        assert await asyncio.wait_for(reader.read(), 5) == b""  # closed without a word
        writer.close()
    finally:
        for _, w in held:
            w.close()
        await server.close()


async def test_an_expired_invitation_ends_the_server_and_refuses_a_late_joiner() -> None:
    code = new_code()
    invitation = Invitation(code, limits=LIMITS.replace(link_invitation_seconds=1))
    server = InvitationServer(invitation, granting, host="127.0.0.1", mdns=False)
    [address] = await server.start()
    try:
        assert await asyncio.wait_for(server.wait(), 5) == Failed(Reason.EXPIRED)

        async def take(grant: bytes) -> None:
            raise AssertionError

        with pytest.raises(LinkFailed) as raised:
            await join(code, "laptop", KEY, [parse_address(address)], take, limits=LIMITS)
        assert raised.value.reason in (Reason.EXPIRED, Reason.CLOSED)
    finally:
        await server.close()
    assert invitation.state is InvitationState.OPEN


@pytest.mark.parametrize("text", ["", "host", "host:", ":80", "host:0", "host:65536", "host:8x"])
def test_a_typed_address_is_checked(text: str) -> None:
    with pytest.raises(ValueError):
        parse_address(text)


async def test_the_joiner_finds_the_invitation_by_its_number_and_the_advert_names_nobody() -> None:
    import secrets

    service_type = f"_rl{secrets.token_hex(3)}._tcp.local."
    code = new_code()
    server = InvitationServer(
        Invitation(code, limits=LIMITS),
        granting,
        host="127.0.0.1",
        service_type=service_type,
        mdns_interfaces=["127.0.0.1"],
    )
    await server.start()
    try:
        found = await find_inviter(
            code.number, timeout=10, service_type=service_type, interfaces=["127.0.0.1"]
        )
        if not found:
            pytest.skip("no multicast on loopback here")
        assert found == [[("127.0.0.1", server.port)]]
        assert (
            await find_inviter(
                code.number % 99 + 1, timeout=2, service_type=service_type, interfaces=["127.0.0.1"]
            )
            == []
        )
        assert server.zeroconf is not None
        [info] = server.zeroconf.zeroconf.registry.async_get_infos_type(service_type)
        assert set(info.properties) == {b"inv", b"pv"}  # no peer id, no name
        assert info.name.startswith("reliance-link-")  # then random: nothing that outlives the invitation
    finally:
        await server.close()


@pytest.mark.parametrize(
    "typed", ["127.0.0.1", "pas une adresse:7447", "10.0.0.1:0", "10.0.0.1:70000", "x" * 400 + ":5"]
)
def test_the_joiners_typed_address_needs_a_host_and_the_invitations_port(typed: str) -> None:
    with pytest.raises(ValueError):
        parse_address(typed)


def test_the_joiners_typed_address_reads_as_peer_add_reads_it() -> None:
    assert parse_address(" 192.168.1.20:40123 ") == ("192.168.1.20", 40123)
    assert parse_address("[fe80::1]:40123") == ("fe80::1", 40123)
