"""The web face: an aiohttp server in the node's own event loop (a `Component` of the node).

Public pages show only the public commons (`app.public`); a browser paired with the node (`web.auth`) may
write through the owner. Every response carries a strict Content-Security-Policy (no external resource, no
inline script), `Referrer-Policy: same-origin` (a pairing link never leaks to another site), and no
access log is kept (tokens are never logged). Pages follow changes through server-sent events
(`/events`): a change the node receives is read once (`PublicView`), the rendered pages of the last
version are dropped, and every subscriber is told; its page fetches itself again.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import ssl
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from reliance.app.public import Snapshot
from reliance.errors import RelianceError
from reliance.i18n import t
from reliance.limits import Limits
from reliance.net.config import format_url, reachable_hosts
from reliance.web import pages
from reliance.web.auth import PairingRefused, Sessions, csrf_for
from reliance.web.backend import Backend

if TYPE_CHECKING:
    from reliance.localapi.owner import Owner

log = logging.getLogger("reliance.web")

SESSION_COOKIE = "reliance_session"
LANG_COOKIE = "reliance_lang"
HEARTBEAT_SECONDS = 15.0
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
STATIC = Path(__file__).parent / "static"
STATIC_TYPES = {".css": "text/css", ".js": "text/javascript"}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@functools.cache
def static_files() -> dict[str, tuple[bytes, str]]:
    """The files of static/ by name, with their type: read once (warmed in `start`), never from a request."""
    return {
        path.name: (path.read_bytes(), STATIC_TYPES[path.suffix])
        for path in sorted(STATIC.iterdir())
        if path.is_file() and path.suffix in STATIC_TYPES
    }


class WebFace:
    """The web face of one home, served beside its node."""

    def __init__(
        self,
        backend: Backend,
        *,
        host: str = "0.0.0.0",
        port: int = 7448,
        tls: bool = False,
        limits: Limits | None = None,
    ) -> None:
        self.backend = backend
        self.host = host
        self.port = port
        self.tls = tls
        self.limits = limits or backend.limits
        self.sessions = Sessions(backend.home, self.limits)
        self.fingerprint = ""
        self.error = ""  # why it does not serve (its port taken…), shown by `reliance web url`
        self.bound_port: int | None = None
        self._runner: web.AppRunner | None = None
        self._snapshot: Snapshot | None = None
        self._pages: OrderedDict[tuple[Any, ...], tuple[int, str]] = OrderedDict()
        self._subscribers: set[asyncio.Queue[int]] = set()
        self._refreshing: asyncio.Task[None] | None = None
        self._again = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closing = asyncio.Event()
        backend.subscribe(self._changed)

    # -- the component -----------------------------------------------------------------------------------
    def app(self) -> web.Application:
        app = web.Application(client_max_size=self.limits.web_max_body, middlewares=[self._guard])
        app[pages.FACE] = self
        pages.add_routes(app)
        app.router.add_get("/events", self._events)
        app.router.add_get("/static/{name}", self._static)
        return app

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        context: ssl.SSLContext | None = None
        if self.tls:
            from reliance.web.tls import server_context

            context, self.fingerprint = await asyncio.to_thread(
                server_context, self.backend.home, reachable_hosts(self.host)
            )
        await asyncio.to_thread(pages.warm_templates)
        await asyncio.to_thread(static_files)
        runner = web.AppRunner(self.app(), access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port, ssl_context=context, reuse_address=True)
        try:
            await site.start()
        except OSError as exc:  # the node serves its peers all the same: the web face says why it does not
            await runner.cleanup()
            self.error = str(exc.strerror or exc)
            log.warning("the web face cannot listen on port %s: %s", self.port, self.error)
            return
        self._runner = runner
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.bound_port = sockets[0].getsockname()[1] if sockets else self.port
        log.info("web face on %s", ", ".join(self.urls()))

    async def stop(self) -> None:
        self._closing.set()
        if self._refreshing is not None:
            self._refreshing.cancel()
            with contextlib.suppress(BaseException):
                await self._refreshing
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    # -- addresses and pairing (what `reliance web` and the app show: `localapi.node_ops.WebControl`) ----
    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    def urls(self, path: str = "/") -> list[str]:
        if self.bound_port is None:
            return []
        return [format_url(self.scheme, host, self.bound_port, path) for host in reachable_hosts(self.host)]

    def describe(self) -> dict[str, Any]:
        return {"urls": self.urls(), "fingerprint": self.fingerprint, "error": self.error}

    def pair(self) -> dict[str, Any]:
        if self.bound_port is None:
            raise RelianceError(self.error or "the web face is not serving")
        token, expires = self.sessions.new_pairing()
        return {"urls": self.urls(f"/pair/{token}"), "expires": expires, "fingerprint": self.fingerprint}

    def list_sessions(self) -> list[dict[str, Any]]:
        return [s.to_json() for s in self.sessions.list()]

    def revoke(self, session_id: str) -> bool:
        return self.sessions.revoke(session_id)

    # -- the commons, read once per change ---------------------------------------------------------------
    async def snapshot(self) -> Snapshot:
        if self._snapshot is None:
            self._set_snapshot(await self.backend.snapshot())
        assert self._snapshot is not None
        return self._snapshot

    async def snapshot_after_write(self) -> None:
        """A write of this browser's is on the next page it opens (the event would come a moment later)."""
        self._set_snapshot(await self.backend.snapshot())

    def _set_snapshot(self, snapshot: Snapshot) -> None:
        if self._snapshot is None or snapshot.version != self._snapshot.version:
            self._snapshot = snapshot
            self._pages.clear()
            for queue in list(self._subscribers):
                with contextlib.suppress(asyncio.QueueFull):
                    queue.put_nowait(snapshot.version)

    def _changed(self) -> None:
        loop = self._loop
        if loop is None or loop.is_closed() or self._snapshot is None:
            return  # nobody looked yet: the first page reads the commons as they are then
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._refresh_soon()
        else:
            loop.call_soon_threadsafe(self._refresh_soon)

    def _refresh_soon(self) -> None:
        if self._closing.is_set():
            return
        if self._refreshing is not None and not self._refreshing.done():
            self._again = True  # read again once this reading ends: it may have started before the change
            return
        self._refreshing = asyncio.ensure_future(self._refresh())

    async def _refresh(self) -> None:
        while True:
            self._again = False
            try:
                self._set_snapshot(await self.backend.snapshot())
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a store being closed, a bug: the pages keep the last reading
                log.warning("the web face could not read the commons: %s", exc)
            if not self._again:
                return

    def cached_page(self, key: tuple[Any, ...], version: int) -> str | None:
        found = self._pages.get(key)
        if found is None or found[0] != version:
            return None
        self._pages.move_to_end(key)
        return found[1]

    def keep_page(self, key: tuple[Any, ...], version: int, html: str) -> None:
        self._pages[key] = (version, html)
        while len(self._pages) > self.limits.web_page_cache:
            self._pages.popitem(last=False)

    # -- requests ----------------------------------------------------------------------------------------
    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method not in ("GET", "HEAD", "POST"):
            raise web.HTTPMethodNotAllowed(request.method, ["GET", "HEAD", "POST"])
        if request.method == "POST" and not same_origin(request, self.scheme):
            response: web.StreamResponse = pages.error_page(request, 403, "web.error.cross_site")
        else:
            try:
                response = await handler(request)
            except web.HTTPException as exc:
                if exc.status >= 400 and exc.status != 405:
                    response = pages.error_page(
                        request, exc.status, pages.ERROR_KEYS.get(exc.status, "web.error.bad")
                    )
                else:
                    raise
        response.headers["Content-Security-Policy"] = CSP
        response.headers["Referrer-Policy"] = "same-origin"  # no-referrer would make Origin "null"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        return response

    async def _static(self, request: web.Request) -> web.StreamResponse:
        found = static_files().get(request.match_info["name"])
        if found is None:
            raise web.HTTPNotFound()
        body, content_type = found
        return web.Response(body=body, content_type=content_type, headers={"Cache-Control": "max-age=3600"})

    async def _events(self, request: web.Request) -> web.StreamResponse:
        """Server-sent events: `change` with the version of the commons, whenever it changes."""
        if len(self._subscribers) >= self.limits.web_max_subscribers:
            return web.Response(status=503, text=t("web.error.busy", pages.lang_of(request)))
        queue: asyncio.Queue[int] = asyncio.Queue(maxsize=1)  # only the newest version matters
        self._subscribers.add(queue)
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-store",
                "X-Accel-Buffering": "no",
            }
        )
        try:
            await response.prepare(request)
            snapshot = await self.snapshot()
            await response.write(f"retry: 1000\nevent: version\ndata: {snapshot.version}\n\n".encode())
            while not self._closing.is_set():
                try:
                    version = await asyncio.wait_for(queue.get(), HEARTBEAT_SECONDS)
                except TimeoutError:
                    await response.write(b": alive\n\n")
                    continue
                await response.write(f"event: change\ndata: {version}\n\n".encode())
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._subscribers.discard(queue)
        return response

    # -- sessions ----------------------------------------------------------------------------------------
    def session_token(self, request: web.Request) -> str | None:
        token = request.cookies.get(SESSION_COOKIE)
        return token if token and self.sessions.session(token) is not None else None

    def csrf(self, token: str | None) -> str:
        return csrf_for(token) if token else ""

    def use_pairing(self, request: web.Request, token: str) -> str:
        address = request.remote or "?"
        try:
            return self.sessions.pair(token, address, request.headers.get("User-Agent", ""))
        except PairingRefused:
            raise
        except RelianceError as exc:  # the sessions file could not be written
            raise PairingRefused("web.pair.not_saved", reason=exc) from None


def same_origin(request: web.Request, scheme: str) -> bool:
    """A POST comes from a page of this very site: its Origin is this host (browsers send it on every
    POST); without one, Sec-Fetch-Site must say same-origin."""
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin == f"{scheme}://{request.host}"
    return request.headers.get("Sec-Fetch-Site") == "same-origin"


def serve_web(owner: Owner, *, host: str, port: int, tls: bool = False) -> WebFace:
    """Serve the web face of `owner`'s home beside its node (started and stopped with it)."""
    from reliance.web.backend import OwnerBackend

    face = WebFace(OwnerBackend(owner), host=host, port=port, tls=tls)
    owner.node.add_component(face)
    owner.web = face
    return face
