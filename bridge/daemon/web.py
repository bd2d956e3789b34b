"""The daemon's HTTP face: health, readiness, Prometheus metrics and status.

:func:`build_app` makes the Starlette app; :class:`HttpServer` runs it with uvicorn inside the
running event loop, and :func:`serve_http` is the same as one call that returns when ``stop`` is
set. Routes:

``GET /healthz``  200 ``ok`` while the process and its loop run (a standby is healthy); 503
                  with the reason when ``liveness`` says the daemon's loop is stuck
``GET /readyz``   200 ``{"ready": true, "checks": {...}}``, else 503 with the same body
``GET /metrics``  the Prometheus exposition of :class:`~bridge.daemon.metrics.BridgeMetrics`
``GET /``         the status page (HTML, updates itself): every performance by name and local
                  start, a summary bar, the activity feed, the units
``GET /status.json`` (and ``/status``)  the same data as JSON; 404 when none was given
``GET /performances/{id}`` (HTML) and ``/performances/{id}.json``: one performance's status,
                  conflicts, pending operations, recent runs and (when given) its seat map
``POST /performances/{id}/sync``  "sync now": the performance's unit runs at once (202), or
                  404 (not scheduled), 409 (not this daemon's to run); see
                  :mod:`bridge.daemon.sync_now`. A form from the page gets a 303 back to it

Every route but the sync is GET (and HEAD) only, and changes nothing; the sync changes only when
a unit runs, never what a run does. With a ``token``, every route but ``/healthz`` needs
``Authorization: Bearer <token>`` (compared in constant time; 401 otherwise);
:func:`check_exposure` refuses a ``listen`` beyond loopback without one. A POST also has to come
from the server's own origin (:func:`cross_site`, 403 otherwise): a page elsewhere cannot make a
browser on the operator's machine post to it. Those two are the CSRF defence: no form token.

The JSON routes carry an ``ETag`` (a hash of the body) and answer 304 to an ``If-None-Match``
naming it; with ``?poll=1`` they answer the page's poller only the times it patches in place and
a digest of the rest (:func:`index_poll`, :func:`page_digest`): a page is downloaded again only
when more than its times changed.

Responses only carry what the callables return; the daemon hands over redacted data.

The data callables may return an awaitable (the daemon's read the store in a thread, or hop to
its own loop); a page waits for one at most ``page_timeout_s`` and answers 503 saying what did
not answer, never hangs. ``/healthz``, ``/readyz`` and ``/metrics`` read memory only. With
``own_thread``, :class:`HttpServer` runs on a thread and event loop of its own, so the probes
answer even while the daemon's loop is blocked in a synchronous call.

uvicorn's :class:`~uvicorn.Server` installs its own SIGINT/SIGTERM handlers in ``serve()``
(``capture_signals``) and has no setting to turn that off; the daemon owns those signals, so the
server here overrides ``capture_signals`` with a no-op. The socket is bound here, before uvicorn
starts, so a bad address or a port in use is a :class:`~bridge.errors.ConfigError` (uvicorn
itself would log and ``sys.exit``) and the bound port is known at once (``listen`` may say port 0).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import inspect
import ipaddress
import json
import secrets
import socket
import threading
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any, TypeAlias, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from bridge.clock import SYSTEM, Clock
from bridge.config.secrets import HTTP_TOKEN_ENV
from bridge.core.explain import PerformanceFacts
from bridge.daemon.metrics import BridgeMetrics
from bridge.daemon.overview import STATES as ROW_STATES
from bridge.daemon.overview import counts_of, health_of, rows_of, units_of
from bridge.daemon.seatmap import COLOURS, LEGEND, STATES, dots_of, render_seatmap
from bridge.daemon.sync_now import SyncAnswer
from bridge.errors import BridgeError, ConfigError

#: Seconds the server gives requests in flight once told to stop, before cancelling them.
GRACE_S = 1
#: Seconds :meth:`HttpServer.start` waits for uvicorn to accept connections.
STARTUP_TIMEOUT_S = 10.0
#: Seconds a page waits for its data (the store, the vendors) before it answers 503.
PAGE_TIMEOUT_S = 10.0

T = TypeVar("T")
#: what a data callable returns: the value, or an awaitable of it
Maybe: TypeAlias = T | Awaitable[T]


class NoAnswer(Exception):
    """A page's data did not come within the page timeout; the message says what."""


