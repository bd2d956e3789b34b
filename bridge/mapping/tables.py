"""Load and validate the operator's mapping tables (CSV) into one :class:`MappingTables` value.

Every reader collects all problems of its file and never stops at the first, so an operator fixes
a table in one pass. Formats: ``docs/configuration.md``, "Mapping tables".
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

from bridge.errors import InvalidConfigError, Problem
from bridge.mapping.csvtable import Row, parse_int, read_table
from bridge.mapping.keys import rule_performance
from bridge.mapping.model import (
    SEATSIO_BUILTIN_STATUSES,
    TABLE_BOOKING_VALUES,
    Action,
    ChannelSpec,
    HoldRule,
    MappingTables,
    PerformanceTarget,
    SeasonCategories,
    SeasonRule,
    SeatTable,
    TableBooking,
    TableBookingMode,
)
from bridge.mapping.problems import display_path
from bridge.mapping.season_categories import read_season_categories

HOLD_CODE_COLUMNS = ("hold_code_id", "action", "precedence")
HOLD_CODE_OPTIONAL = ("target", "channel_name", "channel_color", "fallback_status")
PERFORMANCE_COLUMNS = ("performance_id", "event_key")
PERFORMANCE_OPTIONAL = ("season_key",)
SEAT_COLUMNS = ("seat_id", "label")
SEASON_COLUMNS = ("season_id", "season_key", "chart_key")
SEASON_OPTIONAL = (
    "name",
    "performance_ids",
    "production_season_id",
    "for_sale_propagated",
    "table_booking",
    "tables",
    "categories",
)
_MODES = ", ".join(m.value for m in TableBookingMode)
_BOOLS = {"true": True, "false": False}

#: Placeholders an ``event_key_template`` may use.
EVENT_KEY_PLACEHOLDERS = frozenset({"performance_id"})

_COLOR = re.compile(r"#(?:[0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})")
_BUILTIN_FOLDED = {s.casefold(): s for s in SEATSIO_BUILTIN_STATUSES}
_ACTIONS = ", ".join(a.value for a in Action)

K = TypeVar("K", int, str)


@dataclass(frozen=True, slots=True)
class HoldCodeTable:
    """The hold-code table read from one file: the rules and the channels they define."""

    rules: Mapping[int, HoldRule]
    channels: tuple[ChannelSpec, ...]


def _first_use(
    first: dict[K, int],
    key: K,
    row: Row,
    src: str,
    column: str,
    message: str,
    problems: list[Problem],
) -> bool:
    """Note the line ``key`` is first used on; if it was used before, a problem and False."""
    if key in first:
        problems.append(row.problem(src, column, message, str(key), f"first at line {first[key]}"))
        return False
    first[key] = row.line
    return True


def _builtin_status(name: str) -> str | None:
    """The seats.io built-in status ``name`` collides with (case-insensitively), if any."""
    return _BUILTIN_FOLDED.get(name.casefold())


def _builtin_hint() -> str:
    return (
        f"seats.io reserves {', '.join(sorted(SEATSIO_BUILTIN_STATUSES))}; choose e.g. 'held-...'"
    )


def read_hold_codes(path: Path, problems: list[Problem]) -> HoldCodeTable:
    """Read the hold-code table; channels are numbered (seats.io ``index``, from 1) in file order."""
    table = read_table(
        path, required=HOLD_CODE_COLUMNS, optional=HOLD_CODE_OPTIONAL, problems=problems
    )
    if table is None:
        return HoldCodeTable({}, ())
    src = table.source
    rules: dict[int, HoldRule] = {}
    rule_line: dict[int, int] = {}
    precedence_owner: dict[int, tuple[int, int]] = {}  # precedence -> (hold code, line)
    channels: dict[str, tuple[ChannelSpec, int]] = {}  # key -> (spec, line of first use)

    for row in table.rows:
        code = parse_int(row, src, "hold_code_id", problems, minimum=0)
        precedence = parse_int(row, src, "precedence", problems, minimum=1)
        action = _parse_action(row, src, problems)
        target = row.cells.get("target") or None
        name = row.cells.get("channel_name") or None
        color = row.cells.get("channel_color") or None
        fallback = row.cells.get("fallback_status") or None
        ok = code is not None and precedence is not None and action is not None

        if code is not None and not _first_use(
            rule_line, code, row, src, "hold_code_id", "hold code mapped twice", problems
        ):
            ok = False
        if precedence is not None:
            if precedence in precedence_owner:
                other, line = precedence_owner[precedence]
                problems.append(
                    row.problem(
                        src,
                        "precedence",
                        "precedence tie",
                        str(precedence),
                        f"hold code {other} at line {line} has it too; each must be unique",
                    )
                )
                ok = False
            elif code is not None:
                precedence_owner[precedence] = (code, row.line)

        if action in (Action.CHANNEL, Action.STATUS):
            if target is None:
                noun = "a channel key" if action is Action.CHANNEL else "a status name"
                problems.append(
                    row.problem(
                        src,
                        "target" if "target" in row.columns else "action",
                        f"{action.value} action with no target",
                        hint=f"expected {noun} in column target",
                    )
                )
                ok = False
        elif action is not None and target is not None:
            problems.append(
                row.problem(
                    src,
                    "target",
                    f"target given for a {action.value} row",
                    target,
                    "only channel and status rows take a target; leave it empty",
                )
            )
            ok = False

        if action is Action.STATUS and target is not None and _builtin_status(target):
            problems.append(
                row.problem(
                    src,
                    "target",
                    "status collides with a seats.io built-in",
                    target,
                    _builtin_hint(),
                )
            )
            ok = False

        if action is not None and action is not Action.CHANNEL:
            # a not-for-sale code may name the status that holds its seats while the event's
            # for-sale edits are spent
            fallback_cell = None if action is Action.NOT_FOR_SALE else fallback
            for column, value in (
                ("channel_name", name),
                ("channel_color", color),
                ("fallback_status", fallback_cell),
            ):
                if value is not None:
                    problems.append(
                        row.problem(
                            src,
                            column,
                            f"{column} given for a {action.value} row",
                            value,
                            "only channel and not_for_sale rows take it; leave it empty"
                            if column == "fallback_status"
                            else "only channel rows take it; leave it empty",
                        )
                    )
                    ok = False

        if fallback is not None and _builtin_status(fallback):
            problems.append(
                row.problem(
                    src,
                    "fallback_status",
                    "status collides with a seats.io built-in",
                    fallback,
                    _builtin_hint(),
                )
            )
            ok = False

        if color is not None and not _COLOR.fullmatch(color):
            problems.append(
                row.problem(
                    src,
                    "channel_color",
                    "malformed colour",
                    color,
                    "expected #RRGGBB, e.g. #1F77B4",
                )
            )
            ok = False

        if action is Action.CHANNEL and target is not None:
            ok = _channel(row, src, target, name, color, channels, problems) and ok

        if ok and code is not None and precedence is not None and action is not None:
            rules[code] = HoldRule(
                hold_code_id=code,
                action=action,
                target=target,
                precedence=precedence,
                channel_name=channels[target][0].name
                if action is Action.CHANNEL and target
                else None,
                channel_color=(
                    channels[target][0].color if action is Action.CHANNEL and target else None
                ),
                fallback_status=fallback,
            )
    specs = tuple(spec for spec, _ in sorted(channels.values(), key=lambda v: v[0].index))
    return HoldCodeTable(rules, specs)


def _parse_action(row: Row, src: str, problems: list[Problem]) -> Action | None:
    text = row.cells.get("action", "")
    if not text:
        problems.append(
            row.problem(src, "action", "missing value for action", hint=f"expected {_ACTIONS}")
        )
        return None
    try:
        return Action(text)
    except ValueError:
        problems.append(row.problem(src, "action", "unknown action", text, f"expected {_ACTIONS}"))
        return None


def _channel(
    row: Row,
    src: str,
    key: str,
    name: str | None,
    color: str | None,
    channels: dict[str, tuple[ChannelSpec, int]],
    problems: list[Problem],
) -> bool:
    """Define channel ``key`` on first use; later rows may repeat its name and colour or omit them."""
    seen = channels.get(key)
    if seen is None:
        missing = [c for c, v in (("channel_name", name), ("channel_color", color)) if v is None]
        for column in missing:
            problems.append(
                row.problem(
                    src,
                    column if column in row.columns else "target",
                    f"channel {key!r} first used with no {column}",
                    hint="the first row of a channel names it and gives its colour",
                )
            )
        if missing or name is None or color is None:
            return False
        channels[key] = (
            ChannelSpec(key=key, name=name, color=color, index=len(channels) + 1),
            row.line,
        )
        return True
    spec, line = seen
    ok = True
    if name is not None and name != spec.name:
        problems.append(
            row.problem(
                src,
                "channel_name",
                f"channel {key!r} reused with another name",
                name,
                f"first named {spec.name!r} at line {line}",
            )
        )
        ok = False
    if color is not None and color.casefold() != spec.color.casefold():
        problems.append(
            row.problem(
                src,
                "channel_color",
                f"channel {key!r} reused with another colour",
                color,
                f"first coloured {spec.color!r} at line {line}",
            )
        )
        ok = False
    return ok


def read_performances(path: Path, problems: list[Problem]) -> dict[int, PerformanceTarget]:
    """Read the performance table: each performance once, each event key once."""
    table = read_table(
        path, required=PERFORMANCE_COLUMNS, optional=PERFORMANCE_OPTIONAL, problems=problems
    )
    if table is None:
        return {}
    src = table.source
    out: dict[int, PerformanceTarget] = {}
    first_perf: dict[int, int] = {}
    first_event: dict[str, int] = {}
    for row in table.rows:
        pid = parse_int(row, src, "performance_id", problems, minimum=1)
        event = row.cells.get("event_key", "")
        season = row.cells.get("season_key") or None
        ok = pid is not None
        if pid is not None and not _first_use(
            first_perf, pid, row, src, "performance_id", "performance mapped twice", problems
        ):
            ok = False
        if not event:
            problems.append(row.problem(src, "event_key", "missing value for event_key"))
            ok = False
        elif not _first_use(
            first_event, event, row, src, "event_key", "event key mapped twice", problems
        ):
            ok = False
        if season is not None and season == event:
            problems.append(
                row.problem(
                    src,
                    "season_key",
                    "season key equals the event key",
                    season,
                    "a seats.io season and its events need distinct keys",
                )
            )
            ok = False
        if ok and pid is not None:
            out[pid] = PerformanceTarget(pid, event, season, line=row.line)
    return out


def read_seasons(
    path: Path, problems: list[Problem], lines: dict[str, int] | None = None
) -> tuple[SeasonRule, ...]:
    """Read the seasons table: each seats.io season key once, and a Tessitura season either whole
    on one row or narrowed (performance_ids, production_season_id) on each of its rows.
    ``lines`` (when given) gets each season key's line."""
    table = read_table(path, required=SEASON_COLUMNS, optional=SEASON_OPTIONAL, problems=problems)
    if table is None:
        return ()
    src = table.source
    out: list[SeasonRule] = []
    first_key: dict[str, int] = {}
    whole: dict[int, int] = {}  # Tessitura season id -> line of its un-narrowed row
    narrowed: dict[int, int] = {}
    side_files: dict[Path, SeasonCategories | None] = {}
    for row in table.rows:
        sid = parse_int(row, src, "season_id", problems, minimum=1)
        key = row.cells.get("season_key", "")
        chart = row.cells.get("chart_key", "")
        ok = sid is not None
        if not key:
            problems.append(row.problem(src, "season_key", "missing value for season_key"))
            ok = False
        elif not _first_use(
            first_key, key, row, src, "season_key", "season key mapped twice", problems
        ):
            ok = False
        if not chart:
            problems.append(row.problem(src, "chart_key", "missing value for chart_key"))
            ok = False
        perf_ids = _id_list(row, src, "performance_ids", problems)
        production = None
        if row.cells.get("production_season_id"):
            production = parse_int(row, src, "production_season_id", problems, minimum=1)
            ok = ok and production is not None
        ok = ok and perf_ids is not False
        propagated = _bool_cell(row, src, "for_sale_propagated", problems)
        ok = ok and propagated != "bad"
        booking = _table_booking(row, src, problems)
        ok = ok and booking is not False
        categories = _categories_cell(path, row, src, side_files, problems)
        ok = ok and categories is not False
        if sid is not None and ok:
            is_narrowed = perf_ids is not None or production is not None
            if not is_narrowed and (sid in whole or sid in narrowed):
                first = whole.get(sid, narrowed.get(sid))
                problems.append(
                    row.problem(
                        src,
                        "season_id",
                        "Tessitura season mapped twice",
                        str(sid),
                        f"first at line {first}; narrow each row with performance_ids or "
                        "production_season_id",
                    )
                )
                ok = False
            elif is_narrowed and sid in whole:
                problems.append(
                    row.problem(
                        src,
                        "season_id",
                        "Tessitura season mapped twice",
                        str(sid),
                        f"line {whole[sid]} maps the whole season",
                    )
                )
                ok = False
            else:
                (narrowed if is_narrowed else whole).setdefault(sid, row.line)
        if ok and sid is not None and perf_ids is not False and booking is not False:
            if lines is not None:
                lines[key] = row.line
            out.append(
                SeasonRule(
                    season_id=sid,
                    season_key=key,
                    chart_key=chart,
                    name=row.cells.get("name") or None,
                    performance_ids=perf_ids,
                    production_season_id=production,
                    for_sale_propagated=propagated if isinstance(propagated, bool) else None,
                    table_booking=booking,
                    categories=categories or None,
                )
            )
    return tuple(out)


