"""The daemon's config reload: notice an edited config or table, load it, apply it or refuse it.

:class:`ConfigWatcher` polls the files the running config was built from (:func:`watched_files`)
cheaply: a file whose ``(mtime_ns, size)`` did not move is not read again, and one that moved is
hashed, so a ``touch`` without an edit changes nothing. A real change loads the whole config with
:func:`bridge.config.load_config`; a config that loads becomes the current one (``applied``), one
that does not is ``refused`` with one line per problem, ``file:line:col: message`` as
``seatbridge config check`` prints them, and the last good config stays in force. The same
refused content is reported once, not on every poll. ``check(force=True)`` (SIGHUP) reloads even
when nothing moved, and answers ``unchanged`` when the result is the running config.

What changed is described for the log by pure functions (:func:`describe_changes`): the config
file's top-level sections by name (never a value: a section may sit next to a secret), and for
each table the rows added, removed and changed, by key. Secrets are never printed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import tomllib
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from bridge.config import (
    BridgeConfig,
    InvalidConfigError,
    MappingSettings,
    load_config,
    redact,
)
from bridge.errors import ConfigError
from bridge.mapping.model import MappingTables
from bridge.mapping.problems import display_path

__all__ = [
    "ConfigWatcher",
    "Reload",
    "ReloadResult",
    "RowChanges",
    "describe_changes",
    "refusal_lines",
    "row_changes",
    "section_changes",
    "watched_files",
]

#: ``(mtime_ns, size)`` of a file; raises OSError when it cannot be looked at.
Stat = Callable[[Path], tuple[int, int]]
#: A file's bytes; raises OSError when it cannot be read.
ReadBytes = Callable[[Path], bytes]
#: Loads a config file into a BridgeConfig, raising ConfigError when it is broken.
Loader = Callable[[Path], BridgeConfig]

K = TypeVar("K", bound=Hashable)


class ReloadResult(StrEnum):
    APPLIED = "applied"  #: a new config is in force
    REFUSED = "refused"  #: the files are broken; the last good config stays in force
    UNCHANGED = "unchanged"  #: loaded fine, and it is the running config


@dataclass(frozen=True, slots=True)
class Reload:
    """What one reload did. ``config`` is the config now in force (None when refused);
    ``changes`` says what differs from the previous config, ``errors`` why it was refused."""

    result: ReloadResult
    config: BridgeConfig | None
    changes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- pure parts


def _norm(path: Path) -> Path:
    return Path(os.path.normpath(path.absolute()))


def _table_files(cfg: BridgeConfig) -> list[Path]:
    m = cfg.mappings
    perf = [m.performances] if m.performances is not None else []
    return [
        _norm(p) for p in [m.hold_codes, *perf, *(m.seat_tables[k] for k in sorted(m.seat_tables))]
    ]


def watched_files(cfg: BridgeConfig, config_path: Path) -> list[Path]:
    """The config file, every table it names (hold codes, performances, seat tables; channels
    are defined in the hold-code table), then any other file it was built from (a secret file),
    each once, absolute."""
    paths = [_norm(config_path), *_table_files(cfg), *(_norm(p) for p in cfg.files)]
    return list(dict.fromkeys(paths))


@dataclass(frozen=True, slots=True)
class RowChanges:
    """Rows of a table, matched by key: added, removed, and present in both but different."""

    added: int = 0
    removed: int = 0
    changed: int = 0

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    def __str__(self) -> str:
        rows = "row" if self.added == 1 else "rows"
        return f"{self.added} {rows} added, {self.removed} removed, {self.changed} changed"


def row_changes(old: Mapping[K, object], new: Mapping[K, object]) -> RowChanges:
    """Compare two tables keyed alike (performance id, hold code id, seat id, channel key)."""
    return RowChanges(
        added=sum(1 for k in new if k not in old),
        removed=sum(1 for k in old if k not in new),
        changed=sum(1 for k, v in new.items() if k in old and old[k] != v),
    )


def _sections(cfg: BridgeConfig) -> dict[str, BaseModel]:
    """The config file's top-level sections ([tessitura], [mappings], ...) by name."""
    out: dict[str, BaseModel] = {}
    for f in dataclasses.fields(cfg):
        value = getattr(cfg, f.name)
        if isinstance(value, BaseModel):
            out[f.name] = value
    return out


