"""Items that never left this device, kept in `HOME/drafts.json` (mode 0600) beside the documents.

A participant document is replicated to every peer and carried in bundles, with its whole history: an
item written there has left the device, whatever its status says. So an item whose status is `draft`
(or `archived` before it was ever published) lives here, in a plain file that no sync path, bundle or
export for others reads, and is written to the participant document only when it is published (status
`published` or `matched`). Read-modify-write is serialised between processes (the CLI beside a running
node or app) with `flock` on `HOME/drafts.lock`; the file itself is replaced atomically.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reliance.errors import ModelError, RelianceError
from reliance.fsutil import atomic_write, open_private, private_dir
from reliance.model.catalogue import Item, ItemKind, Status, parse_repeat, validate_capacity

log = logging.getLogger(__name__)

DRAFTS_FILE = "drafts.json"
DRAFTS_LOCK = "drafts.lock"
FORMAT = "reliance-drafts/1"
PUBLISHED = (Status.PUBLISHED, Status.MATCHED)  # the statuses that put an item in the participant document

_TEXT_FIELDS = (
    "title",
    "description",
    "place",
    "begins",
    "ends",
    "reciprocity",
    "project",
    "created",
    "updated",
)


def is_published(status: Status) -> bool:
    return status in PUBLISHED


def _to_data(item: Item) -> dict[str, Any]:
    data: dict[str, Any] = {name: getattr(item, name) for name in _TEXT_FIELDS}
    data.update(id=item.id, kind=item.kind.value, status=item.status.value, tags=list(item.tags))
    if item.repeat is not None:
        data["repeat"] = item.repeat.to_json()
    if item.capacity is not None:
        data["capacity"] = item.capacity
    return data


def _from_data(data: object, author: str) -> Item:
    if not isinstance(data, dict):
        raise ModelError("app.drafts.malformed", what="object")
    texts = {name: data.get(name, "") for name in _TEXT_FIELDS}
    if not all(isinstance(v, str) for v in texts.values()):
        raise ModelError("app.drafts.malformed", what="text")
    tags = data.get("tags", [])
    item_id, kind, status = data.get("id"), data.get("kind"), data.get("status")
    if (
        not isinstance(item_id, str)
        or not isinstance(tags, list)
        or not all(isinstance(t, str) for t in tags)
    ):
        raise ModelError("app.drafts.malformed", what="id_tags")
    repeat, capacity = data.get("repeat"), data.get("capacity")
    if repeat is not None and (
        not isinstance(repeat, dict) or not all(isinstance(repeat.get(k), str) for k in ("freq", "until"))
    ):
        raise ModelError("app.drafts.malformed", what="repeat")
    try:
        return Item(
            id=item_id,
            kind=ItemKind(str(kind)),
            author=author,
            status=Status(str(status)),
            tags=tuple(tags),
            repeat=parse_repeat(repeat["freq"], repeat["until"], texts["begins"]) if repeat else None,
            capacity=validate_capacity(capacity) if capacity is not None else None,
            **texts,
        )
    except ValueError as exc:
        raise ModelError("app.drafts.unreadable", reason=exc) from None


class DraftStore:
    """The unpublished items of the participant whose home this is."""

    def __init__(self, home: Path, author: str) -> None:
        self.home = home
        self.author = author

    @property
    def path(self) -> Path:
        return self.home / DRAFTS_FILE

    def signature(self) -> tuple[int, int, int]:
        """Inode, size and mtime of the file (zeros when absent): changes when another process writes."""
        try:
            st = os.stat(self.path)
        except OSError:
            return (0, 0, 0)
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def items(self) -> list[Item]:
        return list(self._read().values())

    def get(self, item_id: str) -> Item | None:
        return self._read().get(item_id)

    def put(self, item: Item) -> None:
        with self._locked():
            current = self._read()
            current[item.id] = item
            self._write(current)

    def put_many(self, items: list[Item]) -> None:
        if not items:
            return
        with self._locked():
            current = self._read()
            current.update((item.id, item) for item in items)
            self._write(current)

    def remove(self, item_id: str) -> None:
        with self._locked():
            current = self._read()
            if current.pop(item_id, None) is not None:
                self._write(current)

    def _read(self) -> dict[str, Item]:
        try:
            raw = self.path.read_text("utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise RelianceError("app.drafts.cannot_read", path=self.path, reason=exc.strerror) from None
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise RelianceError("app.drafts.damaged", path=self.path, reason=exc) from None
        entries = data.get("items") if isinstance(data, dict) else None
        if not isinstance(entries, list):
            raise RelianceError("app.drafts.damaged", path=self.path, reason="items")
        found: dict[str, Item] = {}
        for entry in entries:
            try:
                item = _from_data(entry, self.author)
            except ModelError as exc:
                log.warning("a draft in %s cannot be read and is left out: %s", self.path, exc)
                continue
            found[item.id] = item
        return found

    def _write(self, items: dict[str, Item]) -> None:
        if not items:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
            return
        data = {"format": FORMAT, "items": [_to_data(i) for i in sorted(items.values(), key=lambda i: i.id)]}
        text = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
        atomic_write(self.path, text.encode("utf-8"))  # 0600 from creation on, never through a link

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        private_dir(self.home)
        fd = open_private(self.home / DRAFTS_LOCK, os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)