def _categories_cell(
    table: Path,
    row: Row,
    src: str,
    cache: dict[Path, SeasonCategories | None],
    problems: list[Problem],
) -> SeasonCategories | Literal[False] | None:
    """The row's categories side file (relative to the table), read once per file; None: the cell
    is empty; False: the file is missing or has problems (reported)."""
    text = row.cells.get("categories", "")
    if not text:
        return None
    path = Path(text)
    if not path.is_absolute():
        path = table.parent / path
    if not path.is_file():
        problems.append(
            row.problem(
                src,
                "categories",
                "categories file not found",
                text,
                f"looked for {path} (relative to the seasons table)",
            )
        )
        return False
    if path not in cache:
        cache[path] = read_season_categories(path, problems)
    found = cache[path]
    return False if found is None else found


def _id_list(
    row: Row, src: str, column: str, problems: list[Problem]
) -> frozenset[int] | Literal[False] | None:
    """Performance ids separated by spaces or ';' (None: the cell is empty; False: malformed)."""
    text = row.cells.get(column, "")
    if not text:
        return None
    ids: set[int] = set()
    for part in re.split(r"[\s;]+", text.strip()):
        if not part.isdecimal() or int(part) < 1:
            problems.append(
                row.problem(
                    src,
                    column,
                    f"malformed performance id in {column}",
                    part,
                    "expected ids separated by spaces or ';', e.g. 101;102",
                )
            )
            return False
        ids.add(int(part))
    return frozenset(ids)


