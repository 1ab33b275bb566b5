"""The Noise XX handshake, both sides, and :func:`connect`.

Every connection runs the Noise handshake ``Noise_XX_25519_ChaChaPoly_SHA256`` (library: ``noiseprotocol``;
no cryptography is written here). The Noise static key is a fresh X25519 key per connection; each side's
handshake payload is its hello (:mod:`reliance.net.hello`), which binds its Ed25519 identity to that key
(and, from a linked device, carries its certificate: checked, and refused when revoked, as the hello's).

Wire format::

    handshake:  [u16 length][Noise handshake message]            x3   (XX: -> e / <- e,ee,s,es / -> s,se)

After the three handshake messages the responder sends one transport frame: ``ACCEPT`` (empty body) or
``REFUSE`` (UTF-8 reason, e.g. an incompatible protocol version, a malformed or unsigned hello, a blocked
peer), then closes if it refused.
The initiator payload's identity is checked (signature over the static key Noise authenticated) before the
responder decides; the initiator checks the responder's identity (and the pinned key, if any) before it sends
its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from noise.connection import Keypair, NoiseConnection

from reliance.net.connection import DEFAULT_CONFIG, SecureConnection, TransportConfig, abort, shutdown
from reliance.net.errors import ConnectFailed, HandshakeFailed, HandshakeRefused, PeerMismatch
from reliance.net.frames import KIND_ACCEPT, KIND_CLOSE, KIND_REFUSE, TAG_LEN, U16, FrameWriter, prefixed
from reliance.net.hello import (
    Hello,
    check_name,
    check_port,
    check_revoked,
    compatible,
    decode_reason,
    encode_reason,
    incompatible_reason,
    make_hello,
    unpack_hello,
    validate_hello,
    verify_hello,
)

__all__ = [
    "MAX_HANDSHAKE_MESSAGE",
    "NOISE_PROTOCOL_NAME",
    "PROLOGUE",
    "connect",
    "initiator_handshake",
    "new_noise",
    "responder_handshake",
]

log = logging.getLogger(__name__)

# (participant key, device key) -> whether that participant revoked that device, as this node knows
Revoked = Callable[[bytes, bytes], bool]

NOISE_PROTOCOL_NAME: Final = b"Noise_XX_25519_ChaChaPoly_SHA256"
PROLOGUE: Final = b"reliance-transport"
MAX_HANDSHAKE_MESSAGE: Final = 2048  # ours are < 900 bytes (a device certificate included)


def new_noise(initiator: bool) -> tuple[Any, bytes]:
    """A Noise XX state with a fresh X25519 static key; returns it and the static public key."""
    static = X25519PrivateKey.generate()
    noise = NoiseConnection.from_name(NOISE_PROTOCOL_NAME)
    if initiator:
        noise.set_as_initiator()
    else:
        noise.set_as_responder()
    noise.set_prologue(PROLOGUE)
    noise.set_keypair_from_private_bytes(Keypair.STATIC, static.private_bytes_raw())
    noise.start_handshake()
    return noise, static.public_key().public_bytes_raw()


def noise_write(noise: Any, payload: bytes) -> bytes:
    return bytes(noise.write_message(payload))


def noise_read(noise: Any, message: bytes) -> bytes:
    try:
        return bytes(noise.read_message(message))
    except Exception:
        raise HandshakeFailed("invalid handshake message") from None


def remote_static_key(handshake_state: Any) -> bytes:
    """The remote static key from a handshake state object kept by the caller.

    noiseprotocol deletes ``noise_protocol.handshake_state`` after the last handshake message, so callers
    keep a reference to the state object before processing messages and read the key from it.
    """
    key = getattr(getattr(handshake_state, "rs", None), "public_bytes", None)
    if not isinstance(key, bytes) or len(key) != 32:
        raise HandshakeFailed("handshake did not authenticate a remote static key")
    return key


def send_raw(writer: asyncio.StreamWriter, message: bytes) -> None:
    writer.write(prefixed(message))


async def read_raw(reader: asyncio.StreamReader, max_size: int) -> bytes:
    size = U16.unpack(await reader.readexactly(2))[0]
    if size == 0 or size > max_size:
        raise HandshakeFailed(f"bad handshake message length {size}")
    return await reader.readexactly(size)


async def read_handshake_frame(reader: asyncio.StreamReader, noise: Any) -> tuple[int, bytes]:
    """The responder's first transport frame (ACCEPT / REFUSE)."""
    size = U16.unpack(await reader.readexactly(2))[0]
    if size <= TAG_LEN:
        raise HandshakeFailed(f"bad frame length {size}")
    plaintext = await reader.readexactly(size)
    try:
        plaintext = bytes(noise.decrypt(plaintext))
    except Exception:
        raise HandshakeFailed("reply failed authentication") from None
    return plaintext[0], plaintext[1:]


