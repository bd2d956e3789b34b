"""The configuration's shape: one frozen pydantic model per TOML section, and :class:`BridgeConfig`,
the validated whole. Paths are resolved against the config file's folder (the validation
context's ``base_dir``); nothing here reads a file or builds a client.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bridge.core.happenings import AlertKind
from bridge.domain import SeasonPolicy
from bridge.mapping.model import SEATSIO_BUILTIN_STATUSES, MappingTables

SEATSIO_REGIONS = ("eu", "na", "sa", "oc")

# --------------------------------------------------------------------------- field types


def _relative_to_config(value: Path, info: ValidationInfo) -> Path:
    """Resolve a path against the config file's folder (the validation context's ``base_dir``)."""
    value = value.expanduser()
    base = (info.context or {}).get("base_dir")
    if not value.is_absolute() and base is not None:
        value = Path(base) / value
    return Path(os.path.normpath(value))


ConfigPath = Annotated[Path, AfterValidator(_relative_to_config)]


def _http_url(value: str) -> str:
    if not re.match(r"https?://[^/\s]+", value):
        raise ValueError("expected an http:// or https:// URL")
    return value


def _with_slash(value: str) -> str:
    """httpx joins relative paths onto a base URL only below its last '/'."""
    return value if value.endswith("/") else value + "/"


HttpUrlText = Annotated[str, AfterValidator(_http_url)]


def _time_zone(value: str) -> str:
    """An IANA time zone name the system's database knows (``America/Los_Angeles``)."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            "not an IANA time zone name, e.g. 'America/Los_Angeles' or 'Europe/London' "
            "(the system's time zone database, or the tzdata package, must be installed)"
        ) from None
    return value


NonEmpty = Annotated[str, Field(min_length=1)]


class Section(BaseModel):
    """Base of every section model: unknown keys are refused, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


# --------------------------------------------------------------------------- sections


class TessituraSettings(Section):
    """Where and as whom to call the Tessitura REST API."""

    base_url: Annotated[HttpUrlText, AfterValidator(_with_slash)]
    username: NonEmpty
    user_group: NonEmpty
    location: NonEmpty
    format: Literal["json", "xml"] = "json"
    timeout_s: float = Field(30.0, gt=0)
    #: an answer longer than this (MiB, decoded) is malformed: reading stops there
    max_answer_mib: float = Field(16.0, gt=0)
    password_file: ConfigPath | None = None
    #: A performance's seat map is read once and kept in the store, so a pass costs one hold read
    #: per performance; it is read again after this age, or at once when a hold names a seat the
    #: kept seat map's table does not have.
    seat_map_max_age_s: float = Field(86_400.0, ge=0)


class SeatsioSettings(Section):
    """Which seats.io region (or URL) and workspace, and how hard to push its rate limits."""

    region: Literal["eu", "na", "sa", "oc"] | None = None
    base_url: HttpUrlText | None = None
    workspace_key: str | None = None
    secret_key_file: ConfigPath | None = None
    regular_lane_limit: int = Field(5, ge=1, le=10)
    priority_lane_limit: int = Field(50, ge=1, le=100)
    max_objects_per_request: int = Field(1000, ge=1)
    timeout_s: float = Field(15.0, gt=0)
    #: how long a kept read of an event's objects may stand in for a full read while its
    #: status-change feed and its channels and for-sale config show no change (0: read every
    #: event in full every pass); see bridge.core.freshness
    full_read_every_s: float = Field(300.0, ge=0)
    #: an answer longer than this (MiB, decoded) is malformed: reading stops there; the biggest
    #: the bridge reads is a whole-event report, about 0.8 KiB a seat
    max_answer_mib: float = Field(16.0, gt=0)
    #: seats.io counts concurrency per account, across its workspaces: configs (venues,
    #: instances) whose workspaces share an account name it alike, so that on a shared store
    #: they share its lanes. Unset: the lanes are those of this secret key.
    account: NonEmpty | None = None

    @model_validator(mode="after")
    def _one_address(self) -> SeatsioSettings:
        if (self.region is None) == (self.base_url is None):
            raise ValueError(
                "set exactly one of region (eu, na, sa, oc) or base_url, "
                f"not {'both' if self.region else 'neither'}"
            )
        return self

    @property
    def api_url(self) -> str:
        """The API root: ``base_url`` as given, else ``https://api-{region}.seatsio.net``."""
        if self.base_url is not None:
            return self.base_url.rstrip("/")
        return f"https://api-{self.region}.seatsio.net"


