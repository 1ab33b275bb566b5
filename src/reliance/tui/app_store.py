"""The app's session state, its store thread, and what it shows of the store: loading, refreshing, caching.

`StoreApp` is the base of `reliance.tui.app.RelianceApp`. The store thread and the reading are
`StoreBridge` (tui/store_bridge.py, no Textual): every read or write of the store runs in its thread
(`io`); a local write (`write`) tells the node (through `NodeBridge`, tui/node_bridge.py) and refreshes
what is shown; documents are read again (`refresh_docs`) and the screens told (`_after_change`); offline,
other processes' writes are noticed by file signature (`_poll`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from textual.app import App
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.timer import Timer

from reliance.app import settings
from reliance.app.arrivals import Arrival, describe, to_me
from reliance.app.workspace import Workspace
from reliance.clock import SYSTEM_CLOCK, Clock
from reliance.display import clean
from reliance.errors import RelianceError
from reliance.i18n import resolve_lang, t, tn
from reliance.tui.common.base import RelianceScreen
from reliance.tui.common.data import (
    AppData,
    StoreReader,
    save_follows,
)
from reliance.tui.common.widgets import spawn
from reliance.tui.node import NodeFactory, NodeLike, default_node_factory
from reliance.tui.node_bridge import BridgeMessage, NodeBridge
from reliance.tui.store_bridge import StoreBridge

logger = logging.getLogger(__name__)

R = TypeVar("R")
LOAD_CHUNK = 16
ANNOUNCED = 3  # answers to me announced one by one at once; past these, how many more


class StoreApp(App[None]):
    """The session's state and the store thread, under the node bridge and the screens' app."""

    CACHE_SAVE_SECONDS: ClassVar[float] = 10.0
    POLL_SECONDS: ClassVar[float] = 3.0  # offline, other processes' writes are looked for this often

    def __init__(
        self,
        home: Path,
        *,
        passphrase: bytes | None = None,
        node_factory: NodeFactory | None = None,
        lang: str | None = None,
        poll_seconds: float | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        super().__init__()
        self.home = Path(home)
        self.clock = clock  # the home's writes read the time and draw ids here (reliance.clock)
        self.poll_seconds = self.POLL_SECONDS if poll_seconds is None else poll_seconds
        self.passphrase = passphrase
        self.node_factory: NodeFactory = node_factory or default_node_factory
        try:
            self.config: dict[str, Any] = settings.load_config(self.home)
        except RelianceError as exc:
            logger.warning("%s", exc)
            self.config = dict(settings.DEFAULT_CONFIG)
        self.lang = resolve_lang(lang, str(self.config.get("lang") or ""))
        self.theme_choice = "light" if self.config.get("theme") == "light" else "dark"
        self.theme = "textual-light" if self.theme_choice == "light" else "textual-dark"
        self.ws: Workspace | None = None
        self._data: AppData | None = None
        self.reader: StoreReader | None = None
        # The node of the home and what the app hears of it: plain code (tui/node_bridge.py), its messages
        # carried to the screens by `_on_bridge_message` (tui/app_node.py).
        self.bridge = NodeBridge(
            self.node_factory,
            lambda message: self._on_bridge_message(message),
            name_of=lambda peer_id: self._data.name(peer_id) if self._data is not None else peer_id[:14],
        )
        self.store = StoreBridge(self.home)  # the store thread and what the app reads: tui/store_bridge.py
        self._loop: asyncio.AbstractEventLoop | None = None
        self._dirty: set[str] = set()
        self._flush_scheduled = False
        self._polling = False
        self._cache_timer: Timer | None = None
        self._network_pending = False
        self._shut_down = False
        self._pending_work: set[Awaitable[Any]] = set()
        self.started_at = time.perf_counter()
        self.first_frame_at: float | None = None
        self._first_frame = asyncio.Event()
        self.loaded_at: float | None = None

    # -- typed access --------------------------------------------------------------------------------------
    @property
    def node(self) -> NodeLike | None:
        return self.bridge.node

    @node.setter
    def node(self, node: NodeLike | None) -> None:
        self.bridge.node = node

    @property
    def _node_started(self) -> bool:
        return self.bridge.started

    @_node_started.setter
    def _node_started(self, started: bool) -> None:
        self.bridge.started = started

    def _on_bridge_message(self, message: BridgeMessage) -> None:
        """What the node bridge says; the node layer of the app (`NodeApp`) handles it."""

    @property
    def workspace(self) -> Workspace:
        if self.ws is None:
            raise RelianceError(t("error.no_identity", self.lang))
        return self.ws

    @property
    def data(self) -> AppData:
        if self._data is None:
            raise RelianceError(t("error.no_identity", self.lang))
        return self._data

    def t(self, key: str, **params: Any) -> str:
        return t(key, self.lang, **params)

    # -- store thread --------------------------------------------------------------------------------------
    async def io(self, fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        """Run a store or disk call in the store thread; the UI keeps running."""
        return await self.store.io(fn, *args, **kwargs)

    async def operate(self, doc_id: str | None, name: str, args: dict[str, Any]) -> Any:
        """A local write as a named operation of the local API (`localapi.ops`), the one the CLI and the
        web face send: run by the home's owner — this app's own node, or the `serve` it talks to, which
        writes and announces it — or, with no node started, here on the store while holding the home
        (`localapi.holding`: asked of the owner after all if one runs); then what is shown is refreshed
        (`doc_id`, or the `id` the operation returns). Its refusals are catalogue errors either way."""
        from reliance.tui.node import OperationRunner

        node = self.node
        if isinstance(node, OperationRunner) and self._node_started:
            result = await node.run_operation(name, args)
        else:
            from reliance.localapi.holding import run_holding_home

            ws = self.workspace
            outcome = await self.io(run_holding_home, ws, name, args, ws.repo.limits, self.lang)
            for changed in outcome.changed:
                self.tell_node(changed)
            result = outcome.result
        target = doc_id if doc_id is not None else (result.get("id") if isinstance(result, dict) else None)
        if isinstance(target, str) and target:
            await self.refresh_docs({target})
        return result

    def tell_node(self, doc_id: str) -> None:
        if self.node is not None and self._node_started:
            try:
                self.bridge.local_change(doc_id)
            except Exception as exc:
                logger.exception("node.local_change failed")
                self.report(exc)

    def perform(self, work: Awaitable[Any], *, done: str | None = None) -> None:
        """Run an action in a worker; its errors become notifications, never a crash."""

        self._pending_work.add(work)

        async def runner() -> None:
            self._pending_work.discard(work)
            try:
                await work
            except Exception as exc:
                self.report(exc)
                return
            if done:
                self.notify(done)

        spawn(self, runner, group="actions", exit_on_error=False)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every notification of the app (screens and dialogs call this too): names, titles and reasons
        from peers are in them, so they are shown inert and never read as markup."""
        super().notify(
            clean(message, multiline=True),
            title=clean(title),
            severity=severity,
            timeout=timeout,
            markup=markup,
        )

    def report(self, exc: BaseException) -> None:
        from reliance.replication.bundle import BundleInterrupted, BundleRefused  # loaded by then: no cost

        if isinstance(exc, BundleRefused | BundleInterrupted):
            message = exc.message(self.lang)
        elif isinstance(exc, RelianceError):  # worded in the app's language
            message = exc.text(self.lang)
        else:
            logger.error("unexpected error", exc_info=exc)
            message = f"{type(exc).__name__}: {exc}"
        self.notify(message, title=self.t("error.title"), severity="error", timeout=8)

    # -- loading and refreshing (StoreBridge) ----------------------------------------------------------------
    async def _initial_load(self) -> None:
        arrived = await self.store.load(lambda doc_ids: self._after_change(doc_ids, []), self.report)
        self.loaded_at = time.perf_counter()
        self._after_change(None, arrived)
        await self._save_cache()

    async def refresh_docs(self, doc_ids: set[str]) -> None:
        """Read these documents again and show what changed (and what arrived, in the feed)."""
        if not doc_ids or self.reader is None:
            return
        try:
            arrived = await self.store.refresh(doc_ids)
        except RelianceError:
            logger.exception("cannot look at what arrived")
            arrived = []
        self._after_change(set(doc_ids), arrived)

    def mark_read(self, keys: set[str] | None) -> None:
        """These arrivals (None: all of them) were seen: their marks go, here and in the home."""
        if self._data is None:
            return
        if keys is not None:
            keys = {k for k in keys if k}
            if not keys:
                return
        self.perform(self._mark_read(keys))

    async def _mark_read(self, keys: set[str] | None) -> None:
        await self.store.mark_read(keys)
        self._after_change(None, [])

    def _poll(self) -> None:
        """Offline only: notice what other processes (the CLI) wrote by comparing each document's file
        signature. With a node (ours, or the owner's through the local API) every change arrives as an
        event instead."""
        if self._node_started:
            return
        if self._data is None or not self.data.loaded or self._polling or self._shut_down:
            return
        self._polling = True
        spawn(self, self._poll_once, group="poll", exit_on_error=False)

    async def _poll_once(self) -> None:
        try:
            changed = await self.store.changed_on_disk()
            if changed:
                await self.refresh_docs(changed)
        except Exception:
            logger.exception("polling the store failed")
        finally:
            self._polling = False

    def _feature_screens(self) -> Iterator[Screen[Any]]:
        for mode in self.MODES:
            try:
                stack = self.get_screen_stack(mode)
            except KeyError:
                continue
            yield from stack

    def _after_change(self, doc_ids: set[str] | None, arrived: list[Arrival]) -> None:
        for screen in self._feature_screens():
            if isinstance(screen, RelianceScreen):
                try:
                    screen.data_changed(doc_ids)
                except Exception as exc:  # one screen's bug must not take the app down
                    self.report(exc)
        top = self.screen
        refresh_item = getattr(top, "refresh_item", None)  # an item's details dialog
        if callable(refresh_item):
            refresh_item()
        self._announce(to_me(arrived))  # rejections are announced when the node reports them
        for screen in self._feature_screens():
            if isinstance(screen, RelianceScreen) and screen.is_current:
                screen.update_status()  # the count of unread arrivals in the top bar
        if doc_ids:
            self._schedule_cache_save()

    def _announce(self, answers: list[Arrival]) -> None:
        """Answers and replies to me: a notification each (a few), then how many more."""
        shown = answers[:ANNOUNCED]
        for arrival in shown:
            self.notify(describe(arrival.kind, arrival.params, self.lang, clean), timeout=8)
        if len(answers) > len(shown):
            self.notify(tn("feed.more_to_me", len(answers) - len(shown), self.lang), timeout=8)

    def _schedule_cache_save(self) -> None:
        if self._cache_timer is None and not self._shut_down:
            self._cache_timer = self.set_timer(self.CACHE_SAVE_SECONDS, self._cache_due)

    def _cache_due(self) -> None:
        self._cache_timer = None
        spawn(self, self._save_cache, group="cache", exit_on_error=False)

    async def _save_cache(self) -> None:
        if self._data is None:
            return
        try:
            await self.store.save_cache()
        except Exception:
            logger.exception("cannot save the catalogue cache")

    def toggle_follow(self, doc_id: str) -> None:
        follows = self.data.follows
        if doc_id in follows:
            follows.discard(doc_id)
            self.notify(self.t("done.unfollowed", name=self._doc_name(doc_id)))
        else:
            follows.add(doc_id)
            self.notify(self.t("done.followed", name=self._doc_name(doc_id)))
        self.perform(self.io(save_follows, self.home, set(follows)))

    def _doc_name(self, doc_id: str) -> str:
        return self.data.project_name(doc_id) if doc_id.startswith("pj") else self.data.name(doc_id)
