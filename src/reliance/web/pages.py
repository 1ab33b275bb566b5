"""The pages of the web face: public pages for anyone on the network, and the paired person's own forms.

Every text comes from the catalogue (`reliance.i18n`, the `web.` keys); every text someone else wrote is
escaped by Jinja2 (autoescape) after `display.clean` made its control and direction characters visible.
A public page is rendered once per version of the commons, language and address (`WebFace.cached_page`).

The forms post to `/act/<operation>` with exactly the arguments of that local API operation
(docs/local-api.md), plus `csrf`: the same shape a browser holding its own key could later sign.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import jinja2
from aiohttp import web

from reliance.app.public import Snapshot, words_match
from reliance.display import clean
from reliance.errors import RelianceError, worded
from reliance.export.ics import calendar_ics
from reliance.i18n import LANGS, answer_label, kind_label, other_lang, section_label, status_label, t
from reliance.identity import canonical_peer
from reliance.localapi.protocol import ApiError
from reliance.model.catalogue import AnswerKind, Item, ItemKind
from reliance.model.codesocial import SECTIONS
from reliance.model.dates import When, describe_day, describe_span
from reliance.model.programme import PROGRAMME_KINDS, first_occurrence
from reliance.model.search import fold, query_words

if TYPE_CHECKING:
    from reliance.web.server import WebFace

FACE: web.AppKey[WebFace] = web.AppKey("reliance_web_face", object)  # type: ignore[arg-type]
TEMPLATES = Path(__file__).parent / "templates"
ERROR_KEYS = {
    400: "web.error.bad",
    403: "web.error.forbidden",
    404: "web.error.not_found",
    413: "web.error.too_large",
    429: "web.error.too_many",
}
CONTRIBUTION_KINDS = ("time", "money", "resource", "knowledge")
WEB_ITEM_KINDS = (ItemKind.OFFER, ItemKind.NEED, ItemKind.EVENT, ItemKind.SEED, ItemKind.CALL)
MULTILINE_FIELDS = {"description", "message", "text", "note"}
INT_FIELDS = {"amount", "capacity"}
LIST_FIELDS = {"tags"}
# The fields each form may post: exactly the arguments of its operation (docs/local-api.md).
FORM_FIELDS: dict[str, tuple[str, ...]] = {
    "item.add": (
        "kind",
        "title",
        "description",
        "tags",
        "place",
        "begins",
        "ends",
        "reciprocity",
        "capacity",
    ),
    "item.update": ("item_id", "title", "description", "tags", "place", "begins", "ends", "reciprocity"),
    "item.archive": ("item_id",),
    "item.answer": ("item_id", "kind", "message", "contact"),
    "code.set": ("section", "text"),
    "project.contribute": ("project", "kind", "amount", "unit", "note"),
}


TEMPLATE_NAMES = (
    "programme.html",
    "catalogue.html",
    "item.html",
    "person.html",
    "projects.html",
    "project.html",
    "pair.html",
    "unpaired.html",
    "me.html",
    "error.html",
)


def warm_templates() -> None:
    """Compile every template once (at start, not during the first visitor's request)."""
    for name in TEMPLATE_NAMES:
        ENV.get_template(name)


def _inert(value: Any) -> Any:
    """Every value a template prints: another person's text with its controls made visible (then escaped)."""
    return clean(value, multiline=True) if isinstance(value, str) else value


ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(TEMPLATES)),
    autoescape=True,
    finalize=_inert,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


# -- language ------------------------------------------------------------------------------------------------


