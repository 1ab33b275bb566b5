"""The web face against hostile visitors and hostile peers' text, over real HTTP to a real node.

Public pages show only the public commons; pairing links work once, for ten minutes, and guessing is
rate-limited; every write needs the session cookie, the form's CSRF token and a same-site Origin; bodies and
fields are bounded; other people's text is escaped on every page.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from reliance.app import projects
from reliance.app.workspace import Workspace
from reliance.model.catalogue import Item, ItemKind, Status
from reliance.net.oneshot import sync_once
from reliance.web.server import STATIC
from tests.web.conftest import Served, start_served

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>"\'&'
LINK = re.compile(r'href="(/[^"#]*)"')


async def in_home(served: Served, func: Any, *args: Any) -> Any:
    """A write of the test in the owner's home, as the app would make it: on the owner's worker, then told."""
    result = await served.owner.node.in_store(func, *args)
    served.owner.local_change(served.ws.peer_id)
    return result


@pytest.fixture
async def commons(tmp_path: Path) -> AsyncIterator[tuple[Served, dict[str, str]]]:
    """Alice serves; Bob (another home, hostile text everywhere) synced his document to her node over
    loopback; Alice has a draft and a members-only project, and a public project."""
    served = await start_served(tmp_path / "alice")
    try:
        ws = served.ws
        secret_project = await served.owner.node.in_store(
            projects.create_project, ws, "Secret garden", "members"
        )
        public_project = await served.owner.node.in_store(
            projects.create_project, ws, "Open commons", "public"
        )
        await served.owner.node.in_store(
            projects.contribute, ws, public_project, "time", 90, "min", f"note {HOSTILE}", {}
        )
        draft = await in_home(
            served,
            ws.add_item,
            Item(
                id="",
                kind=ItemKind.EVENT,
                title="Hidden draft party",
                author=ws.peer_id,
                begins="2026-07-11T10:00",
                status=Status.DRAFT,
            ),
        )
        event = await in_home(
            served,
            ws.add_item,
            Item(
                id="",
                kind=ItemKind.EVENT,
                title="Fête d'été",
                author=ws.peer_id,
                begins="2026-07-11T14:00",
                place="Grange",
            ),
        )
        bob = Workspace.create(tmp_path / "bob", f"Bob {HOSTILE}")
        bob.set_code("histoire", f"story {HOSTILE}")
        hostile_item = bob.add_item(
            Item(
                id="",
                kind=ItemKind.EVENT,
                title=f"Title {HOSTILE}",
                author=bob.peer_id,
                description=f"text {HOSTILE}",
                tags=("tag<b>",),
                place=f"place {HOSTILE}",
                begins="2026-07-11T16:00",
            )
        )
        host, port = served.owner.listen_address or ("", 0)
        await sync_once(bob, host, port, timeout=30)  # Bob receives Alice's event…
        bob.answer(event.id, "interested", f"answer {HOSTILE}")
        await sync_once(bob, host, port, timeout=30)  # …and she, his answer
        ids = {
            "secret": secret_project,
            "public": public_project,
            "draft": draft.id,
            "event": event.id,
            "hostile": hostile_item.id,
            "bob": bob.peer_id,
        }
        yield served, ids
    finally:
        await served.owner.stop()


async def crawl(session: aiohttp.ClientSession, start: list[str], most: int = 60) -> dict[str, str]:
    """Every page reachable from `start` by the site's own links (at most `most`): address -> HTML."""
    pages: dict[str, str] = {}
    queue = list(start)
    while queue and len(pages) < most:
        path = queue.pop(0)
        if path in pages or path.startswith(("/lang/", "/static/", "/events")):
            continue
        async with session.get(path) as response:
            text = await response.text()
        pages[path] = text
        if "text/html" in response.headers.get("Content-Type", ""):
            queue += [html.unescape(link) for link in LINK.findall(text)]
    return pages


async def wait_until_shown(served: Served, path: str, text: str) -> None:
    async with served.client() as session, asyncio.timeout(10):
        while True:
            async with session.get(path) as response:
                if text in await response.text():
                    return
            await asyncio.sleep(0.05)


