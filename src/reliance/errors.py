"""Errors shown to users: each carries one readable sentence."""


class RelianceError(Exception):
    """Base of every error reliance reports to a user (CLI: one line, non-zero exit)."""


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
