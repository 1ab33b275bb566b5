"""The Textual application: one screen per feature, the store in a worker thread, the node in the loop.

`create_app` builds the app for the CLI (`run_app`, used when `reliance` has no arguments) and for tests.
Every read or write of the store runs in one dedicated thread (`io`), so disk work never blocks the UI;
the network node, when there is one, runs in the app's own asyncio loop and reports through `subscribe`.
Beside a running `reliance serve` the node is that process's, seen through the local API
(reliance.localapi): the app is online with its peers, and its writes are announced at once.

`RelianceApp` is built on two layers: `StoreApp` (reliance.tui.app_store: the session's state, the store
thread, loading and refreshing) and `NodeApp` (reliance.tui.app_node: the node's events and the network's
status). This module holds the screens, the start of a session, navigation, settings and quitting.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib
import logging
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path, PurePath
from typing import Any, ClassVar

from textual import events
from textual.app import SystemCommand
from textual.binding import Binding, BindingType
from textual.command import CommandPalette
from textual.screen import ModalScreen, Screen

from reliance.app import settings
from reliance.app.workspace import Workspace
from reliance.clock import SYSTEM_CLOCK, Clock
from reliance.display import InertFormatter
from reliance.errors import IdentityError
from reliance.fsutil import open_private, private_dir
from reliance.i18n import other_lang
from reliance.identity import has_identity, key_is_encrypted
from reliance.tui.app_node import NodeApp
from reliance.tui.common.base import RelianceScreen
from reliance.tui.common.data import AppData, StoreReader
from reliance.tui.common.palette import WordedPalette
from reliance.tui.common.widgets import NAV, localize_bindings, localize_tree, spawn
from reliance.tui.devices.screen import Joined
from reliance.tui.home.screen import HomeScreen
from reliance.tui.node import NodeFactory
from reliance.tui.welcome.phrase import PhraseScreen
from reliance.tui.welcome.screen import BootScreen, UnlockScreen, WelcomeScreen

logger = logging.getLogger(__name__)


def lazy_screen(module: str, name: str) -> Callable[[], Screen[Any]]:
    """A mode's screen, imported when first shown (the first frame needs only the home screen)."""

    def make() -> Screen[Any]:
        screen: Screen[Any] = getattr(importlib.import_module(module), name)()
        return screen

    return make


class RelianceApp(NodeApp):
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
        "devices.tcss",
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
    NETWORK_SECONDS: ClassVar[float] = 5.0

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
            ws = await self.io(Workspace.open, self.home, passphrase, clock=self.clock)
        except IdentityError as exc:
            self.notify(exc.text(self.lang), title=self.t("error.title"), severity="error")
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
                ws = await self.io(Workspace.create, self.home, name, passphrase, clock=self.clock)
                self.config = await self.io(settings.set_config, self.home, "lang", lang)
            except Exception as exc:
                self.report(exc)
                if on_error is not None:
                    on_error()
                return
            if isinstance(self.screen, WelcomeScreen):
                self.pop_screen()
            phrase, ws.recovery_phrase = ws.recovery_phrase, ""  # held by the phrase screen only
            if phrase:  # Home opens once two of its words have been typed back
                self.push_screen(PhraseScreen(phrase.split()), lambda _: self._welcome(ws))
            else:
                await self._welcome(ws)

        spawn(self, create, group="session", exit_on_error=False)

    async def _welcome(self, ws: Workspace) -> None:
        await self.start_session(ws)
        self.notify(self.t("welcome.done", name=ws.identity.name), timeout=8)

    async def on_joined(self, message: Joined) -> None:
        """This new home joined an identity (Welcome → Join with a code): open it as if just created."""
        self.config = await self.io(settings.set_config, self.home, "lang", self.lang)
        if isinstance(self.screen, WelcomeScreen):
            self.pop_screen()
        await self._welcome(message.workspace)

    async def start_session(self, ws: Workspace) -> None:
        self.ws = ws
        for notice in ws.notices:  # e.g. an interrupted bundle import, completed when the home opened
            self.notify(notice.message(self.lang), severity="warning", timeout=12)
        self._data = AppData(ws.peer_id)
        self.reader = StoreReader(ws.repo, self._changed_threadsafe, ws.drafts)
        self.store.open(ws.peer_id, self.reader, self._data)
        try:
            await self.io(ws.my_doc)
        except Exception as exc:
            self.report(exc)
        await self.switch_mode("home")
        spawn(self, self._after_first_frame, group="load", exit_on_error=False)
        self.set_interval(self.poll_seconds, self._poll)
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
            localize_tree(self.screen, self.lang)  # Textual's own keys too, in the app's language
            self.action_show_help_panel()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """The focused widget's keys (shown by F1's panel) in the app's language."""
        changed = False
        for node in event.widget.ancestors_with_self:
            if getattr(node, "_i18n_lang", None) != self.lang:
                localize_bindings(node, self.lang)
                changed = True
        if changed and self.screen_stack:  # focus can still move during teardown
            self.screen.refresh_bindings()

    def action_command_palette(self) -> None:
        """Textual's palette, its texts in the app's language."""
        if self.use_command_palette and not CommandPalette.is_open(self):  # type: ignore[arg-type]
            palette = WordedPalette(
                placeholder=self.t("cmd.search"), nothing_found=self.t("cmd.nothing_found")
            )
            self.push_screen(palette)

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
        self.store.close()

    async def on_unmount(self) -> None:
        await self.shutdown()


def create_app(
    home: Path,
    *,
    passphrase: bytes | None = None,
    node_factory: NodeFactory | None = None,
    lang: str | None = None,
    poll_seconds: float | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> RelianceApp:
    """The app for this home; `node_factory` None means the real node if available, else offline.
    `poll_seconds`: how often an offline app looks for other processes' writes (`POLL_SECONDS`); `clock`:
    where the home's writes read the time and draw their ids (a `FixedClock` in tests)."""
    return RelianceApp(
        Path(home),
        passphrase=passphrase,
        node_factory=node_factory,
        lang=lang,
        poll_seconds=poll_seconds,
        clock=clock,
    )


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
