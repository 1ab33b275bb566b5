"""The Textual application: one screen per feature, the store in a worker thread, the node in the loop.

`create_app` builds the app for the CLI (`run_app`, used when `reliance` has no arguments) and for tests.
Every read or write of the store runs in one dedicated thread (`io`), so disk work never blocks the UI;
the network node, when there is one, runs in the app's own asyncio loop and reports through `subscribe`.
Beside a running `reliance serve` the node is that process's, seen through the local API
(reliance.localapi): the app is online with its peers, and its writes are announced at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePath
from typing import Any, ClassVar, TypeVar

from rich.text import Text
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen, Screen
from textual.timer import Timer

from reliance.app import settings
from reliance.app.workspace import Workspace
from reliance.display import InertFormatter, clean
from reliance.errors import IdentityError, RelianceError
from reliance.fsutil import open_private, private_dir
from reliance.i18n import other_lang, resolve_lang, t, tn
from reliance.identity import has_identity, key_is_encrypted
from reliance.model.messages import InputError
from reliance.net import events as ev
from reliance.tui.common.base import RelianceScreen
from reliance.tui.common.data import (
    AppData,
    FeedEntry,
    ParticipantView,
    Signature,
    StoreReader,
    View,
    clock,
    load_cache,
    load_follows,
    save_cache,
    save_follows,
)
from reliance.tui.common.widgets import NAV, localize_bindings, spawn
from reliance.tui.home.screen import HomeScreen
from reliance.tui.node import NodeFactory, NodeLike, default_node_factory
from reliance.tui.welcome.screen import BootScreen, UnlockScreen, WelcomeScreen

logger = logging.getLogger(__name__)

R = TypeVar("R")
LOAD_CHUNK = 16


def lazy_screen(module: str, name: str) -> Callable[[], Screen[Any]]:
    """A mode's screen, imported when first shown (the first frame needs only the home screen)."""

    def make() -> Screen[Any]:
        screen: Screen[Any] = getattr(importlib.import_module(module), name)()
        return screen

    return make