async def _within(got: Maybe[T], timeout_s: float, what: str) -> T:
    """``got``, awaited for at most ``timeout_s`` when it is awaitable."""
    if not inspect.isawaitable(got):
        return got
    try:
        async with asyncio.timeout(timeout_s):
            return await got
    except TimeoutError:
        raise NoAnswer(f"{what} did not answer within {timeout_s:g} s") from None


@dataclass(frozen=True, slots=True)
class Readiness:
    """Whether the daemon should get traffic/alerts as working; ``checks`` maps each check's
    name to ``"ok"`` or the reason it is not."""

    ready: bool
    checks: Mapping[str, str]


#: Paths anyone may ask, token or not: liveness probes (container HEALTHCHECK, kubelet) send none.
OPEN_PATHS = frozenset({"/healthz"})
#: Seconds between the page's own refreshes, unless ``?refresh=N`` (1 to 3600) asks otherwise.
REFRESH_S = 5


def build_app(
    readiness: Callable[[], Readiness],
    metrics: BridgeMetrics,
    status: Callable[[], Maybe[Mapping[str, object]]] | None = None,
    *,
    overview: Callable[[], Maybe[Mapping[str, object]]] | None = None,
    performance: Callable[[int], Maybe[Mapping[str, object] | None]] | None = None,
    seat_facts: Callable[[int], Awaitable[PerformanceFacts | None]] | None = None,
    liveness: Callable[[], str | None] | None = None,
    sync: Callable[[int], Maybe[SyncAnswer]] | None = None,
    token: str | None = None,
    clock: Clock = SYSTEM,
    page_timeout_s: float = PAGE_TIMEOUT_S,
) -> Starlette:
    """The ASGI app. The callables are called per request, in the event loop: keep them quick.

    ``status`` is the daemon's own state; ``overview`` the page's data (``status`` with the
    store's performances added, see :mod:`bridge.daemon.overview`), used instead when given;
    ``performance`` one performance's detail (None: 404); ``seat_facts`` its seats as
    ``seatbridge explain`` sees them, for the map and the JSON (None: no map). ``liveness``: None
    while the daemon works, else why it is stuck (/healthz 503). ``sync``: "sync now" for a
    performance (None: the route answers 404). ``token``: the bearer token
    every route but ``/healthz`` needs. ``clock``: the pages say how long ago things happened by
    its wall time. ``page_timeout_s``: how long a page waits for awaitable data."""

    async def healthz(request: Request) -> Response:
        stuck = liveness() if liveness is not None else None
        if stuck is not None:
            return PlainTextResponse(stuck, status_code=503)
        return PlainTextResponse("ok")

    async def readyz(request: Request) -> Response:
        r = readiness()
        body = {"ready": r.ready, "checks": dict(r.checks)}
        return _json(body, 200 if r.ready else 503)

    async def metrics_(request: Request) -> Response:
        body, content_type = metrics.exposition()
        return Response(body, headers={"Content-Type": content_type})

    async def data() -> Mapping[str, object] | None:
        if overview is not None:
            return await _within(overview(), page_timeout_s, "the daemon's status")
        if status is not None:
            return await _within(status(), page_timeout_s, "the daemon's status")
        return None

    async def status_(request: Request) -> Response:
        try:
            got = await data()
        except NoAnswer as exc:
            return _json({"error": str(exc)}, 503)
        if got is None:
            return PlainTextResponse("no status here", status_code=404)
        if request.query_params.get("poll") == "1":  # the index page's poller
            return _json(index_poll(got, readiness().ready)[1], request=request)
        return _json(dict(got), request=request)

    async def index(request: Request) -> Response:
        try:
            got = await data()
        except NoAnswer as exc:
            return PlainTextResponse(str(exc), status_code=503)
        if got is None:
            return PlainTextResponse("no status here", status_code=404)
        view, poll = index_poll(got, readiness().ready)
        return _page(
            request,
            "index.html",
            data=got,
            units=units_of(got),
            page_digest=poll["page_digest"],
            **view,
            zone=_zone(got.get("time_zone")),
            request_state=_known(request.query_params.get("state", ""), ROW_STATES),
            request_q=request.query_params.get("q", ""),
            now=clock.now(),
        )

    async def performance_json(request: Request) -> Response:
        try:
            got = await _detail(request)
        except NoAnswer as exc:
            return _json({"error": str(exc)}, 503)
        if got is None:
            return _json({"error": "no such performance"}, 404)
        body = got[0]
        if request.query_params.get("poll") == "1":  # the page's poller: what it patches
            body = {k: body.get(k) for k in ("performance_id", "status", "page_digest")}
        return _json(body, request=request)

    async def performance_html(request: Request) -> Response:
        try:
            got = await _detail(request)
        except NoAnswer as exc:
            return PlainTextResponse(str(exc), status_code=503)
        if got is None:
            return _page(request, "missing.html", status_code=404, now=clock.now())
        detail, facts = got
        svg = None
        if facts is not None and facts.seats:
            svg = render_seatmap(
                dots_of(facts), title=f"Seat map of performance {detail['performance_id']}"
            )
        flash = request.query_params.get("sync", "")
        return _page(
            request,
            "performance.html",
            p=detail,
            seatmap=svg,
            zone=_zone(detail.get("time_zone")),
            now=clock.now(),
            sync_flash=SYNC_FLASH.get(flash, ""),
        )

    async def sync_(request: Request) -> Response:
        pid = int(request.path_params["pid"])
        refused = cross_site(request) or (None if token else rebound(request))
        if refused is not None:
            return PlainTextResponse(refused, status_code=403)
        if sync is None:
            answer: Mapping[str, object] = {"error": "no sync here"}
            code = 404
        else:
            try:
                got = await _within(sync(pid), page_timeout_s, "the daemon")
            except NoAnswer as exc:
                return _json({"error": str(exc)}, 503)
            answer, code = got.to_json(), got.http_status
        if _from_a_form(request):
            result = str(answer.get("result", "not_scheduled"))
            return RedirectResponse(f"/performances/{pid}?sync={result}", status_code=303)
        return _json(answer, code)

    async def _detail(
        request: Request,
    ) -> tuple[dict[str, Any], PerformanceFacts | None] | None:
        pid = int(request.path_params["pid"])
        if performance is None:
            return None
        got = await _within(performance(pid), page_timeout_s, f"performance {pid}'s status")
        if got is None:
            return None
        detail = dict(got)
        facts: PerformanceFacts | None = None
        error: str | None = None
        if seat_facts is not None:
            try:  # the map is missing, the rest of the page still shows
                facts = await _within(seat_facts(pid), page_timeout_s, "the seat map's reads")
            except (BridgeError, NoAnswer) as exc:
                error = str(exc)
        detail["seats"] = [f.to_json() for f in facts.seats] if facts is not None else None
        detail["seat_counts"] = facts.counts() if facts is not None else None
        detail["seat_read_error"] = error or (
            facts.read_error or facts.places_error if facts is not None else None
        )
        detail["seat_digest"] = _digest(detail["seats"])
        if facts is not None:
            detail["conflicts"] = named_hold_codes(detail.get("conflicts"), facts)
        detail["page_digest"] = page_digest(detail)
        return detail, facts

    app = Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics_, methods=["GET"]),
            Route("/", index, methods=["GET"]),
            Route("/status", status_, methods=["GET"]),
            Route("/status.json", status_, methods=["GET"]),
            Route("/performances/{pid:int}.json", performance_json, methods=["GET"]),
            Route("/performances/{pid:int}", performance_html, methods=["GET"]),
            Route("/performances/{pid:int}/sync", sync_, methods=["POST"]),
        ]
    )
    if token:
        app.add_middleware(BearerToken, token=token)
    return app


