"""JSON text that comes from outside (a peer's document, a local request, a file to import), parsed.

Python's parser recurses once per nesting level, so `[[[[…` a few hundred kilobytes long raises
RecursionError, which no caller expects from bad input. Here it is a ValueError like any other text that
is not JSON, so each caller's refusal for unreadable JSON covers it.
"""

from __future__ import annotations

import json
from typing import Any


def parse_json(text: str | bytes) -> Any:
    """`json.loads(text)`; nesting too deep for the parser raises ValueError, as malformed JSON does."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
