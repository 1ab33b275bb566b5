"""The app's bridge to its home's store: plain code, no Textual.

`StoreBridge` owns the app's store thread (every read or write of the store runs there, `io`) and what the
app reads of the home into its `AppData`: the first load (the cache's views still valid, then the other
documents in chunks), documents read again (`refresh`), and, offline, the documents other processes wrote
(`changed_on_disk`, by file signature). The Textual app (`app_store.py`) calls it and redraws its screens
after each step; tests drive it with a real home and no app (tests/tui/test_store_bridge.py).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from reliance.app.arrivals import Arrival, ArrivalBook
from reliance.tui.common.data import (
    AppData,
    ParticipantView,
    Signature,
    StoreReader,
    View,
    load_cache,
    load_follows,
    save_cache,
)

R = TypeVar("R")
LOAD_CHUNK = 16  # documents read in one job of the store thread during the first load

__all__ = ["LOAD_CHUNK", "StoreBridge"]


class StoreBridge:
    """The store thread, and the app's data kept up to date from the store."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reliance-store")
        self.reader: StoreReader | None = None
        self.data: AppData | None = None
        self.me = ""
        self.unreadable: dict[str, Signature] = {}  # documents that could not be read, as they were

    def open(self, me: str, reader: StoreReader, data: AppData) -> None:
        """The session's home (`me`: its peer id) is read through `reader` into `data`."""
        self.me, self.reader, self.data = me, reader, data

    async def io(self, fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        """Run a store or disk call in the store thread; the loop keeps running."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, functools.partial(fn, *args, **kwargs))

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)

    # -- reading -----------------------------------------------------------------------------------------
    async def load(
        self, progress: Callable[[set[str] | None], None], on_error: Callable[[Exception], None]
    ) -> list[Arrival]:
        """The first load: the cached views still valid at once, then the other documents in chunks of
        `LOAD_CHUNK` (ours first, then people, then projects); `progress` is told after each step (the
        documents just read, or None). A home that cannot be scanned (`on_error` is told) loads empty.
        Then what arrived since the app was last open (reliance.app.arrivals) goes into the feed with every
        arrival kept; returned: what arrived now (the answers among them are announced)."""
        data = self._data()
        try:
            hits, stale, follows = await self.io(self._scan)
        except Exception as exc:
            on_error(exc)
            hits, stale, follows = [], [], set()
        data.follows = follows
        data.apply(hits)
        progress(None)
        for start in range(0, len(stale), LOAD_CHUNK):
            chunk = stale[start : start + LOAD_CHUNK]
            views, bad = await self.io(self._read_many, chunk)
            self.unreadable.update(bad)
            data.apply(views)
            progress(set(chunk))
        data.loaded = True
        data.seed_feed()
        try:
            kept, arrived = await self.io(self._catch_up_all, set(follows))
        except Exception as exc:
            on_error(exc)
            return []
        data.add_arrivals(kept)
        return arrived

    async def refresh(self, doc_ids: set[str]) -> list[Arrival]:
        """Read these documents again into the data, and what arrived with them into the feed (before the
        first load is done, it looks at every document itself); returned: what arrived."""
        if not doc_ids or self.reader is None:
            return []
        data = self._data()
        views, bad = await self.io(self._read_many, sorted(doc_ids))
        self.unreadable.update(bad)
        data.apply(views)
        if not data.loaded:
            return []
        arrived = await self.io(
            self.arrivals().catch_up, self._reader().repo, doc_ids, follows=set(data.follows)
        )
        data.add_arrivals(arrived)
        return arrived

    def arrivals(self) -> ArrivalBook:
        """What arrived in this home, for its owner (HOME/arrivals.json)."""
        return ArrivalBook(self.home, self.me, self._reader().repo.limits)

    async def mark_read(self, keys: set[str] | None) -> None:
        """These arrivals (None: all of them) were seen: their marks go, in the data and in the home."""
        self._data().mark_read(keys)
        await self.io(self.arrivals().mark_read, keys)

    async def changed_on_disk(self) -> set[str]:
        """The documents whose files differ from what the data holds (another process wrote them)."""
        data = self._data()
        known: dict[str, Signature] = {d: v.sig for d, v in data.participants.items()}
        known.update({d: v.sig for d, v in data.projects.items()})
        known.update(self.unreadable)
        return await self.io(self._changed_signatures, known)

    async def save_cache(self) -> None:
        """The participants' views, for a fast start next time."""
        if self.data is not None:
            await self.io(save_cache, self.home, list(self.data.participants.values()))

    # -- in the store thread -----------------------------------------------------------------------------
    def _scan(self) -> tuple[list[ParticipantView], list[str], set[str]]:
        """Cached views still valid, documents to read, and the follow list."""
        reader = self._reader()
        cache = load_cache(self.home)
        hits: list[ParticipantView] = []
        stale: list[str] = []
        for doc_id in reader.doc_ids():
            cached = cache.get(doc_id)
            if cached is not None and doc_id != self.me and cached.sig == reader.signature(doc_id):
                hits.append(cached)
            else:
                stale.append(doc_id)
        stale.sort(key=lambda d: (d != self.me, d.startswith("pj"), d))
        return hits, stale, load_follows(self.home)

    def _read_many(self, doc_ids: Iterable[str]) -> tuple[list[View], dict[str, Signature]]:
        reader = self._reader()
        views: list[View] = []
        bad: dict[str, Signature] = {}
        for doc_id in doc_ids:
            view = reader.read(doc_id)
            if view is None:
                bad[doc_id] = reader.signature(doc_id)
            else:
                views.append(view)
        return views, bad

    def _catch_up_all(self, follows: set[str]) -> tuple[list[Arrival], list[Arrival]]:
        """Every arrival kept (the latest first, unread ones among them), and what arrived since last time."""
        book = self.arrivals()
        arrived = book.catch_up(self._reader().repo, follows=follows)
        return book.state().entries, arrived

    def _changed_signatures(self, known: dict[str, Signature]) -> set[str]:
        reader = self._reader()
        return {d for d in reader.doc_ids() if known.get(d) != reader.signature(d)}

    def _reader(self) -> StoreReader:
        assert self.reader is not None, "StoreBridge.open first"
        return self.reader

    def _data(self) -> AppData:
        assert self.data is not None, "StoreBridge.open first"
        return self.data