class RelianceApp(App[None]):
    """reliance in the terminal."""

    # One stylesheet per screen, next to it, all loaded once at start (a stylesheet loaded later, when a
    # screen is first shown, makes Textual re-parse every rule: a visible pause on slow machines).
    CSS_PATH: ClassVar[list[str | PurePath]] = [
        "app.tcss",
        "welcome.tcss",
        "home.tcss",
        "code.tcss",
        "catalogue.tcss",
        "programme.tcss",
        "projects.tcss",
        "peers.tcss",
        "prefs.tcss",
        "dialogs.tcss",
    ]
    TITLE = "reliance"
    MODES: ClassVar[dict[str, str | Callable[[], Screen[Any]]]] = {
        "home": HomeScreen,
        "code": lazy_screen("reliance.tui.code.screen", "CodeScreen"),
        "catalogue": lazy_screen("reliance.tui.catalogue.screen", "CatalogueScreen"),
        "programme": lazy_screen("reliance.tui.programme.screen", "ProgrammeScreen"),
        "projects": lazy_screen("reliance.tui.projects.screen", "ProjectsScreen"),
        "peers": lazy_screen("reliance.tui.peers.screen", "PeersScreen"),
        "settings": lazy_screen("reliance.tui.prefs.screen", "SettingsScreen"),
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "key.quit", priority=True),
        *(Binding(digit, f"go('{mode}')", label, show=False) for mode, digit, label in NAV),
        Binding("f1", "keys", "key.keys", show=False),
    ]
    POLL_SECONDS: ClassVar[float] = 3.0
    CACHE_SAVE_SECONDS: ClassVar[float] = 10.0
    NETWORK_SECONDS: ClassVar[float] = 5.0

    def __init__(
        self,
        home: Path,
        *,
        passphrase: bytes | None = None,
        node_factory: NodeFactory | None = None,
        lang: str | None = None,
    ) -> None:
        super().__init__()
        self.home = Path(home)
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
        self.node: NodeLike | None = None
        self._node_started = False
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reliance-store")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._dirty: set[str] = set()
        self._flush_scheduled = False
        self._polling = False
        self._unreadable: dict[str, Signature] = {}
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

    def get_default_screen(self) -> Screen[Any]:
        return BootScreen()

    # -- start ---------------------------------------------------------------------------------------------
    def on_mount(self) -> None:
        self._loop = asyncio.get_running_loop()
        localize_bindings(self, self.lang)
        if not has_identity(self.home):
            self.push_screen(WelcomeScreen())
        elif key_is_encrypted(self.home) and self.passphrase is None:
            self.push_screen(UnlockScreen())
        else:
            self.unlock(self.passphrase)

    def unlock(self, passphrase: bytes | None) -> None:
        spawn(self, functools.partial(self._open, passphrase), group="session", exit_on_error=False)

    async def _open(self, passphrase: bytes | None) -> None:
        try:
            ws = await self.io(Workspace.open, self.home, passphrase)
        except IdentityError as exc:
            self.notify(str(exc), title=self.t("error.title"), severity="error")
            if not isinstance(self.screen, UnlockScreen):
                self.push_screen(UnlockScreen())
            return
        except Exception as exc:
            self.report(exc)
            return
        if isinstance(self.screen, UnlockScreen):
            self.pop_screen()
        await self.start_session(ws)

    def create_identity(
        self, name: str, passphrase: bytes | None, lang: str, *, on_error: Callable[[], None] | None = None
    ) -> None:
        async def create() -> None:
            try:
                ws = await self.io(Workspace.create, self.home, name, passphrase)
                self.config = await self.io(settings.set_config, self.home, "lang", lang)
            except Exception as exc:
                self.report(exc)
                if on_error is not None:
                    on_error()
                return
            if isinstance(self.screen, WelcomeScreen):
                self.pop_screen()
            await self.start_session(ws)
            self.notify(self.t("welcome.done", name=ws.identity.name), timeout=8)

        spawn(self, create, group="session", exit_on_error=False)

    async def start_session(self, ws: Workspace) -> None:
        self.ws = ws
        for notice in ws.notices:  # e.g. an interrupted bundle import, completed when the home opened
            self.notify(notice.message(self.lang), severity="warning", timeout=12)
        self._data = AppData(ws.peer_id)
        self.reader = StoreReader(ws.repo, self._changed_threadsafe, ws.drafts)
        try:
            await self.io(ws.my_doc)
        except Exception as exc:
            self.report(exc)
        await self.switch_mode("home")
        spawn(self, self._after_first_frame, group="load", exit_on_error=False)
        self.set_interval(self.POLL_SECONDS, self._poll)
        self.set_interval(self.NETWORK_SECONDS, self.refresh_network)

    def mark_first_frame(self) -> None:
        if self.first_frame_at is None:
            self.first_frame_at = time.perf_counter()
        self._first_frame.set()

    async def _after_first_frame(self) -> None:
        """Loading the catalogue and starting the node compete for the CPU: let the first frame go first."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._first_frame.wait(), timeout=2)
        self._start_node()
        await self._initial_load()

    # -- store thread --------------------------------------------------------------------------------------
    async def io(self, fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        """Run a store or disk call in the store thread; the UI keeps running."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))

    async def write(self, doc_id: str | None, fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        """A local write: run it, tell the node (peers get it live), refresh what is shown."""
        result = await self.io(fn, *args, **kwargs)
        target = doc_id if doc_id is not None else (result if isinstance(result, str) else None)
        if target:
            self.tell_node(target)
            await self.refresh_docs({target})
        return result

    def tell_node(self, doc_id: str) -> None:
        if self.node is not None and self._node_started:
            try:
                self.node.local_change(doc_id)
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
        elif isinstance(exc, InputError):  # the model's refusals are worded in the app's language
            message = exc.text(self.lang)
        elif isinstance(exc, RelianceError):
            message = str(exc)
        else:
            logger.error("unexpected error", exc_info=exc)
            message = f"{type(exc).__name__}: {exc}"
        self.notify(message, title=self.t("error.title"), severity="error", timeout=8)

    # -- loading and refreshing ----------------------------------------------------------------------------
    def _scan(self) -> tuple[list[ParticipantView], list[str], set[str]]:
        """Store thread: cached views still valid, documents to read, and the follow list."""
        assert self.reader is not None
        reader = self.reader
        cache = load_cache(self.home)
        hits: list[ParticipantView] = []
        stale: list[str] = []
        me = self.workspace.peer_id
        for doc_id in reader.doc_ids():
            cached = cache.get(doc_id)
            if cached is not None and doc_id != me and cached.sig == reader.signature(doc_id):
                hits.append(cached)
            else:
                stale.append(doc_id)
        stale.sort(key=lambda d: (d != me, d.startswith("pj"), d))
        return hits, stale, load_follows(self.home)

    async def _initial_load(self) -> None:
        data = self.data
        try:
            hits, stale, follows = await self.io(self._scan)
        except Exception as exc:
            self.report(exc)
            hits, stale, follows = [], [], set()
        data.follows = follows
        data.apply(hits, quiet=True)
        self._after_change(None, [])
        for start in range(0, len(stale), LOAD_CHUNK):
            chunk = stale[start : start + LOAD_CHUNK]
            views, bad = await self.io(self._read_many, chunk)
            self._unreadable.update(bad)
            data.apply(views, quiet=True)
            self._after_change(set(chunk), [])
        data.loaded = True
        data.seed_feed()
        self.loaded_at = time.perf_counter()
        self._after_change(None, [])
        await self._save_cache()

    def _read_many(self, doc_ids: Iterable[str]) -> tuple[list[View], dict[str, Signature]]:
        assert self.reader is not None
        views: list[View] = []
        bad: dict[str, Signature] = {}
        for doc_id in doc_ids:
            view = self.reader.read(doc_id)
            if view is None:
                bad[doc_id] = self.reader.signature(doc_id)
            else:
                views.append(view)
        return views, bad

    async def refresh_docs(self, doc_ids: set[str]) -> None:
        """Read these documents again and show what changed (and what arrived, in the feed)."""
        if not doc_ids or self.reader is None:
            return
        views, bad = await self.io(self._read_many, sorted(doc_ids))
        self._unreadable.update(bad)
        entries = self.data.apply(views, quiet=not self.data.loaded)
        self._after_change(set(doc_ids), entries)

    def documents_changed(self, doc_ids: Iterable[str]) -> None:
        """Tell the app that documents changed on disk or in memory (the node, a test, another process)."""
        for doc_id in doc_ids:
            self.mark_dirty(doc_id)

    def _changed_threadsafe(self, doc_id: str) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.mark_dirty, doc_id)

    def mark_dirty(self, doc_id: str) -> None:
        if self._shut_down or self._data is None:
            return
        self._dirty.add(doc_id)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            spawn(self, self._flush_dirty, group="refresh", exit_on_error=False)

    async def _flush_dirty(self) -> None:
        await asyncio.sleep(0.05)  # coalesce a burst of changes
        doc_ids, self._dirty = self._dirty, set()
        self._flush_scheduled = False
        try:
            await self.refresh_docs(doc_ids)
        except Exception as exc:
            self.report(exc)

    def _poll(self) -> None:
        """Offline only: notice what other processes (the CLI) wrote by comparing each document's file
        signature. With a node (ours, or the owner's through the local API) every change arrives as an
        event instead."""
        if self._node_started:
            return
        if self._data is None or not self.data.loaded or self._polling or self._shut_down:
            return
        self._polling = True
        known: dict[str, Signature] = {d: v.sig for d, v in self.data.participants.items()}
        known.update({d: v.sig for d, v in self.data.projects.items()})
        known.update(self._unreadable)
        spawn(self, functools.partial(self._poll_once, known), group="poll", exit_on_error=False)

    def _changed_signatures(self, known: dict[str, Signature]) -> set[str]:
        assert self.reader is not None
        return {d for d in self.reader.doc_ids() if known.get(d) != self.reader.signature(d)}

    async def _poll_once(self, known: dict[str, Signature]) -> None:
        try:
            changed = await self.io(self._changed_signatures, known)
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

    def _after_change(self, doc_ids: set[str] | None, entries: list[FeedEntry]) -> None:
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
        for entry in entries:
            if entry.kind == "answer":  # rejections are announced when the node reports them
                from reliance.tui.common.render import feed_text

                self.notify(feed_text(entry, self.lang).plain, timeout=6)
        if doc_ids:
            self._schedule_cache_save()

    def _schedule_cache_save(self) -> None:
        if self._cache_timer is None and not self._shut_down:
            self._cache_timer = self.set_timer(self.CACHE_SAVE_SECONDS, self._cache_due)

    def _cache_due(self) -> None:
        self._cache_timer = None
        spawn(self, self._save_cache, group="cache", exit_on_error=False)

    async def _save_cache(self) -> None:
        if self._data is None:
            return
        views = list(self.data.participants.values())
        try:
            await self.io(save_cache, self.home, views)
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

    # -- the node ------------------------------------------------------------------------------------------
    def _start_node(self) -> None:
        try:
            node = self.node_factory(self.workspace)
        except Exception as exc:
            self.report(exc)
            node = None
        self.node = node
        if node is None:
            self.refresh_network()
            return
        node.subscribe(self._on_node_event)
        spawn(self, functools.partial(self._run_node, node), group="node", exit_on_error=False)

    async def _run_node(self, node: NodeLike) -> None:
        try:
            await node.start()
        except Exception as exc:
            self.node = None
            self.notify(self.t("net.start_failed", error=str(exc)), severity="error", timeout=10)
            self.data.add_feed(FeedEntry("error", clock(), {"text": str(exc)}))
        else:
            self._node_started = True
        self.refresh_network()

    def _on_node_event(self, event: ev.NodeEvent) -> None:
        try:
            self._handle_node_event(event)
        except Exception:
            logger.exception("cannot handle node event %r", event)

    def _handle_node_event(self, event: ev.NodeEvent) -> None:
        if self._data is None or self._shut_down:
            return
        kind = event.kind
        name = self._peer_name(event.peer_id) if event.peer_id else ""
        if kind == ev.OWNER_GONE:
            self._owner_gone()
        elif kind in (ev.SYNCED, ev.LOCAL_CHANGE) and event.doc_id:
            self.mark_dirty(event.doc_id)
        elif kind == ev.REJECTED:
            entry = FeedEntry("rejected", clock(), {"name": name, "reason": event.text}, doc_id=event.doc_id)
            self.data.add_feed(entry)
            self.notify(self.t("feed.rejected", name=name, reason=event.text), severity="warning", timeout=8)
        elif kind in (ev.PEER_CONNECTED, ev.PEER_DISCONNECTED, ev.PEER_PENDING):
            state = {ev.PEER_CONNECTED: "connected", ev.PEER_DISCONNECTED: "disconnected"}.get(
                kind, "pending"
            )
            self.data.add_feed(
                FeedEntry("peer", clock(), {"name": name, "state": state}, doc_id=event.peer_id)
            )
            if kind == ev.PEER_PENDING:
                self.notify(self.t("net.pending", name=name), timeout=8)
        elif kind == ev.ERROR:
            self.data.add_feed(FeedEntry("error", clock(), {"text": event.text}))
        self.refresh_network()

    def _owner_gone(self) -> None:
        """The `serve` whose node we showed stopped: start our own (we own the home now, if nobody else)."""
        self.node = None
        self._node_started = False
        self.notify(self.t("net.owner_gone"), timeout=8)
        if not self._shut_down:
            self._start_node()

    def _peer_name(self, peer_id: str) -> str:
        if self.node is not None:
            for info in self.node.peers():
                if info.peer_id == peer_id and info.name:
                    return info.name
        return self.data.name(peer_id)

    def refresh_network(self) -> None:
        if self._network_pending or self._data is None:
            return
        self._network_pending = True
        self.call_later(self._network_now)

    def _network_now(self) -> None:
        self._network_pending = False
        for screen in self._feature_screens():
            if isinstance(screen, RelianceScreen) and screen.is_mounted:
                try:
                    screen.network_changed()
                except Exception as exc:
                    self.report(exc)

    async def add_address(self, host: str, port: int) -> None:
        if self.node is not None:
            await self.node.add_address(host, port)
            return
        from reliance.net.status import remember_typed_address  # the node module loads after the first frame

        await self.io(remember_typed_address, self.home, host, port)

    def _peers_online(self) -> tuple[int, int, int]:
        """(connected, pending, syncing) peers."""
        if self.node is None:
            return 0, 0, 0
        peers = self.node.peers()
        connected = [p for p in peers if p.state == ev.PeerState.CONNECTED]
        pending = sum(1 for p in peers if p.state == ev.PeerState.PENDING)
        syncing = sum(1 for p in connected if p.docs_in_sync and not all(p.docs_in_sync.values()))
        return len(connected), pending, syncing

    def status_text(self) -> Text:
        if self.node is None or not self._node_started:
            return Text("○ " + self.t("net.offline_short"), style="dim")
        connected, pending, syncing = self._peers_online()
        text = Text()
        text.append("● ", style="green" if connected else "yellow")
        text.append(tn("net.peers_short", connected, self.lang))
        if syncing:
            text.append(" ⟳", style="cyan")
        if pending:
            text.append(f" · {tn('net.pending_short', pending, self.lang)}", style="yellow")
        return text

    def network_text(self) -> Text:
        text = Text()
        node = self.node
        if node is None or not self._node_started:
            text.append("○ " + self.t("net.offline") + "\n", style="yellow")
            text.append(self.t("net.offline_hint"), style="dim")
            return text
        address = node.listen_address
        connected, pending, syncing = self._peers_online()
        rows = [
            (
                self.t("net.listening"),
                f"{address[0]}:{address[1]}" if address else self.t("net.not_listening"),
            ),
            (
                self.t("net.online"),
                str(connected) + (f" · {tn('net.pending_short', pending, self.lang)}" if pending else ""),
            ),
            (
                self.t("net.sync"),
                tn("net.syncing", syncing, self.lang) if syncing else self.t("net.up_to_date"),
            ),
            (
                self.t("net.last_sync"),
                time.strftime("%H:%M:%S", time.localtime(node.last_sync))
                if node.last_sync
                else self.t("net.never"),
            ),
        ]
        for position, (label, value) in enumerate(rows):
            text.append(f"{label}: ", style="dim")
            text.append(value + ("\n" if position < len(rows) - 1 else ""))
        return text

    # -- navigation ----------------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "go":
            return self.ws is not None and not isinstance(self.screen, ModalScreen)
        return True

    def action_go(self, mode: str) -> None:
        if self.ws is None or isinstance(self.screen, ModalScreen) or mode not in self.MODES:
            return
        self.switch_mode(mode)

    def action_keys(self) -> None:
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    def show_item(self, item_id: str) -> None:
        item = self.data.items_by_id.get(item_id)
        if item is None:
            self.notify(self.t("error.no_item"), severity="warning")
            return
        from reliance.tui.common.actions import ItemDetailsDialog

        self.push_screen(ItemDetailsDialog(item))

    def open_code(self, doc_id: str) -> None:
        async def go() -> None:
            await self.switch_mode("code")
            from reliance.tui.code.screen import CodeScreen

            screen = self.screen
            if isinstance(screen, CodeScreen):
                screen.show_doc(doc_id)

        spawn(self, go, group="nav", exit_on_error=False)

    def open_project(self, project_id: str) -> None:
        async def go() -> None:
            await self.switch_mode("projects")
            from reliance.tui.projects.screen import ProjectsScreen

            screen = self.screen
            if isinstance(screen, ProjectsScreen):
                screen.select_project(project_id)

        spawn(self, go, group="nav", exit_on_error=False)

    # -- settings ------------------------------------------------------------------------------------------
    async def save_config(self, key: str, value: str) -> None:
        self.config = await self.io(settings.set_config, self.home, key, value)

    async def set_lang(self, lang: str) -> None:
        if lang == self.lang:
            return
        self.lang = lang
        localize_bindings(self, lang)
        self.perform(self.save_config("lang", lang))
        screen = self.screen
        if isinstance(screen, RelianceScreen):
            self.call_later(screen.relabel)
        self.refresh_bindings()

    def set_theme_choice(self, choice: str) -> None:
        self.theme_choice = choice
        self.theme = "textual-light" if choice == "light" else "textual-dark"
        self.perform(self.save_config("theme", choice))

    def action_toggle_theme(self) -> None:
        self.set_theme_choice("light" if self.theme_choice == "dark" else "dark")

    async def action_toggle_lang(self) -> None:
        await self.set_lang(other_lang(self.lang))

    # -- command palette -----------------------------------------------------------------------------------
    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        if self.ws is not None:
            for mode, digit, label in NAV:
                yield SystemCommand(
                    self.t("cmd.go", screen=self.t(label)),
                    self.t("cmd.go_help", keys=digit),
                    functools.partial(self.action_go, mode),
                )
        seen: set[str] = set()
        for node in (screen, self):
            for _key, binding in node._bindings:
                if binding.action in seen or not binding.description or binding.action.startswith("go("):
                    continue
                if binding.action in ("quit", "command_palette"):
                    continue
                if node is screen and screen.check_action(binding.action.split("(")[0], ()) is False:
                    continue
                seen.add(binding.action)
                yield SystemCommand(
                    binding.description,
                    self.t("cmd.key_help", keys=self.get_key_display(binding)),
                    functools.partial(self._run_on, node, binding.action),
                )
        yield SystemCommand(self.t("cmd.theme"), self.t("cmd.theme_help"), self.action_toggle_theme)
        yield SystemCommand(self.t("cmd.lang"), self.t("cmd.lang_help"), self.action_toggle_lang)
        yield SystemCommand(self.t("cmd.keys"), self.t("cmd.keys_help"), self.action_keys)
        yield SystemCommand(
            self.t("cmd.screenshot"),
            self.t("cmd.screenshot_help"),
            lambda: self.set_timer(0.1, self.deliver_screenshot),
        )
        yield SystemCommand(self.t("cmd.quit"), self.t("cmd.quit_help"), self.action_quit)

    async def _run_on(self, node: Any, action: str) -> None:
        await node.run_action(action)

    # -- quitting ------------------------------------------------------------------------------------------
    async def action_quit(self) -> None:
        await self.shutdown()
        self.exit()

    async def shutdown(self) -> None:
        """Stop the node cleanly and save the catalogue cache; safe to call twice."""
        if self._shut_down:
            return
        self._shut_down = True
        node = self.node
        if node is not None and self._node_started:
            try:
                await asyncio.wait_for(node.stop(), timeout=10)
            except Exception:
                logger.exception("the node did not stop cleanly")
            self._node_started = False
        if self._data is not None and self.data.loaded:
            try:
                await asyncio.wait_for(self._save_cache(), timeout=5)
            except Exception:
                logger.exception("cannot save the catalogue cache")
        for work in list(self._pending_work):
            close = getattr(work, "close", None)
            if close is not None:
                close()  # an action that never got to run: no "never awaited" warning
        self._pending_work.clear()
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def on_unmount(self) -> None:
        await self.shutdown()


def create_app(
    home: Path,
    *,
    passphrase: bytes | None = None,
    node_factory: NodeFactory | None = None,
    lang: str | None = None,
) -> RelianceApp:
    """The app for this home; `node_factory` None means the real node if available, else offline."""
    return RelianceApp(Path(home), passphrase=passphrase, node_factory=node_factory, lang=lang)


def run_app(home: Path, passphrase: bytes | None = None) -> None:
    """Run the app in this terminal (the CLI calls this when `reliance` has no arguments)."""
    _log_to_file(Path(home))
    create_app(Path(home), passphrase=passphrase).run()


def _log_to_file(home: Path) -> None:
    """While the app owns the terminal, log lines go to HOME/logs/tui.log, never to the screen."""
    root = logging.getLogger()
    try:
        private_dir(home / "logs")
        fd = open_private(home / "logs" / "tui.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        handler: logging.Handler = logging.StreamHandler(open(fd, "a", encoding="utf-8"))  # noqa: SIM115
        # Peers' names and reasons are in the node's lines: inert in a file someone will `cat`.
        handler.setFormatter(InertFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    except OSError:
        handler = logging.NullHandler()
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)
