"""Other people's text, made safe to show: what a terminal shows is what its author wrote, and nothing more.

Names, titles, descriptions, tags, places, social-code sections, ledger notes, answers, peer names and the
reasons peers give all come from documents or frames that anyone may write. Printed raw, a title could clear
the screen, move the cursor, rewrite the clipboard (OSC 52 in xterm, kitty, tmux), or reorder its own
characters with bidirectional overrides so that it reads other than it is. Every face (the command line, the
app, the node's log) passes such text through `clean` before showing it:

- C0 controls (ESC included) and DEL are made visible as their Unicode control pictures (␛, ␇, ␡…), so an
  escape sequence shows as inert text (`␛]52;c;…`) instead of acting; a newline and a tab are kept only
  where the field is multi-line (a description, a section), a CR only as part of CRLF;
- C1 controls (U+0080–U+009F: 8-bit CSI, OSC, NEL…), lone surrogates, and bidirectional embeddings,
  overrides and isolates (U+202A–U+202E, U+2066–U+2069) become U+FFFD (�): the text shows in the order its
  author typed it, and the reader sees that something was there; line and paragraph separators (U+2028,
  U+2029) are newlines where the field is multi-line, spaces elsewhere.

Each character is replaced by one character (never removed or expanded), so the spans of a styled Rich
`Text` stay where they were when its plain text is cleaned (`tui.widgets.plain`).

Rich / Textual markup is a separate matter: the app never hands foreign text to a widget as markup
(`tui.widgets.plain` makes a `Text` of it), so `[bold]` or `[@click=…]` in a title shows as typed.

JSON output (`--json`, `export --format json`) keeps the exact text: `json_text` writes the same characters
as JSON escapes (`\\u001b`, `\\u009b`, `\\u202e`), which a terminal shows as text and a parser reads back
unchanged.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
LINE_SEPARATORS = "\u2028\u2029"
REPLACEMENT = "\ufffd"

# Anything `clean` may change. A text without any of it (nearly every text) is returned as it is.
_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f{BIDI_CONTROLS}{LINE_SEPARATORS}\ud800-\udfff]")
_UNSAFE_MULTILINE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{BIDI_CONTROLS}{LINE_SEPARATORS}\ud800-\udfff]")
# What JSON output writes as \\uXXXX escapes (json.dumps already escapes C0 controls).
_JSON_UNSAFE = re.compile(f"[\x7f-\x9f{BIDI_CONTROLS}{LINE_SEPARATORS}\ud800-\udfff]")


def _table(multiline: bool) -> dict[int, str]:
    table: dict[int, str] = {c: chr(0x2400 + c) for c in range(0x20)}  # ␀ … ␟
    table[0x7F] = "\u2421"  # ␡
    table.update({c: REPLACEMENT for c in range(0x80, 0xA0)})
    table.update({c: REPLACEMENT for c in range(0xD800, 0xE000)})
    table.update({ord(c): REPLACEMENT for c in BIDI_CONTROLS})
    separator = "\n" if multiline else " "
    table.update({ord(c): separator for c in LINE_SEPARATORS})
    if multiline:
        table[0x0A] = "\n"
        table[0x09] = "\t"
    else:
        table[0x09] = " "
    return table


_SINGLE_LINE = _table(multiline=False)
_MULTILINE = _table(multiline=True)


def clean(text: str, *, multiline: bool = False) -> str:
    """`text` as it may be shown on a terminal or in the app (see the module's docstring)."""
    if multiline:
        if not _UNSAFE_MULTILINE.search(text):
            return text
        # CRLF is a line end; a lone CR would move back over what is already shown.
        parts = text.split("\r\n")
        return "\r\n".join(part.translate(_MULTILINE) for part in parts)
    if not _UNSAFE.search(text):
        return text
    return text.translate(_SINGLE_LINE)


def clean_lines(text: str) -> str:
    """`clean` for a multi-line field."""
    return clean(text, multiline=True)


def json_text(value: Any, *, indent: int | None = 2) -> str:
    """JSON of `value` that keeps every character of its strings exactly, and that no terminal acts on:
    control, bidirectional and separator characters are written as `\\uXXXX` escapes."""
    return escape_json(json.dumps(value, ensure_ascii=False, indent=indent, sort_keys=True))


def escape_json(dumped: str) -> str:
    """Escape what `json_text` escapes in JSON already written (such characters only occur in strings)."""
    if not _JSON_UNSAFE.search(dumped):
        return dumped
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", dumped)


class InertFormatter(logging.Formatter):
    """Log lines for a terminal or a file someone will `cat`: each message on one inert line (peers' names
    and reasons are in them), a traceback on its own lines."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return clean(super().formatMessage(record))

    def format(self, record: logging.LogRecord) -> str:
        return clean(super().format(record), multiline=True)