class MappingSettings(Section):
    """Where the operator's tables are, and the rule for performances the table does not list."""

    hold_codes: ConfigPath
    performances: ConfigPath | None = None
    seat_tables: dict[int, ConfigPath] = Field(default_factory=dict)
    event_key_template: str | None = None
    facility_charts: dict[int, NonEmpty] = Field(default_factory=dict)
    #: The seasons table: what `seatbridge seasons sync` builds in seats.io (absent: feature off).
    seasons: ConfigPath | None = None


class DiscoverySettings(Section):
    """Which Tessitura performances the daemon looks for (empty lists: no filter on that).

    ``time_zone`` is the venue's IANA time zone, the one Tessitura's performance dates are in:
    "today" and the search bounds are counted in it. Unset means UTC, which the one-day margin of
    :func:`bridge.reconcile.discovery.search_window` still covers; `config check` warns about it.
    """

    facility_ids: tuple[int, ...] = ()
    season_ids: tuple[int, ...] = ()
    horizon_days: int = Field(365, ge=1)
    time_zone: Annotated[str, AfterValidator(_time_zone)] | None = None
    #: the daemon runs `seatbridge seasons sync` before every discovery (needs [mappings]
    #: seasons): a new Tessitura performance gets its seats.io event within one discovery cycle
    seasons_sync: bool = False

    @property
    def zone(self) -> tzinfo:
        """The venue's time zone (UTC when ``time_zone`` is unset)."""
        return UTC if self.time_zone is None else ZoneInfo(self.time_zone)


def _postgres_url(value: str) -> str:
    if not re.match(r"postgres(ql)?://", value):
        raise ValueError(
            "expected a postgresql:// URL, e.g. postgresql://seatbridge@db.example/seatbridge"
        )
    return value


#: A venue (tenant) name: it leads every key of a shared store and names the systemd instance.
VENUE_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"


class StoreSettings(Section):
    """Where the ledger, journal and per-performance status live.

    SQLite (``path``) is the embedded default: one file, one host. ``url`` names a PostgreSQL
    database instead, which several instances (on several hosts) and several venues share; the
    password comes from ``SEATBRIDGE_STORE_PASSWORD`` or ``password_file``, never the URL.
    ``venue`` is written on every row of a shared store: each venue's config names its own.
    """

    path: ConfigPath = Path("state/seatbridge.sqlite3")
    url: Annotated[str, AfterValidator(_postgres_url)] | None = None
    password_file: ConfigPath | None = None
    venue: Annotated[str, Field(pattern=VENUE_PATTERN)] = "default"
    pool_size: int = Field(4, ge=1, le=32)
    #: how long a unit's lease on its performances lasts unless renewed (every third of it); a
    #: write goes out only with a whole seats.io ``timeout_s`` left on it, so keep it well above
    lease_ttl_s: float = Field(300.0, gt=0)


class Cadence(Section):
    """Performances starting within ``within_hours`` are reconciled every ``every_s`` seconds."""

    within_hours: float = Field(gt=0)
    every_s: float = Field(gt=0)


class ScheduleSettings(Section):
    """How often the daemon discovers performances and reconciles each one."""

    discovery_every_s: float = Field(300.0, gt=0)
    default_every_s: float = Field(600.0, gt=0)
    cadences: tuple[Cadence, ...] = (
        Cadence(within_hours=24, every_s=4),
        Cadence(within_hours=168, every_s=120),
    )

    @field_validator("cadences")
    @classmethod
    def _distinct_windows(cls, cadences: tuple[Cadence, ...]) -> tuple[Cadence, ...]:
        hours = [c.within_hours for c in cadences]
        dup = sorted({h for h in hours if hours.count(h) > 1})
        if dup:
            raise ValueError(f"within_hours = {dup[0]:g} is given twice")
        return tuple(sorted(cadences, key=lambda c: c.within_hours))

    def every_s_for(self, hours_until_start: float) -> float:
        """The reconcile interval of a performance starting in ``hours_until_start`` hours."""
        for cadence in self.cadences:  # sorted, narrowest window first
            if hours_until_start <= cadence.within_hours:
                return cadence.every_s
        return self.default_every_s