def section_changes(old: BridgeConfig, new: BridgeConfig) -> list[str]:
    """Names of the config file's sections whose settings differ (never their values)."""
    a, b = _sections(old), _sections(new)
    names = [*a, *(n for n in b if n not in a)]
    return [
        n
        for n in names
        if n not in a or n not in b or a[n].model_dump(mode="json") != b[n].model_dump(mode="json")
    ]


#: Settings the running daemon built its connections, server and scheduler from: an edit to them
#: is loaded (and checked) but only takes effect at the next start. None: the whole section.
RESTART_ONLY: Mapping[str, frozenset[str] | None] = {
    "tessitura": None,
    "seatsio": None,
    "store": None,
    "http": None,
    "schedule": frozenset({"discovery_every_s"}),
    "daemon": frozenset(
        {"max_units_in_flight", "misfire_grace_s", "writer_lease_ttl_s", "reload_poll_s"}
    ),
    "testing": None,
    # the webhooks and their delivery: the notifier is built once, at start (its record of
    # what it sent stays whole); error_after_cadences applies at once
    "notify": frozenset(
        {"webhook", "timeout_s", "attempts", "backoff_base_s", "backoff_cap_s", "queue_size"}
    ),
}


def restart_needed(started: BridgeConfig, new: BridgeConfig) -> list[str]:
    """The settings (``[seatsio]``, ``[daemon] max_units_in_flight``, the secrets) that differ
    from those the daemon started with and take effect only when it restarts. Never values."""
    a, b = _sections(started), _sections(new)
    out: list[str] = []
    for name, fields in RESTART_ONLY.items():
        old, now = a[name].model_dump(mode="json"), b[name].model_dump(mode="json")
        if fields is None:
            if old != now:
                out.append(f"[{name}]")
            continue
        out += [f"[{name}] {f}" for f in sorted(fields) if old.get(f) != now.get(f)]
    return out + _secret_changes(started, new)


def _secret_changes(old: BridgeConfig, new: BridgeConfig) -> list[str]:
    out = []
    for attr, what in (
        ("tessitura_password", "tessitura password"),
        ("seatsio_secret_key", "seats.io secret key"),
        ("http_token", "HTTP token"),
    ):
        a, b = getattr(old, attr), getattr(new, attr)
        if (a and a.get_secret_value()) != (b and b.get_secret_value()):
            out.append(what)
    if _urls(old) != _urls(new):
        out.append("notify webhook URLs")
    return out


def _urls(cfg: BridgeConfig) -> dict[str, str]:
    return {name: url.get_secret_value() for name, url in cfg.webhook_urls.items()}


def _file_line(
    old_path: Path | None, new_path: Path | None, counts: str | None, edited: bool
) -> str | None:
    """One change line for a table file, or None when neither its rows nor its file changed."""
    path = new_path if new_path is not None else old_path
    assert path is not None
    label = display_path(path)
    moved = old_path is not None and new_path is not None and _norm(old_path) != _norm(new_path)
    if moved:
        assert old_path is not None
        label += f" (was {display_path(old_path)})"
    if counts is not None:
        return f"{label}: {counts}"
    if moved:
        return f"{label}: no row differs"
    return f"{label}: edited, no row differs" if edited else None


