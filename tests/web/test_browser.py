"""The web face in a real headless Chromium (Debian's, driven by Playwright) against real `reliance serve`
processes: public pages at phone size, search, an item, the calendar feed parsed back, live updates,
pairing, and an offer published from a 390x844 phone reaching another node's command line.

One browser for the module; two homes (Alice serves the pages, Bob is her peer) for the module. Set
RELIANCE_WEB_SCREENSHOTS=DIR to write the main pages' screenshots there (docs/screenshots/ holds them).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reliance.model.catalogue import Item, ItemKind
from tests.net.cluster import Cluster, ServeNode

CHROMIUM = Path("/usr/bin/chromium")
PATIENCE = 15.0
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed (apt-get install chromium)"
)


@pytest.fixture(scope="module")
def homes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServeNode, ServeNode, dict[str, str]]]:
    tmp = tmp_path_factory.mktemp("web-browser")
    with Cluster(tmp, 2, mode="loopback") as cluster:
        alice, bob = cluster.nodes
        ws = alice.workspace
        fete = ws.add_item(
            Item(
                id="",
                kind=ItemKind.EVENT,
                title="Fête d'été à la grange",
                author=ws.peer_id,
                description="Musique, soupe et jeux.\nVenez nombreux !",
                tags=("fête", "musique"),
                place="Grange",
                begins="2026-07-11T14:00",
                ends="2026-07-11T18:00",
            )
        )
        ws.add_item(
            Item(
                id="",
                kind=ItemKind.EVENT,
                title="Atelier vélo",
                author=ws.peer_id,
                place="Fablab",
                begins="2026-07-11T10:00",
                ends="2026-07-11T12:00",
                tags=("vélo",),
            )
        )
        ws.add_item(
            Item(
                id="",
                kind=ItemKind.OFFER,
                title="Prêt d'échelle",
                author=ws.peer_id,
                tags=("outils",),
                description="Une échelle de 3 m.",
                reciprocity="gift",
            )
        )
        ws.add_item(Item(id="", kind=ItemKind.NEED, title="Cherche perceuse", author=ws.peer_id))
        ws.set_code("histoire", "Bricoleuse et cuisinière, au tiers-lieu depuis 2019.")
        alice.cli("project", "create", "Jardin partagé", "--visibility", "public")
        alice.cli(
            "project",
            "contribute",
            "Jardin partagé",
            "--kind",
            "time",
            "--amount",
            "90",
            "--unit",
            "min",
            "--note",
            "Désherbage",
        )
        bob.cli("peer", "add", alice.address)
        alice.start(mdns=False)
        bob.start(mdns=False)
        alice.wait_listening()
        bob.wait_listening()
        cluster.wait(lambda: "web face on" in alice.log(), PATIENCE, "alice's web face")
        cluster.wait(lambda: alice.peer_id in bob.connected(), PATIENCE, "bob connected to alice")
        bob.cli("item", "answer", fete.id, "--kind", "coming", "--message", "J'apporte une guitare")
        yield alice, bob, {"fete": fete.id}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


def base(node: ServeNode) -> str:
    return f"http://127.0.0.1:{node.web_port}"


def phone(browser: Any, lang: str = "fr-FR") -> Any:
    return browser.new_context(
        viewport=PHONE, locale=lang, device_scale_factor=1, is_mobile=True, has_touch=True
    )


def shoot(page: Any, name: str) -> None:
    folder = os.environ.get("RELIANCE_WEB_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"web-{name}.png"), full_page=True)


def no_horizontal_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_public_pages_at_phone_size(homes: tuple[ServeNode, ServeNode, dict[str, str]], browser: Any) -> None:
    alice, _, ids = homes
    context = phone(browser)
    page = context.new_page()
    try:
        page.goto(f"{base(alice)}/programme?day=2026-07-11")
        page.get_by_text("Fête d'été à la grange").wait_for()
        assert page.locator("html").get_attribute("lang") == "fr"
        entries = page.locator("ol.entries > li").all_inner_texts()
        assert [e.split()[0] for e in entries] == ["10:00–12:00", "14:00–18:00"]  # by time, then place
        assert no_horizontal_scroll(page)
        shoot(page, "programme")
        page.keyboard.press("Tab")  # the first stop is the skip link, and it leads to the content
        assert page.evaluate("document.activeElement.className") == "skip"
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"

        page.select_option("#place", "Fablab")
        page.get_by_role("button", name="Afficher").click()
        page.get_by_text("Atelier vélo").wait_for()
        assert page.get_by_text("Fête d'été à la grange").count() == 0

        page.get_by_role("link", name="Catalogue").click()
        page.get_by_text("Prêt d'échelle").wait_for()
        assert no_horizontal_scroll(page)
        shoot(page, "catalogue")

        page.goto(f"{base(alice)}/item/{alice.peer_id}/{ids['fete']}")
        page.get_by_text("J'apporte une guitare").wait_for(timeout=PATIENCE * 1000)  # Bob's answer
        assert page.get_by_role("heading", name="Fête d'été à la grange").is_visible()
        assert page.get_by_text("samedi 11 juillet 2026, 14:00–18:00").is_visible()
        shoot(page, "item")

        page.get_by_role("link", name="Alice").first.click()
        page.get_by_text("Bricoleuse et cuisinière").wait_for()
        shoot(page, "person")

        page.get_by_role("link", name="Projets").click()
        page.get_by_role("link", name="Jardin partagé").click()
        page.get_by_text("Désherbage").wait_for()
        assert page.get_by_role("cell", name="-90").count() + page.get_by_role("cell", name="90").count() >= 1
        shoot(page, "project")

        page.get_by_role("link", name="English").click()
        page.get_by_role("heading", name="Public projects").count()
        assert page.locator("html").get_attribute("lang") == "en"
        _accessibility_check(page)
    finally:
        context.close()


def _accessibility_check(page: Any) -> None:
    """axe-core, run offline from its Python package: no serious or critical violation on the main pages."""
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:
        return  # a development extra; the structure checked above stands without it
    axe = Axe()
    for path in ("/programme?day=2026-07-11", "/catalogue", "/projects"):
        page.goto(page.url.split("/", 3)[0] + "//" + page.url.split("/", 3)[2] + path)
        results = axe.run(page)
        serious = [v["id"] for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
        assert serious == [], (path, results.generate_report())


def test_search_ignores_case_and_accents_and_filters(
    homes: tuple[ServeNode, ServeNode, dict[str, str]], browser: Any
) -> None:
    alice, _, _ = homes
    context = phone(browser, "en-GB")
    page = context.new_page()
    try:
        page.goto(f"{base(alice)}/catalogue")
        assert page.locator("html").get_attribute("lang") == "en"
        page.get_by_label("Search").fill("ECHELLE")
        page.get_by_role("button", name="Find").click()
        page.get_by_text("Prêt d'échelle").wait_for()
        assert page.locator("ul.items > li").count() == 1
        page.get_by_label("Search").fill("")
        page.select_option("#kind", "need")
        page.get_by_role("button", name="Find").click()
        page.get_by_text("Cherche perceuse").wait_for()
        assert page.locator("ul.items > li").count() == 1
        page.goto(f"{base(alice)}/catalogue?tag=VELO")
        assert page.locator("ul.items > li").all_inner_texts()[0].startswith("Atelier vélo")
    finally:
        context.close()


def test_the_calendar_feed_and_an_event_file_parse_back(
    homes: tuple[ServeNode, ServeNode, dict[str, str]], browser: Any
) -> None:
    from icalendar import Calendar

    alice, _, ids = homes
    context = phone(browser)
    page = context.new_page()
    try:
        page.goto(f"{base(alice)}/programme?day=2026-07-11")
        feed = page.get_by_role("link", name="S'abonner au programme dans son agenda (.ics)")
        response = page.request.get(base(alice) + feed.get_attribute("href"))
        assert response.headers["content-type"].startswith("text/calendar")
        events = Calendar.from_ical(response.body()).walk("VEVENT")
        assert {str(e["SUMMARY"]) for e in events} == {"Fête d'été à la grange", "Atelier vélo"}
        page.goto(f"{base(alice)}/item/{alice.peer_id}/{ids['fete']}")
        link = page.get_by_role("link", name="Ajouter à mon agenda (.ics)").get_attribute("href")
        (event,) = Calendar.from_ical(page.request.get(base(alice) + link).body()).walk("VEVENT")
        assert str(event["LOCATION"]) == "Grange"
        assert event.decoded("DTSTART").isoformat() == "2026-07-11T14:00:00"
    finally:
        context.close()


def test_a_page_follows_a_change_made_on_another_node(
    homes: tuple[ServeNode, ServeNode, dict[str, str]], browser: Any
) -> None:
    alice, bob, _ = homes
    context = phone(browser)
    page = context.new_page()
    try:
        page.goto(f"{base(alice)}/catalogue")
        page.wait_for_function("document.body.dataset.seen !== undefined")  # following the events
        bob.cli("offer", "add", "--title", "Soupe au potiron")  # on Bob's node, reaching Alice's by sync
        page.get_by_text("Soupe au potiron").wait_for(timeout=PATIENCE * 1000)  # no reload: the events
        assert page.evaluate("document.body.dataset.seen") != "0"  # (the time it takes: bench/web.py)
    finally:
        context.close()


def test_pair_a_phone_and_publish_an_offer_that_reaches_another_node(
    homes: tuple[ServeNode, ServeNode, dict[str, str]], browser: Any
) -> None:
    alice, bob, _ = homes
    (url,) = json.loads(alice.cli("web", "pair", "--json").out)["urls"]
    context = phone(browser)
    page = context.new_page()
    try:
        page.goto(url)
        page.get_by_role("button", name="Associer ce navigateur").click()
        page.get_by_role("heading", name="Bonjour Alice").wait_for()
        shoot(page, "me")
        page.get_by_label("Type", exact=True).select_option("offer")
        page.get_by_label("Titre").fill("Vélo cargo à prêter")
        page.get_by_label("Description").fill("Le week-end, contre un sourire.")
        page.get_by_label("Mots-clés").fill("vélo, transport")
        page.get_by_role("button", name="Publier").click()
        page.get_by_text("C'est fait.").wait_for()
        assert no_horizontal_scroll(page)
        cookie = next(c for c in context.cookies() if c["name"] == "reliance_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"

        def on_bob() -> list[dict[str, Any]]:
            rows: list[dict[str, Any]] = json.loads(bob.cli("offer", "list", "--json").out)
            return [r for r in rows if r["title"] == "Vélo cargo à prêter"]

        deadline = time.monotonic() + PATIENCE
        while not on_bob() and time.monotonic() < deadline:
            time.sleep(0.2)
        (offer,) = on_bob()
        assert offer["author"] == alice.peer_id and offer["tags"] == ["vélo", "transport"]
    finally:
        context.close()
