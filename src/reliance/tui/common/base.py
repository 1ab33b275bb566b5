"""What every feature screen shares: navigation bar, footer, language, narrow layouts and data refreshes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual import events
from textual.app import ComposeResult
from textual.screen import Screen

from reliance.i18n import t
from reliance.tui.common.widgets import AppFooter, NavBar, localize_bindings

if TYPE_CHECKING:
    from reliance.app.workspace import Workspace
    from reliance.tui.app import RelianceApp
    from reliance.tui.common.data import AppData

NARROW = 100  # below this width, panels stack vertically
COMPACT_NAV = 96


class RelianceScreen(Screen[None]):
    """A feature screen: subclasses give MODE and compose_body(), and react to refresh_data()."""

    MODE: ClassVar[str] = ""

    def __init__(self) -> None:
        super().__init__()
        self._lang_built = ""
        self._stale = False
        self._bindings_state: object = None

    # -- typed access to the app ---------------------------------------------------------------------------
    @property
    def rapp(self) -> RelianceApp:
        return cast("RelianceApp", self.app)

    @property
    def lang(self) -> str:
        return self.rapp.lang

    @property
    def ws(self) -> Workspace:
        return self.rapp.workspace

    @property
    def data(self) -> AppData:
        return self.rapp.data

    def t(self, key: str, **params: Any) -> str:
        return t(key, self.rapp.lang, **params)

    # -- composition ---------------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        self._lang_built = self.rapp.lang
        yield NavBar(self.MODE)
        yield from self.compose_body()
        yield AppFooter()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        localize_bindings(self, self.rapp.lang)
        self._apply_width(self.app.size.width)
        self.update_status()
        self.refresh_data()

    def on_resize(self, event: events.Resize) -> None:
        self._apply_width(event.size.width)

    def _apply_width(self, width: int) -> None:
        if self.has_class("narrow") != (width < NARROW):
            self.set_class(width < NARROW, "narrow")
        for nav in self.query(NavBar):
            nav.set_compact(width < COMPACT_NAV)

    async def on_screen_resume(self, event: events.ScreenResume) -> None:
        if self._lang_built != self.rapp.lang:
            await self.relabel()
        elif self._stale:
            self._stale = False
            self.refresh_data()
        self.update_status()

    async def relabel(self) -> None:
        """The language changed: rebuild the widgets (screen attributes keep the state)."""
        localize_bindings(self, self.rapp.lang)
        self._stale = False
        await self.recompose()
        self._apply_width(self.app.size.width)
        self.update_status()
        self.refresh_data()
        self.refresh_bindings()

    def bindings_state(self, state: object) -> None:
        """Refresh the footer only when what enables the bindings changed (a refresh rebuilds the footer)."""
        if state != self._bindings_state:
            self._bindings_state = state
            self.refresh_bindings()

    # -- data ----------------------------------------------------------------------------------------------
    def data_changed(self, doc_ids: set[str] | None) -> None:
        """Documents changed: refresh now if shown, else when shown again."""
        if self.is_current:
            self.refresh_data(doc_ids)
        else:
            self._stale = True

    def refresh_data(self, doc_ids: set[str] | None = None) -> None:
        """Show the current data; `doc_ids` says which documents changed (None: all)."""

    def network_changed(self) -> None:
        """The node reported something (peers, sync)."""
        self.update_status()

    def update_status(self) -> None:
        for nav in self.query(NavBar):
            nav.set_status(self.rapp.status_text())
