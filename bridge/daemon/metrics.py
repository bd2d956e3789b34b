"""The daemon's Prometheus metrics, in a registry of their own.

:class:`BridgeMetrics` owns a private :class:`~prometheus_client.CollectorRegistry` (never the
process-wide default one), so tests and several instances in one process never collide. Every
name starts with ``seatbridge_``; counters end in ``_total``; durations are in seconds.

Labels are bounded: ``endpoint`` is a method and URL template (``GET /events/{key}``), never a
concrete URL; a query string is cut off, and past :data:`MAX_ENDPOINTS` distinct endpoints of one
vendor the rest are counted as ``other``, so a client that forgets its template cannot blow up the
number of series. ``performance`` and ``event`` follow the schedule: :meth:`BridgeMetrics.forget`
drops a performance that left it.

``seatbridge_seconds_since_last_sync`` is computed when Prometheus scrapes, from the wall time of
the clock given to the constructor, so it keeps growing while nothing syncs; the same clock times
each unit's reconcile (its monotonic time) and dates its last success (its wall time).

The standard ``process_*`` and ``python_*`` families (prometheus_client's own collectors) are
registered on the private registry too: ``process_*`` exist on Linux only (they read ``/proc``).
docs/daemon.md lists every family; ``tests/daemon/test_metrics_documented.py`` holds the two
together.
"""

from __future__ import annotations

import platform
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from importlib import metadata

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

import bridge
from bridge.clock import SYSTEM, Clock
from bridge.core.findings import Severity
from bridge.core.outcome import Ending, RunReport
from bridge.daemon.membership import Membership, Role
from bridge.mapping.model import MappingTables

#: Reconcile results counted from zero, so ``increase()`` sees the first one.
RECONCILE_RESULTS = tuple(e.value for e in Ending)
#: Config reload results counted from zero.
RELOAD_RESULTS = ("applied", "refused", "unchanged")
#: Tessitura write-back operations (two-way write-back), by kind and result, counted from zero.
WRITEBACK_KINDS = {"hold_in_tessitura": "hold", "lift_in_tessitura": "lift"}
WRITEBACK_RESULTS = ("done", "failed", "unknown", "skipped")
#: Wall-clock steps counted from zero, by direction.
CLOCK_STEP_DIRECTIONS = ("backward", "forward")
#: Buckets for one HTTP call to a vendor API: tens of milliseconds to a client timeout.
API_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
#: At most this many distinct ``endpoint`` label values per vendor; later ones count as ``other``.
MAX_ENDPOINTS = 100
#: The ``kind`` label of a unit's reconcile: one performance, or a season's (see :func:`unit_kind`).
UNIT_KINDS = ("performance", "season")
#: Buckets for one unit's reconcile: a kept read of one performance (tens of milliseconds) to a
#: season's full run against a slow vendor, cut off by ``run_timeout_s`` (ten minutes at most).
RECONCILE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)

_SINCE_SYNC = "seatbridge_seconds_since_last_sync"


