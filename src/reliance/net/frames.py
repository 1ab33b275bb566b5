"""Frames of an established connection, sans-IO: bytes in, frames and messages out; messages in, bytes out.

Wire format (everything big-endian)::

    transport:  [u16 length][Noise transport message = ChaChaPoly(plaintext) + 16-byte tag]
    plaintext:  [u8 header][body]     header = FLAG_MORE (0x80) | kind (low 7 bits)

Frame kinds: ``DATA`` (0), ``PING`` (1), ``PONG`` (2), ``CLOSE`` (3), ``REFUSE`` (4), ``ACCEPT`` (5).
An application message of ``n`` bytes (``0 <= n <= max_message``) is sent as DATA fragments: the first
one carries ``[u32 n]`` then up to 65,514 bytes of the message, the following ones up to 65,518 bytes each;
every fragment but the last has ``FLAG_MORE``. The receiver rejects a declared ``n`` above its
``max_message`` before buffering anything, and checks that the fragments add up exactly to ``n``.

:class:`FrameWriter` encrypts frames and cuts messages into fragments; :class:`FrameReader` takes bytes as
they come (cut anywhere) and gives authenticated frames; :class:`MessageAssembler` puts DATA fragments back
together within ``max_message``. None of them does I/O: the connection reads, waits and writes.
"""

from __future__ import annotations

import struct
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final, Protocol

from reliance.net.errors import ConnectionLost, FrameTooLarge

__all__ = [
    "FIRST_CHUNK",
    "FLAG_MORE",
    "KIND_ACCEPT",
    "KIND_CLOSE",
    "KIND_DATA",
    "KIND_PING",
    "KIND_PONG",
    "KIND_REFUSE",
    "MAX_NOISE_MESSAGE",
    "MAX_PING_BODY",
    "NEXT_CHUNK",
    "TAG_LEN",
    "Cipher",
    "Frame",
    "FrameReader",
    "FrameWriter",
    "MessageAssembler",
    "prefixed",
]

# Frame header.
FLAG_MORE: Final = 0x80
KIND_DATA: Final = 0
KIND_PING: Final = 1
KIND_PONG: Final = 2
KIND_CLOSE: Final = 3
KIND_REFUSE: Final = 4
KIND_ACCEPT: Final = 5

MAX_NOISE_MESSAGE: Final = 65535
TAG_LEN: Final = 16
MAX_PLAINTEXT: Final = MAX_NOISE_MESSAGE - TAG_LEN  # 65,519
FIRST_CHUNK: Final = MAX_PLAINTEXT - 1 - 4  # header byte + u32 total length
NEXT_CHUNK: Final = MAX_PLAINTEXT - 1  # header byte
MAX_PING_BODY: Final = 8

U16: Final = struct.Struct(">H")
U32: Final = struct.Struct(">I")


class Cipher(Protocol):
    """The transport half of a finished Noise handshake (``noise.connection.NoiseConnection``)."""

    def encrypt(self, data: bytes) -> bytes: ...

    def decrypt(self, data: bytes) -> bytes: ...


def prefixed(message: bytes) -> bytes:
    """``message`` with its u16 length in front (handshake messages and transport frames alike)."""
    return U16.pack(len(message)) + message


@dataclass(frozen=True, slots=True)
class Frame:
    """One decrypted frame: its kind, its more-fragments flag and its body."""

    kind: int
    more: bool
    body: bytes

    @property
    def header(self) -> int:
        return self.kind | (FLAG_MORE if self.more else 0)


class FrameWriter:
    """Encrypts frames. Each call encrypts one frame: write it before encrypting the next one, since
    Noise nonces follow the order of encryption."""

    def __init__(self, cipher: Cipher) -> None:
        self._cipher = cipher

    def frame(self, header: int, body: bytes = b"") -> bytes:
        """One frame, ready for the wire: ``header`` is a kind, with FLAG_MORE or not."""
        if len(body) > NEXT_CHUNK:
            raise ValueError(f"frame body of {len(body)} bytes exceeds {NEXT_CHUNK}")
        return prefixed(bytes(self._cipher.encrypt(bytes((header,)) + body)))

    def message(self, data: bytes | bytearray, max_message: int) -> Iterator[bytes]:
        """The DATA frames of one message, encrypted one at a time as they are asked for (so that the
        caller writes each one before the next is encrypted). FrameTooLarge above ``max_message``."""
        size = len(data)
        if size > max_message:
            raise FrameTooLarge(f"message of {size} bytes exceeds max_message {max_message}")
        return self._fragments(memoryview(data))

    def _fragments(self, view: memoryview) -> Iterator[bytes]:
        size = len(view)
        offset = min(size, FIRST_CHUNK)
        more = FLAG_MORE if offset < size else 0
        yield self.frame(KIND_DATA | more, U32.pack(size) + view[:offset])
        while offset < size:
            chunk = view[offset : offset + NEXT_CHUNK]
            offset += len(chunk)
            more = FLAG_MORE if offset < size else 0
            yield self.frame(KIND_DATA | more, bytes(chunk))