def _bool_cell(row: Row, src: str, column: str, problems: list[Problem]) -> bool | str | None:
    """The cell as a boolean, None when empty; the string 'bad' after recording a problem."""
    text = row.cells.get(column, "")
    if not text:
        return None
    value = _BOOLS.get(text.casefold())
    if value is None:
        problems.append(
            row.problem(src, column, f"malformed {column}", text, "expected true or false")
        )
        return "bad"
    return value


def _table_booking(
    row: Row, src: str, problems: list[Problem]
) -> TableBooking | Literal[False] | None:
    """The table_booking mode and, for CUSTOM, its tables (``T1=BY_TABLE;T2=BY_SEAT``)."""
    text = row.cells.get("table_booking", "")
    tables_text = row.cells.get("tables", "")
    if not text:
        if tables_text:
            problems.append(
                row.problem(
                    src,
                    "tables",
                    "tables given without a table_booking mode",
                    tables_text,
                    "set table_booking to CUSTOM",
                )
            )
            return False
        return None
    try:
        mode = TableBookingMode(text)
    except ValueError:
        problems.append(
            row.problem(
                src, "table_booking", "unknown table_booking mode", text, f"expected {_MODES}"
            )
        )
        return False
    if mode is not TableBookingMode.CUSTOM:
        if tables_text:
            problems.append(
                row.problem(
                    src,
                    "tables",
                    f"tables given for table_booking {mode.value}",
                    tables_text,
                    "only CUSTOM takes tables; leave it empty",
                )
            )
            return False
        return TableBooking(mode)
    if not tables_text:
        problems.append(
            row.problem(
                src,
                "tables" if "tables" in row.columns else "table_booking",
                "CUSTOM table_booking with no tables",
                hint="expected e.g. T1=BY_TABLE;T2=BY_SEAT in column tables",
            )
        )
        return False
    tables: dict[str, str] = {}
    for part in re.split(r"[\s;]+", tables_text.strip()):
        label, sep, how = part.partition("=")
        if not sep or not label or how not in TABLE_BOOKING_VALUES or label in tables:
            problems.append(
                row.problem(
                    src,
                    "tables",
                    "table named twice" if label in tables else "malformed table booking",
                    part,
                    "expected LABEL=BY_TABLE or LABEL=BY_SEAT, separated by ';'",
                )
            )
            return False
        tables[label] = how
    return TableBooking(mode, tuple(sorted(tables.items())))


