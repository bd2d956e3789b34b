"""`/metrics` and docs/daemon.md agree: every family the daemon exposes is in the "Every metric"
table, with its type and labels, and every name in that table is still exposed."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bridge.clock import ManualClock
from bridge.core.outcome import Ending, RunReport, UnitResult
from bridge.core.plan_model import Plan
from bridge.daemon.membership import Membership
from bridge.daemon.metrics import BridgeMetrics

DOCS = Path(__file__).resolve().parents[2] / "docs" / "daemon.md"
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
#: the families of prometheus_client's own collectors and ours
PREFIXES = ("seatbridge_", "process_", "python_")
#: sample labels that belong to the type, not to the family
TYPE_LABELS = {"le", "quantile"}


def documented() -> dict[str, tuple[str, frozenset[str]]]:
    """The "Every metric" table: name -> (type, labels)."""
    text = DOCS.read_text(encoding="utf-8")
    match = re.search(r"(?ms)^## Every metric\n(.*?)(?=^## )", text)
    assert match, "docs/daemon.md has no '## Every metric' section"
    rows: dict[str, tuple[str, frozenset[str]]] = {}
    for line in match.group(1).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 4 or not cells[0].startswith("`"):
            continue
        name = cells[0].strip("`")
        assert name not in rows, f"{name} is in the table twice"
        labels = frozenset(re.findall(r"`([a-z_]+)`", cells[2]))
        rows[name] = (cells[1], labels)
    return rows


def exercised() -> BridgeMetrics:
    """Metrics with every method called, so every family has samples."""
    clock = ManualClock(T0)
    m = BridgeMetrics(clock=clock)
    m.unit_reconciled("converged")
    m.operation("change_status", "done")
    m.conflicts(1)
    m.conflicts_open(1)
    m.objects("change_status", 2)
    m.writeback_operation("hold_in_tessitura", "done")
    m.writeback_holds(1)
    m.synced(201, T0)
    m.for_sale_edits_left("perf-201", 9)
    m.api_request("seatsio", "GET /events/{key}", 200, 0.1, None)
    m.rate_limited("seatsio", "regular")
    m.config_reload("applied")
    m.seasons_sync("applied")
    m.role(True)
    m.units_in_flight(+1)
    m.scheduled_units(1)
    m.clock_stepped(-3600)
    m.ownership(1, 1)
    m.membership(Membership("host:1:x", shared=False, grace_s=1.0, clock=clock))
    with m.timing("performance"):
        clock.advance(0.2)
    m.unit_ended("performance", Ending.CONVERGED)
    m.count_report(RunReport((UnitResult((201,), Plan()),)))
    return m


@cache
def exposed() -> dict[str, tuple[str, frozenset[str]]]:
    """The families on /metrics as Prometheus names them (a counter with its ``_total``):
    name -> (type, labels). The ``_created`` twin of a counter or histogram (its own gauge in the
    text format) goes with its family."""
    body, _ = exercised().exposition()
    out: dict[str, tuple[str, frozenset[str]]] = {}
    for family in text_string_to_metric_families(body.decode()):
        name = family.name + ("_total" if family.type == "counter" else "")
        assert family.samples, f"{name} has no samples: exercise it above"
        labels = frozenset(k for s in family.samples for k in s.labels) - TYPE_LABELS
        out[name] = (family.type, labels)
    for name in [n for n in out if n.endswith("_created")]:
        base = name.removesuffix("_created")
        twin = out.get(base + "_total") or out.get(base)
        if twin is not None and twin[0] in ("counter", "histogram"):
            del out[name]
    return out


def test_the_docs_table_parses_and_lists_the_standard_families() -> None:
    rows = documented()
    assert "seatbridge_reconciles_total" in rows
    assert any(n.startswith("process_") for n in rows)
    assert any(n.startswith("python_") for n in rows)


def test_every_exposed_family_is_documented() -> None:
    rows = documented()
    missing = sorted(n for n in exposed() if n.startswith(PREFIXES) and n not in rows)
    assert not missing, f"on /metrics but not in docs/daemon.md 'Every metric': {missing}"


def test_every_documented_family_is_exposed() -> None:
    families = exposed()
    gone = sorted(n for n in documented() if n not in families)
    assert not gone, f"in docs/daemon.md 'Every metric' but not on /metrics: {gone}"


def test_only_our_and_the_standard_families_are_exposed() -> None:
    strays = sorted(n for n in exposed() if not n.startswith(PREFIXES))
    assert not strays


@cache
def documented_once() -> dict[str, tuple[str, frozenset[str]]]:
    return documented()


@pytest.mark.parametrize("name", sorted(documented_once()))
def test_the_docs_give_each_family_its_type_and_labels(name: str) -> None:
    families = exposed()
    if name not in families:
        pytest.fail(f"{name} is documented but not exposed")
    assert documented_once()[name] == families[name]
