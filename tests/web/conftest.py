"""A real home, its owner and node on loopback, and the web face it serves (on a port of its own)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import yarl

from reliance.app.workspace import Workspace
from reliance.localapi.owner import Owner
from reliance.net.config import NodeConfig
from reliance.net.node import Node
from reliance.web.server import WebFace, serve_web


@dataclass
class Served:
    ws: Workspace
    owner: Owner
    face: WebFace

    @property
    def base(self) -> str:
        return self.face.urls()[0].rstrip("/")

    def client(self, **headers: str) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(
            self.base, cookie_jar=aiohttp.CookieJar(unsafe=True), headers=headers or None
        )

    async def pair(self, session: aiohttp.ClientSession) -> str:
        """Pair `session` as the browser of this home's person; its CSRF token."""
        token = self.face.pair()["urls"][0].rsplit("/", 1)[1]
        async with session.post("/pair", data={"token": token}, headers={"Origin": self.base}) as response:
            assert response.status == 200, await response.text()
            assert str(response.url).endswith("/me")
        cookie = session.cookie_jar.filter_cookies(yarl.URL(self.base))["reliance_session"].value
        return self.face.csrf(cookie)


async def start_served(home: Path, name: str = "Alice", *, tls: bool = False) -> Served:
    ws = Workspace.create(home, name)
    config = NodeConfig(port=0, listen="127.0.0.1", mdns=False, write_state=False)
    owner = Owner(ws, Node(ws, config), "serve")
    face = serve_web(owner, host="127.0.0.1", port=0, tls=tls)
    await owner.start()
    return Served(ws, owner, face)


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    served = await start_served(tmp_path / "alice")
    try:
        yield served
    finally:
        await served.owner.stop()
