"""Reading the operator's configuration file into one immutable :class:`BridgeConfig`.

One TOML file (``--config PATH`` or ``SEATBRIDGE_CONFIG``) names both APIs, the mapping tables, the
schedule and the safety limits; relative paths in it are relative to its own folder. Secrets come
from the environment or from files the config names (:mod:`bridge.config.secrets`).
:func:`load_config` reports every problem at once, each with file, line and column
(:mod:`bridge.config.positions`). Reference: ``docs/configuration.md``.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, SecretStr, ValidationError

from bridge.config.positions import At, Locator
from bridge.config.secrets import (
    HTTP_TOKEN_ENV,
    HTTP_TOKEN_MIN_LENGTH,
    SEATSIO_SECRET_ENV,
    STORE_PASSWORD_ENV,
    TESSITURA_PASSWORD_ENV,
    read_secret,
    read_webhook_url,
    refuse_secrets,
    refuse_url_credentials,
)
from bridge.config.settings import (
    SECTION_MODELS,
    BridgeConfig,
    DaemonSettings,
    DiscoverySettings,
    HttpSettings,
    LogSettings,
    MappingSettings,
    NotifySettings,
    SafetySettings,
    ScheduleSettings,
    SeatsioSettings,
    Section,
    StoreSettings,
    TessituraSettings,
    TestingSettings,
    WritebackSettings,
)
from bridge.errors import InvalidConfigError, Problem
from bridge.mapping.model import Action, MappingTables
from bridge.mapping.problems import display_path
from bridge.mapping.tables import collect_tables, template_problem

CONFIG_ENV = "SEATBRIDGE_CONFIG"
DEFAULT_CONFIG_PATH = Path("config/bridge.toml")


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


#: A unit lease lasts at least this many seats.io timeouts (see the write fence,
#: :meth:`bridge.reconcile.leases.UnitLeases.fence`).
LEASE_TIMEOUTS = 3


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

    locate = Locator(text)
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

    refuse_secrets(raw, (), at, problems)
    refuse_url_credentials(raw, (), at, problems)

    sections: dict[str, Section] = {}
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
        if mappings.seasons is not None:
            files.append(mappings.seasons)

    def secret(
        what: str, env_name: str, path: Path | None, loc: tuple[str, str], required: bool
    ) -> SecretStr | None:
        """A secret from the environment or its file; a file it came from is watched too."""
        value = read_secret(what, env_name, path, loc, env, required, at, problems)
        if path is not None and env_name not in env:
            files.append(path)
        return value

    password = key = token = None
    tess = sections.get("tessitura")
    if isinstance(tess, TessituraSettings):
        password = secret(
            "Tessitura password",
            TESSITURA_PASSWORD_ENV,
            tess.password_file,
            ("tessitura", "password_file"),
            require_secrets,
        )
    sio = sections.get("seatsio")
    if isinstance(sio, SeatsioSettings):
        key = secret(
            "seats.io secret key",
            SEATSIO_SECRET_ENV,
            sio.secret_key_file,
            ("seatsio", "secret_key_file"),
            require_secrets,
        )
    http = sections.get("http")
    if isinstance(http, HttpSettings):
        # needed only beyond loopback: the daemon checks that (bridge.daemon.web)
        token = secret("HTTP token", HTTP_TOKEN_ENV, http.token_file, ("http", "token_file"), False)
        if token is not None and len(token.get_secret_value()) < HTTP_TOKEN_MIN_LENGTH:
            where = f"${HTTP_TOKEN_ENV}" if HTTP_TOKEN_ENV in env else "http.token_file"
            problems.append(
                at(
                    ("http", "token_file"),
                    f"the HTTP token ({where}) is shorter than {HTTP_TOKEN_MIN_LENGTH} characters",
                    hint="make one with: python3 -c 'import secrets; print(secrets.token_urlsafe(32))'",
                )
            )
            token = None

    store = sections.get("store")
    if (
        isinstance(store, StoreSettings)
        and isinstance(sio, SeatsioSettings)
        and store.lease_ttl_s < LEASE_TIMEOUTS * sio.timeout_s
    ):
        # the write fence lets an attempt out only with its timeout left twice over (here, and
        # at seats.io); a lease that short would refuse writes between renewals
        problems.append(
            at(
                ("store", "lease_ttl_s"),
                f"store.lease_ttl_s ({store.lease_ttl_s:g} s) must be at least {LEASE_TIMEOUTS}"
                f" times seatsio.timeout_s ({sio.timeout_s:g} s)",
                hint=f"set lease_ttl_s = {LEASE_TIMEOUTS * sio.timeout_s:g} or more",
            )
        )

    wb = sections.get("writeback")
    if isinstance(wb, WritebackSettings) and wb.on and isinstance(mappings, MappingSettings):
        safety = sections.get("safety")
        fallback = safety.fallback_status if isinstance(safety, SafetySettings) else ""
        problems.extend(_writeback_problems(wb, mappings, tables, fallback, problems, at))

    store_password = None
    if isinstance(store, StoreSettings) and store.url is not None:
        store_password = secret(
            "store password",
            STORE_PASSWORD_ENV,
            store.password_file,
            ("store", "password_file"),
            False,
        )

    webhook_urls: dict[str, SecretStr] = {}
    notify = sections.get("notify")
    if isinstance(notify, NotifySettings):
        for i, hook in enumerate(notify.webhook):
            url = read_webhook_url(
                hook.name,
                hook.url_env,
                hook.url_file,
                ("notify", "webhook", i),
                env,
                require_secrets,
                at,
                problems,
            )
            if url is not None:
                webhook_urls[hook.name] = url
            if hook.url_file is not None:
                files.append(hook.url_file)

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
        daemon=_get(sections, "daemon", DaemonSettings),
        writeback=_get(sections, "writeback", WritebackSettings),
        notify=_get(sections, "notify", NotifySettings),
        testing=_get(sections, "testing", TestingSettings),
        tables=tables,
        tessitura_password=password,
        seatsio_secret_key=key,
        http_token=token,
        store_password=store_password,
        webhook_urls=webhook_urls,
        files=tuple(dict.fromkeys(files)),
    )


# --------------------------------------------------------------------------- helpers


_S = TypeVar("_S", bound=Section)


def _get(sections: Mapping[str, Section], name: str, model: type[_S]) -> _S:
    value = sections[name]
    assert isinstance(value, model)
    return value


def _order(p: Problem) -> tuple[str, int, int]:
    return (p.source, p.line or 0, p.column or 0)


def _load_tables(m: MappingSettings, at: At, problems: list[Problem]) -> MappingTables:
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
        *((("mappings", "seasons"), p) for p in [m.seasons] if p is not None),
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
    rule = at(("mappings", "event_key_template"), "")  # where the rule is written, to name it
    return collect_tables(
        hold_codes=m.hold_codes,
        performances=m.performances,
        seat_tables=m.seat_tables,
        event_key_template=m.event_key_template,
        problems=problems,
        seasons=m.seasons,
        rule_at=rule.source if rule.line is None else f"{rule.source}:{rule.line}",
    )


def _writeback_problems(
    wb: WritebackSettings,
    mappings: MappingSettings,
    tables: MappingTables,
    fallback_status: str,
    found: list[Problem],
    at: At,
) -> list[Problem]:
    """The write-back's cross-checks against the hold-code table and the bridge's statuses.

    Its hold code must have an ``ignore`` row: the bridge reads every Tessitura hold, and would
    otherwise take its own write-back for a box-office hold and mirror it back to seats.io.
    Its statuses must not be the bridge's: a seat the bridge holds in seats.io mirrors a
    Tessitura hold already, and writing it back would feed the bridge's own state into Tessitura."""
    out: list[Problem] = []
    table = display_path(mappings.hold_codes)
    code = wb.hold_code
    # a table that did not load has its own problems: an absent row there proves nothing
    table_read = not any(p.source == table for p in found)
    if code is not None and table_read:
        rule = tables.hold_rules.get(code)
        if rule is None:
            out.append(
                at(
                    ("writeback", "hold_code"),
                    f"writeback.hold_code {code} has no row in the hold-code table {table}",
                    hint=f"add the row {code},ignore,,<precedence>,,, so the bridge never reads "
                    "its own write-back hold as a box-office hold",
                )
            )
        elif rule.action is not Action.IGNORE:
            out.append(
                at(
                    ("writeback", "hold_code"),
                    f"writeback.hold_code {code} is a {rule.action.value} row of the hold-code "
                    f"table {table}, not ignore",
                    hint="a code has one row only, so a code the table maps to anything else is "
                    "taken: give the write-back a Tessitura hold code of its own, mapped to "
                    "ignore, so the bridge never reads its own write-back as a box-office hold",
                )
            )
    own = {s.casefold(): f"the hold-code table {table}" for s in tables.bridge_statuses()}
    if fallback_status:
        own.setdefault(fallback_status.casefold(), "[safety] fallback_status")
    for status in wb.statuses:
        where = own.get(status.casefold())
        if where is not None:
            out.append(
                at(
                    ("writeback", "statuses"),
                    f"writeback.statuses names {status!r}, a status the bridge sets itself "
                    f"({where})",
                    hint="the bridge's own holds are never written back; name the statuses of "
                    "seats sold online (booked, resale) or of another system",
                )
            )
    return out


def _pydantic_problems(
    exc: ValidationError, section: str, model: type[BaseModel], at: At
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