async def initiator_handshake(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    identity: Ed25519PrivateKey,
    *,
    name: str,
    listen_port: int | None,
    expected_key: bytes | None,
    config: TransportConfig,
    certificate: bytes | None = None,
    revoked: Revoked | None = None,
) -> tuple[Any, Hello]:
    noise, static_public = new_noise(initiator=True)
    state = noise.noise_protocol.handshake_state  # kept: the library drops it after the last message
    send_raw(writer, noise_write(noise, b""))  # -> e
    await writer.drain()
    payload = noise_read(noise, await read_raw(reader, MAX_HANDSHAKE_MESSAGE))  # <- e, ee, s, es
    remote_static = remote_static_key(state)
    obj = unpack_hello(payload)
    hello: Hello | None = None
    if compatible(obj["v"], config.protocol_version):
        hello = validate_hello(obj)
        verify_hello(hello, remote_static)
        if expected_key is not None and hello.key != expected_key:
            raise PeerMismatch(f"peer authenticated as {hello.key.hex()}, expected {expected_key.hex()}")
        check_revoked(hello, revoked)
    # Otherwise we still send our payload: the responder decides, and tells us why it refuses.
    own = make_hello(
        identity,
        static_public,
        name=name,
        port=listen_port,
        version=config.protocol_version,
        certificate=certificate,
    )
    send_raw(writer, noise_write(noise, own))  # -> s, se
    await writer.drain()
    if not noise.handshake_finished:
        raise HandshakeFailed("handshake did not finish")
    header, body = await read_handshake_frame(reader, noise)
    if header == KIND_REFUSE:
        raise HandshakeRefused(decode_reason(body))
    if header != KIND_ACCEPT or body:
        raise HandshakeFailed(f"unexpected reply to the handshake (frame kind {header})")
    if hello is None:
        reason = incompatible_reason(obj["v"], config.protocol_version)
        with contextlib.suppress(Exception):
            writer.write(FrameWriter(noise).frame(KIND_CLOSE, encode_reason(reason)))
        raise HandshakeRefused(reason)
    return noise, hello


async def connect(
    host: str,
    port: int,
    identity: Ed25519PrivateKey,
    *,
    name: str,
    listen_port: int | None = None,
    expected_key: bytes | None = None,
    config: TransportConfig = DEFAULT_CONFIG,
    certificate: bytes | None = None,
    revoked: Revoked | None = None,
) -> SecureConnection:
    """Open a connection to ``host:port`` and authenticate both sides.

    Raises :class:`ConnectFailed`, :class:`HandshakeFailed` (or its subclasses :class:`HandshakeRefused`,
    :class:`PeerMismatch` when ``expected_key`` is given and the peer's Ed25519 key differs).
    ``certificate``: this device's, sent in our hello; ``revoked(participant, device)``: whether a peer's
    certified device is known here to be revoked (it is then refused).
    """
    check_name(name)
    check_port(listen_port)
    if expected_key is not None and (not isinstance(expected_key, bytes) or len(expected_key) != 32):
        raise ValueError("expected_key must be 32 bytes")
    try:
        async with asyncio.timeout(config.handshake_timeout):
            reader, writer = await asyncio.open_connection(host, port)
    except TimeoutError:
        raise ConnectFailed(f"cannot connect to {host}:{port}: timed out") from None
    except OSError as exc:
        raise ConnectFailed(f"cannot connect to {host}:{port}: {exc.strerror or exc}") from exc
    try:
        try:
            async with asyncio.timeout(config.handshake_timeout):
                noise, hello = await initiator_handshake(
                    reader,
                    writer,
                    identity,
                    name=name,
                    listen_port=listen_port,
                    expected_key=expected_key,
                    config=config,
                    certificate=certificate,
                    revoked=revoked,
                )
        except TimeoutError:
            raise HandshakeFailed(f"handshake timed out after {config.handshake_timeout:g} s") from None
        except asyncio.IncompleteReadError:
            raise HandshakeFailed("connection closed during the handshake") from None
        except (ConnectionError, OSError) as exc:
            raise HandshakeFailed(f"connection error during the handshake: {type(exc).__name__}") from None
    except HandshakeRefused:
        await shutdown(reader, writer, config.close_grace)
        raise
    except BaseException:
        await abort(writer)
        raise
    conn = SecureConnection(reader=reader, writer=writer, noise=noise, hello=hello, config=config)
    conn._start()
    return conn


async def responder_handshake(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    identity: Ed25519PrivateKey,
    *,
    name: str,
    port: int | None,
    accept: Callable[[Hello], str | None],
    config: TransportConfig,
    certificate: bytes | None = None,
    revoked: Revoked | None = None,
) -> tuple[Any, Hello | None, str | None]:
    """Run the handshake; returns (noise, hello, refusal reason). Raises HandshakeFailed on garbage."""
    noise, static_public = new_noise(initiator=False)
    state = noise.noise_protocol.handshake_state  # kept: the library drops it after the last message
    if noise_read(noise, await read_raw(reader, MAX_HANDSHAKE_MESSAGE)):  # -> e
        raise HandshakeFailed("unexpected payload in the first handshake message")
    own = make_hello(
        identity,
        static_public,
        name=name,
        port=port,
        version=config.protocol_version,
        certificate=certificate,
    )
    send_raw(writer, noise_write(noise, own))  # <- e, ee, s, es
    await writer.drain()
    payload = noise_read(noise, await read_raw(reader, MAX_HANDSHAKE_MESSAGE))  # -> s, se
    if not noise.handshake_finished:
        raise HandshakeFailed("handshake did not finish")
    remote_static = remote_static_key(state)
    # From here the channel is authenticated and encrypted: whatever is wrong with the hello, the
    # client is told why (REFUSE with a reason) rather than seeing a silent hang-up.
    try:
        obj = unpack_hello(payload)
    except HandshakeFailed as exc:
        return noise, None, f"handshake rejected: {exc}"
    if not compatible(obj["v"], config.protocol_version):
        return noise, None, incompatible_reason(obj["v"], config.protocol_version)
    try:
        hello = validate_hello(obj)
        verify_hello(hello, remote_static)
        check_revoked(hello, revoked)
    except HandshakeFailed as exc:
        return noise, None, f"handshake rejected: {exc}"
    try:
        refusal = accept(hello)
    except Exception:
        log.warning("transport: accept callback failed", exc_info=True)
        refusal = "internal error"
    if refusal is not None:
        return noise, hello, str(refusal) or "refused"
    return noise, hello, None