async def test_no_page_or_feed_shows_a_draft_or_a_members_only_project(
    commons: tuple[Served, dict[str, str]],
) -> None:
    served, ids = commons
    await wait_until_shown(served, "/catalogue", "Title")
    async with served.client() as session:
        pages = await crawl(
            session,
            [
                "/",
                "/programme?day=2026-07-11",
                "/catalogue",
                "/catalogue?q=party",
                "/projects",
                "/programme.ics",
                f"/people/{served.ws.peer_id}",
                f"/projects/{ids['public']}",
            ],
        )
        assert f"/projects/{ids['public']}" in pages and "Open commons" in pages["/projects"]
        assert any("Fête d'été" in page for page in pages.values())
        for path, page in pages.items():
            assert "Hidden draft party" not in page, path
            assert "Secret garden" not in page, path
            assert ids["secret"] not in page, path
            assert ids["draft"] not in page, path
        for path in (
            f"/projects/{ids['secret']}",
            f"/item/{served.ws.peer_id}/{ids['draft']}",
            f"/item/{served.ws.peer_id}/{ids['draft']}.ics",
        ):
            async with session.get(path) as response:
                assert response.status == 404, path
                assert "Secret garden" not in await response.text()


async def test_every_page_shows_other_peoples_text_escaped(commons: tuple[Served, dict[str, str]]) -> None:
    served, ids = commons
    await wait_until_shown(served, "/catalogue", "Title")
    async with served.client() as session:
        pages = await crawl(
            session,
            [
                "/",
                "/programme?day=2026-07-11",
                "/catalogue",
                f"/people/{ids['bob']}",
                f"/item/{ids['bob']}/{ids['hostile']}",
                f"/item/{served.ws.peer_id}/{ids['event']}",
                f"/projects/{ids['public']}",
            ],
        )
        await served.pair(session)
        for path in ("/me", f"/item/{ids['bob']}/{ids['hostile']}"):
            async with session.get(path) as response:
                pages[f"paired {path}"] = await response.text()
    shown = {path: page for path, page in pages.items() if "<html" in page}
    assert len(shown) >= 8
    escaped = html.escape(HOSTILE, quote=False)
    seen_escaped = 0
    for path, page in shown.items():
        assert "<script>alert" not in page, path
        assert "<img src=x" not in page, path
        assert 'onerror=alert(1)"' not in page, path
        assert "<b>" not in page, path
        seen_escaped += (
            escaped.replace('"', "&#34;").replace("'", "&#39;") in page or "&lt;script&gt;" in page
        )
    assert seen_escaped >= 4  # the item, Bob's page, the catalogue, the programme each show it, as text
    item_page = shown[f"/item/{ids['bob']}/{ids['hostile']}"]
    assert "Title &lt;script&gt;alert(" in item_page
    assert "story &lt;script&gt;" in shown[f"/people/{ids['bob']}"]


async def test_a_pairing_link_works_once_and_the_session_cookie_is_strict(served: Served) -> None:
    token = served.face.pair()["urls"][0].rsplit("/", 1)[1]
    async with served.client() as session:
        async with session.post(
            "/pair", data={"token": token}, headers={"Origin": served.base}, allow_redirects=False
        ) as response:
            assert response.status == 303
            cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        value = cookie.split(";", 1)[0].split("=", 1)[1]
        stored = (served.ws.home / "web-sessions.json").read_text()
        assert value not in stored and len(json.loads(stored)) == 1  # only its hash is kept
    async with served.client() as other:
        async with other.post("/pair", data={"token": token}, headers={"Origin": served.base}) as response:
            assert response.status == 403  # used already
        async with other.get("/me") as response:
            assert response.status == 403


async def test_forged_and_expired_pairing_tokens_fail_and_guessing_is_rate_limited(served: Served) -> None:
    now = [1000.0]
    served.face.sessions.clock = lambda: now[0]
    expired = served.face.pair()["urls"][0].rsplit("/", 1)[1]
    now[0] += served.face.limits.web_pair_seconds + 1
    async with served.client() as session:
        for token in (expired, "forged-" + "a" * 40, ""):
            async with session.post(
                "/pair", data={"token": token}, headers={"Origin": served.base}
            ) as response:
                assert response.status == 403
        good = served.face.pair()["urls"][0].rsplit("/", 1)[1]
        for _ in range(served.face.limits.web_pair_failures_per_address):
            async with session.post("/pair", data={"token": "guess"}, headers={"Origin": served.base}) as r:
                assert r.status == 403
        async with session.post("/pair", data={"token": good}, headers={"Origin": served.base}) as response:
            assert response.status == 403  # even the right one, until the minute has passed
        now[0] += 61
        async with session.post("/pair", data={"token": good}, headers={"Origin": served.base}) as response:
            assert response.status == 200 and str(response.url).endswith("/me")