def _table_lines(
    old: BridgeConfig, new: BridgeConfig, changed_files: Collection[Path]
) -> list[str]:
    edited = {_norm(p) for p in changed_files}
    ot, nt = old.tables, new.tables
    om, nm = old.mappings, new.mappings
    lines: list[str] = []

    # the hold-code table: its rules, and the channels its rows define
    rules = row_changes(ot.hold_rules, nt.hold_rules)
    channels = row_changes(_channels(ot), _channels(nt))
    parts = [str(rules)] if rules or channels else []
    if channels:
        parts.append(
            f"channels: {channels.added} added, {channels.removed} removed, "
            f"{channels.changed} changed"
        )
    line = _file_line(
        om.hold_codes, nm.hold_codes, "; ".join(parts) or None, _norm(nm.hold_codes) in edited
    )
    if line:
        lines.append(line)

    # the performance table (optional)
    if om.performances is None and nm.performances is not None:
        lines.append(
            f"{display_path(nm.performances)}: table added ({_rows(len(nt.performances))})"
        )
    elif om.performances is not None and nm.performances is None:
        lines.append(f"{display_path(om.performances)}: table no longer used")
    elif om.performances is not None and nm.performances is not None:
        perfs = row_changes(ot.performances, nt.performances)
        line = _file_line(
            om.performances,
            nm.performances,
            str(perfs) if perfs else None,
            _norm(nm.performances) in edited,
        )
        if line:
            lines.append(line)

    # seat tables, one per Tessitura seat map
    for sm in sorted({*om.seat_tables, *nm.seat_tables}):
        op, np_ = om.seat_tables.get(sm), nm.seat_tables.get(sm)
        if op is None and np_ is not None:
            n = len(nt.seat_tables[sm].labels) if sm in nt.seat_tables else 0
            lines.append(f"{display_path(np_)}: seat map {sm} added ({_rows(n)})")
        elif op is not None and np_ is None:
            lines.append(f"{display_path(op)}: seat map {sm} no longer mapped")
        elif op is not None and np_ is not None:
            o = ot.seat_tables.get(sm)
            n_ = nt.seat_tables.get(sm)
            seats = row_changes(o.labels if o else {}, n_.labels if n_ else {})
            line = _file_line(op, np_, str(seats) if seats else None, _norm(np_) in edited)
            if line:
                lines.append(line)
    return lines


def _channels(tables: MappingTables) -> dict[str, object]:
    return {c.key: c for c in tables.channels}


def _rows(n: int) -> str:
    return f"{n} row{'' if n == 1 else 's'}"


def describe_changes(
    old: BridgeConfig,
    new: BridgeConfig,
    changed_files: Collection[Path] = (),
    config_path: Path | None = None,
) -> list[str]:
    """What differs from ``old`` to ``new``, a line per file, for the log.

    ``changed_files`` are the files whose bytes changed (so an edit that changes no setting or
    row, a comment, is still mentioned). Config sections are named, never shown; secret files
    and secrets are only said to have changed.
    """
    cfg_path = _norm(config_path if config_path is not None else new.path)
    edited = {_norm(p) for p in changed_files}
    lines: list[str] = []
    sections = section_changes(old, new)
    if sections:
        lines.append(f"{display_path(cfg_path)}: sections changed: {', '.join(sections)}")
    elif cfg_path in edited:
        lines.append(f"{display_path(cfg_path)}: edited, no setting differs")
    lines += _table_lines(old, new, edited)
    known = {cfg_path, *_table_files(old), *_table_files(new)}
    others = [p for p in watched_files(new, cfg_path) if p in edited and p not in known]
    lines += [f"{display_path(p)}: changed" for p in others]
    secrets = _secret_changes(old, new)
    if secrets:
        lines.append(f"secrets changed: {', '.join(secrets)}")
    return [redact(line) for line in lines]


def refusal_lines(exc: BaseException) -> list[str]:
    """One line per problem, ``file:line:col: message``, secrets masked: what
    ``seatbridge config check`` prints (:func:`bridge.commands.config.report_problems`)."""
    if isinstance(exc, InvalidConfigError):
        return [redact(str(p)) for p in exc.problems]
    if isinstance(exc, OSError):
        where = display_path(Path(exc.filename)) + ": " if exc.filename else ""
        return [redact(f"{where}cannot read: {exc.strerror or exc}")]
    if isinstance(exc, UnicodeDecodeError):
        return [f"not UTF-8 text: {exc.reason}"]
    return [redact(str(exc))]


def named_tables(config_path: Path, data: bytes) -> list[Path]:
    """Best effort: the table files a (maybe broken) config file names, so that a refused config
    is reloaded when a table it names appears or is fixed. Empty when it cannot be told."""
    try:
        raw = tomllib.loads(data.decode("utf-8"))
        mappings: Any = raw.get("mappings")
        m = MappingSettings.model_validate(
            mappings, context={"base_dir": _norm(config_path).parent}
        )
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, ValidationError, TypeError, ValueError):
        return []
    perf = [m.performances] if m.performances is not None else []
    return [_norm(p) for p in [m.hold_codes, *perf, *m.seat_tables.values()]]


