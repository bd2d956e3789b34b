"""One event, one performance: which performances resolve to the same seats.io key.

Two performances on one event (a table row ``201,perf-202`` beside the ``perf-{performance_id}``
rule) plan against each other: the for-sale edits are keyed by event, so one performance's kills
stay for sale while recorded as done, and each pass releases the other's holds. A performance
whose event key is a season's key is the same mistake. Both are refused, at config time
(:func:`bridge.mapping.tables.collect_tables`) and again over the performances a run is given
(:func:`key_clashes`), naming both sides.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable

from bridge.mapping.model import MappingTables, PerformanceTarget

__all__ = ["key_clashes", "partners", "rule_performance", "season_keys", "source_of"]


def rule_performance(template: str | None, key: str) -> int | None:
    """The performance id for which ``template`` gives ``key``, or None (none does, or no rule).

    The template's literal parts must match and its placeholder a whole number that formats
    back to exactly ``key`` (so ``perf-{performance_id:04d}`` gives 202 for ``perf-0202``)."""
    if not template:
        return None
    pattern = ""
    try:
        for literal, name, _, _ in string.Formatter().parse(template):
            pattern += re.escape(literal)
            if name is not None:
                pattern += "([0-9]+)"
    except ValueError:
        return None
    found = re.fullmatch(pattern, key)
    if found is None or not found.groups():
        return None
    pid = int(found.group(1))
    try:
        same = template.format(performance_id=pid) == key
    except (ValueError, IndexError, KeyError):
        return None
    return pid if pid >= 1 and same else None


def season_keys(tables: MappingTables) -> dict[str, str]:
    """Every seats.io season key the tables name -> where it is named."""
    out: dict[str, str] = {}
    for rule in tables.seasons:
        out.setdefault(rule.season_key, f"the seasons table's season {rule.season_id}")
    for target in sorted(tables.performances.values(), key=lambda t: t.performance_id):
        if target.season_key:
            out.setdefault(target.season_key, f"{source_of(tables, target)}'s season_key")
    return out


def source_of(tables: MappingTables, target: PerformanceTarget) -> str:
    """Where a performance's event key comes from: its table row (with its line when known) or
    the ``event_key_template`` rule."""
    if target.performance_id in tables.performances:
        where = f" (line {target.line})" if target.line is not None else ""
        return f"performance {target.performance_id}: performances table row{where}"
    return f"performance {target.performance_id}: event_key_template {tables.event_key_template!r}"


def partners(tables: MappingTables, performance_id: int) -> set[int]:
    """The other performances the tables resolve to ``performance_id``'s event key, asked for
    or not: a table row's key is the rule's for performance q (q not listed), or a performance
    left to the rule gets a key a table row already has."""
    target = tables.target_for(performance_id)
    if target is None:
        return set()
    if performance_id in tables.performances:
        other = rule_performance(tables.event_key_template, target.event_key)
        if other is not None and other != performance_id and other not in tables.performances:
            return {other}
        return set()
    return {
        t.performance_id
        for t in tables.performances.values()
        if t.event_key == target.event_key and t.performance_id != performance_id
    }


def key_clashes(tables: MappingTables, performance_ids: Iterable[int]) -> dict[int, str]:
    """Performance id -> why it is refused, for every performance among ``performance_ids``
    (and the :func:`partners` that share its key, asked for or not: one performance alone must
    not write over another's event either) that shares its event key with another, or whose
    event key is a season's key."""
    asked = set(performance_ids)
    by_key: dict[str, list[PerformanceTarget]] = {}
    for pid in sorted(asked.union(*(partners(tables, p) for p in asked))):
        target = tables.target_for(pid)
        if target is not None:
            by_key.setdefault(target.event_key, []).append(target)
    seasons = season_keys(tables)
    out: dict[int, str] = {}
    for key, targets in by_key.items():
        sides = [source_of(tables, t) for t in targets]
        if len(targets) > 1:
            why = f"{len(targets)} performances resolve to event {key!r}: " + "; ".join(sides)
            for t in targets:
                out[t.performance_id] = why
        if key in seasons:
            for t, side in zip(targets, sides, strict=True):
                out.setdefault(
                    t.performance_id,
                    f"event key {key!r} is a season's key: {side}; {seasons[key]}",
                )
    return out