async def test_pairing_tokens_never_reach_the_log(served: Served, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    info = served.face.pair()
    token = info["urls"][0].rsplit("/", 1)[1]
    async with served.client() as session:
        async with session.get(f"/pair/{token}") as response:
            assert response.status == 200
        csrf = await served.pair(session)
        async with session.post(
            "/act/item.add",
            data={"csrf": csrf, "kind": "offer", "title": "Ladder"},
            headers={"Origin": served.base},
        ) as response:
            assert response.status == 200
    cookie_values = [c.value for c in session.cookie_jar]
    for record in caplog.records:
        text = record.getMessage()
        assert token not in text
        assert all(value not in text for value in cookie_values)


async def written_titles(served: Served) -> list[str]:
    return [i.title for i in await served.owner.node.in_store(served.ws.items)]


async def test_writes_need_the_session_the_csrf_token_and_a_same_site_origin(served: Served) -> None:
    async with served.client() as session:
        csrf = await served.pair(session)
        origin = {"Origin": served.base}
        cases: list[tuple[dict[str, str], dict[str, str]]] = [
            ({"kind": "offer", "title": "no csrf"}, origin),
            ({"kind": "offer", "title": "bad csrf", "csrf": "0" * 64}, origin),
            ({"kind": "offer", "title": "cross site", "csrf": csrf}, {"Origin": "http://evil.example"}),
            ({"kind": "offer", "title": "null origin", "csrf": csrf}, {"Origin": "null"}),
            ({"kind": "offer", "title": "no origin", "csrf": csrf}, {}),
        ]
        for data, headers in cases:
            async with session.post("/act/item.add", data=data, headers=headers) as response:
                assert response.status == 403, data["title"]
        async with session.post(
            "/act/item.add",
            data={"kind": "offer", "title": "same site", "csrf": csrf},
            headers={"Sec-Fetch-Site": "same-origin"},
        ) as response:
            assert response.status == 200
    async with served.client() as stranger:  # no session at all, or a forged cookie
        stranger.cookie_jar.update_cookies({"reliance_session": "forged"})
        async with stranger.post(
            "/act/item.add",
            data={"kind": "offer", "title": "stranger", "csrf": csrf},
            headers={"Origin": served.base},
        ) as response:
            assert response.status == 403
    assert await written_titles(served) == ["same site"]


async def test_a_revoked_session_can_no_longer_write(served: Served) -> None:
    async with served.client() as session:
        csrf = await served.pair(session)
        (row,) = served.face.list_sessions()
        assert served.face.revoke(row["id"])
        async with session.post(
            "/act/item.add",
            data={"kind": "offer", "title": "after", "csrf": csrf},
            headers={"Origin": served.base},
        ) as response:
            assert response.status == 403
    assert await written_titles(served) == []


async def test_request_bodies_and_fields_are_bounded(served: Served) -> None:
    limits = served.face.limits
    async with served.client() as session:
        csrf = await served.pair(session)
        origin = {"Origin": served.base}
        big = {"csrf": csrf, "kind": "offer", "title": "big", "description": "x" * (limits.web_max_body + 10)}
        async with session.post("/act/item.add", data=big, headers=origin) as response:
            assert response.status == 413
        long_title = {"csrf": csrf, "kind": "offer", "title": "t" * (limits.web_short_chars + 1)}
        async with session.post("/act/item.add", data=long_title, headers=origin) as response:
            assert response.status == 413
        long_query = "/catalogue?q=" + "a" * 5000
        async with session.get(long_query) as response:
            assert response.status == 200
    assert await written_titles(served) == []


async def test_a_paired_browser_writes_through_the_owner_as_its_person(served: Served) -> None:
    documents: list[dict[str, Any]] = []
    served.owner.server.publish = lambda kind, data: documents.append(data) if kind == "documents" else None  # type: ignore[union-attr,method-assign]
    async with served.client() as session:
        csrf = await served.pair(session)
        data = {"csrf": csrf, "kind": "offer", "title": "Ladder", "tags": "tools, wood", "description": "2 m"}
        async with session.post("/act/item.add", data=data, headers={"Origin": served.base}) as response:
            assert response.status == 200
            assert "Ladder" in await response.text()
        async with session.post(
            "/act/code.set",
            data={"csrf": csrf, "section": "histoire", "text": "Hello"},
            headers={"Origin": served.base},
        ) as response:
            assert response.status == 200
    (item,) = await served.owner.node.in_store(served.ws.items)
    assert (item.title, item.tags, item.author) == ("Ladder", ("tools", "wood"), served.ws.peer_id)
    assert served.ws.code()["histoire"] == "Hello"
    assert {"doc_ids": [served.ws.peer_id], "origin": "web"} in documents  # announced by the owner
    doc = served.ws.repo.open(served.ws.peer_id)
    assert all(change.signature for change in doc.signed_changes())  # signed by the device key


async def test_the_language_follows_the_browser_and_the_switch(served: Served) -> None:
    async with served.client(**{"Accept-Language": "en-GB,en;q=0.9,fr;q=0.5"}) as session:
        async with session.get("/catalogue") as response:
            assert '<html lang="en">' in await response.text()
        async with session.get("/lang/fr?next=/catalogue") as response:
            assert '<html lang="fr">' in await response.text()
        async with session.get("/lang/fr?next=//evil.example/", allow_redirects=False) as response:
            assert response.headers["Location"] == "/"
    async with (
        served.client(**{"Accept-Language": "de, fr;q=0.3"}) as session,
        session.get("/") as response,
    ):
        assert '<html lang="fr">' in await response.text()
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["Referrer-Policy"] == "same-origin"


async def test_a_form_that_is_not_utf8_is_refused_not_a_crash(served: Served) -> None:
    """Found by the `web` fuzz target: aiohttp's form parser raised UnicodeDecodeError (a 500)."""
    async with served.client() as session:
        csrf = await served.pair(session)
        body = f"csrf={csrf}&kind=offer&title=\xc0".encode("latin-1")
        headers = {"Origin": served.base, "Content-Type": "application/x-www-form-urlencoded"}
        async with session.post("/act/item.add", data=body, headers=headers) as response:
            assert response.status == 400
    assert await written_titles(served) == []


async def test_live_pages_are_bounded_and_told_of_each_change(tmp_path: Path) -> None:
    from dataclasses import replace

    served = await start_served(tmp_path / "alice")
    try:
        served.face.limits = replace(served.face.limits, web_max_subscribers=2)
        async with served.client() as session:
            first = await session.get("/events")
            second = await session.get("/events")
            assert (await first.content.readline()).startswith(b"retry:")
            await second.content.readline()
            async with session.get("/events") as third:
                assert third.status == 503  # told to reload by hand; the two others go on
            await in_home(
                served,
                served.ws.add_item,
                Item(id="", kind=ItemKind.OFFER, title="Ladder", author=served.ws.peer_id),
            )
            async with asyncio.timeout(10):
                while not (line := await first.content.readline()).startswith(b"event: change"):
                    assert line  # the stream goes on until the change
            first.close()
            second.close()
    finally:
        await served.owner.stop()


@pytest.mark.parametrize(
    ("accept", "reason"), [("fr", "une annonce a besoin d'un titre"), ("en", "an item needs a title")]
)
async def test_a_refused_write_is_said_in_the_browsers_language(
    served: Served, accept: str, reason: str
) -> None:
    async with served.client(**{"Accept-Language": accept}) as session:
        csrf = await served.pair(session)
        data = {"csrf": csrf, "kind": "offer", "title": "   "}
        async with session.post("/act/item.add", data=data, headers={"Origin": served.base}) as response:
            assert response.status == 400
            page = html.unescape(await response.text())
            assert reason in page, re.findall(r"class=\"error[^>]*>([^<]*)", page)
    assert await written_titles(served) == []


async def test_only_the_sites_own_static_files_are_served(served: Served) -> None:
    async with served.client() as session:
        async with session.get("/static/style.css") as response:
            assert response.status == 200 and response.content_type == "text/css"
            assert await response.read() == (STATIC / "style.css").read_bytes()
        for name in ("nothing.css", "..%2Fserver.py", "%2E%2E%2Fpages.py", "style.css.map"):
            async with session.get(f"/static/{name}") as response:
                assert response.status == 404, name
