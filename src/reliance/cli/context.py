"""What every command shares: the home's `Context`, the output helpers and the language of messages."""

from __future__ import annotations

import sys
import time
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
    from reliance.localapi.ownership import OwnerLock


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
        self._held: OwnerLock | None = None  # the home, held while this command writes the store itself

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
        """A local API operation: run by the owner when one runs, else here on the store itself (a write
        with the home held, `hold_home`)."""
        from reliance.localapi.ops import LocalApi

        owner = self.owner()
        if owner is None and LocalApi.writes(op):
            owner = self.hold_home()  # an owner that started meanwhile runs it after all
        if owner is not None:
            return owner.call(op, args)
        if self._workspace is None:
            from reliance.cli.reading import reading_api

            reading = reading_api(self, op)  # a read never asks for the passphrase
            if reading is not None:
                return reading.call(op, args)
        if self._local is None:
            self._local = LocalApi(self.workspace())
        return self._local.call(op, args)

    def hold_home(self) -> ApiClient | None:
        """Hold the home for the rest of this command, which writes the store itself because no owner
        runs: while it does, no `serve`, app or other command writes the home's documents (they wait for
        it, `localapi_owner_wait_seconds` at most). When an owner started in the meantime, its client
        instead: the command asks it."""
        if self._held is not None or not self.home.is_dir():
            return None  # no home: opening it says so
        from reliance.app import settings
        from reliance.localapi.client import connect_owner
        from reliance.localapi.owner import HomeOwned
        from reliance.localapi.ownership import OwnerLock, current_owner

        limits = settings.load_limits(self.home)
        lock = OwnerLock(self.home)
        deadline = time.monotonic() + limits.localapi_owner_wait_seconds
        while not lock.acquire("cli"):
            holder = current_owner(self.home)
            if holder is not None and holder["kind"] in ("serve", "app", "invite"):
                owner = connect_owner(self.home, limits)
                if owner is not None:
                    self._owner, self._owner_checked = owner, True
                    return owner
            if time.monotonic() >= deadline:
                raise HomeOwned(holder, self.lang())
        self._held = lock
        return None

    def finish(self) -> None:
        """After the command: the owner's connection closed, the home given back if this command held it."""
        if self._owner is not None:
            self._owner.close()
        if self._held is not None:
            self._held.release()
            self._held = None

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

    def reading_workspace(self) -> Workspace:
        """The home for a command that only reads: opened with a locked identity when the key is behind a
        passphrase that was not given (no question asked), else as `workspace`."""
        if self._workspace is None and not self.passphrase_file and not self.ask_passphrase:
            locked = Workspace.open_to_read(self.home)
            if locked is not None:
                self._workspace = locked
        return self.workspace()

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
