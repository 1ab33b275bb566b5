"""Errors shown to users: each carries a catalogue key and its parameters, worded by whoever shows it.

`raise LedgerError("ledger.error.empty", what=...)`: the face that shows the error (a CLI line, a form's
field, the local API's client, the web face) calls `error.text(lang)` to word it in its reader's language;
`str(error)` is the English text, for logs and for code that only needs a sentence. A parameter may itself
be worded (a `reliance.i18n.Phrase`, a date, another error): it follows the language of the whole.

`field` names the form field or command-line option at fault ("begins", "amount"…) when the code that
raised the error knows it, so that a form can put the message next to that field.

A key that is not in the catalogue is shown as it is: the few errors built from a text already worded
(a peer's reason, a message the command line worded in its language) pass that text as their "key".
tests/test_errors.py forbids a raise of these classes with an English sentence in it.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from reliance.i18n import t

_NO_PARAMS: Mapping[str, object] = MappingProxyType({})


class RelianceError(Exception):
    """Base of every error reliance reports to a user (CLI: one line, non-zero exit)."""

    key: str = ""
    field: str = ""
    params: Mapping[str, object] = _NO_PARAMS

    def __init__(self, key: str = "", /, *, field: str = "", **params: object) -> None:
        self.key = key
        self.field = field
        self.params = params
        super().__init__(t(key, "en", **params) if key else "")

    def text(self, lang: str) -> str:
        """The error in `lang`, for the person who reads it."""
        return t(self.key, lang, **self.params) if self.key else str(self)

    def describe(self, lang: str) -> str:
        """The same, so that an error can be a parameter of another (`reliance.i18n.Describable`)."""
        return self.text(lang)


class ModelError(RelianceError, ValueError):
    """A value that breaks a rule of the data model (unknown kind, bad date...)."""


class IdentityError(RelianceError):
    """No identity yet, a wrong passphrase, an unreadable key file."""


class PeerIdError(RelianceError, ValueError):
    """A peer id that is malformed or fails its check characters."""


class StoreError(RelianceError):
    """The on-disk store cannot be read or written."""


class DocumentError(RelianceError):
    """A document cannot be decoded, or a change was refused."""


class OwnDocumentMissing(DocumentError):
    """The identity is here but not its participant document (a home restored from a saved identity)."""


def worded(error: BaseException, lang: str) -> str:
    """Any error as a person reads it: ours in `lang`, another (an OSError, say) as Python words it."""
    return error.text(lang) if isinstance(error, RelianceError) else str(error)


class DeviceError(IdentityError):
    """An identity or device error worded by the catalogue (`key`, its parameters), in the reader's language:
    `message(lang)`, or the locale's language as `str`."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params

    def message(self, lang: str) -> str:
        from reliance.i18n import t

        return t(self.key, lang, **self.params)

    def __str__(self) -> str:
        from reliance.i18n import resolve_lang

        return self.message(resolve_lang())