class SafetySettings(Section):
    """The planner's limits (``bridge.core.policy.policy_of`` builds its Policy from them)."""

    mass_release_share: float = Field(0.2, gt=0, le=1)
    mass_release_floor: int = Field(50, ge=0)
    season_policy: SeasonPolicy = SeasonPolicy.ALL
    owns_all_channels: tuple[NonEmpty, ...] = ()
    for_sale_reserve: int = Field(2, ge=0, le=10)
    #: A seat table that lost more than this share of its rows since the last run is refused.
    table_shrink_share: float = Field(0.1, ge=0, le=1)
    #: The status that holds a seat whose planned form cannot be written (for-sale budget
    #: spent, a partner's channel) when its hold code has no fallback_status; "" for none.
    fallback_status: str = "held-by-bridge"

    @field_validator("fallback_status")
    @classmethod
    def _not_builtin(cls, value: str) -> str:
        if value.casefold() in {b.casefold() for b in SEATSIO_BUILTIN_STATUSES}:
            raise ValueError(
                f"{value!r} is a seats.io built-in status; name a status of the bridge's own "
                '(e.g. "held-by-bridge"), or "" for none'
            )
        return value


def _no_duplicates(values: tuple[object, ...]) -> tuple[object, ...]:
    seen: list[object] = []
    for v in values:
        if v in seen:
            raise ValueError(f"{v!r} is given twice")
        seen.append(v)
    return values


class WritebackSettings(Section):
    """The two-way write-back (issue 26): seats seats.io shows sold online get a Tessitura hold of
    ``hold_code``, so the box office cannot sell them again (``bridge.runtime.policy_of`` builds
    :class:`bridge.core.policy.WritebackPolicy` from it). Off unless asked for: it writes to
    Tessitura, which the bridge otherwise only reads."""

    #: "off" (nothing read or written), "report" (planned and shown, never sent), "apply"
    mode: Literal["off", "report", "apply"] = "off"
    #: the Tessitura hold code the bridge puts on seats sold online; the hold-code table must map
    #: it to ``ignore`` (checked at load), so the bridge never reads its own hold back
    hold_code: int | None = Field(None, gt=0)
    #: the seats.io statuses written back: sold online (booked, resale) or a foreign status
    statuses: Annotated[
        tuple[NonEmpty, ...], Field(min_length=1), AfterValidator(_no_duplicates)
    ] = ("booked", "resale")
    #: the hold's HoldUntilDate horizon in hours (None: no end date)
    hold_hours: float | None = Field(None, gt=0, allow_inf_nan=False)
    #: Tessitura SeatStatusIds that mean sold at the box office: no write-back hold there
    sold_seat_statuses: Annotated[
        tuple[Annotated[int, Field(gt=0)], ...], Field(min_length=1), AfterValidator(_no_duplicates)
    ] = (7, 8, 13)

    @field_validator("statuses")
    @classmethod
    def _never_free(cls, statuses: tuple[str, ...]) -> tuple[str, ...]:
        if any(s.casefold() == "free" for s in statuses):
            raise ValueError('"free" is a seat nobody bought: it is never written back')
        return statuses

    @model_validator(mode="after")
    def _code_when_on(self) -> WritebackSettings:
        if self.mode != "off" and self.hold_code is None:
            raise ValueError(
                f'hold_code is required when mode is "{self.mode}" (the Tessitura hold code '
                "the write-back puts on seats sold online)"
            )
        return self

    @property
    def on(self) -> bool:
        """True when the write-back is planned (report) or applied."""
        return self.mode != "off"


def _listen(value: str) -> str:
    m = re.fullmatch(r"(\[[0-9A-Fa-f:.]+\]|[^:\s\[\]]+):(\d{1,5})", value)
    if not m or not 0 <= int(m[2]) < 65536:
        raise ValueError("expected host:port, e.g. 127.0.0.1:9464 or [::1]:9464 (port 0: any free)")
    return value


class HttpSettings(Section):
    """Where health, Prometheus metrics and the status page are served (loopback by default; port
    0 picks a free port, which the daemon records for `seatbridge status`). ``token_file`` names
    the file holding the bearer token the server requires (the token itself never goes in the
    config: ``SEATBRIDGE_HTTP_TOKEN`` wins over the file); one is needed beyond loopback."""

    listen: Annotated[str, AfterValidator(_listen)] = "127.0.0.1:9464"
    token_file: ConfigPath | None = None

    @property
    def host(self) -> str:
        return self.listen.rsplit(":", 1)[0].strip("[]")

    @property
    def port(self) -> int:
        return int(self.listen.rsplit(":", 1)[1])


