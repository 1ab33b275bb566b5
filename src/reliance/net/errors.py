"""The errors of the transport (hello, frames, handshake, connection, server): one family, one base."""

from __future__ import annotations

__all__ = [
    "ConnectFailed",
    "ConnectionClosed",
    "ConnectionLost",
    "FrameTooLarge",
    "HandshakeFailed",
    "HandshakeRefused",
    "PeerMismatch",
    "TransportError",
]


class TransportError(Exception):
    """Base class of every error raised by the transport."""


class ConnectFailed(TransportError):
    """The TCP connection could not be established (refused, unreachable, timed out)."""


class HandshakeFailed(TransportError):
    """The handshake did not complete: malformed or unauthenticated messages, timeout, connection dropped."""


class HandshakeRefused(HandshakeFailed):
    """The handshake completed but the connection was refused; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PeerMismatch(HandshakeFailed):
    """The peer authenticated with another Ed25519 key than the expected (pinned) one."""


class ConnectionLost(TransportError):
    """The connection is gone: peer silent, connection reset, protocol violation."""


class ConnectionClosed(ConnectionLost):
    """The connection was closed cleanly, by this side or by the peer."""


class FrameTooLarge(TransportError):
    """A message is larger than ``max_message``."""