def lang_of(request: web.Request) -> str:
    """The language chosen with the switch (a cookie), else the browser's first known one, else French."""
    from reliance.web.server import LANG_COOKIE

    chosen = request.cookies.get(LANG_COOKIE, "")
    if chosen in LANGS:
        return chosen
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(request.headers.get("Accept-Language", "")[:200].split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.split("-")[0].lower()
        if primary in LANGS and math.isfinite(quality) and quality > 0:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else LANGS[0]


# -- rendering -----------------------------------------------------------------------------------------------


def _local_path(text: str) -> str:
    """A path on this site only (`next` after a switch or a form): never another site's address."""
    parts = urlsplit(text)
    if parts.scheme or parts.netloc or not text.startswith("/") or text.startswith("//") or "\\" in text:
        return "/"
    return text


def render(request: web.Request, template: str, status: int = 200, **values: Any) -> web.Response:
    html = render_text(request, template, **values)
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


def render_text(request: web.Request, template: str, **values: Any) -> str:
    face = request.app[FACE]
    lang = lang_of(request)
    token = face.session_token(request)

    def tr(key: str, **params: Any) -> str:
        return t(key, lang, **params)

    context = {
        "lang": lang,
        "other_lang": other_lang(lang),
        "tr": tr,
        "here": quote(request.path_qs, safe="/?=&%-._~"),
        "paired": token is not None,
        "csrf": face.csrf(token),
        "live": False,
        "kind_label": lambda kind: kind_label(str(kind), lang),
        "status_label": lambda status: status_label(str(status), lang),
        "answer_label": lambda kind: answer_label(str(kind), lang),
        "section_label": lambda section: section_label(section, lang),
        "when": lambda item: item_when(item, lang),
        "day_label": lambda day: describe_day(day, lang),
        "short": lambda peer_id: peer_id[:12],
        **values,
    }
    return ENV.get_template(template).render(context)


def error_page(request: web.Request, status: int, key: str, detail: str = "") -> web.Response:
    try:
        return render(request, "error.html", status=status, message_key=key, detail=detail, title_key=key)
    except Exception:  # the error page itself must not fail
        return web.Response(status=status, text=t(key, lang_of(request)))


def item_when(item: Item, lang: str) -> str:
    return _span_text(item.begins, item.ends, lang) if item.begins else ""


@functools.lru_cache(maxsize=4096)
def _span_text(begins_text: str, ends_text: str, lang: str) -> str:
    """When an item happens, in words (kept: a page of the catalogue shows fifty)."""
    try:
        begins = When.from_iso(begins_text) if begins_text else None
        ends = When.from_iso(ends_text) if ends_text else None
    except RelianceError:
        return ""
    return describe_span(begins, ends, lang)


async def cached(request: web.Request, build: Callable[[Snapshot], str]) -> web.Response:
    """A public page, rendered once per version of the commons (not when the browser is paired: its pages
    carry its own forms)."""
    face = request.app[FACE]
    snapshot = await face.snapshot()
    paired = face.session_token(request) is not None
    key = (request.path_qs, lang_of(request))
    html = None if paired else face.cached_page(key, snapshot.version)
    if html is None:
        html = build(snapshot)
        if not paired:
            face.keep_page(key, snapshot.version, html)
    return web.Response(text=html, content_type="text/html", charset="utf-8")


def _param(request: web.Request, name: str) -> str:
    limit = request.app[FACE].limits.web_query_chars
    return request.query.get(name, "")[:limit].strip()


def _page_number(request: web.Request) -> int:
    text = _param(request, "page")
    return int(text) if text.isdigit() and 0 < len(text) < 7 else 1


# -- public pages --------------------------------------------------------------------------------------------


async def programme_page(request: web.Request) -> web.Response:
    place = _param(request, "place")
    day_text = _param(request, "day")
    page = _page_number(request)

    def build(snapshot: Snapshot) -> str:
        days = snapshot.programme.days
        chosen = None
        try:
            wanted = date.fromisoformat(day_text) if day_text else datetime.now(UTC).date()
        except ValueError:
            wanted = datetime.now(UTC).date()
        if days:
            chosen = next((d for d in days if d.day >= wanted), days[-1])
            if day_text and chosen.day != wanted:
                chosen = next((d for d in days if d.day == wanted), chosen)
        entries = list(chosen.entries) if chosen else []
        places = sorted({e.item.place for e in entries if e.item.place}, key=lambda p: (fold(p), p))
        if place:
            entries = [e for e in entries if e.item.place == place]
        size = request.app[FACE].limits.web_page_items
        pages = max(1, -(-len(entries) // size))
        shown = entries[(page - 1) * size : page * size]
        index = days.index(chosen) if chosen else 0
        return render_text(
            request,
            "programme.html",
            live=True,
            title_key="web.nav.programme",
            days=days,
            day=chosen,
            previous_day=days[index - 1] if chosen and index > 0 else None,
            next_day=days[index + 1] if chosen and index + 1 < len(days) else None,
            entries=shown,
            places=places,
            place=place,
            page=page,
            pages=pages,
            undated=snapshot.programme.undated[:size],
            name=snapshot.name,
        )

    return await cached(request, build)


async def catalogue_page(request: web.Request) -> web.Response:
    query = _param(request, "q")
    kind = _param(request, "kind")
    tag = _param(request, "tag")
    author = _param(request, "author")
    page = _page_number(request)

    def build(snapshot: Snapshot) -> str:
        words = query_words(query)
        folded_tag = fold(tag)
        found: Sequence[Item] = snapshot.items
        if kind:
            found = [item for item in found if item.kind.value == kind]
        if author:
            found = [item for item in found if item.author == author]
        if tag:
            found = [i for i in found if folded_tag in snapshot.folded_tags.get((i.author, i.id), ())]
        if words:
            found = [i for i in found if words_match(snapshot.searchable.get((i.author, i.id), ""), words)]
        size = request.app[FACE].limits.web_page_items
        pages = max(1, -(-len(found) // size))
        return render_text(
            request,
            "catalogue.html",
            live=True,
            title_key="web.nav.catalogue",
            items=found[(page - 1) * size : page * size],
            count=len(found),
            query=query,
            kind=kind,
            kinds=[k.value for k in WEB_ITEM_KINDS],
            tag=tag,
            tags=snapshot.tags[:500],
            author=author,
            authors=snapshot.people_by_name[:500],
            page=page,
            pages=pages,
            name=snapshot.name,
        )

    return await cached(request, build)


def _item_of(snapshot: Snapshot, request: web.Request) -> Item:
    item = snapshot.item(request.match_info["author"], request.match_info["item_id"])
    if item is None:
        raise web.HTTPNotFound()
    return item


async def item_page(request: web.Request) -> web.Response:
    face = request.app[FACE]
    snapshot = await face.snapshot()
    item = _item_of(snapshot, request)

    def build(snapshot: Snapshot) -> str:
        return render_text(
            request,
            "item.html",
            live=True,
            title_text=item.title,
            item=item,
            answers=snapshot.answers.get((item.author, item.id), ()),
            name=snapshot.name,
            on_programme=item.kind in PROGRAMME_KINDS and first_occurrence(item) is not None,
            answer_kinds=[k.value for k in AnswerKind],
            mine=item.author == face.backend.peer_id,
        )

    return await cached(request, build)


async def item_ics(request: web.Request) -> web.Response:
    snapshot = await request.app[FACE].snapshot()
    item = _item_of(snapshot, request)
    data = calendar_ics([item], names={item.author: snapshot.name(item.author)}, name=item.title)
    return web.Response(body=data, content_type="text/calendar", charset="utf-8")


async def programme_ics(request: web.Request) -> web.Response:
    face = request.app[FACE]
    snapshot = await face.snapshot()
    key = ("/programme.ics",)
    text = face.cached_page(key, snapshot.version)
    if text is None:
        names = {peer_id: person.name for peer_id, person in snapshot.people.items()}
        text = calendar_ics(snapshot.items, names=names, name="reliance").decode("utf-8")
        face.keep_page(key, snapshot.version, text)
    return web.Response(
        body=text.encode("utf-8"),
        content_type="text/calendar",
        charset="utf-8",
        headers={"Content-Disposition": 'inline; filename="programme.ics"'},
    )


async def person_page(request: web.Request) -> web.Response:
    snapshot = await request.app[FACE].snapshot()
    try:
        peer_id = canonical_peer(request.match_info["peer_id"][:100])
    except RelianceError:
        raise web.HTTPNotFound() from None
    person = snapshot.people.get(peer_id)
    if person is None:
        raise web.HTTPNotFound()

    def build(snapshot: Snapshot) -> str:
        size = request.app[FACE].limits.web_page_items
        return render_text(
            request,
            "person.html",
            live=True,
            title_text=person.name,
            person=person,
            sections=[(s.id, person.code.get(s.id, "")) for s in SECTIONS if person.code.get(s.id)],
            items=[i for i in snapshot.items if i.author == peer_id][:size],
            name=snapshot.name,
        )

    return await cached(request, build)


async def projects_page(request: web.Request) -> web.Response:
    def build(snapshot: Snapshot) -> str:
        return render_text(
            request,
            "projects.html",
            live=True,
            title_key="web.nav.projects",
            projects=snapshot.projects,
            name=snapshot.name,
        )

    return await cached(request, build)


async def project_page(request: web.Request) -> web.Response:
    snapshot = await request.app[FACE].snapshot()
    project = snapshot.project(request.match_info["project_id"])
    if project is None:  # unknown, or members-only: the same answer
        raise web.HTTPNotFound()

    def build(snapshot: Snapshot) -> str:
        return render_text(
            request,
            "project.html",
            live=True,
            title_text=project.name,
            project=project,
            sections=[(s.id, project.code.get(s.id, "")) for s in SECTIONS if project.code.get(s.id)],
            name=snapshot.name,
        )

    return await cached(request, build)


async def switch_lang(request: web.Request) -> web.Response:
    from reliance.web.server import LANG_COOKIE

    lang = request.match_info["lang"]
    if lang not in LANGS:
        raise web.HTTPNotFound()
    response = web.HTTPSeeOther(_local_path(request.query.get("next", "/")[:2000]))
    response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    raise response


# -- pairing and the person's own pages ----------------------------------------------------------------------


async def pair_page(request: web.Request) -> web.Response:
    """The page a pairing link opens: one button, so that a link preview does not use the link up."""
    token = request.match_info["token"][:100]
    return render(request, "pair.html", title_key="web.pair.title", token=token)


async def pair_post(request: web.Request) -> web.Response:
    from reliance.web.auth import PairingRefused
    from reliance.web.server import SESSION_COOKIE

    face = request.app[FACE]
    form = await form_of(request)
    token = str(form.get("token", ""))[:100]
    try:
        session_token = face.use_pairing(request, token)
    except PairingRefused as exc:  # which refusal, in the reader's language
        return error_page(request, 403, "web.pair.refused", exc.text(lang_of(request)))
    response = web.HTTPSeeOther("/me")
    response.set_cookie(
        SESSION_COOKIE,
        session_token,
        httponly=True,
        samesite="Strict",
        secure=face.tls,
        path="/",
        max_age=365 * 24 * 3600,
    )
    raise response


async def unpair(request: web.Request) -> web.Response:
    from reliance.web.server import SESSION_COOKIE

    face = request.app[FACE]
    token = _checked_session(request, await form_of(request))
    face.sessions.end(token)
    response = web.HTTPSeeOther("/")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


async def form_of(request: web.Request) -> Any:
    """The posted form; a body that is not one (bytes that are not UTF-8, a broken multipart) is a 400."""
    try:
        return await request.post()
    except (UnicodeDecodeError, ValueError, AssertionError):
        raise web.HTTPBadRequest() from None


def _checked_session(request: web.Request, form: Any) -> str:
    face = request.app[FACE]
    token = face.session_token(request)
    if token is None:
        raise web.HTTPForbidden()
    if not face.sessions.check_csrf(token, str(form.get("csrf", ""))[:200]):
        raise web.HTTPForbidden()
    return token


async def me_page(request: web.Request) -> web.Response:
    face = request.app[FACE]
    if face.session_token(request) is None:
        return render(request, "unpaired.html", status=403, title_key="web.me.title")
    return await _me(request)


async def _me(request: web.Request, error: str = "", status: int = 200) -> web.Response:
    face = request.app[FACE]
    backend = face.backend
    code = await backend.read("code.show", {})
    mine = [p for p in await backend.read("project.list", {}) if backend.peer_id in _member_ids(p)]
    snapshot = await face.snapshot()
    return render(
        request,
        "me.html",
        status=status,
        title_key="web.me.title",
        person_name=backend.person_name(),
        peer_id=backend.peer_id,
        code=[(s.id, code.get(s.id, "")) for s in SECTIONS],
        projects=mine,
        contribution_kinds=CONTRIBUTION_KINDS,
        item_kinds=[k.value for k in WEB_ITEM_KINDS],
        my_items=[i for i in snapshot.items if i.author == backend.peer_id][: face.limits.web_page_items],
        error=error,
        done=request.query.get("done") == "1",
    )


def _member_ids(project: dict[str, Any]) -> set[str]:
    return {str(m.get("peer_id")) for m in project.get("members", []) if isinstance(m, dict)}


def form_args(op: str, form: Any, limits: Any) -> dict[str, Any]:
    """The arguments of `op` from a posted form, each bounded; raises HTTP 413 for a field too long."""
    args: dict[str, Any] = {}
    for name in FORM_FIELDS[op]:
        value = form.get(name)
        if value is None or not isinstance(value, str):
            continue
        bound = limits.web_text_chars if name in MULTILINE_FIELDS else limits.web_short_chars
        if len(value) > bound:
            raise web.HTTPRequestEntityTooLarge(max_size=bound, actual_size=len(value))
        value = value.replace("\r\n", "\n")
        if name in INT_FIELDS:
            text = value.strip()
            if not text:
                continue
            if len(text) > limits.typed_value_chars or not text.lstrip("-").isdigit():
                raise ValueError(name)
            args[name] = int(text)
        elif name in LIST_FIELDS:
            args[name] = [part.strip() for part in value.split(",") if part.strip()]
        elif name in MULTILINE_FIELDS:
            args[name] = value
        else:
            args[name] = value.strip()
    return args


async def act(request: web.Request) -> web.Response:
    """A write by the paired person, through the owner (the local API operation of the same name)."""
    face = request.app[FACE]
    op = request.match_info["op"]
    if op not in FORM_FIELDS:
        raise web.HTTPNotFound()
    form = await form_of(request)
    _checked_session(request, form)
    back = _local_path(str(form.get("next", "/me"))[:2000])
    try:
        args = form_args(op, form, face.limits)
        await face.backend.write(op, args)
    except (ApiError, RelianceError) as exc:  # before ValueError: a model refusal is one too
        return await _me(request, worded(exc, lang_of(request)), 400)
    except ValueError as exc:
        return await _me(request, t("web.form.not_a_number", lang_of(request), field=str(exc)), 400)
    await face.snapshot_after_write()
    raise web.HTTPSeeOther(back + ("&" if "?" in back else "?") + "done=1")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", programme_page)
    app.router.add_get("/programme", programme_page)
    app.router.add_get("/programme.ics", programme_ics)
    app.router.add_get("/catalogue", catalogue_page)
    app.router.add_get("/item/{author}/{item_id}.ics", item_ics)
    app.router.add_get("/item/{author}/{item_id}", item_page)
    app.router.add_get("/people/{peer_id}", person_page)
    app.router.add_get("/projects", projects_page)
    app.router.add_get("/projects/{project_id}", project_page)
    app.router.add_get("/lang/{lang}", switch_lang)
    app.router.add_get("/pair/{token}", pair_page)
    app.router.add_post("/pair", pair_post)
    app.router.add_post("/unpair", unpair)
    app.router.add_get("/me", me_page)
    app.router.add_post("/act/{op}", act)