class DaemonSettings(Section):
    """How `seatbridge run` schedules, bounds and stops its runs (see docs/daemon.md)."""

    #: a run longer than this is cancelled (at its next await; the journal lets the next repair)
    run_timeout_s: float = Field(300.0, gt=0)
    #: units reconciled at once, process-wide (each unit's seats.io calls share the lanes)
    max_units_in_flight: int = Field(4, ge=1, le=64)
    #: retryable failures back off from base to cap, doubling, with jitter
    backoff_base_s: float = Field(5.0, gt=0)
    backoff_cap_s: float = Field(600.0, gt=0)
    #: a unit playing within a day backs off no longer than this many times its cadence
    backoff_cadence_factor: float = Field(3.0, ge=1)
    jitter_share: float = Field(0.1, ge=0, lt=1)
    #: a unit stopped by a terminal error is tried again this often even without a config change
    terminal_recheck_s: float = Field(3600.0, gt=0)
    #: a job that could not fire on time (the loop was busy) still runs this late, then waits;
    #: judged on the monotonic clock, so a wall-clock step never makes a job late
    misfire_grace_s: float = Field(60.0, gt=0)
    #: a performance leaves the schedule this long after it started
    ended_margin_hours: float = Field(6.0, ge=0)
    #: finished runs older than this are pruned from the journal
    keep_runs_days: float = Field(30.0, gt=0)
    #: runs in flight get this long to finish on SIGTERM before they are cancelled
    stop_grace_s: float = Field(60.0, ge=0)
    #: the active daemon's writer lease; a standby takes over this long after a crash at most
    writer_lease_ttl_s: float = Field(30.0, gt=0)
    #: after taking units over from a daemon that died, how long to wait before writing: its
    #: last requests may still be running at seats.io (unset: twice the seats.io timeout)
    takeover_wait_s: float | None = Field(None, ge=0)
    #: how often the config file and its tables are checked for edits
    reload_poll_s: float = Field(2.0, gt=0)

    @model_validator(mode="after")
    def _cap_not_below_base(self) -> DaemonSettings:
        if self.backoff_cap_s < self.backoff_base_s:
            raise ValueError("backoff_cap_s must not be below backoff_base_s")
        return self


class TestingSettings(Section):
    """For tests only, never in production: shift this process's wall clock the way faketime
    would (the monotonic clock and the state store's clock stay as they are), so a test can step
    a running daemon's clock. The shift is ``clock_offset_s`` plus the seconds written in
    ``clock_offset_file`` (``-3600``: an hour behind), re-read within a fraction of a second."""

    __test__ = False  # not a pytest test class, whatever its name

    clock_offset_s: float = Field(0.0, allow_inf_nan=False)
    clock_offset_file: ConfigPath | None = None

    @property
    def shifted(self) -> bool:
        """Whether the process's wall clock is to be shifted at all."""
        return self.clock_offset_s != 0 or self.clock_offset_file is not None


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


class LogSettings(Section):
    """Log level and shape: JSON for daemons, console for people."""

    level: Annotated[
        Literal["debug", "info", "warning", "error", "critical"], BeforeValidator(_lower)
    ] = "info"
    #: "auto": JSON lines when stderr is not a terminal (journald, containers), else console.
    format: Literal["auto", "json", "console"] = "auto"


#: A webhook's name: it labels log lines, so it is short and plain (never the URL, a secret).
WEBHOOK_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$"


def _no_url_in_file(data: object) -> object:
    """A webhook URL carries its credential in its path: it is never written in the config."""
    if isinstance(data, dict) and "url" in data:
        raise ValueError(
            "a webhook URL is a secret and never goes in the config file: remove url and set "
            'url_env = "SOME_VARIABLE" (the variable holds the URL) or url_file = "path"'
        )
    return data


class WebhookSettings(Section):
    """One ``[[notify.webhook]]``: where alerts of the kinds in ``on`` are POSTed, and in what
    shape. The URL itself comes from the environment variable ``url_env`` names or the file
    ``url_file`` names (exactly one), resolved in :func:`bridge.config.load_config`."""

    name: Annotated[str, Field(pattern=WEBHOOK_NAME_PATTERN)]
    #: "json": the alert as JSON (generic receivers); "slack": Slack's incoming-webhook shape
    format: Literal["json", "slack"] = "json"
    url_env: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")] | None = None
    url_file: ConfigPath | None = None
    #: the alert kinds sent to this webhook (all of them by default)
    on: Annotated[tuple[AlertKind, ...], Field(min_length=1), AfterValidator(_no_duplicates)] = (
        tuple(AlertKind)
    )

    _no_url = model_validator(mode="before")(_no_url_in_file)

    @model_validator(mode="after")
    def _one_source(self) -> WebhookSettings:
        if (self.url_env is None) == (self.url_file is None):
            raise ValueError(
                "set exactly one of url_env (an environment variable holding the URL) or "
                f"url_file (a file holding it), not {'both' if self.url_env else 'neither'}"
            )
        return self


