"""Home: who I am (with a QR code to show someone), the network, and what arrived."""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from reliance.display import clean
from reliance.i18n import tn
from reliance.tui.common.base import RelianceScreen
from reliance.tui.common.dialogs import PairDialog, QrDialog, SessionsDialog
from reliance.tui.common.render import feed_text
from reliance.tui.common.widgets import QrCode, qr_text


class HomeScreen(RelianceScreen):
    MODE = "home"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("w", "qr", "key.qr"),
        Binding("c", "copy_id", "key.copy_id"),
        Binding("n", "new_offer", "key.new_offer"),
        Binding("p", "pair_phone", "key.pair_phone"),
        Binding("v", "web_sessions", "key.web_sessions"),
        Binding("r", "mark_read", "key.mark_read"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._feed_version = -1
        self._web_url = ""

    def compose_body(self) -> ComposeResult:
        self._feed_version = -1  # a fresh feed widget: fill it again
        identity = self.ws.identity
        me = VerticalScroll(id="me-panel", classes="panel")
        me.border_title = self.t("home.me")
        network = Vertical(id="net-panel", classes="panel")
        network.border_title = self.t("home.network")
        feed = Vertical(id="feed-panel", classes="panel")
        feed.border_title = self.t("home.activity")
        unread = self.data.unread if self.rapp._data is not None else 0
        if unread:
            feed.border_subtitle = tn("home.unread", unread, self.lang)
        steps = Static("", id="next-steps", classes="panel")
        steps.border_title = self.t("home.next_steps")
        with Horizontal(id="home-columns"):
            with me:
                yield Static(self._me_text(), id="me-text")
                self._web_url = self._find_web_url()
                if self._web_url:  # what a phone can scan: the web face; the peer id stays on `w`
                    yield QrCode(self._web_url, id="qr")
                    yield Static(self.t("home.web_caption", url=self._web_url), id="qr-caption")
                else:
                    yield QrCode(identity.peer_id.upper(), id="qr")
                    yield Static(self.t("home.qr_caption"), id="qr-caption")
            with Vertical(id="home-right"):
                with network:
                    yield Static("", id="net-text")
                yield steps
                with feed:
                    yield OptionList(id="feed")

    def _me_text(self) -> Text:
        identity = self.ws.identity
        text = Text()
        text.append(clean(identity.name) + "\n", style="bold")
        text.append(self.t("home.peer_id") + "\n", style="dim")
        text.append(identity.peer_id + "\n")
        text.append(self.t("home.fingerprint") + "\n", style="dim")
        text.append(identity.fingerprint, style="bold")
        return text

    def on_mount(self) -> None:  # the base class handler runs too (Textual calls each class's)
        self.call_after_refresh(self.rapp.mark_first_frame)

    # -- data ----------------------------------------------------------------------------------------------
    def refresh_data(self, doc_ids: set[str] | None = None) -> None:
        self.query_one("#me-text", Static).update(self._me_text())  # a new name shows at once
        self._refresh_feed()
        self._refresh_next_steps()
        self._refresh_network()

    def network_changed(self) -> None:
        super().network_changed()
        self._refresh_network()
        self._refresh_feed()

    def _refresh_feed(self) -> None:
        data = self.data
        if data.version == self._feed_version:
            return
        self._feed_version = data.version
        feed = self.query_one("#feed", OptionList)
        highlighted = feed.highlighted
        feed.clear_options()
        if not data.feed:
            key = "home.feed_empty" if data.loaded else "home.loading"
            feed.add_option(Option(Text(self.t(key), style="dim"), id="empty", disabled=True))
            return
        feed.add_options(Option(feed_text(entry, self.lang), id=f"f{i}") for i, entry in enumerate(data.feed))
        if highlighted is not None and highlighted < feed.option_count:
            feed.highlighted = highlighted
        unread = data.unread
        self.query_one("#feed-panel").border_subtitle = tn("home.unread", unread, self.lang) if unread else ""

    def _refresh_next_steps(self) -> None:
        data = self.data
        mine = data.participants.get(data.me)
        steps: list[tuple[bool, str]] = [
            (bool(mine and mine.amendments), self.t("home.step_code")),
            (bool(mine and mine.items), self.t("home.step_offer")),
            (bool(self.rapp.node and self.rapp.node.peers()), self.t("home.step_peers")),
        ]
        widget = self.query_one("#next-steps", Static)
        if not data.loaded or all(done for done, _ in steps[:2]):
            widget.display = False
            return
        text = Text()
        for done, label in steps:
            text.append(("✔ " if done else "○ ") + label + "\n", style="dim" if done else "")
        text.rstrip()
        widget.update(text)
        widget.display = True

    def _refresh_network(self) -> None:
        self.query_one("#net-text", Static).update(self.rapp.network_text())
        url = self._find_web_url()
        if url and url != self._web_url:  # the web face started after the screen was drawn
            self._web_url = url
            self.query_one("#qr", QrCode).update(qr_text(url))
            self.query_one("#qr-caption", Static).update(self.t("home.web_caption", url=url))

    def _find_web_url(self) -> str:
        """The web face's address: the app's own node's, or (beside `reliance serve`) the settings'."""
        node = self.rapp.node
        web = getattr(node, "web", None)
        if web is not None:
            urls = web.describe()["urls"]
            return str(urls[0]) if urls else ""
        from reliance.localapi.remote import RemoteNode

        if isinstance(node, RemoteNode):
            from reliance.web.addresses import configured

            info = configured(self.rapp.home)
            return str(info["urls"][0]) if info["on"] and info["urls"] else ""
        return ""

    # -- actions -------------------------------------------------------------------------------------------
    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        index = event.option_index
        feed = list(self.data.feed)
        if not 0 <= index < len(feed):
            return
        entry = feed[index]
        if entry.unread:
            self.rapp.mark_read({entry.key})
        if entry.item_id:
            self.rapp.show_item(entry.item_id)
        elif entry.doc_id.startswith("pj"):
            self.rapp.open_project(entry.doc_id)
        elif entry.kind in ("peer", "rejected", "error"):
            self.rapp.action_go("peers")
        elif entry.doc_id.startswith("rl"):
            self.rapp.open_code(entry.doc_id)

    def action_mark_read(self) -> None:
        if self.data.unread:
            self.rapp.mark_read(None)
            self.notify(self.t("home.mark_read"))

    def action_qr(self) -> None:
        identity = self.ws.identity
        self.app.push_screen(QrDialog(identity.name, identity.peer_id, identity.fingerprint))

    def action_pair_phone(self) -> None:
        self.run_worker(self._pair_phone(), exclusive=True, group="web")

    async def _pair_phone(self) -> None:
        info = await self._web_call("web.pair", {})
        if info is not None:
            self.app.push_screen(PairDialog(info))

    def action_web_sessions(self) -> None:
        self.run_worker(self._web_sessions(), exclusive=True, group="web")

    async def _web_sessions(self) -> None:
        rows = await self._web_call("web.sessions", {})
        if rows is None:
            return

        async def revoke(session_id: str | None) -> None:
            if session_id and await self._web_call("web.revoke", {"session_id": session_id}) is not None:
                self.notify(self.t("web_dialog.revoked", id=session_id))

        def chosen(session_id: str | None) -> None:
            self.run_worker(revoke(session_id), group="web")

        self.app.push_screen(SessionsDialog(rows), chosen)

    async def _web_call(self, op: str, args: dict[str, Any]) -> Any:
        """A web operation of the owner of the home (this app or `reliance serve`), over the local API."""
        from reliance.errors import RelianceError
        from reliance.localapi.client import ApiClient

        def call() -> Any:
            with ApiClient.connect(self.rapp.home, timeout=10) as client:
                return client.call(op, args)

        try:
            return await asyncio.to_thread(call)
        except (RelianceError, OSError) as exc:
            self.notify(self.t("web_dialog.unavailable", reason=clean(str(exc))), severity="warning")
            return None

    def action_copy_id(self) -> None:
        self.app.copy_to_clipboard(self.ws.peer_id)
        self.notify(self.t("done.copied"))

    def action_new_offer(self) -> None:
        from reliance.model.catalogue import ItemKind
        from reliance.tui.common.actions import new_item

        new_item(self.rapp, ItemKind.OFFER)