def read_seat_table(path: Path, seat_map_id: int, problems: list[Problem]) -> SeatTable:
    """Read one seat map's table: every seat id once, every label once."""
    table = read_table(path, required=SEAT_COLUMNS, problems=problems)
    if table is None:
        return SeatTable(seat_map_id, {})
    src = table.source
    labels: dict[int, str] = {}
    first_seat: dict[int, int] = {}
    first_label: dict[str, int] = {}
    for row in table.rows:
        seat_id = parse_int(row, src, "seat_id", problems, minimum=1)
        label = row.cells.get("label", "")
        ok = seat_id is not None
        if seat_id is not None and not _first_use(
            first_seat, seat_id, row, src, "seat_id", "duplicate seat id", problems
        ):
            ok = False
        if not label:
            problems.append(row.problem(src, "label", "missing value for label"))
            ok = False
        elif not _first_use(first_label, label, row, src, "label", "duplicate label", problems):
            ok = False
        if ok and seat_id is not None:
            labels[seat_id] = label
    if not table.rows:
        problems.append(
            Problem(
                src,
                None,
                None,
                "the seat table has no rows: every hold on its seat map would be unknown",
                hint="regenerate it with `seatbridge mappings seats`",
            )
        )
    return SeatTable(seat_map_id, labels)