#: The page's line after a form's "Sync now", by the answer's ``result``.
SYNC_FLASH = {
    "accepted": "Sync requested: the unit runs now, or right after the run in flight.",
    "waits_for_config": "Sync requested; its last run ended in an error that needs a fix.",
    "not_scheduled": "Not synced: this daemon does not schedule this performance.",
    "not_here": "Not synced: another daemon runs this performance (see /status.json).",
}
#: ``Sec-Fetch-Site`` values of a request the page (or no browser at all) made.
SAME_SITE_FETCH = frozenset({"same-origin", "none"})


def cross_site(request: Request) -> str | None:
    """Why a POST comes from another site (None: it does not). A browser names where a request
    comes from (``Origin``, ``Sec-Fetch-Site``); a page elsewhere must not make the operator's
    browser sync. A request without those headers (curl, ``seatbridge sync``) passes: it has to
    get past the bearer token like any other."""
    origin = request.headers.get("origin")
    host = request.headers.get("host", "")
    own = f"{request.url.scheme}://{host}".lower()
    if origin is not None and origin.lower() != own:
        return "refused: a POST from another origin (Origin does not match this server)"
    site = request.headers.get("sec-fetch-site")
    if site is not None and site.lower() not in SAME_SITE_FETCH:
        return f"refused: a POST from another site (Sec-Fetch-Site: {site[:20]})"
    return None


