"""Invitation codes in the style of magic-wormhole: ``7-guitar-ocean``.

A code is a number naming the invitation (public: the inviter advertises it on the LAN so that the joiner
finds the right inviter) and `CODE_WORDS` words drawn from the BIP-39 English list (2048 words, 11 bits
each, the list shipped by the `mnemonic` package; its words are unique in their first four letters, so a
typed prefix of four letters or more is enough). The words are the secret: `SECRET_BITS` = 22 bits.

That is enough because a guess cannot be checked offline (SPAKE2: an eavesdropper or a wrong joiner
learns nothing that lets them test a guess without talking to the inviter) and the inviter answers one
try only: the first joiner that claims an invitation spends it, right or wrong. A guesser has one chance
in 2**22 (about 1 in 4 million) per invitation, and each try ends the invitation visibly on the inviter's
screen.
"""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass
from typing import Final

from mnemonic import Mnemonic

__all__ = [
    "CODE_WORDS",
    "MAX_CODE_CHARS",
    "MAX_NUMBER",
    "SECRET_BITS",
    "Code",
    "CodeError",
    "new_code",
    "parse_code",
    "wordlist",
]

CODE_WORDS: Final = 2
WORD_BITS: Final = 11  # 2048 words
SECRET_BITS: Final = CODE_WORDS * WORD_BITS
MAX_NUMBER: Final = 99  # one or two digits to say; several invitations at once on one LAN stay apart
MAX_CODE_CHARS: Final = 64  # longer typed text is refused before it is parsed
PREFIX: Final = 4  # BIP-39 English words are unique in their first four letters


class CodeError(ValueError):
    """Text that is not an invitation code. `reason` is a catalogue key (`link.code.*`)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@functools.cache
def wordlist() -> tuple[str, ...]:
    words = tuple(Mnemonic("english").wordlist)
    assert len(words) == 1 << WORD_BITS
    return words


@functools.cache
def _words() -> frozenset[str]:
    return frozenset(wordlist())


@functools.cache
def _by_prefix() -> dict[str, str]:
    return {word[:PREFIX]: word for word in wordlist()}


@dataclass(frozen=True)
class Code:
    number: int
    words: tuple[str, ...]

    def __str__(self) -> str:
        return "-".join((str(self.number), *self.words))

    @property
    def password(self) -> bytes:
        """What both sides give SPAKE2: the whole code, in its one canonical spelling."""
        return str(self).encode("ascii")


def new_code(number: int | None = None) -> Code:
    """A fresh code from the operating system's randomness."""
    words = wordlist()
    chosen = tuple(words[secrets.randbelow(len(words))] for _ in range(CODE_WORDS))
    return Code(number if number is not None else 1 + secrets.randbelow(MAX_NUMBER), chosen)


def _word(typed: str) -> str:
    if typed in _words():
        return typed
    if len(typed) >= PREFIX and (full := _by_prefix().get(typed[:PREFIX])) and full.startswith(typed):
        return full
    raise CodeError("link.code.unknown_word")


def parse_code(text: str) -> Code:
    """A code as a person types it: case, blanks around, spaces or dashes between its parts, and a
    word's first four letters (or more) instead of the whole word are all accepted."""
    if len(text) > MAX_CODE_CHARS:
        raise CodeError("link.code.too_long")
    parts = text.strip().lower().replace(" ", "-").split("-")
    parts = [part for part in parts if part]
    if len(parts) != 1 + CODE_WORDS:
        raise CodeError("link.code.shape")
    number_text, *typed = parts
    if not (number_text.isascii() and number_text.isdigit()) or not 1 <= int(number_text) <= MAX_NUMBER:
        raise CodeError("link.code.number")
    if not all(word.isascii() and word.isalpha() for word in typed):
        raise CodeError("link.code.unknown_word")
    return Code(int(number_text), tuple(_word(word) for word in typed))
