"""Notifications: each alert (:class:`bridge.core.happenings.Alert`) POSTed to the webhooks of
``[notify]`` whose ``on`` names its kind, once per condition.

:meth:`Notifications.alert` is the sink the daemon's activity feeds: it never waits. It decides
at once whether the alert is news (a condition not firing yet, a firing one whose ``signature``
changed, the resolution of one that was queued: even one given up on, so that no receiver is
left holding a condition that ended) and puts it on each matching webhook's queue
(bounded: past ``queue_size`` the oldest is dropped, with a warning). One worker per webhook
sends them in order, so a webhook that hangs or fails delays only itself, never a unit's run nor
another webhook. A 5xx, a 429 or a network error is tried again (``attempts``, backing off from
``backoff_base_s`` to ``backoff_cap_s``, no sooner than a 429's ``Retry-After``); any other 4xx
is not: the receiver refused the payload. Each POST as a whole gets ``timeout_s`` (a receiver
trickling its answer is cut off too). A notification given up on is logged, and counted; a
firing one given up on after network trouble, a 5xx or a 429 is parked (one per condition and
webhook) and tried again every ``backoff_cap_s``, with the same tries, until it is sent or a
newer word on its condition (a change, its resolution) supersedes it. A resolution goes only to
the webhooks that got the condition's firing: one that never heard of it is told nothing.

What each webhook got (a condition firing, with its signature) is kept in the state store, one
note per condition (``notify.sent:<venue>:<key>``, :meth:`Notifications.remember_in`), so a
restart neither sends a standing condition again nor forgets to resolve one that ended while
the daemon was down (:meth:`Notifications.settle`). On a shared store the instances share these
notes; the instance running a unit sends its conditions, and resolves them.

A webhook URL carries its credential in its path: no log line shows more of it than
``https://host/…`` (:func:`shown_url`).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Self
from urllib.parse import urlsplit

import httpx
import structlog
from pydantic import SecretStr
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from bridge.clock import SYSTEM, Clock
from bridge.closing import AsyncClosing
from bridge.config import BridgeConfig
from bridge.config.settings import NotifySettings
from bridge.core.happenings import Alert, AlertKind
from bridge.store.base import Notes

__all__ = [
    "DELIVERY_RESULTS",
    "Notifications",
    "Webhook",
    "json_payload",
    "shown_url",
    "slack_payload",
]

log = structlog.get_logger("seatbridge.notify")

#: How a notification to one webhook ended: sent, given up on (failed), or dropped unsent
#: (its queue was full).
DELIVERY_RESULTS = ("sent", "failed", "dropped")
#: At stop, notifications still queued get this long to go out.
FLUSH_S = 5.0
#: What each webhook got, per venue and condition: ``notify.sent:<venue>:<key>``.
SENT_NOTES = "notify.sent:"
#: A store read or write of those notes may take this long before it is given up (logged).
NOTE_TIMEOUT_S = 5.0

Format = Literal["json", "slack"]
Sleep = Callable[[float], Awaitable[None]]

_TITLES: Mapping[AlertKind, str] = {
    AlertKind.CONFLICT: "Conflict",
    AlertKind.MASS_RELEASE_REFUSED: "Mass release refused",
    AlertKind.UNIT_IN_ERROR: "Unit in error",
}


def shown_url(url: str) -> str:
    """What a log line may show of a webhook URL: its scheme and host (``https://host/…``)."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    return f"{parts.scheme}://{host}/…"


@dataclass(frozen=True, slots=True)
class Webhook:
    """Where notifications go: ``url`` is a secret (never in a repr or a log line)."""

    name: str
    url: SecretStr = field(repr=False)
    format: Format = "json"
    on: frozenset[AlertKind] = frozenset(AlertKind)


# --------------------------------------------------------------------------- payloads


def json_payload(alert: Alert, source: Mapping[str, str]) -> dict[str, Any]:
    """The generic shape: the alert's own JSON, with ``source: seatbridge`` and where it came
    from (``venue``, ``instance``)."""
    return {**alert.to_json(), "source": "seatbridge", **source}


def _mrkdwn(text: str) -> str:
    """Text as Slack shows it literally: ``&``, ``<`` and ``>`` are its markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(alert: Alert, source: Mapping[str, str]) -> dict[str, Any]:
    """Slack's incoming-webhook shape (also Mattermost's, Rocket.Chat's): ``text`` for the
    notification itself, ``blocks`` for the message, firing and resolved told apart at a
    glance."""
    mark, state = (
        (":rotating_light:", "FIRING") if alert.firing else (":white_check_mark:", "RESOLVED")
    )
    title = _TITLES.get(alert.kind, alert.kind.value)
    summary = _mrkdwn(alert.summary)
    where = [f"{k} `{_mrkdwn(v)}`" for k, v in source.items()]
    if alert.performance_id is not None:
        where.append(f"performance {alert.performance_id}")
    if alert.event_key:
        where.append(f"event `{_mrkdwn(alert.event_key)}`")
    where.append(alert.at.strftime("%Y-%m-%d %H:%M:%S %Z").strip())
    return {
        "text": f"{mark} {state} · {title}: {summary}",
        "blocks": [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"{mark} *{state}* · *{title}*\n{summary}"},
            },
            {"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(where)}]},
        ],
    }


_PAYLOADS: Mapping[str, Callable[[Alert, Mapping[str, str]], dict[str, Any]]] = {
    "json": json_payload,
    "slack": slack_payload,
}


# --------------------------------------------------------------------------- delivery


class _Failed(Exception):
    """One try that did not deliver: ``reason`` is fit to log (no URL)."""

    def __init__(self, reason: str, *, retryable: bool, retry_after_s: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.retry_after_s = retry_after_s


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return max(0.0, float(response.headers.get("retry-after", "")))
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class _Sent:
    """A condition some webhooks got as firing before this start (from the store)."""

    kind: AlertKind
    unit: str | None
    summary: str


@dataclass(slots=True)
class _Lane:
    """One webhook's queue and its worker's state: ``sent``, the conditions it got as firing
    (key -> signature); ``parked``, the firing ones given up on, to try again."""

    hook: Webhook
    items: deque[Alert] = field(default_factory=deque)
    sent: dict[str, str] = field(default_factory=dict)
    parked: dict[str, Alert] = field(default_factory=dict)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    idle: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.idle.set()


class Notifications(AsyncClosing):
    """The daemon's notifier: see the module docstring.

    ``count`` is told each delivery's result (:data:`DELIVERY_RESULTS`, for a metric);
    ``client_factory`` makes the HTTP client (one, at :meth:`start`); ``sleep`` waits between
    tries (a test passes one that does not wait); ``source`` is added to every payload
    (``venue``, ``instance``). Use it as ``start()`` ... ``await aclose()``, or ``async with``.
    """

    def __init__(
        self,
        settings: NotifySettings,
        webhooks: Collection[Webhook],
        *,
        source: Mapping[str, str] | None = None,
        clock: Clock = SYSTEM,
        client_factory: Callable[[], httpx.AsyncClient] | None = None,
        sleep: Sleep = asyncio.sleep,
        count: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings
        self.webhooks = tuple(webhooks)
        self.source = dict(source or {})
        self.clock = clock
        self._client_factory = client_factory or self._default_client
        self._sleep = sleep
        self._count = count or (lambda result: None)
        self._lanes = [_Lane(h) for h in self.webhooks]
        self._lock = threading.Lock()
        #: conditions notified as firing, by key: the signature queued
        self._firing: dict[str, str] = {}
        #: what the conditions sent are about (for the notes), by key
        self._about: dict[str, _Sent] = {}
        #: conditions some webhook got before this start, not raised nor settled since
        self._restored: dict[str, _Sent] = {}
        self._store: Notes | None = None
        self._note_lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._client: httpx.AsyncClient | None = None

    @classmethod
    def from_config(
        cls,
        cfg: BridgeConfig,
        *,
        instance: str | None = None,
        clock: Clock = SYSTEM,
        count: Callable[[str], None] | None = None,
    ) -> Notifications:
        """The notifier of ``cfg``'s ``[notify]`` webhooks (none: it sends nothing)."""
        hooks = [
            Webhook(h.name, cfg.webhook_urls[h.name], h.format, frozenset(h.on))
            for h in cfg.notify.webhook
            if h.name in cfg.webhook_urls  # a URL not required (offline check) is not there
        ]
        source = {"venue": cfg.store.venue}
        if instance is not None:
            source["instance"] = instance
        return cls(cfg.notify, hooks, source=source, clock=clock, count=count)

    def _default_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            timeout=httpx.Timeout(self.settings.timeout_s),
            follow_redirects=False,
            headers={"User-Agent": "seatbridge"},
        )

    # -- the sink --------------------------------------------------------------------------------

    def alert(self, alert: Alert) -> None:
        """Queue ``alert`` for its webhooks if it is news; returns at once, from any thread."""
        if not self._lanes:
            return
        with self._lock:
            restored = self._restored.pop(alert.key, None)
            if alert.firing:
                if self._firing.get(alert.key) == alert.signature:
                    return  # still firing as sent
                self._firing[alert.key] = alert.signature
            elif self._firing.pop(alert.key, None) is None and restored is None:
                return  # nothing was sent about it: nothing to resolve
            lanes = [lane for lane in self._lanes if alert.kind in lane.hook.on]
            if restored is not None and alert.firing:  # told before a restart, as it is now
                lanes = [lane for lane in lanes if lane.sent.get(alert.key) != alert.signature]
            dropped = []
            for lane in lanes:
                lane.parked.pop(alert.key, None)  # superseded by this newer word
                if len(lane.items) >= self.settings.queue_size:
                    dropped.append((lane.hook.name, lane.items.popleft()))
                lane.items.append(alert)
        for name, old in dropped:
            self._count("dropped")
            log.warning(
                "notification dropped: its webhook's queue is full",
                webhook=name,
                kind=old.kind.value,
                key=old.key,
                queue_size=self.settings.queue_size,
            )
        for lane in lanes:
            self._wake(lane)

    def _wake(self, lane: _Lane) -> None:
        def wake() -> None:
            lane.idle.clear()
            lane.wake.set()

        loop = self._loop
        if loop is None or loop.is_closed():
            return  # not started: start() finds the queue as it is
        try:
            here = asyncio.get_running_loop()
        except RuntimeError:
            here = None
        if here is loop:
            wake()
        else:
            loop.call_soon_threadsafe(wake)

    def settle(self, unit: str, raised: Collection[str]) -> None:
        """Unit ``unit``'s first complete run since start left ``raised`` standing: each
        condition of the unit sent before this start that it did not raise has ended (while
        the daemon was down, or since): its resolution goes to the webhooks that got it."""
        now = self.clock.now()
        with self._lock:
            ended = [
                (key, sent)
                for key, sent in self._restored.items()
                if sent.unit == unit and key not in raised
            ]
        for key, sent in ended:  # alert() takes each out of the restored
            why = "no longer found after a restart"
            self.alert(
                Alert(
                    sent.kind,
                    key,
                    False,
                    f"resolved: {sent.summary} ({why})",
                    now,
                    unit=unit,
                    fields={"why": why},
                )
            )

    async def remember_in(self, store: Notes) -> None:
        """Keep what each webhook got in ``store`` from now on, and take up what it got before
        this start. A store that fails is logged: the notifier goes on, unremembered."""
        if not self._lanes:
            return
        self._store = store
        try:
            found = await asyncio.wait_for(
                asyncio.to_thread(store.notes, self._note_prefix), NOTE_TIMEOUT_S
            )
        except Exception as exc:
            log.warning("could not read what was notified before", error=type(exc).__name__)
            return
        by_name = {lane.hook.name: lane for lane in self._lanes}
        with self._lock:
            for note in found:
                key = note.key.removeprefix(self._note_prefix)
                try:
                    data = json.loads(note.value)
                    sent = _Sent(AlertKind(data["kind"]), data.get("unit"), str(data["summary"]))
                    to = {str(name): str(sig) for name, sig in data["to"].items()}
                except (ValueError, KeyError, TypeError, AttributeError):
                    log.warning("a notification note cannot be read; left out", key=key)
                    continue
                if key in self._firing or key in self._restored:
                    continue  # raised since start: this start's word is newer
                for name, sig in to.items():
                    if name in by_name:
                        by_name[name].sent[key] = sig
                self._restored[key] = self._about[key] = sent
        if found:
            log.info("notified conditions taken up from the store", conditions=len(found))

    @property
    def _note_prefix(self) -> str:
        return f"{SENT_NOTES}{self.source.get('venue', '')}:"

    async def _note(self, key: str) -> None:
        """Write (or drop) condition ``key``'s note as the webhooks' ``sent`` are now."""
        if self._store is None:
            return
        try:
            await asyncio.wait_for(asyncio.to_thread(self._write_note, key), NOTE_TIMEOUT_S)
        except Exception as exc:  # remembering is a help, never a reason to stop
            log.warning("could not note what was notified", key=key, error=type(exc).__name__)

    def _write_note(self, key: str) -> None:
        store = self._store
        assert store is not None
        with self._note_lock:  # one writer at a time, each writing the state as it is then
            with self._lock:
                to = {lane.hook.name: lane.sent[key] for lane in self._lanes if key in lane.sent}
                about = self._about.get(key) if to else self._about.pop(key, None)
            if not to or about is None:
                store.delete_note(self._note_prefix + key)
                return
            value = {
                "kind": about.kind.value,
                "unit": about.unit,
                "summary": about.summary,
                "to": to,
            }
            store.put_note(self._note_prefix + key, json.dumps(value, sort_keys=True))

    # -- lifetime --------------------------------------------------------------------------------

    def start(self) -> None:
        """Start one worker per webhook on the running loop (none without webhooks)."""
        if self._tasks or not self._lanes:
            return
        self._loop = asyncio.get_running_loop()
        self._client = self._client_factory()
        for lane in self._lanes:
            if lane.items:
                lane.idle.clear()
            self._tasks.append(
                asyncio.create_task(self._work(lane), name=f"webhook {lane.hook.name}")
            )
        log.info(
            "notifications on",
            webhooks=[
                f"{h.name} ({h.format}) {shown_url(h.url.get_secret_value())}"
                for h in self.webhooks
            ],
        )

    async def run(self) -> None:
        """Deliver until cancelled (``start()`` then wait; :meth:`aclose` on the way out)."""
        self.start()
        try:
            await asyncio.Event().wait()
        finally:
            await self.aclose(flush_s=0)

    async def flush(self) -> None:
        """Wait until every queued notification was sent or given up on (only once started)."""
        await asyncio.gather(*(lane.idle.wait() for lane in self._lanes))

    async def aclose(self, flush_s: float = FLUSH_S) -> None:
        """Give queued notifications ``flush_s`` to go out, then stop the workers and close the
        client. Safe to call more than once."""
        if self._tasks and flush_s > 0:
            try:
                await asyncio.wait_for(self.flush(), timeout=flush_s)
            except TimeoutError:
                with self._lock:
                    left = sum(len(lane.items) for lane in self._lanes)
                log.warning("notifications not sent at stop", queued=left)
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def __aenter__(self) -> Self:
        self.start()
        return self

    # -- the workers -----------------------------------------------------------------------------

    async def _work(self, lane: _Lane) -> None:
        while True:
            with self._lock:
                alert = lane.items.popleft() if lane.items else None
            if alert is None:
                lane.idle.set()
                lane.wake.clear()
                await self._idle(lane)
                continue
            try:
                await self._send(lane, alert)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a bug here must not stop the webhook's worker
                self._count("failed")
                log.error(
                    "notification failed",
                    webhook=lane.hook.name,
                    key=alert.key,
                    error=type(exc).__name__,
                )

    async def _idle(self, lane: _Lane) -> None:
        """Wait for news; with parked notifications, no longer than ``backoff_cap_s``, then
        queue them again (those still current)."""
        if not lane.parked:
            await lane.wake.wait()
            return
        waits = [
            asyncio.ensure_future(lane.wake.wait()),
            asyncio.ensure_future(self._sleep(self.settings.backoff_cap_s)),
        ]
        try:
            done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in waits:
                task.cancel()
        if waits[1] not in done:
            return
        with self._lock:
            again = [a for a in lane.parked.values() if self._firing.get(a.key) == a.signature]
            lane.parked.clear()
            lane.items.extend(again)
        if again:
            lane.idle.clear()
            log.info("notifications tried again", webhook=lane.hook.name, count=len(again))

    async def _send(self, lane: _Lane, alert: Alert) -> None:
        """Deliver ``alert`` to ``lane``'s webhook, and keep what it got."""
        key = alert.key
        if not alert.firing:
            with self._lock:
                told = key in lane.sent
            if not told:
                return  # its firing never reached this webhook (given up, or refused)
        delivered = await self._deliver(lane.hook, alert)
        with self._lock:
            if alert.firing and delivered is True:
                lane.sent[key] = alert.signature
                self._about[key] = _Sent(alert.kind, alert.unit, alert.summary)
            elif alert.firing:
                if delivered == "retry" and self._firing.get(key) == alert.signature:
                    lane.parked[key] = alert  # still the condition's latest word: try later
                return
            else:  # resolved, or given up on: nothing stands there that we could still clear
                lane.sent.pop(key, None)
        await self._note(key)

    async def _deliver(self, hook: Webhook, alert: Alert) -> bool | Literal["retry"]:
        """True when delivered; "retry" when given up on for something that may pass, False
        when refused."""
        body = _PAYLOADS[hook.format](alert, self.source)
        what = {
            "webhook": hook.name,
            "kind": alert.kind.value,
            "key": alert.key,
            "state": "firing" if alert.firing else "resolved",
        }
        s = self.settings
        began = self.clock.monotonic()
        retrying = AsyncRetrying(
            stop=stop_after_attempt(s.attempts),
            wait=self._wait,
            retry=retry_if_exception(lambda e: isinstance(e, _Failed) and e.retryable),
            sleep=self._sleep,
            reraise=True,
        )
        tries = 0
        try:
            async for attempt in retrying:
                with attempt:
                    tries += 1
                    await self._post(hook, body)
        except _Failed as failed:
            self._count("failed")
            log.warning(
                "notification not delivered",
                **what,
                attempts=tries,
                reason=failed.reason,
                elapsed_s=round(self.clock.monotonic() - began, 3),
            )
            return "retry" if failed.retryable else False
        self._count("sent")
        log.info("notification sent", **what, attempts=tries)
        return True

    def _wait(self, state: RetryCallState) -> float:
        """Doubling from ``backoff_base_s`` to ``backoff_cap_s``; a 429's Retry-After, capped."""
        s = self.settings
        wait: float = min(s.backoff_cap_s, s.backoff_base_s * 2.0 ** (state.attempt_number - 1))
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, _Failed) and exc.retry_after_s is not None:
            wait = max(wait, min(s.backoff_cap_s, exc.retry_after_s))
        return wait

    async def _post(self, hook: Webhook, body: dict[str, Any]) -> None:
        client = self._client
        assert client is not None, "start() first"
        url = hook.url.get_secret_value()
        try:
            async with asyncio.timeout(self.settings.timeout_s):  # the whole POST, not a phase
                response = await client.post(url, json=body)
        except TimeoutError:
            raise _Failed(
                f"no answer within {self.settings.timeout_s:g} s from {shown_url(url)}",
                retryable=True,
            ) from None
        except httpx.TransportError as exc:
            # the exception's text may quote the URL: only its type is told
            raise _Failed(f"{type(exc).__name__} from {shown_url(url)}", retryable=True) from None
        except httpx.HTTPError as exc:
            raise _Failed(type(exc).__name__, retryable=False) from None
        code = response.status_code
        if code < 300:
            return
        retryable = code == 429 or code >= 500
        after = _retry_after(response) if code == 429 else None
        raise _Failed(f"HTTP {code}", retryable=retryable, retry_after_s=after)
