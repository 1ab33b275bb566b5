"""Refusals over the local API travel as a catalogue key and parameters and are worded by the client in its
own language; what an owner sends in them (an older one's English text, a newer one's unknown key, hostile
parameters) is shown bounded and inert, and never makes the client fail otherwise than with that refusal."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from reliance.limits import DEFAULT_LIMITS
from reliance.localapi import unix
from reliance.localapi.client import AsyncApiClient
from reliance.localapi.ownership import socket_path
from reliance.localapi.protocol import (
    API_VERSION,
    REFUSED,
    ApiError,
    FrameDecoder,
    Response,
    decode_body,
    encode_frame,
    error_from_wire,
    parse_request,
)
from tests.localapi.test_server import good_client, owner  # noqa: F401  (the fixture)

CAP = DEFAULT_LIMITS.localapi_error_chars


async def test_a_refusal_is_worded_in_the_clients_language(owner: Any) -> None:  # noqa: F811
    client = await good_client(owner.home)
    try:
        created = await client.call("project.create", {"name": "Atelier"})
        with pytest.raises(ApiError) as caught:
            await client.call(
                "project.record",
                {"project": created["id"], "kind": "expense", "amount": 500, "unit": "E U R"},
            )
    finally:
        await client.close()
    refusal = caught.value
    assert refusal.code == REFUSED and refusal.key == "ledger.error.unit_spaces"
    assert "ne peut pas contenir d'espace" in refusal.text("fr") and "l'unité" in refusal.text("fr")
    assert "cannot contain spaces" in refusal.text("en") and "cannot contain spaces" in str(refusal)


def hostile(**error: Any) -> Response:
    return Response(
        7,
        False,
        None,
        error.get("code", REFUSED),
        error.get("message", ""),
        error.get("key", ""),
        error.get("params"),
        error.get("field", ""),
    )


HOSTILE = [
    hostile(key="no.such.key", message="old owner's text"),
    hostile(key="ledger.error.empty", params="not a map", message="x"),
    hostile(key="ledger.error.empty", params={"what": {"key": "no.such", "params": {}}}, message="x"),
    hostile(key="ledger.error.empty", params={"what": [1, 2, 3]}, message="x"),
    hostile(key="ledger.error.empty", params={"field": "begins", "what": "x"}, message="x"),
    hostile(key="ledger.error.empty", params={"Bad Name": 1}, message="x"),
    hostile(key="ledger.error.empty", params={str(n): n for n in range(100)}, message="x"),
    hostile(key="ledger.error.empty", params={"what": {"worded": ["un"]}}, message="x"),
    hostile(key="ledger.error.too_long", params={"what": "x", "limit": {"key": "x", "params": None}}),
    hostile(key="ledger.error.missing_field", params={"what": "\x1b[2J\u202eevil" * 1000, "name": 1}),
    hostile(key=["not", "text"], message="\x1b]0;title\x07\nsecond line" + "y" * 100_000),
    hostile(message=12, code=None),
    hostile(
        key="ledger.error.empty", params={"what": {"key": "ledger.what.in_entry", "params": {"id": "e"}}}
    ),
]


@pytest.mark.parametrize("response", HOSTILE)
def test_whatever_the_owner_sends_in_a_refusal_is_shown_bounded_and_inert(response: Response) -> None:
    refusal = error_from_wire(response)
    assert isinstance(refusal, ApiError)
    for lang in ("fr", "en"):
        text = refusal.text(lang)
        assert text and len(text) <= 4 * CAP + 200
        assert not any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 or c == "\u202e" for c in text), text[:80]
    assert refusal.field in ("", "begins")
    assert "field" not in refusal.params


def test_an_old_owners_english_text_is_shown_as_is() -> None:
    refusal = error_from_wire(hostile(message="the policy is not JSON"))
    assert refusal.text("fr") == "the policy is not JSON"


@pytest.fixture
async def fake_owner(tmp_path: Path) -> AsyncIterator[tuple[Path, list[dict[str, Any]]]]:
    """An owner that greets, then answers every request with the next hostile error of `errors`."""
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    errors: list[dict[str, Any]] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(encode_frame({"event": "hello", "data": {"api": API_VERSION, "owner": "serve"}}))
        decoder = FrameDecoder(1 << 20)
        while data := await reader.read(1 << 16):
            for body in decoder.feed(data):
                request = parse_request(decode_body(body, 1 << 20))
                writer.write(encode_frame({"id": request.id, "ok": False, "error": errors.pop(0)}))
        writer.close()

    sock = unix.listen(socket_path(home))
    server = await asyncio.start_unix_server(serve, sock=sock)
    try:
        yield home, errors
    finally:
        server.close()
        os.unlink(socket_path(home))


async def test_a_hostile_refusal_over_the_socket_is_a_refusal_and_the_client_goes_on(
    fake_owner: tuple[Path, list[dict[str, Any]]],
) -> None:
    home, errors = fake_owner
    errors += [
        {"code": REFUSED, "key": "ledger.error.too_long", "params": {"what": "x", "limit": {"worded": 3}}},
        {"code": REFUSED, "key": "nope", "message": "\x1b[31mred\x1b[0m " + "z" * 50_000},
        {
            "code": REFUSED,
            "key": "ledger.error.empty",
            "params": {"what": {"key": "ledger.what.pool", "params": {}}},
        },
    ]
    client = await AsyncApiClient.connect(home, lambda e: None, lambda: None)
    try:
        for expected in ("limit", "red", "le montant à répartir est vide"):
            with pytest.raises(ApiError) as caught:
                await client.call("whoami")
            text = caught.value.text("fr")
            assert "\x1b" not in text and len(text) <= CAP + 10
            assert expected in text or (expected == "limit" and text)
    finally:
        await client.close()
