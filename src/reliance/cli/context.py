"""What every command shares: the home's `Context`, the output helpers and the language of messages."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from reliance.app.workspace import Workspace
from reliance.display import clean, json_text
from reliance.errors import RelianceError
from reliance.i18n import resolve_lang, t
from reliance.identity import key_is_encrypted

if TYPE_CHECKING:
    from reliance.localapi.client import ApiClient
    from reliance.localapi.ops import LocalApi


class Context:
    def __init__(self, home: Path, passphrase_file: str | None, ask_passphrase: bool) -> None:
        self.home = home
        self.passphrase_file = passphrase_file
        self.ask_passphrase = ask_passphrase
        self._workspace: Workspace | None = None
        self._lang: str | None = None
        self._owner: ApiClient | None = None
        self._owner_checked = False
        self._local: LocalApi | None = None
        self.direct_writes = False  # this command wrote the store itself: a running owner is told after

    def owner(self) -> ApiClient | None:
        """The running owner of this home (`reliance serve` or the app), through the local API; None when
        no process owns it."""
        if not self._owner_checked:
            from reliance.app import settings
            from reliance.localapi.client import connect_owner

            self._owner_checked = True
            self._owner = connect_owner(self.home, settings.load_limits(self.home))
        return self._owner

    def call(self, op: str, **args: Any) -> Any:
        """A local API operation: run by the owner when one runs, else here on the store itself."""
        owner = self.owner()
        if owner is not None:
            return owner.call(op, args)
        if self._workspace is None:
            from reliance.cli.reading import reading_api

            reading = reading_api(self, op)  # a read never asks for the passphrase
            if reading is not None:
                return reading.call(op, args)
        if self._local is None:
            from reliance.localapi.ops import LocalApi

            self._local = LocalApi(self.workspace())
        return self._local.call(op, args)

    def writing_workspace(self) -> Workspace:
        """The store itself, for a command that writes it directly (not through the local API)."""
        self.direct_writes = True
        return self.workspace()

    def finish(self) -> None:
        """After the command: an owner beside us reads again what we wrote directly, and announces it."""
        if self.direct_writes and self._workspace is not None:
            from reliance.i18n import t
            from reliance.localapi.client import connect_owner

            try:
                owner = self._owner if self._owner_checked else connect_owner(self.home)
                if owner is not None:
                    owner.call("refresh", {})
            except RelianceError as exc:
                self.warn(t("localapi.direct_after", self.lang(), error=exc.text(self.lang())))
        if self._owner is not None:
            self._owner.close()

    def passphrase_from_file(self) -> bytes | None:
        """The passphrase given with --passphrase-file, or None without one."""
        if not self.passphrase_file:
            return None
        try:
            text = Path(self.passphrase_file).read_text("utf-8").strip("\r\n")
        except OSError as exc:
            raise RelianceError(say("cli.passphrase.unreadable", reason=exc.strerror)) from None
        if not text:
            raise RelianceError(say("cli.passphrase.empty"))
        return text.encode()

    def passphrase(self, *, confirm: bool = False) -> bytes | None:
        if self.passphrase_file:
            return self.passphrase_from_file()
        if self.ask_passphrase or (not confirm and key_is_encrypted(self.home)):
            if not sys.stdin.isatty() and not self.ask_passphrase:
                raise RelianceError(say("cli.passphrase.needed"))
            value = click.prompt("Passphrase", hide_input=True, confirmation_prompt=confirm)
            return str(value).encode() or None
        return None

    def workspace(self) -> Workspace:
        if self._workspace is None:
            self._workspace = Workspace.open(self.home, self.passphrase())
            for notice in self._workspace.notices:  # e.g. an interrupted bundle import, completed now
                self.warn(notice.message(self.lang()))
        return self._workspace

    def warn(self, text: str) -> None:
        """One line on stderr that does not stop the command."""
        click.echo(t("cli.warning", self.lang(), text=clean(text)), err=True)

    def lang(self) -> str:
        """The language of messages: the configured one, else the locale's."""
        from reliance.app import settings

        if self._lang is None:
            try:
                configured = str(settings.load_config(self.home).get("lang") or "")
            except RelianceError:
                configured = ""
            self._lang = resolve_lang(configured)
            _LAST_LANG[:] = [self._lang]
        return self._lang


pass_ctx = click.make_pass_decorator(Context)


def emit_json(value: Any) -> None:
    """JSON for programs: every string exactly as stored, control and bidi characters escaped (\\uXXXX)."""
    click.echo(json_text(value))


def echo(text: str = "", *, nl: bool = True, err: bool = False) -> None:
    """Print for people: foreign text in `text` is shown inert (`display.clean`; single-line fields are
    cleaned on their own with `clean` before, so that they cannot start a line of their own)."""
    click.echo(clean(text, multiline=True), nl=nl, err=err)


def fail(message: str) -> NoReturn:
    raise RelianceError(message)


# The language of the last command's messages, for the lines `main` prints once its context is gone.
_LAST_LANG: list[str] = []


def message_lang() -> str:
    """The language of this command's messages: the home's configured one, else the locale's."""
    current = click.get_current_context(silent=True)
    ours = current.find_object(Context) if current is not None else None
    if ours is not None:
        return ours.lang()
    return _LAST_LANG[0] if _LAST_LANG else resolve_lang()


def say(key: str, **params: object) -> str:
    """The catalogue's text `key` in the language of this command's messages."""
    return t(key, message_lang(), **params)


def warn_unreadable(ctx: Context, doc_id: str, error: Exception) -> None:
    """A document left out of a listing or an export because it cannot be read: one line on stderr."""
    ctx.warn(t("cli.unreadable_skipped", ctx.lang(), doc=doc_id, reason=error))
