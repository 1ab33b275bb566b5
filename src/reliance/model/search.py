"""Search that ignores case and accents: "velo" finds "vélo", "ETE" finds "été", "coeur" finds "cœur".

Text is folded once (`fold`: case folding, compatibility decomposition, combining marks dropped, the
ligatures œ and æ spelled out), on both sides. A query is a list of words that must all appear, each as a
part of a word or more, somewhere in the item's title, text, place, tags or author's name. A screen that
filters as one types keeps each item's folded `haystack` and the folded `query_words`, and calls
`matches_words` (a few substring tests per item).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence

from reliance.model.catalogue import Item

# Letters that compatibility decomposition keeps whole but people type as two.
_SPELLED_OUT = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d", "ħ": "h", "ı": "i"})


def fold(text: str) -> str:
    """Lower case without accents, for comparing what people type: fold("Fête d'ÉTÉ") == "fete d'ete"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_SPELLED_OUT))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    # Case folding after decomposition catches the capitals that decomposition produced (full-width…).
    return unicodedata.normalize("NFKC", stripped).casefold().translate(_SPELLED_OUT)


def haystack(item: Item, author_name: str = "") -> str:
    """Everything a query searches in `item`, folded; a line break between fields, so no word spans two."""
    fields = (item.title, item.description, item.place, " ".join(item.tags), author_name)
    return fold("\n".join(fields))


def query_words(text: str) -> tuple[str, ...]:
    return tuple(fold(text).split())


def matches_words(hay: str, words: Sequence[str]) -> bool:
    return all(word in hay for word in words)


def matches(item: Item, query: str, author_name: str = "") -> bool:
    """Every word of `query` appears in `item` (or its author's name), whatever the case and accents."""
    words = query_words(query)
    return not words or matches_words(haystack(item, author_name), words)


def search(items: Iterable[Item], query: str, names: Mapping[str, str] | None = None) -> list[Item]:
    """The items that match, in the order given; `names` maps author peer ids to their display names."""
    words = query_words(query)
    if not words:
        return list(items)
    names = names or {}
    return [item for item in items if matches_words(haystack(item, names.get(item.author, "")), words)]
