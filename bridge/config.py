"""The operator's configuration file, validated into one immutable :class:`BridgeConfig`.

One TOML file (``--config PATH`` or ``SEATBRIDGE_CONFIG``) names both APIs, the mapping tables, the
schedule and the safety limits; relative paths in it are relative to its own folder. Secrets never
live in it: they come from ``SEATBRIDGE_TESSITURA_PASSWORD`` / ``SEATBRIDGE_SEATSIO_SECRET_KEY``
or from files the config names, and the environment wins over a file (a container or a systemd
unit can override what is on disk without editing it). :func:`load_config` reports every problem
at once, each with file, line and column. Reference: ``docs/configuration.md``.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, Protocol, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bridge.domain import SeasonPolicy
from bridge.errors import ConfigError
from bridge.mapping.model import MappingTables
from bridge.mapping.problems import InvalidConfigError, Problem, display_path
from bridge.mapping.tables import collect_tables, template_problem

if TYPE_CHECKING:
    import httpx

    from bridge.seatsio.client import SeatsioClient
    from bridge.tessitura.client import TessituraClient

__all__ = [
    "CONFIG_ENV",
    "DEFAULT_CONFIG_PATH",
    "SEATSIO_SECRET_ENV",
    "TESSITURA_PASSWORD_ENV",
    "BridgeConfig",
    "Cadence",
    "DiscoverySettings",
    "HttpSettings",
    "InvalidConfigError",
    "LogSettings",
    "MappingSettings",
    "Problem",
    "SafetySettings",
    "ScheduleSettings",
    "SeatsioSettings",
    "StoreSettings",
    "TessituraSettings",
    "load_config",
    "redact",
    "redact_url",
    "resolve_config_path",
]

CONFIG_ENV = "SEATBRIDGE_CONFIG"
TESSITURA_PASSWORD_ENV = "SEATBRIDGE_TESSITURA_PASSWORD"
SEATSIO_SECRET_ENV = "SEATBRIDGE_SEATSIO_SECRET_KEY"
DEFAULT_CONFIG_PATH = Path("config/bridge.toml")

SEATSIO_REGIONS = ("eu", "na", "sa", "oc")

#: Keys that would put a secret into the file, and where the secret goes instead.
_SECRET_KEYS: Mapping[str, str] = {
    "password": f"set {TESSITURA_PASSWORD_ENV} or name a file in tessitura.password_file",
    "secret_key": f"set {SEATSIO_SECRET_ENV} or name a file in seatsio.secret_key_file",
    "secret": "secrets come from environment variables or the *_file settings",
    "api_key": "secrets come from environment variables or the *_file settings",
    "token": "secrets come from environment variables or the *_file settings",
}


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

#: ``scheme://`` at the start of a setting: the value is a URL, and may not carry credentials.
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def redact_url(url: str) -> str:
    """``url`` with any ``user[:password]@`` replaced by ``***@`` (everything up to the last "@"
    after the scheme: a password may itself contain "/", "?" or "@")."""
    m = _URL.match(url)
    if not m or "@" not in url[m.end() :]:
        return url
    return f"{m[0]}***@{url.rsplit('@', 1)[1]}"


#: Secret values this process has loaded; :func:`redact` masks them wherever they turn up.
_LOADED_SECRETS: set[str] = set()
#: Secrets at least this long are masked inside any text; shorter ones only as whole tokens.
_SUBSTRING_FROM = 8

#: An Authorization header's value, as text or as a dict's repr: ``Authorization: Basic dTpw...``.
_AUTH_HEADER = re.compile(
    r"""(authorization['"]?\s*[:=]\s*['"]?)(?:(Basic|Bearer)\s+)?[^\s'",}]+""", re.IGNORECASE
)
_URL_IN_TEXT = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]*@")


def redact(text: str, environ: Mapping[str, str] | None = None) -> str:
    """``text`` fit to show: every secret loaded by :func:`load_config` (and the values of the
    secret environment variables), credentials in URLs and Basic/Bearer tokens become ``***``."""
    env = os.environ if environ is None else environ
    secrets = set(_LOADED_SECRETS)
    secrets.update(v for k in (TESSITURA_PASSWORD_ENV, SEATSIO_SECRET_ENV) if (v := env.get(k)))
    for secret in sorted(secrets, key=len, reverse=True):  # longest first: one may contain another
        if len(secret) >= _SUBSTRING_FROM:
            text = text.replace(secret, "***")
        else:  # a short one only as a whole token, or every "p" of a message would go
            text = re.sub(rf"(?<![\w-]){re.escape(secret)}(?![\w-])", "***", text)
    text = _URL_IN_TEXT.sub(lambda m: m[0].split("://", 1)[0] + "://***@", text)
    return _AUTH_HEADER.sub(lambda m: f"{m[1]}{m[2] + ' ' if m[2] else ''}***", text)


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


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


# --------------------------------------------------------------------------- sections


class TessituraSettings(_Section):
    """Where and as whom to call the Tessitura REST API."""

    base_url: Annotated[HttpUrlText, AfterValidator(_with_slash)]
    username: NonEmpty
    user_group: NonEmpty
    location: NonEmpty
    format: Literal["json", "xml"] = "json"
    timeout_s: float = Field(30.0, gt=0)
    password_file: ConfigPath | None = None


class SeatsioSettings(_Section):
    """Which seats.io region (or URL) and workspace, and how hard to push its rate limits."""

    region: Literal["eu", "na", "sa", "oc"] | None = None
    base_url: HttpUrlText | None = None
    workspace_key: str | None = None
    secret_key_file: ConfigPath | None = None
    regular_lane_limit: int = Field(5, ge=1, le=10)
    priority_lane_limit: int = Field(50, ge=1, le=100)
    max_objects_per_request: int = Field(1000, ge=1)
    timeout_s: float = Field(15.0, gt=0)

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


class MappingSettings(_Section):
    """Where the operator's tables are, and the rule for performances the table does not list."""

    hold_codes: ConfigPath
    performances: ConfigPath | None = None
    seat_tables: dict[int, ConfigPath] = Field(default_factory=dict)
    event_key_template: str | None = None
    facility_charts: dict[int, NonEmpty] = Field(default_factory=dict)