class FrameReader:
    """Authenticated frames from the bytes of the wire, fed as they come (cut anywhere).

    ``wanted`` says how many more bytes the next frame needs: a reader that feeds no more than that never
    holds more than one frame (2 + 65,535 bytes), and a frame fed whole in one piece is kept without a
    copy. A frame length that cannot hold a tag, or a frame that fails authentication, is a ConnectionLost
    (raised by :meth:`next_frame` once the frames before it were taken).
    """

    def __init__(self, cipher: Cipher) -> None:
        self._cipher = cipher
        self._head = bytearray()  # the next frame's length prefix, until it has its 2 bytes
        self._size = -1  # the next frame's length, once its prefix is complete
        self._body = bytearray()  # the part of its ciphertext fed so far
        self._complete: deque[bytes] = deque()  # whole frames' ciphertexts, not taken yet
        self._error: ConnectionLost | None = None

    @property
    def buffered(self) -> int:
        """Bytes held: the start of a frame not complete yet, and whole frames not taken yet."""
        return len(self._head) + len(self._body) + sum(len(c) for c in self._complete)

    @property
    def wanted(self) -> int:
        """Bytes still missing before the next frame is complete (at least 1)."""
        if self._size < 0:
            return 2 - len(self._head)
        return self._size - len(self._body)

    def feed(self, data: bytes) -> None:
        end, i = len(data), 0
        while i < end and self._error is None:
            if self._size < 0:
                take = min(2 - len(self._head), end - i)
                self._head += data[i : i + take]
                i += take
                if len(self._head) == 2:
                    size: int = U16.unpack(self._head)[0]
                    self._head.clear()
                    if size <= TAG_LEN:
                        self._error = ConnectionLost(f"protocol violation: frame of {size} bytes")
                    self._size = size
                continue
            need = self._size - len(self._body)
            take = min(need, end - i)
            if take == need and not self._body:
                whole = bytes(data) if take == end else data[i : i + take]  # no copy of a frame fed whole
            else:
                self._body += data[i : i + take]
                whole = b""
                if take == need:
                    whole = bytes(self._body)
                    self._body.clear()
            i += take
            if take == need:
                self._complete.append(whole)
                self._size = -1

    def next_frame(self) -> Frame | None:
        """The next complete frame, decrypted, or None until more bytes come."""
        if not self._complete:
            if self._error is not None:
                raise self._error
            return None
        try:
            plaintext = bytes(self._cipher.decrypt(self._complete.popleft()))
        except Exception:
            raise ConnectionLost("frame failed authentication") from None
        header = plaintext[0]
        return Frame(header & ~FLAG_MORE, bool(header & FLAG_MORE), plaintext[1:])


class MessageAssembler:
    """Messages from DATA fragments, within ``max_message``.

    A first fragment declares the message's size: :meth:`declared_size` checks it before anything is kept
    (a size above ``max_message`` is refused there), then :meth:`add` keeps the fragments until the
    message is whole; fragments that overrun, or stop short of, the declared size are refused.
    """

    def __init__(self, max_message: int) -> None:
        self.max_message = max_message
        self._partial: bytearray | None = None
        self._expected = 0

    @property
    def in_message(self) -> bool:
        """True between the first fragment of a message and its last."""
        return self._partial is not None

    @property
    def buffered(self) -> int:
        """Bytes of the message in progress kept so far."""
        return 0 if self._partial is None else len(self._partial)

    def declared_size(self, body: bytes) -> int:
        """The size a first fragment declares, checked against ``max_message``."""
        if len(body) < 4:
            raise ConnectionLost("protocol violation: first fragment without a length")
        declared: int = U32.unpack_from(body)[0]
        if declared > self.max_message:
            raise ConnectionLost("peer declared a message above max_message") from FrameTooLarge(
                f"declared message of {declared} bytes exceeds max_message {self.max_message}"
            )
        return declared

    def kept_by(self, body: bytes) -> int:
        """How many bytes adding this fragment will keep (what a receive budget is asked for)."""
        if self._partial is None:
            return len(body) - 4
        if not body:
            raise ConnectionLost("protocol violation: empty continuation fragment")
        return len(body)

    def add(self, more: bool, body: bytes) -> bytes | None:
        """Add a DATA fragment; the whole message once its last fragment came, None before."""
        if self._partial is None:
            self._expected = self.declared_size(body)
            self._partial = bytearray(body[4:])
        elif not body:
            raise ConnectionLost("protocol violation: empty continuation fragment")
        else:
            self._partial += body
        received = len(self._partial)
        if received > self._expected:
            raise ConnectionLost("protocol violation: fragments exceed the declared length")
        if more and received == self._expected:
            raise ConnectionLost("protocol violation: more-fragments flag on a complete message")
        if more:
            return None
        if received != self._expected:
            raise ConnectionLost("protocol violation: message shorter than declared")
        message = bytes(self._partial)
        self._partial = None
        return message
