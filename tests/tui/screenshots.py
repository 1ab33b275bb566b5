"""Write the PNG screenshots of docs/screenshots/ from the deterministic test world.

    .venv/bin/python -m tests.tui.screenshots [OUTPUT_DIR]

Each screen is exported as SVG by Textual, its remote font URLs are stripped (the conversion runs offline),
and Debian's `rsvg-convert` (package librsvg2-bin) turns it into a PNG.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from reliance.tui.app import RelianceApp, create_app
from reliance.tui.node import no_node_factory
from tests.tui.world import FakeNode, build_world, copy_home, fake_peers

ROOT = Path(__file__).resolve().parents[2]

# name: (language, keys pressed after start, size, theme)
SHOTS: dict[str, tuple[str, tuple[str, ...], tuple[int, int], str]] = {
    "welcome": ("en", (), (120, 40), "dark"),
    "home": ("en", ("1",), (120, 40), "dark"),
    "code": ("en", ("2",), (120, 40), "dark"),
    "code-history": ("en", ("2", "h"), (120, 40), "dark"),
    "code-compare": ("en", ("2", "c"), (120, 40), "dark"),
    "catalogue": ("en", ("3",), (120, 40), "dark"),
    "item-details": ("en", ("3", "down", "down", "down", "down", "enter"), (120, 40), "dark"),
    "item-form": ("en", ("3", "n"), (120, 40), "dark"),
    "programme": ("en", ("4",), (120, 40), "dark"),
    "projects": ("en", ("5",), (120, 40), "dark"),
    "projects-balances": ("en", ("5", "b"), (120, 40), "dark"),
    "peers": ("en", ("6",), (120, 40), "dark"),
    "settings": ("en", ("7",), (120, 40), "dark"),
    "accueil-fr": ("fr", ("1",), (120, 40), "dark"),
    "catalogue-fr-light": ("fr", ("3",), (120, 40), "light"),
    "catalogue-60-columns": ("fr", ("3",), (60, 24), "dark"),
    "home-80x24": ("en", ("1",), (80, 24), "dark"),
}


def svg_to_png(svg: str, target: Path) -> None:
    svg = re.sub(r"src: local\([^)]*\), url\([^)]*\)[^;]*;", "", svg)  # no network: drop the web fonts
    svg = svg.replace("<svg ", '<svg xml:space="preserve" ', 1)  # keep the spaces that start a text run
    with tempfile.NamedTemporaryFile("w", suffix=".svg", delete=False, encoding="utf-8") as handle:
        handle.write(svg)
    try:
        subprocess.run(["rsvg-convert", handle.name, "-o", str(target)], check=True)
    finally:
        os.unlink(handle.name)


async def shoot(app: RelianceApp, keys: tuple[str, ...], size: tuple[int, int]) -> str:
    from tests.tui.conftest import settle

    async with app.run_test(size=size) as pilot:
        if keys:
            await settle(app, pilot)
        for key in keys:
            await pilot.press(key)
            await settle(app, pilot)
        await pilot.pause(0.3)
        return app.export_screenshot(title="reliance")


def main(out: Path) -> None:
    if shutil.which("rsvg-convert") is None:
        raise SystemExit("rsvg-convert is missing: apt-get install librsvg2-bin")
    os.environ["TZ"] = "UTC"
    time.tzset()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        world = build_world(Path(tmp) / "world")
        os.environ["HOME"] = tmp
        for number, (name, (lang, keys, size, theme)) in enumerate(SHOTS.items()):
            if name == "welcome":
                app = create_app(Path(tmp) / "fresh", node_factory=no_node_factory, lang=lang)
            else:
                home = copy_home(world, Path(tmp) / f"camille-{number}")
                node = FakeNode(fake_peers())
                app = create_app(home, node_factory=lambda ws, node=node: node, lang=lang)
            app.theme = "textual-light" if theme == "light" else "textual-dark"
            svg = asyncio.run(shoot(app, keys, size))
            svg_to_png(svg, out / f"{name}.png")
            print(out / f"{name}.png")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots")