class _SinceLastSync(Collector):
    """``seatbridge_seconds_since_last_sync{performance}``, evaluated at scrape time."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now
        self._lock = threading.Lock()
        self._last: dict[int, datetime] = {}

    def scheduled(self, performance_id: int, at: datetime) -> None:
        """The performance is on this daemon's schedule since ``at``: until its first sync,
        the seconds count from then (a performance that never syncs still ages)."""
        with self._lock:
            self._last.setdefault(performance_id, at)

    def synced(self, performance_id: int, at: datetime) -> None:
        with self._lock:
            before = self._last.get(performance_id)
            if before is None or at > before:
                self._last[performance_id] = at

    def forget(self, performance_id: int) -> None:
        with self._lock:
            self._last.pop(performance_id, None)

    def _family(self) -> GaugeMetricFamily:
        return GaugeMetricFamily(
            _SINCE_SYNC,
            "Seconds since the bridge last brought the performance in step with seats.io.",
            labels=["performance"],
        )

    def describe(self) -> Iterable[Metric]:
        return [self._family()]

    def collect(self) -> Iterable[Metric]:
        with self._lock:
            last = dict(self._last)
        family = self._family()
        if last:
            now = self._now()
            for pid, at in sorted(last.items()):
                family.add_metric([str(pid)], max(0.0, (now - at).total_seconds()))
        return [family]


def unit_kind(performance_ids: Sequence[int], tables: MappingTables) -> str:
    """``season`` for a unit of several performances or one whose performance is on a season's
    key, else ``performance``: the two kinds take different times, and the label stays bounded."""
    if len(performance_ids) > 1:
        return "season"
    season = any(
        (target := tables.target_for(pid)) is not None and target.season_key
        for pid in performance_ids
    )
    return "season" if season else "performance"


def build_version() -> str:
    """The installed distribution's version; ``bridge.__version__`` in a bare checkout, else
    ``unknown``."""
    try:
        return metadata.version("seatbridge")
    except metadata.PackageNotFoundError:
        return str(getattr(bridge, "__version__", "unknown"))


class BridgeMetrics:
    """Everything the daemon counts; the method names are the API the daemon calls.

    ``clock``'s wall time is what the seconds since a sync are counted to."""

    def __init__(self, *, clock: Clock = SYSTEM) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self._reconciles = Counter(
            "seatbridge_reconciles",
            "Unit reconciles by result.",
            ["result"],
            registry=r,
        )
        for result in RECONCILE_RESULTS:
            self._reconciles.labels(result)
        self._operations = Counter(
            "seatbridge_operations",
            "Planned operations by kind and result.",
            ["kind", "result"],
            registry=r,
        )
        self._conflicts = Counter(
            "seatbridge_conflicts",
            "Conflicts found by unit runs; a standing conflict counts again on every run that "
            "still finds it (seatbridge_conflicts_open is how many are open now).",
            registry=r,
        )
        self._objects = Counter(
            "seatbridge_objects",
            "Seats.io objects the bridge held, released or changed the status of, by action.",
            ["action"],
            registry=r,
        )
        self._api_requests = Counter(
            "seatbridge_api_requests",
            "Vendor API requests by endpoint template and HTTP status ('error' when none came).",
            ["vendor", "endpoint", "status"],
            registry=r,
        )
        self._api_duration = Histogram(
            "seatbridge_api_request_duration_seconds",
            "Duration of vendor API requests.",
            ["vendor", "endpoint"],
            buckets=API_BUCKETS,
            registry=r,
        )
        self._rate_limited = Counter(
            "seatbridge_rate_limited",
            "HTTP 429 answers by vendor and lane (seats.io: regular or priority).",
            ["vendor", "lane"],
            registry=r,
        )
        self._for_sale_left = Gauge(
            "seatbridge_for_sale_edits_left",
            "Restricting for-sale edits left today on the seats.io event.",
            ["event"],
            registry=r,
        )
        self._reloads = Counter(
            "seatbridge_config_reloads",
            "Config reloads by result.",
            ["result"],
            registry=r,
        )
        for result in RELOAD_RESULTS:
            self._reloads.labels(result)
        self._seasons_syncs = Counter(
            "seatbridge_seasons_syncs",
            "Seasons syncs run with discovery, by result (applied, unchanged, error).",
            ["result"],
            registry=r,
        )
        self._active = Gauge(
            "seatbridge_active",
            "1 while this daemon is the active one on its store, 0 on standby.",
            registry=r,
        )
        self._in_flight = Gauge(
            "seatbridge_units_in_flight",
            "Units being reconciled right now.",
            registry=r,
        )
        self._scheduled = Gauge(
            "seatbridge_scheduled_units",
            "Units on the schedule.",
            registry=r,
        )
        self._owned = Gauge(
            "seatbridge_owned_units",
            "Scheduled units this instance runs (a shared store splits them between instances).",
            registry=r,
        )
        self._instances = Gauge(
            "seatbridge_live_instances",
            "Live instances of this venue on the shared store, this one included.",
            registry=r,
        )
        self._conflicts_open = Gauge(
            "seatbridge_conflicts_open",
            "Conflicts open now (a standing conflict counts once, until a run no longer finds it).",
            registry=r,
        )
        self._clock_steps = Counter(
            "seatbridge_clock_steps",
            "Steps of the wall clock the daemon noticed (the schedule keeps monotonic time).",
            ["direction"],
            registry=r,
        )
        for direction in CLOCK_STEP_DIRECTIONS:
            self._clock_steps.labels(direction)
        self._writeback_ops = Counter(
            "seatbridge_writeback_operations",
            "Tessitura write-back operations (hold, lift) by result (done, failed, unknown, "
            "skipped).",
            ["kind", "result"],
            registry=r,
        )
        for kind in WRITEBACK_KINDS.values():
            for result in WRITEBACK_RESULTS:
                self._writeback_ops.labels(kind, result)
        self._writeback_holds = Gauge(
            "seatbridge_writeback_holds",
            "Seats the bridge holds in Tessitura (the write-back ledger's rows).",
            registry=r,
        )
        self._reconcile_duration = Histogram(
            "seatbridge_reconcile_duration_seconds",
            "How long one unit's reconcile took, by unit kind (a run cut off by its timeout too).",
            ["kind"],
            buckets=RECONCILE_BUCKETS,
            registry=r,
        )
        self._last_success = Gauge(
            "seatbridge_last_success_timestamp_seconds",
            "Unix time of the last unit run of this kind that ended without error (converged, "
            "or only conflicts); the daemon's start until its first.",
            ["kind"],
            registry=r,
        )
        started = clock.now().timestamp()  # so "none since the start" ages, and alerts fire
        for kind in UNIT_KINDS:
            self._reconcile_duration.labels(kind)
            self._last_success.labels(kind).set(started)
        self._build_info = Gauge(
            "seatbridge_build_info",
            "Always 1: the seatbridge version and the Python version running it.",
            ["version", "python"],
            registry=r,
        )
        self._build_info.labels(build_version(), platform.python_version()).set(1)
        ProcessCollector(registry=r)
        PlatformCollector(registry=r)
        GCCollector(registry=r)
        self._clock = clock
        # notifications (bridge.daemon.notify): one per webhook and alert, by how it ended
        self._notifications = Counter(
            "seatbridge_notifications",
            "Webhook notifications by result (sent, failed: given up on, dropped: queue full).",
            ["result"],
            registry=r,
        )
        for result in ("sent", "failed", "dropped"):
            self._notifications.labels(result)
        self._since_sync = _SinceLastSync(clock.now)
        r.register(self._since_sync)
        self._endpoints: dict[str, set[str]] = {}
        self._endpoints_lock = threading.Lock()
        #: the events ``seatbridge_for_sale_edits_left`` has a series of
        self._events: set[str] = set()
        self._events_lock = threading.Lock()

    # -- reconciling ---------------------------------------------------------------------------

    def unit_reconciled(self, result: str) -> None:
        """One unit's reconcile ended with ``result`` (see :data:`RECONCILE_RESULTS`)."""
        self._reconciles.labels(result).inc()

    @contextmanager
    def timing(self, kind: str) -> Iterator[None]:
        """Time one unit's reconcile (``kind``: see :func:`unit_kind`) on the clock's monotonic
        time; a run that raises (its timeout) is counted with the time it took, a cancelled one
        (the daemon stopping) is not."""
        started = self._clock.monotonic()
        try:
            yield
        except Exception:
            self._reconcile_duration.labels(kind).observe(self._clock.monotonic() - started)
            raise
        self._reconcile_duration.labels(kind).observe(self._clock.monotonic() - started)

    def unit_ended(self, kind: str, ending: Ending) -> None:
        """A unit run of ``kind`` ended in ``ending``: one that did its job (not
        :attr:`~bridge.core.outcome.Ending.failed`) is the kind's last success, now."""
        if not ending.failed:
            self._last_success.labels(kind).set(self._clock.now().timestamp())

    def operation(self, kind: str, result: str) -> None:
        """One planned operation of ``kind`` ended in ``result``."""
        self._operations.labels(kind, result).inc()

    def conflicts(self, n: int) -> None:
        """``n`` conflicts were found (0 is fine)."""
        if n > 0:
            self._conflicts.inc(n)

    def objects(self, action: str, n: int) -> None:
        """The bridge applied ``action`` (hold, release, status change…) to ``n`` objects."""
        if n > 0:
            self._objects.labels(action).inc(n)

    def writeback_operation(self, kind: str, result: str) -> None:
        """One Tessitura write-back operation of ``kind`` (an :class:`OpKind` value) ended in
        ``result``; labels stay bounded (an unexpected result counts as ``other``)."""
        short = WRITEBACK_KINDS.get(kind)
        if short is None:
            return
        self._writeback_ops.labels(short, result if result in WRITEBACK_RESULTS else "other").inc()

    def writeback_holds(self, n: int) -> None:
        """The write-back ledger holds ``n`` seats in Tessitura (every performance)."""
        self._writeback_holds.set(n)

    def synced(self, performance_id: int, at: datetime) -> None:
        """The performance was in step with seats.io at ``at`` (an earlier ``at`` is ignored)."""
        self._since_sync.synced(performance_id, at)

    def forget(self, performance_id: int) -> None:
        """The performance left the schedule: drop its series."""
        self._since_sync.forget(performance_id)

    def scheduled(self, performance_id: int) -> None:
        """The performance is on the schedule (now, if it was not): its seconds since a sync
        count from now until it first syncs."""
        self._since_sync.scheduled(performance_id, self._clock.now())

    def for_sale_edits_left(self, event_key: str, n: int) -> None:
        with self._events_lock:
            self._events.add(event_key)
        self._for_sale_left.labels(event_key).set(n)

    def keep_events(self, event_keys: set[str]) -> None:
        """Drop the for-sale budget of every event not in ``event_keys`` (the schedule's): a
        spent budget of a show that ended must not keep an alert firing."""
        with self._events_lock:
            gone, self._events = self._events - event_keys, self._events & event_keys
        for key in gone:
            self._for_sale_left.remove(key)

    # -- vendor APIs ---------------------------------------------------------------------------

    def api_request(
        self,
        vendor: str,
        endpoint: str,
        status: int | None,
        elapsed_s: float,
        error: str | None,
    ) -> None:
        """One attempt of a vendor request. ``endpoint`` should be a template; ``error`` (the
        transport failure, when ``status`` is None) is not a label: it is for the logs."""
        del error  # not a label; status "error" says enough for alerting
        endpoint = self._bounded_endpoint(vendor, endpoint)
        code = "error" if status is None else str(status)
        self._api_requests.labels(vendor, endpoint, code).inc()
        self._api_duration.labels(vendor, endpoint).observe(max(0.0, elapsed_s))

    def rate_limited(self, vendor: str, lane: str) -> None:
        self._rate_limited.labels(vendor, lane).inc()

    def _bounded_endpoint(self, vendor: str, endpoint: str) -> str:
        endpoint = endpoint.split("?", 1)[0]
        with self._endpoints_lock:
            seen = self._endpoints.setdefault(vendor, set())
            if endpoint in seen:
                return endpoint
            if len(seen) >= MAX_ENDPOINTS:
                return "other"
            seen.add(endpoint)
            return endpoint

    # -- the daemon itself ---------------------------------------------------------------------

    def config_reload(self, result: str) -> None:
        """A config reload ended in ``result`` (see :data:`RELOAD_RESULTS`)."""
        self._reloads.labels(result).inc()

    def seasons_sync(self, result: str) -> None:
        """A seasons sync during discovery ended in ``result``: applied, unchanged or error."""
        self._seasons_syncs.labels(result).inc()

    def role(self, active: bool) -> None:
        """This daemon became the active one (True) or a standby (False)."""
        self._active.set(1 if active else 0)

    def units_in_flight(self, delta: int) -> None:
        """``+1`` when a unit's reconcile starts, ``-1`` when it ends."""
        self._in_flight.inc(delta)

    def scheduled_units(self, n: int) -> None:
        self._scheduled.set(n)

    def clock_stepped(self, step_s: float) -> None:
        """The wall clock stepped by ``step_s`` seconds (negative: back)."""
        self._clock_steps.labels("forward" if step_s > 0 else "backward").inc()

    def conflicts_open(self, count: int) -> None:
        """How many conflicts are open now, over every unit this instance runs."""
        self._conflicts_open.set(count)

    def ownership(self, owned: int, live_instances: int) -> None:
        """This instance runs ``owned`` units; ``live_instances`` share the venue's."""
        self._owned.set(owned)
        self._instances.set(live_instances)

    def membership(self, membership: Membership) -> None:
        """The owned units and live instances as ``membership`` knows them now: an active daemon
        runs what it owns (every unit, on an SQLite store, where it counts itself the one live
        instance); a standby, or a daemon that lost its role, runs none."""
        running = membership.role is Role.ACTIVE and not membership.lost_role
        self.ownership(len(membership.owned) if running else 0, len(membership.live))

    def count_report(self, report: RunReport) -> None:
        """Count one pass of the daemon: each unit by how it ended (its one
        :attr:`~bridge.core.outcome.UnitResult.ending`, so a unit with an ERROR finding counts
        as ``error``), its conflicts, operations and objects. Which performances it synced is
        the caller's to say (:meth:`synced`), from their own outcome."""
        for u in report.units:
            self.unit_reconciled(u.ending.value)
            self.conflicts(sum(1 for f in u.plan.findings if f.severity is Severity.CONFLICT))
            for r in u.outcome.results if u.outcome else []:
                self.operation(r.op.kind.value, r.state)
                if r.op.kind.is_tessitura:
                    self.writeback_operation(r.op.kind.value, r.state)
                if r.state == "done" and r.op.labels:
                    self.objects(r.op.kind.value, len(r.op.labels))

    def notification(self, result: str) -> None:
        """A webhook notification ended in ``result``: sent, failed or dropped."""
        self._notifications.labels(result).inc()

    # -- exposition ----------------------------------------------------------------------------

    def exposition(self) -> tuple[bytes, str]:
        """The body for ``/metrics`` and its content type (Prometheus text format)."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
