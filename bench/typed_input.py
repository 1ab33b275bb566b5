"""What a person types: the cost of reading dates and amounts, and of a programme and its calendar.

    .venv/bin/python bench/typed_input.py [--repeat R] [--items N]

Prints one JSON object:

    {"import_dates_ms": ..., "import_dateparser_ms": ..., "first_parse_fr_ms": ..., "first_parse_en_ms": ...,
     "parse_ms": {"<text>": median, ...}, "iso_parse_ms": ..., "amount_ms": ...,
     "programme_ms": ..., "ics_ms": ..., "items": N}

- import: `reliance.model.dates` alone (dateparser is imported on the first free-text date), then
  dateparser itself, each in a fresh interpreter (so nothing is cached).
- first parse: the first free-text date in each language loads dateparser's language data (the first
  parse in a process pays both); `warm_up()` does it ahead of time.
- parse: the median of --repeat parses of each sample, once warm. ISO 8601 never reaches dateparser.
- programme / ics: N dated items, a fifth of them repeating weekly for three months.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from datetime import date, datetime

SAMPLES_FR = ["14/07/2026 10h", "14 juillet 10:00", "demain 18h", "samedi 14h", "le 1er août à 9h"]
SAMPLES_EN = ["tomorrow 6pm", "next saturday 2pm", "14 July 10am"]
NOW = datetime(2026, 7, 10, 9, 30)


def fresh_import_ms(statement: str) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print((time.perf_counter() - t) * 1000)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return round(float(out), 1)


def first_parse_ms() -> dict[str, float]:
    code = (
        "import time, datetime; from reliance.model.dates import parse_when; "
        "now = datetime.datetime(2026, 7, 10, 9, 30); t = time.perf_counter(); "
        "parse_when('demain 18h', 'fr', now=now); a = time.perf_counter(); "
        "parse_when('tomorrow 6pm', 'en', now=now); b = time.perf_counter(); "
        "print((a - t) * 1000, (b - a) * 1000)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    fr, en = (round(float(x), 1) for x in out.split())
    return {"first_parse_fr_ms": fr, "first_parse_en_ms": en}


def median_ms(action: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()  # type: ignore[operator]
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--items", type=int, default=1000)
    args = parser.parse_args()

    from reliance.export.ics import calendar_ics
    from reliance.model.amounts import parse_amount
    from reliance.model.catalogue import Frequency, Item, ItemKind, Repeat
    from reliance.model.dates import parse_when, warm_up
    from reliance.model.programme import programme

    result: dict[str, object] = {
        "import_dates_ms": fresh_import_ms("import reliance.model.dates"),
        "import_dateparser_ms": fresh_import_ms("import dateparser.date"),
        **first_parse_ms(),
    }
    warm_up("fr")
    result["parse_ms"] = {
        text: median_ms(lambda text=text, lang=lang: parse_when(text, lang, now=NOW), args.repeat)
        for lang, samples in (("fr", SAMPLES_FR), ("en", SAMPLES_EN))
        for text in samples
    }
    result["iso_parse_ms"] = median_ms(lambda: parse_when("2026-07-14T10:00", now=NOW), args.repeat)
    result["amount_ms"] = median_ms(lambda: parse_amount("1 250,50 €", "EUR"), args.repeat)
    items = [
        Item(
            id=f"{n:016x}",
            kind=(ItemKind.EVENT, ItemKind.OFFER)[n % 2],
            title=f"Atelier {n}",
            author="rl" + "a" * 56,
            place=f"Salle {n % 7}",
            begins=f"2026-07-{1 + n % 28:02d}T{8 + n % 12:02d}:00",
            ends=f"2026-07-{1 + n % 28:02d}T{9 + n % 12:02d}:30",
            repeat=Repeat(Frequency.WEEKLY, "2026-09-30") if n % 5 == 0 else None,
        )
        for n in range(args.items)
    ]
    result["programme_ms"] = median_ms(
        lambda: programme(items, start=date(2026, 7, 1), end=date(2026, 9, 30)), max(3, args.repeat // 10)
    )
    result["ics_ms"] = median_ms(lambda: calendar_ics(items), max(3, args.repeat // 10))
    result["items"] = args.items
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