def template_problem(template: str) -> str | None:
    """Why ``template`` is not a usable event-key template, or None when it is."""
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError as exc:
        return f"malformed template ({exc})"
    unknown = sorted({f for f in fields if f not in EVENT_KEY_PLACEHOLDERS})
    if unknown:
        return f"unknown placeholder {{{unknown[0]}}}"
    if not fields:
        return "template has no {performance_id} placeholder, so every performance gets one key"
    try:
        template.format(performance_id=1)
    except (ValueError, IndexError, KeyError) as exc:
        return f"malformed template ({exc})"
    return None


def load_tables(
    *,
    hold_codes: Path,
    performances: Path | None = None,
    seat_tables: Mapping[int, Path] | None = None,
    event_key_template: str | None = None,
    seasons: Path | None = None,
) -> MappingTables:
    """Read every table; raise :class:`InvalidConfigError` listing all problems, if any."""
    problems: list[Problem] = []
    if event_key_template is not None and (why := template_problem(event_key_template)):
        problems.append(Problem("event_key_template", None, None, why, event_key_template))
    tables = collect_tables(
        hold_codes=hold_codes,
        performances=performances,
        seat_tables=seat_tables or {},
        event_key_template=event_key_template,
        problems=problems,
        seasons=seasons,
    )
    if problems:
        raise InvalidConfigError(problems)
    return tables