# --------------------------------------------------------------------------- the watcher


def _stat(path: Path) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_mtime_ns, st.st_size


def _read(path: Path) -> bytes:
    return path.read_bytes()


class ConfigWatcher:
    """Polls the running config's files; :meth:`check` reloads when they changed.

    Build it right after loading ``config`` from ``config_path``: what the files hold then is
    what ``config`` was built from. ``load``, ``stat`` and ``read`` replace the real ones in tests.
    """

    def __init__(
        self,
        config_path: Path,
        config: BridgeConfig,
        load: Loader = load_config,
        *,
        stat: Stat = _stat,
        read: ReadBytes = _read,
    ) -> None:
        self._path = _norm(Path(config_path))
        self._current = config
        self._load = load
        self._stat = stat
        self._read = read
        #: per file: the (mtime_ns, size) it was last hashed at, and the hash
        self._cache: dict[Path, tuple[tuple[int, int], str]] = {}
        #: the tables the config file names, as of its last read (a refused one included)
        self._named: list[Path] = []
        #: what the files held at the last load (or at the start): a poll that sees the same
        #: does nothing, so one refused content is reported once
        self._seen = self._fingerprints(self._paths(), trust_stat=False)
        #: what the files of the config in force hold
        self._good = {p: self._seen[p] for p in watched_files(config, self._path)}

    @property
    def current(self) -> BridgeConfig:
        """The last good config, the one in force."""
        return self._current

    def watched(self) -> list[Path]:
        """The files polled: the current config's, and those a refused config names."""
        return self._paths()

    def check(self, force: bool = False) -> Reload | None:
        """Reload if a watched file changed (always with ``force``); None when nothing did."""
        seen = self._fingerprints(self._paths(), trust_stat=not force)
        # the config file's new text may name other tables: look at those too before loading
        extra = [p for p in self._paths() if p not in seen]
        seen |= self._fingerprints(extra, trust_stat=not force)
        if not force and seen == self._seen:
            return None
        try:
            new = self._load(self._path)
        except (ConfigError, OSError, UnicodeDecodeError) as exc:
            self._seen = seen
            return Reload(ReloadResult.REFUSED, None, errors=refusal_lines(exc))
        edited = [p for p in {*seen, *self._good} if seen.get(p) != self._good.get(p)]
        changes = describe_changes(self._current, new, edited, self._path)
        if not changes:
            self._seen = seen
            return Reload(ReloadResult.UNCHANGED, self._current)
        self._current = new
        paths = watched_files(new, self._path)
        fresh = self._fingerprints([p for p in paths if p not in seen], trust_stat=True)
        self._good = {p: seen[p] if p in seen else fresh[p] for p in paths}
        self._seen = {**seen, **fresh}
        return Reload(ReloadResult.APPLIED, new, changes=changes)

    # ------------------------------------------------------------------ thin I/O

    def _paths(self) -> list[Path]:
        return list(dict.fromkeys([*watched_files(self._current, self._path), *self._named]))

    def _fingerprints(self, paths: Iterable[Path], *, trust_stat: bool) -> dict[Path, str]:
        return {p: self._fingerprint(p, trust_stat) for p in paths}

    def _fingerprint(self, path: Path, trust_stat: bool) -> str:
        """The hash of ``path``'s bytes (not read again while its mtime and size hold), or why it
        cannot be read."""
        try:
            key = self._stat(path)
            cached = self._cache.get(path)
            if trust_stat and cached is not None and cached[0] == key:
                return cached[1]
            data = self._read(path)
        except OSError as exc:
            self._cache.pop(path, None)
            return f"unreadable: {exc.strerror or type(exc).__name__}"
        digest = hashlib.sha256(data).hexdigest()
        self._cache[path] = (key, digest)
        if path == self._path:
            self._named = named_tables(path, data)
        return digest
