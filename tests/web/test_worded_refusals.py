"""The web face's refusals reach the browser in its reader's language: a pairing link that does not work says
why, and an operation the web face does not open is refused in words of the catalogue."""

from __future__ import annotations

import html

import pytest

from reliance.i18n import t
from reliance.localapi.protocol import ApiError

from .conftest import Served

LANGUAGE = {"fr": "fr-FR,fr;q=0.9", "en": "en-GB,en;q=0.9"}


@pytest.mark.parametrize("lang", ["fr", "en"])
async def test_a_refused_pairing_says_why_in_the_browsers_language(served: Served, lang: str) -> None:
    async with served.client(**{"Accept-Language": LANGUAGE[lang]}) as session:
        pages = []
        for _ in range(served.face.limits.web_pair_failures_per_address + 1):
            async with session.post(
                "/pair", data={"token": "guess"}, headers={"Origin": served.base}
            ) as response:
                assert response.status == 403
                pages.append(html.unescape(await response.text()))
    unknown, too_many = pages[0], pages[-1]
    assert t("web.pair.refused", lang) in unknown and t("web.pair.unknown", lang) in unknown
    assert t("web.pair.too_many", lang) in too_many and t("web.pair.unknown", lang) not in too_many


async def test_an_operation_not_open_to_the_web_face_is_refused_in_words(served: Served) -> None:
    with pytest.raises(ApiError) as caught:
        await served.face.backend.write("code.show", {})
    assert caught.value.text("fr") == t("web.error.op_not_open", "fr", op="code.show")
    assert caught.value.text("en") == t("web.error.op_not_open", "en", op="code.show")