def collect_tables(
    *,
    hold_codes: Path,
    performances: Path | None,
    seat_tables: Mapping[int, Path],
    event_key_template: str | None,
    problems: list[Problem],
    seasons: Path | None = None,
    rule_at: str | None = None,
) -> MappingTables:
    """Like :func:`load_tables`, but append problems to ``problems`` instead of raising.

    The template is checked by the caller, which knows where in the config it was written
    (``rule_at``, e.g. ``bridge.toml:29``, named by a problem the rule is part of).
    """
    codes = read_hold_codes(hold_codes, problems)
    perfs = read_performances(performances, problems) if performances is not None else {}
    seats = {sm: read_seat_table(p, sm, problems) for sm, p in sorted(seat_tables.items())}
    season_lines: dict[str, int] = {}
    season_rules = read_seasons(seasons, problems, season_lines) if seasons is not None else ()
    tables = MappingTables(
        hold_rules=codes.rules,
        seat_tables=seats,
        performances=perfs,
        event_key_template=event_key_template,
        channels=codes.channels,
        seasons=season_rules,
    )
    if not (event_key_template and template_problem(event_key_template)):
        problems.extend(
            key_problems(
                tables,
                display_path(performances) if performances is not None else "performances",
                display_path(seasons) if seasons is not None else "seasons",
                season_lines,
                rule_at,
            )
        )
    return tables


def key_problems(
    tables: MappingTables,
    perf_src: str,
    season_src: str,
    season_lines: Mapping[str, int],
    rule_at: str | None = None,
) -> list[Problem]:
    """One event, one performance (:mod:`bridge.mapping.keys`): a table row whose event key the
    ``event_key_template`` rule gives another performance, or that is a season's key, and a
    season key the rule gives some performance. Rows that share a key are found by the reader."""
    rule, perfs = tables.event_key_template, tables.performances
    by_rule = f"event_key_template {rule!r}" + (f" ({rule_at})" if rule_at else "")
    out: list[Problem] = []
    # season key -> (where, line) of its first mention: the seasons table, then performance rows
    seasons: dict[str, tuple[str, int | None]] = {}
    for season in tables.seasons:
        seasons.setdefault(season.season_key, (season_src, season_lines.get(season.season_key)))
    rows = sorted(tables.performances.values(), key=lambda t: (t.line or 0, t.performance_id))
    for target in rows:
        if target.season_key:
            seasons.setdefault(target.season_key, (perf_src, target.line))

    def at(where: tuple[str, int | None]) -> str:
        return where[0] if where[1] is None else f"{where[0]}:{where[1]}"

    for target in rows:
        other = rule_performance(rule, target.event_key)
        if other is not None and other != target.performance_id and other not in perfs:
            out.append(
                Problem(
                    perf_src,
                    target.line,
                    None,
                    "two performances on one event",
                    target.event_key,
                    f"performance {target.performance_id} here, and performance {other} by "
                    f"{by_rule}; list {other} with its own event key or "
                    f"give {target.performance_id} another",
                )
            )
        if target.event_key in seasons:
            out.append(
                Problem(
                    perf_src,
                    target.line,
                    None,
                    "event key is a season's key",
                    target.event_key,
                    f"performance {target.performance_id}'s event; the season at "
                    f"{at(seasons[target.event_key])}: a season and its events need distinct keys",
                )
            )
    for key, where in seasons.items():
        pid = rule_performance(rule, key)
        if pid is not None and pid not in tables.performances:
            out.append(
                Problem(
                    where[0],
                    where[1],
                    None,
                    "season key is a performance's event key",
                    key,
                    f"{by_rule} gives it to performance {pid}: "
                    "a season and its events need distinct keys",
                )
            )
    return out