class NotifySettings(Section):
    """Who hears about a new conflict, a refused mass release or a unit failing
    (:mod:`bridge.daemon.notify`); nobody unless webhooks are configured."""

    #: a unit failing for this many times its cadence (``job.every_s``) since its first failed
    #: run in a row raises ``unit_in_error``; a TERMINAL failure (a person must act) at once
    error_after_cadences: int = Field(3, ge=1)
    #: the webhooks (``[[notify.webhook]]``), each by name
    webhook: tuple[WebhookSettings, ...] = ()
    #: one POST may take this long as a whole (connect, send, answer) before it counts as failed
    timeout_s: float = Field(10.0, gt=0)
    #: tries per notification and webhook (a 5xx, 429 or network error is tried again)
    attempts: int = Field(4, ge=1, le=20)
    #: waits between tries grow from base to cap, doubling
    backoff_base_s: float = Field(2.0, ge=0)
    backoff_cap_s: float = Field(60.0, ge=0)
    #: notifications waiting per webhook; past it the oldest is dropped (with a warning)
    queue_size: int = Field(1000, ge=1)

    @field_validator("webhook")
    @classmethod
    def _distinct_names(cls, hooks: tuple[WebhookSettings, ...]) -> tuple[WebhookSettings, ...]:
        names = [h.name for h in hooks]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"webhook name {dup[0]!r} is given twice")
        return hooks

    @model_validator(mode="after")
    def _cap_not_below_base(self) -> NotifySettings:
        if self.backoff_cap_s < self.backoff_base_s:
            raise ValueError("backoff_cap_s must not be below backoff_base_s")
        return self


SECTION_MODELS: Mapping[str, tuple[type[Section], bool]] = {
    "tessitura": (TessituraSettings, True),
    "seatsio": (SeatsioSettings, True),
    "mappings": (MappingSettings, True),
    "discovery": (DiscoverySettings, False),
    "store": (StoreSettings, False),
    "schedule": (ScheduleSettings, False),
    "safety": (SafetySettings, False),
    "http": (HttpSettings, False),
    "log": (LogSettings, False),
    "daemon": (DaemonSettings, False),
    "writeback": (WritebackSettings, False),
    "notify": (NotifySettings, False),
    "testing": (TestingSettings, False),
}


# --------------------------------------------------------------------------- the value


@dataclass(frozen=True, slots=True)
class BridgeConfig:
    """Everything the bridge needs to run, validated; paths are absolute.

    ``tables`` are the loaded mapping tables; ``files`` every file read to build this value (the
    config, the tables, secret files), for a daemon that reloads on change.
    Secrets are :class:`pydantic.SecretStr` (``get_secret_value()``), None when not required.
    Clients and the store are built from it in :mod:`bridge.runtime`.
    """

    path: Path
    tessitura: TessituraSettings
    seatsio: SeatsioSettings
    mappings: MappingSettings
    discovery: DiscoverySettings
    store: StoreSettings
    schedule: ScheduleSettings
    safety: SafetySettings
    http: HttpSettings
    log: LogSettings
    tables: MappingTables = field(repr=False)
    tessitura_password: SecretStr | None = field(default=None, repr=False)
    seatsio_secret_key: SecretStr | None = field(default=None, repr=False)
    #: the bearer token of the HTTP server (``SEATBRIDGE_HTTP_TOKEN`` or ``[http] token_file``)
    http_token: SecretStr | None = field(default=None, repr=False)
    #: the PostgreSQL store's password (``SEATBRIDGE_STORE_PASSWORD`` or ``[store] password_file``)
    store_password: SecretStr | None = field(default=None, repr=False)
    files: tuple[Path, ...] = ()
    daemon: DaemonSettings = field(default_factory=lambda: DaemonSettings())
    #: the two-way write-back to Tessitura; off by default
    writeback: WritebackSettings = field(default_factory=lambda: WritebackSettings())
    #: notifications (webhooks) of conflicts, refused releases and units in error
    notify: NotifySettings = field(default_factory=lambda: NotifySettings())
    #: each ``[[notify.webhook]]``'s URL by webhook name (from its ``url_env`` or ``url_file``)
    webhook_urls: Mapping[str, SecretStr] = field(default_factory=dict, repr=False)
    #: test-only knobs (a shifted wall clock); empty in production
    testing: TestingSettings = field(default_factory=lambda: TestingSettings())
