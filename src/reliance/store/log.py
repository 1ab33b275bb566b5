"""Append-only log of records: framing, checksums and recovery of a torn tail.

A record is `b"RL"`, a 4-byte big-endian payload length, a 4-byte CRC-32 of the payload, then
the payload. A crash mid-append leaves at worst one incomplete or corrupt record at the end; it
is found on open and cut off, never fatal.

Records are at most `Limits.max_record` bytes when written. When read, a complete record with a good
checksum is returned whatever its length (the file is in memory already): a limit lowered since it
was written must not make the reader cut it, and everything after it, as a torn tail.
"""

from __future__ import annotations

import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

from reliance.fsutil import open_private
from reliance.limits import DEFAULT_LIMITS

MAGIC = b"RL"
HEADER = struct.Struct(">2sII")


@dataclass(frozen=True)
class ScanResult:
    payloads: list[bytes]
    end: int  # offset just after the last good record
    damaged: bool  # bytes after `end` are not a complete, valid record


def encode_record(payload: bytes, max_record: int = DEFAULT_LIMITS.max_record) -> bytes:
    if len(payload) > max_record:
        raise ValueError(f"a record of {len(payload)} bytes is over the {max_record}-byte limit")
    return HEADER.pack(MAGIC, len(payload), zlib.crc32(payload)) + payload


def scan(data: bytes, start: int = 0) -> ScanResult:
    """Read every complete, valid record from `start`; stop at the first bad or partial one."""
    payloads: list[bytes] = []
    offset = start
    while offset < len(data):
        if len(data) - offset < HEADER.size:
            return ScanResult(payloads, offset, True)
        magic, length, crc = HEADER.unpack_from(data, offset)
        body_start = offset + HEADER.size
        if magic != MAGIC or body_start + length > len(data):
            return ScanResult(payloads, offset, True)
        payload = data[body_start : body_start + length]
        if zlib.crc32(payload) != crc:
            return ScanResult(payloads, offset, True)
        payloads.append(payload)
        offset = body_start + length
    return ScanResult(payloads, offset, False)


def append(
    path: Path, payloads: list[bytes], *, max_record: int = DEFAULT_LIMITS.max_record, sync: bool = True
) -> int:
    """Append records and fsync before returning: the caller may then report success. With `sync`
    False, the caller fsyncs later (`sync_file`), before it reports success."""
    data = b"".join(encode_record(p, max_record) for p in payloads)
    fd = open_private(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        if sync:
            os.fsync(fd)
        return os.fstat(fd).st_size
    finally:
        os.close(fd)


def sync_file(path: Path) -> None:
    """Make what was appended to `path` without `sync` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def truncate(path: Path, size: int) -> None:
    fd = open_private(path, os.O_WRONLY)
    try:
        os.ftruncate(fd, size)
        os.fsync(fd)
    finally:
        os.close(fd)


def torn_header(data: bytes) -> bool:
    """True if `data` is a prefix of a header record: nothing could follow it."""
    if len(data) < HEADER.size:
        return MAGIC.startswith(data[: len(MAGIC)])
    magic, length, _ = HEADER.unpack_from(data)
    return bool(magic == MAGIC and HEADER.size + length > len(data))