def rebound(request: Request) -> str | None:
    """Why a POST to a server without a token is refused for its ``Host`` (None: it is not).
    Without a token the server listens on loopback only (:func:`check_exposure`), so a browser
    reaching it by a name that is not a loopback one came through DNS rebinding: a page at
    ``evil.example`` resolving to 127.0.0.1 sends a matching Origin and Host, and only the name
    gives it away. With a token, the token is what keeps such a page out."""
    host = request.headers.get("host", "")
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    if host and is_loopback(name):
        return None
    return "refused: a POST must name this server by a loopback address (Host header)"


def _from_a_form(request: Request) -> bool:
    """A browser's form (the page's button), answered with a redirect back to the page."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    accept = request.headers.get("accept", "").lower()
    return kind in ("application/x-www-form-urlencoded", "multipart/form-data") or (
        "text/html" in accept
    )


class BearerToken:
    """ASGI middleware: every HTTP request but those for :data:`OPEN_PATHS` must carry
    ``Authorization: Bearer <token>``; compared in constant time; never logged or echoed."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        given = b""
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                given = value
                break
        if not hmac.compare_digest(given, self._expected):
            response = PlainTextResponse(
                "a bearer token is required (Authorization: Bearer ...)",
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="seatbridge"'},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def is_loopback(host: str) -> bool:
    """``host`` (as in ``[http] listen``) only answers this machine: a loopback address or
    ``localhost``. Anything else, names included, counts as beyond loopback."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_exposure(listen: str, token: str | None) -> None:
    """Refuse (:class:`ConfigError`) to serve beyond loopback without a bearer token."""
    host, _ = parse_listen(listen)
    if not token and not is_loopback(host):
        raise ConfigError(
            f"[http] listen {listen!r} is beyond loopback: set {HTTP_TOKEN_ENV} or "
            "[http] token_file to require a bearer token, or listen on 127.0.0.1"
        )


_templates = jinja2.Environment(
    loader=jinja2.PackageLoader("bridge.daemon", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _zone(name: object) -> tzinfo:
    """The venue's time zone by its IANA name (UTC when none or unknown)."""
    if not isinstance(name, str) or not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _known(value: str, known: Mapping[str, str]) -> str:
    """``value`` when it is one of ``known``, else "" (an unknown filter filters nothing)."""
    return value if value in known else ""


def _local(value: object, zone: tzinfo, form: str = "%a %d %b %H:%M") -> str:
    """An ISO time in the venue's zone, as the box office says it: ``Sat 12 Dec 19:30``."""
    if not isinstance(value, str) or not value:
        return "-"
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return value
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(zone).strftime(form)


def named_hold_codes(conflicts: object, facts: PerformanceFacts) -> list[dict[str, Any]]:
    """The conflicts, each with ``hold_codes``: the Tessitura holds on its seat(s) as the seat
    facts read them (code, Tessitura's description, the hold-code row's action and target)."""
    by_label = {f.label: f for f in facts.seats if f.label}
    out = []
    for c in conflicts if isinstance(conflicts, list) else ():
        c = dict(c)
        labels = [c["label"]] if c.get("label") else list(c.get("labels") or ())
        named: dict[int, dict[str, Any]] = {}
        for label in labels:
            seat = by_label.get(label)
            for h in seat.holds if seat is not None else ():
                r = h.rule
                named.setdefault(
                    h.code,
                    {
                        "code": h.code,
                        "description": h.description or (r.channel_name if r is not None else None),
                        "maps_to": (f"{r.action.value} {r.target or ''}".strip() if r else None),
                    },
                )
        code = c.get("hold_code_id")
        if isinstance(code, int) and code not in named:
            named[code] = {"code": code, "description": None, "maps_to": None}
        c["hold_codes"] = sorted(named.values(), key=lambda n: int(n["code"]))
        out.append(c)
    return out


#: What a performance page's poller patches in place; any other change fetches the page again.
PATCHED = frozenset({"last_sync", "last_success", "next_run", "lease"})


def page_digest(detail: Mapping[str, object]) -> str:
    """A hash of what the performance page draws beyond the times it patches in place (the
    seat map's seats, the tables, the status but its times): the poller fetches the HTML again
    only when it changes."""
    status = detail.get("status")
    kept = (
        {k: v for k, v in status.items() if k not in PATCHED} if isinstance(status, dict) else None
    )
    rest = {k: v for k, v in detail.items() if k not in ("status", "seats", "page_digest")}
    return _digest({"status": kept, **rest})


def index_poll(data: Mapping[str, object], ready: bool) -> tuple[dict[str, Any], dict[str, object]]:
    """The index page's rows, counts and health; and what its poller gets: the times it patches
    in place (each row's and unit's) and a digest of the rest, which moves when the page must be
    fetched again (a state, a name, a count, a happening, the config, the role's health)."""
    rows = rows_of(data)
    counts = counts_of(rows)
    config_ok = _mapping_of(data.get("config")).get("ok") is not False
    health = health_of(str(data.get("role", "")), ready, counts, config_ok=config_ok)
    units = {
        str(k): dict(u) for k, u in _mapping_of(data.get("units")).items() if isinstance(u, Mapping)
    }
    unit_times = ("next_run", "last_success", "reason")
    times = {
        "rows": {
            str(r["performance_id"]): {
                "last_success": r.get("last_success"),
                "last_sync": r.get("last_sync"),
                "next_run": _mapping_of(r.get("next_run")).get("at"),
            }
            for r in rows
        },
        "units": {k: {t: u.get(t) for t in unit_times} for k, u in units.items()},
        "last_discovery": data.get("last_discovery"),
    }
    # the rows' last good syncs say it (patched); the store's rows are drawn from ``rows``
    rest = {
        k: v
        for k, v in data.items()
        if k not in ("performances", "units", "shows", "last_discovery", "last_synced")
    }
    kept = {
        "rows": [_index_kept(r) for r in rows],
        "units": {k: {t: v for t, v in u.items() if t not in unit_times} for k, u in units.items()},
        "health": health,
        **rest,
    }
    view = {"rows": rows, "counts": counts, "health": health}
    return view, {"page_digest": _digest(kept), **times}


#: What the index's poller patches in place in a row: these times, and the next run's time
#: (``next_run.at``; its reason and "waits for a config fix" are drawn, so they are digested).
INDEX_PATCHED = frozenset({"last_sync", "last_success"})


def _index_kept(row: Mapping[str, object]) -> dict[str, object]:
    """A row as the index's digest sees it: all it draws but the times its poller patches."""
    kept = {k: v for k, v in row.items() if k not in INDEX_PATCHED}
    if isinstance(row.get("next_run"), Mapping):
        kept["next_run"] = {k: v for k, v in _mapping_of(row["next_run"]).items() if k != "at"}
    return kept


def _mapping_of(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _digest(value: object) -> str:
    text = json.dumps(value, default=str, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


_templates.filters["local"] = _local
_templates.globals.update(
    state_colours=COLOURS, state_legend=LEGEND, states=STATES, row_states=ROW_STATES
)


def _page(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
    nonce = secrets.token_urlsafe(16)
    refresh = _refresh_s(request)
    context.setdefault("zone", UTC)
    html = _templates.get_template(name).render(
        nonce=nonce, refresh_s=refresh, path=request.url.path, **context
    )
    return HTMLResponse(
        html,
        status_code=status_code,
        headers={
            "Content-Security-Policy": (
                f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; "
                "connect-src 'self'; img-src 'self' data:; base-uri 'none'; "
                "form-action 'self'; frame-ancestors 'none'"
            ),
            "X-Content-Type-Options": "nosniff",
            # nothing leaves for another site; "no-referrer" would also make a browser send
            # `Origin: null` with the page's own form POST (Fetch), which the same-origin check
            # of "Sync now" must refuse
            "Referrer-Policy": "same-origin",
            "Cache-Control": "no-store",
        },
    )


def _refresh_s(request: Request) -> int:
    raw = request.query_params.get("refresh", "")
    return min(3600, max(1, int(raw))) if raw.isdigit() else REFRESH_S


def _json(
    body: Mapping[str, object], status_code: int = 200, *, request: Request | None = None
) -> Response:
    """JSON that also takes what ``status()`` tends to hold (datetimes, paths) as strings.

    With ``request``: an ``ETag`` (a hash of the body), and 304 without a body when the request's
    ``If-None-Match`` names it, so the page's poller downloads only what changed."""
    text = json.dumps(body, default=str, ensure_ascii=False)
    if request is None:
        return Response(text, status_code=status_code, media_type="application/json")
    raw = text.encode()
    tag = f'"{hashlib.sha256(raw).hexdigest()[:32]}"'
    headers = {"ETag": tag, "Cache-Control": "no-cache"}
    asked = request.headers.get("if-none-match", "")
    if status_code == 200 and tag in {t.strip().removeprefix("W/") for t in asked.split(",")}:
        return Response(status_code=304, headers=headers)
    return Response(raw, status_code=status_code, media_type="application/json", headers=headers)


def parse_listen(listen: str) -> tuple[str, int]:
    """``"host:port"`` or ``"[v6]:port"`` as (host, port); a :class:`ConfigError` if it is not."""
    host, sep, port_text = listen.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        host = ""  # a bare IPv6 address: ambiguous, must be bracketed
    if not sep or not host or not port_text.isdigit() or int(port_text) > 65535:
        raise ConfigError(
            f"[http] listen {listen!r}: expected host:port, e.g. 127.0.0.1:9464 or [::1]:9464"
        )
    return host, int(port_text)


def _bind(listen: str) -> socket.socket:
    host, port = parse_listen(listen)
    try:
        infos = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE | socket.AI_NUMERICSERV
        )
    except OSError as exc:
        raise ConfigError(f"[http] listen {listen!r}: cannot resolve {host!r}: {exc}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        reason = exc.strerror or str(exc)
        raise ConfigError(f"[http] listen {listen!r}: cannot listen there: {reason}") from None
    return sock


class _Server(uvicorn.Server):
    """A uvicorn server that leaves the process's signal handlers alone."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class HttpServer:
    """The app on ``listen`` inside the running event loop.

    ``await start()`` binds the socket (a :class:`ConfigError` when it cannot) and returns once
    the server accepts connections; :attr:`port` is then the bound port. ``await stop()`` shuts it
    down gracefully (about a second at most); it is safe to call more than once, or without a
    start. Also an async context manager.
    """

    def __init__(
        self, app: Starlette, listen: str, *, clock: Clock = SYSTEM, own_thread: bool = False
    ) -> None:
        parse_listen(listen)  # fail early on a malformed address
        self.app = app
        self.listen = listen
        self.clock = clock  # its monotonic time bounds the wait for uvicorn to start
        #: serve from a thread and event loop of its own (see the module docstring)
        self.own_thread = own_thread
        self._server: _Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._thread: threading.Thread | None = None
        self._thread_error: BaseException | None = None
        self._port: int | None = None

    @property
    def port(self) -> int:
        """The bound port (the real one when ``listen`` said 0); only after :meth:`start`."""
        if self._port is None:
            raise RuntimeError("the HTTP server has not started")
        return self._port

    async def start(self) -> None:
        if self._task is not None or self._thread is not None:
            raise RuntimeError("the HTTP server was already started")
        sock = _bind(self.listen)
        self._port = int(sock.getsockname()[1])
        config = uvicorn.Config(
            self.app,
            lifespan="off",
            log_config=None,
            log_level="warning",
            access_log=False,
            server_header=False,
            timeout_graceful_shutdown=GRACE_S,
        )
        server = self._server = _Server(config)
        if self.own_thread:
            await self._start_thread(server, sock)
            return
        task = self._task = asyncio.create_task(
            self._serve(server, sock), name=f"http {self.listen}"
        )
        deadline = self.clock.monotonic() + STARTUP_TIMEOUT_S
        while not server.started:
            if task.done():
                task.result()  # raises what stopped it
            if task.done() or self.clock.monotonic() > deadline:
                await self.stop()
                raise ConfigError(f"[http] listen {self.listen!r}: the HTTP server did not start")
            await asyncio.sleep(0.01)

    async def _start_thread(self, server: _Server, sock: socket.socket) -> None:
        def serve() -> None:
            try:
                asyncio.run(self._serve(server, sock))
            except BaseException as exc:  # handed to start(), or lost after a stop
                self._thread_error = exc

        thread = self._thread = threading.Thread(
            target=serve, name=f"seatbridge http {self.listen}", daemon=True
        )
        thread.start()
        deadline = self.clock.monotonic() + STARTUP_TIMEOUT_S
        while not server.started:
            if not thread.is_alive() and self._thread_error is not None:
                raise self._thread_error
            if not thread.is_alive() or self.clock.monotonic() > deadline:
                await self.stop()
                raise ConfigError(f"[http] listen {self.listen!r}: the HTTP server did not start")
            await asyncio.sleep(0.01)

    @staticmethod
    async def _serve(server: _Server, sock: socket.socket) -> None:
        try:
            await server.serve(sockets=[sock])
        except SystemExit:  # uvicorn's way of failing a startup
            raise ConfigError("the HTTP server failed to start") from None
        finally:
            sock.close()

    async def stop(self) -> None:
        server, task, thread = self._server, self._task, self._thread
        if server is not None and thread is not None:
            server.should_exit = True
            await asyncio.to_thread(thread.join, GRACE_S + 2)
            if thread.is_alive():
                server.force_exit = True
                await asyncio.to_thread(thread.join, 2)
            return
        if server is None or task is None:
            return
        server.should_exit = True
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout=GRACE_S + 2)
        except TimeoutError:
            server.force_exit = True
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        except Exception:  # it failed on its own; nothing left to stop
            return

    async def __aenter__(self) -> HttpServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


async def serve_http(
    app: Starlette,
    listen: str,
    stop: asyncio.Event,
    *,
    ready: asyncio.Event | None = None,
    server: HttpServer | None = None,
) -> None:
    """Serve ``app`` on ``listen`` until ``stop`` is set, then shut down gracefully.

    ``ready`` is set once the socket is bound and accepting. To learn the bound port (``listen``
    may say port 0), pass your own ``server=HttpServer(app, listen)`` and read its ``port`` once
    ``ready`` is set; or use :class:`HttpServer` directly. A bad ``listen`` or a port in use
    raises :class:`ConfigError` before ``ready`` is set.
    """
    http = server if server is not None else HttpServer(app, listen)
    await http.start()
    try:
        if ready is not None:
            ready.set()
        await stop.wait()
    finally:
        await http.stop()