class DiscoverySettings(_Section):
    """Which Tessitura performances the daemon looks for (empty lists: no filter on that).

    ``time_zone`` is the venue's IANA time zone, the one Tessitura's performance dates are in:
    "today" and the search bounds are counted in it. Unset means UTC, which the one-day margin of
    :func:`bridge.reconcile.discovery.search_window` still covers; `config check` warns about it.
    """

    facility_ids: tuple[int, ...] = ()
    season_ids: tuple[int, ...] = ()
    horizon_days: int = Field(365, ge=1)
    time_zone: Annotated[str, AfterValidator(_time_zone)] | None = None

    @property
    def zone(self) -> tzinfo:
        """The venue's time zone (UTC when ``time_zone`` is unset)."""
        return UTC if self.time_zone is None else ZoneInfo(self.time_zone)


class StoreSettings(_Section):
    """Where the ledger, journal and per-performance status live."""

    path: ConfigPath = Path("state/seatbridge.sqlite3")


class Cadence(_Section):
    """Performances starting within ``within_hours`` are reconciled every ``every_s`` seconds."""

    within_hours: float = Field(gt=0)
    every_s: float = Field(gt=0)


class ScheduleSettings(_Section):
    """How often the daemon discovers performances and reconciles each one."""

    discovery_every_s: float = Field(300.0, gt=0)
    default_every_s: float = Field(600.0, gt=0)
    cadences: tuple[Cadence, ...] = (
        Cadence(within_hours=24, every_s=30),
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


class SafetySettings(_Section):
    """The planner's limits (``bridge.reconcile.policy.policy_of`` builds its Policy from them)."""

    mass_release_share: float = Field(0.2, gt=0, le=1)
    mass_release_floor: int = Field(50, ge=0)
    season_policy: SeasonPolicy = SeasonPolicy.ALL
    owns_all_channels: tuple[NonEmpty, ...] = ()
    for_sale_reserve: int = Field(2, ge=0, le=10)
    #: A seat table that lost more than this share of its rows since the last run is refused.
    table_shrink_share: float = Field(0.1, ge=0, le=1)


def _listen(value: str) -> str:
    m = re.fullmatch(r"(\[[0-9A-Fa-f:.]+\]|[^:\s\[\]]+):(\d{1,5})", value)
    if not m or not 0 < int(m[2]) < 65536:
        raise ValueError("expected host:port, e.g. 127.0.0.1:9464 or [::1]:9464")
    return value


class HttpSettings(_Section):
    """Where health and Prometheus metrics are served (loopback by default)."""

    listen: Annotated[str, AfterValidator(_listen)] = "127.0.0.1:9464"

    @property
    def host(self) -> str:
        return self.listen.rsplit(":", 1)[0].strip("[]")

    @property
    def port(self) -> int:
        return int(self.listen.rsplit(":", 1)[1])


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


class LogSettings(_Section):
    """Log level and shape: JSON for daemons, console for people."""

    level: Annotated[
        Literal["debug", "info", "warning", "error", "critical"], BeforeValidator(_lower)
    ] = "info"
    format: Literal["json", "console"] = "json"


SECTION_MODELS: Mapping[str, tuple[type[_Section], bool]] = {
    "tessitura": (TessituraSettings, True),
    "seatsio": (SeatsioSettings, True),
    "mappings": (MappingSettings, True),
    "discovery": (DiscoverySettings, False),
    "store": (StoreSettings, False),
    "schedule": (ScheduleSettings, False),
    "safety": (SafetySettings, False),
    "http": (HttpSettings, False),
    "log": (LogSettings, False),
}


# --------------------------------------------------------------------------- the value


@dataclass(frozen=True, slots=True)
class BridgeConfig:
    """Everything the bridge needs to run, validated; paths are absolute.

    ``tables`` are the loaded mapping tables; ``files`` every file read to build this value (the
    config, the tables, secret files), for a daemon that reloads on change.
    Secrets are :class:`pydantic.SecretStr` (``get_secret_value()``), None when not required.
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
    files: tuple[Path, ...] = ()

    def tessitura_client(
        self, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> TessituraClient:
        """A Tessitura client for these settings (``transport`` replaces the network in tests)."""
        from bridge.tessitura.client import TessituraClient

        if self.tessitura_password is None:
            raise ConfigError(f"no Tessitura password: set {TESSITURA_PASSWORD_ENV}")
        t = self.tessitura
        return TessituraClient(
            t.base_url,
            t.username,
            t.user_group,
            t.location,
            self.tessitura_password,
            format=t.format,
            timeout=t.timeout_s,
            transport=transport,
        )

    def seatsio_client(self, *, transport: httpx.AsyncBaseTransport | None = None) -> SeatsioClient:
        """A seats.io client for these settings (``transport`` replaces the network in tests)."""
        from bridge.seatsio.chunking import SplitLimits
        from bridge.seatsio.client import SeatsioClient
        from bridge.seatsio.lanes import LaneLimits

        if self.seatsio_secret_key is None:
            raise ConfigError(f"no seats.io secret key: set {SEATSIO_SECRET_ENV}")
        s = self.seatsio
        return SeatsioClient(
            self.seatsio_secret_key.get_secret_value(),
            region=s.region,
            base_url=s.base_url,
            workspace_key=s.workspace_key,
            timeout_s=s.timeout_s,
            lane_limits=LaneLimits(priority=s.priority_lane_limit, regular=s.regular_lane_limit),
            split=SplitLimits(objects_per_request=s.max_objects_per_request),
            transport=transport,
        )


def resolve_config_path(
    option: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> Path:
    """The config file to use: ``--config``, else ``$SEATBRIDGE_CONFIG``, else config/bridge.toml."""
    if option:
        return Path(option)
    env = os.environ if environ is None else environ
    if env.get(CONFIG_ENV):
        return Path(env[CONFIG_ENV])
    return DEFAULT_CONFIG_PATH


def load_config(
    path: str | Path,
    *,
    environ: Mapping[str, str] | None = None,
    require_secrets: bool = True,
) -> BridgeConfig:
    """Read, validate and load the config file and every table it names.

    Raises :class:`InvalidConfigError` (a ``ConfigError``) listing every problem found. With
    ``require_secrets`` false, a missing secret is not a problem (table editors check offline
    without production credentials); a secret written into the file always is.
    """
    env = os.environ if environ is None else environ
    path = Path(path)
    source = display_path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        hint = f"pass --config PATH or set {CONFIG_ENV}"
        raise InvalidConfigError(
            [Problem(source, None, None, f"cannot read config: {exc.strerror or exc}", hint=hint)]
        ) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidConfigError([_encoding_problem(source, data, exc)]) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidConfigError([_toml_problem(source, exc)]) from None

    locate = _Locator(text)
    problems: list[Problem] = []

    def at(
        keys: tuple[str | int, ...],
        message: str,
        *,
        value: str | None = None,
        hint: str | None = None,
    ) -> Problem:
        line, col = locate(keys)
        return Problem(source, line, col, message, value, hint)

    _refuse_secrets(raw, (), at, problems)
    _refuse_url_credentials(raw, (), at, problems)

    sections: dict[str, _Section] = {}
    ctx = {"base_dir": path.absolute().parent}
    for name in raw:
        if name not in SECTION_MODELS:
            problems.append(
                at((name,), f"unknown section [{name}]", hint=_expected(name, list(SECTION_MODELS)))
            )
    for name, (model, required) in SECTION_MODELS.items():
        value = raw.get(name)
        if value is None:
            if required:
                problems.append(Problem(source, None, None, f"missing section [{name}]"))
                continue
            value = {}
        if not isinstance(value, dict):
            problems.append(at((name,), f"{name} must be a table", hint=f"write [{name}]"))
            continue
        try:
            sections[name] = model.model_validate(value, context=ctx)
        except ValidationError as exc:
            problems.extend(_pydantic_problems(exc, name, model, at))

    tables = MappingTables({}, {}, {})
    files: list[Path] = [path.absolute()]
    mappings = sections.get("mappings")
    if isinstance(mappings, MappingSettings):
        tables = _load_tables(mappings, at, problems)
        files += [mappings.hold_codes, *mappings.seat_tables.values()]
        if mappings.performances is not None:
            files.append(mappings.performances)

    password = key = None
    tess = sections.get("tessitura")
    if isinstance(tess, TessituraSettings):
        password = _secret(
            "Tessitura password",
            TESSITURA_PASSWORD_ENV,
            tess.password_file,
            ("tessitura", "password_file"),
            env,
            require_secrets,
            at,
            problems,
        )
        if tess.password_file is not None and TESSITURA_PASSWORD_ENV not in env:
            files.append(tess.password_file)
    sio = sections.get("seatsio")
    if isinstance(sio, SeatsioSettings):
        key = _secret(
            "seats.io secret key",
            SEATSIO_SECRET_ENV,
            sio.secret_key_file,
            ("seatsio", "secret_key_file"),
            env,
            require_secrets,
            at,
            problems,
        )
        if sio.secret_key_file is not None and SEATSIO_SECRET_ENV not in env:
            files.append(sio.secret_key_file)

    if problems:
        raise InvalidConfigError(sorted(problems, key=_order))
    return BridgeConfig(
        path=path.absolute(),
        tessitura=_get(sections, "tessitura", TessituraSettings),
        seatsio=_get(sections, "seatsio", SeatsioSettings),
        mappings=_get(sections, "mappings", MappingSettings),
        discovery=_get(sections, "discovery", DiscoverySettings),
        store=_get(sections, "store", StoreSettings),
        schedule=_get(sections, "schedule", ScheduleSettings),
        safety=_get(sections, "safety", SafetySettings),
        http=_get(sections, "http", HttpSettings),
        log=_get(sections, "log", LogSettings),
        tables=tables,
        tessitura_password=password,
        seatsio_secret_key=key,
        files=tuple(dict.fromkeys(files)),
    )


# --------------------------------------------------------------------------- helpers


_S = TypeVar("_S", bound=_Section)


def _get(sections: Mapping[str, _Section], name: str, model: type[_S]) -> _S:
    value = sections[name]
    assert isinstance(value, model)
    return value


def _order(p: Problem) -> tuple[str, int, int]:
    return (p.source, p.line or 0, p.column or 0)


class _At(Protocol):
    """Builds a Problem located at a key path of the config file."""

    def __call__(
        self,
        keys: tuple[str | int, ...],
        message: str,
        *,
        value: str | None = None,
        hint: str | None = None,
    ) -> Problem: ...


def _load_tables(m: MappingSettings, at: _At, problems: list[Problem]) -> MappingTables:
    if m.event_key_template is not None:
        why = template_problem(m.event_key_template)
        if why:
            problems.append(
                at(
                    ("mappings", "event_key_template"),
                    f"event_key_template: {why}",
                    value=m.event_key_template,
                    hint="expected e.g. 'perf-{performance_id}'",
                )
            )
    if m.performances is None and m.event_key_template is None:
        problems.append(
            at(
                ("mappings",),
                "no way to map performances to events",
                hint="set mappings.performances (a table), mappings.event_key_template, or both",
            )
        )
    if not m.seat_tables:
        problems.append(
            at(
                ("mappings",),
                "no seat tables",
                hint="set mappings.seat_tables, e.g. 12 = 'seats-12.csv' (seat map id = CSV)",
            )
        )
    missing = False
    named: list[tuple[tuple[str | int, ...], Path]] = [
        (("mappings", "hold_codes"), m.hold_codes),
        *((("mappings", "performances"), p) for p in [m.performances] if p is not None),
        *((("mappings", "seat_tables", str(sm)), p) for sm, p in m.seat_tables.items()),
    ]
    for keys, p in named:
        if not p.is_file():
            missing = True
            problems.append(
                at(
                    keys,
                    "table file not found",
                    value=display_path(p),
                    hint="paths are relative to the config file",
                )
            )
    if missing:
        return MappingTables({}, {}, {}, m.event_key_template)
    return collect_tables(
        hold_codes=m.hold_codes,
        performances=m.performances,
        seat_tables=m.seat_tables,
        event_key_template=m.event_key_template,
        problems=problems,
    )


def _secret(
    what: str,
    env_name: str,
    file: Path | None,
    keys: tuple[str, ...],
    env: Mapping[str, str],
    required: bool,
    at: _At,
    problems: list[Problem],
) -> SecretStr | None:
    """The environment variable when set (it wins), else the named file's text (one trailing
    newline stripped)."""
    if env_name in env:
        if not env[env_name]:
            problems.append(Problem(f"${env_name}", None, None, f"{what}: the variable is empty"))
            return None
        _LOADED_SECRETS.add(env[env_name])
        return SecretStr(env[env_name])
    if file is None:
        if required:
            problems.append(
                at(
                    keys[:1],
                    f"no {what}",
                    hint=f"set {env_name} or name a file in {'.'.join(keys)}",
                )
            )
        return None
    try:
        value = file.read_text(encoding="utf-8").removesuffix("\n").removesuffix("\r")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        problems.append(
            at(keys, f"cannot read the {what} file: {reason}", value=display_path(file))
        )
        return None
    if not value:
        problems.append(at(keys, f"the {what} file is empty", value=display_path(file)))
        return None
    _LOADED_SECRETS.add(value)
    return SecretStr(value)


def _refuse_secrets(
    raw: Mapping[str, Any], prefix: tuple[str, ...], at: _At, problems: list[Problem]
) -> None:
    """Report (without its value) every key that would store a secret in the file, and drop it
    so that validation does not echo the value back."""
    if not isinstance(raw, dict):
        return
    for name in list(raw):
        keys = (*prefix, name)
        if name.lower() in _SECRET_KEYS:
            problems.append(
                at(
                    keys,
                    f"a secret in the config file: {'.'.join(keys)}",
                    hint=f"remove it; {_SECRET_KEYS[name.lower()]}",
                )
            )
            del raw[name]
        elif isinstance(raw[name], dict):
            _refuse_secrets(raw[name], keys, at, problems)


def _refuse_url_credentials(
    raw: Any, prefix: tuple[str | int, ...], at: _At, problems: list[Problem]
) -> None:
    """Report every URL-valued setting carrying ``user[:password]@`` (the value shown with the
    credentials masked), and strip them so that validation does not echo them either."""
    items: list[tuple[str | int, Any]]
    if isinstance(raw, dict):
        items = list(raw.items())
    elif isinstance(raw, list):
        items = list(enumerate(raw))
    else:
        return
    for name, value in items:
        keys = (*prefix, name)
        if isinstance(value, str) and _URL.match(value) and redact_url(value) != value:
            dotted = ".".join(str(k) for k in keys)
            where = {
                "tessitura": f"the password comes from {TESSITURA_PASSWORD_ENV} or password_file"
            }
            hint = where.get(str(keys[0]), "credentials come from environment variables or files")
            problems.append(
                at(
                    keys,
                    f"{dotted}: credentials in a URL",
                    value=redact_url(value),
                    hint=f"remove 'user:password@' from the URL; {hint}",
                )
            )
            raw[name] = redact_url(value).replace("***@", "", 1)
        else:
            _refuse_url_credentials(value, keys, at, problems)


def _pydantic_problems(
    exc: ValidationError, section: str, model: type[BaseModel], at: _At
) -> list[Problem]:
    out: list[Problem] = []
    for err in exc.errors(include_url=False):
        loc = tuple(x for x in err["loc"] if x not in ("[key]",))
        keys: tuple[str | int, ...] = (section, *loc)
        dotted = ".".join(str(k) for k in keys)
        kind = err["type"]
        if kind == "extra_forbidden":
            name = str(loc[-1])
            allowed = _fields_at(model, loc[:-1])
            # the value of an unknown key is never shown: it might be a misspelt secret
            out.append(at(keys, f"unknown key {dotted}", hint=_expected(name, allowed)))
        elif kind == "missing":
            out.append(at(keys[:-1], f"missing required key {dotted}"))
        else:
            value = err.get("input")
            shown = None if isinstance(value, dict | list) or value is None else str(value)
            msg = str(err["msg"]).removeprefix("Value error, ")
            out.append(at(keys, f"{dotted}: {msg}", value=shown))
    return out


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names of the model found at ``loc`` below ``model`` (for 'did you mean')."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        info = getattr(current, "model_fields", {}).get(part)
        if info is None:
            return []
        ann = info.annotation
        args = getattr(ann, "__args__", ())
        current = next(
            (a for a in (ann, *args) if isinstance(a, type) and issubclass(a, BaseModel)), None
        )
        if current is None:
            return []
    return list(getattr(current, "model_fields", {}))


def _expected(name: str, allowed: list[str]) -> str:
    close = difflib.get_close_matches(name, allowed, n=1)
    guess = f"did you mean {close[0]!r}? " if close else ""
    return f"{guess}expected one of: {', '.join(allowed)}" if allowed else guess.strip()


def _encoding_problem(source: str, data: bytes, exc: UnicodeDecodeError) -> Problem:
    """Where the first byte that is not UTF-8 is (line, column in characters), and which it is."""
    before = data[: exc.start].decode("utf-8", errors="replace")
    line = before.count("\n") + 1
    col = len(before) - (before.rfind("\n") + 1) + 1
    return Problem(
        source,
        line,
        col,
        f"not UTF-8 text: byte 0x{data[exc.start]:02x}",
        hint="save the file as UTF-8",
    )


def _toml_problem(source: str, exc: tomllib.TOMLDecodeError) -> Problem:
    msg = str(exc)
    m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
    line = int(m[1]) if m else getattr(exc, "lineno", None)
    col = int(m[2]) if m else getattr(exc, "colno", None)
    text = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", msg)
    return Problem(source, line, col, f"invalid TOML: {text}")


class _Locator:
    """Finds the line and column of a key path in TOML text, well enough for error messages.

    Tracks ``[table]`` and ``[[array]]`` headers and ``key =`` lines; an unknown path falls back to
    its longest known prefix (a section header, an array key).
    """

    _header = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?")
    _key = re.compile(
        r"^(\s*)((?:\"[^\"]*\"|'[^']*'|[A-Za-z0-9_.-]+)(?:\s*\.\s*(?:\"[^\"]*\"|'[^']*'|[A-Za-z0-9_-]+))*)\s*="
    )

    def __init__(self, text: str) -> None:
        self.where: dict[tuple[str, ...], tuple[int, int]] = {}
        table: tuple[str, ...] = ()
        counts: dict[tuple[str, ...], int] = {}
        depth = 0  # inside a multi-line array or inline table
        for lineno, line in enumerate(text.splitlines(), start=1):
            if depth == 0 and (h := self._header.match(line)):
                path = self._split(h[2])
                if h[1] == "[[":
                    i = counts.get(path, 0)
                    counts[path] = i + 1
                    self.where.setdefault(path, (lineno, 1))
                    path = (*path, str(i))
                table = path
                self.where.setdefault(path, (lineno, 1))
            elif depth == 0 and (k := self._key.match(line)):
                self.where.setdefault((*table, *self._split(k[2])), (lineno, len(k[1]) + 1))
            depth += _brackets(line)
            depth = max(depth, 0)

    @staticmethod
    def _split(dotted: str) -> tuple[str, ...]:
        parts = re.findall(r"\"([^\"]*)\"|'([^']*)'|([^.\s]+)", dotted)
        return tuple(a or b or c for a, b, c in parts)

    def __call__(self, keys: tuple[str | int, ...]) -> tuple[int | None, int | None]:
        path = tuple(str(k) for k in keys)
        while path:
            if path in self.where:
                return self.where[path]
            path = path[:-1]
        return None, None


def _brackets(line: str) -> int:
    """Net count of open brackets/braces on a line, ignoring strings and comments."""
    depth = 0
    quote: str | None = None
    for ch in line:
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            break
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
    return depth
