"""The Prometheus rules and the Grafana dashboard in ``deploy/`` stay in step with ``/metrics``:
the rules parse and are complete, and every metric they or the dashboard name is one the daemon
exposes (a renamed metric fails here, not on a silent dashboard)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from bridge.clock import ManualClock
from bridge.daemon.metrics import BridgeMetrics

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "deploy" / "prometheus" / "seatbridge-rules.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "seatbridge-dashboard.json"

#: a metric name in PromQL: the bridge's own, and the process collector's
METRIC = re.compile(r"\b((?:seatbridge|process)_[a-z0-9_]+)\b")
SEVERITIES = {"critical", "warning", "info"}
#: samples a family of each type exposes, beyond its own name
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("_sum", "_count", "_created"),
    "gauge": ("",),
    "info": ("_info",),
    "unknown": ("",),
}


def _rules() -> list[dict[str, Any]]:
    doc = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    return [rule for group in doc["groups"] for rule in group["rules"]]


def _dashboard_exprs() -> list[str]:
    dash = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
    for var in dash["templating"]["list"]:
        if var["type"] == "query":
            exprs.append(var["definition"])
    return exprs


def _exposed() -> set[str]:
    """Every sample name a daemon's registry can expose: each family's own name with its type's
    suffixes, labelled families included before their first series."""
    m = BridgeMetrics(clock=ManualClock())
    # exercise what the daemon records, so labelled series are there too
    now = datetime(2026, 12, 8, 19, 0, tzinfo=UTC)
    m.api_request("seatsio", "GET /events/{key}", 200, 0.1, None)
    m.rate_limited("seatsio", "regular")
    m.for_sale_edits_left("perf-201", 3)
    m.synced(201, now)
    m.conflicts_open(1)
    m.ownership(2, 1)
    m.role(True)
    m.notification("sent")
    names: set[str] = set()
    for family in m.registry.collect():
        names.update(family.name + s for s in SUFFIXES[family.type])
        names.update(sample.name for sample in family.samples)
    return names


def test_the_rules_parse_and_each_is_complete() -> None:
    rules = _rules()
    assert len(rules) >= 6
    names = [r["alert"] for r in rules]
    assert len(set(names)) == len(names), "two rules of one name"
    for rule in rules:
        assert {"alert", "expr", "for", "labels", "annotations"} <= set(rule), rule["alert"]
        assert re.fullmatch(r"\d+[smh]", str(rule["for"])), rule["alert"]
        assert rule["labels"]["severity"] in SEVERITIES, rule["alert"]
        assert rule["annotations"]["summary"].strip(), rule["alert"]


def test_the_rules_watch_what_the_issue_asks() -> None:
    exprs = " ".join(r["expr"] for r in _rules())
    for needed in (
        "seatbridge_conflicts_open",
        "seatbridge_seconds_since_last_sync",
        "seatbridge_active",
        "seatbridge_rate_limited_total",
        'seatbridge_config_reloads_total{result="refused"}',
        "up{",
    ):
        assert needed in exprs, needed


def test_the_dashboard_is_grafana_json_with_a_query_per_panel() -> None:
    dash = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    assert dash["uid"] and dash["title"]
    ids = [p["id"] for p in dash["panels"]]
    assert len(set(ids)) == len(ids)
    for panel in dash["panels"]:
        assert panel["targets"], panel["title"]
        assert all(t["expr"].strip() for t in panel["targets"]), panel["title"]


@pytest.mark.parametrize("where", ["rules", "dashboard"])
def test_every_metric_named_is_exposed(where: str) -> None:
    exprs = [r["expr"] for r in _rules()] if where == "rules" else _dashboard_exprs()
    named = {name for e in exprs for name in METRIC.findall(e)}
    assert named, "no metric found: the pattern is wrong"
    missing = sorted(named - _exposed())
    assert not missing, f"{where} name metrics /metrics does not have: {missing}"


def test_an_unknown_metric_would_be_caught() -> None:
    exposed = _exposed()
    assert "seatbridge_conflicts_open" in exposed
    assert "seatbridge_api_request_duration_seconds_bucket" in exposed
    assert "seatbridge_reconciles_total" in exposed
    assert "seatbridge_conflict_open" not in exposed


#: a range function and the metric its argument reads
RANGE_OF = re.compile(r"\b(rate|irate|increase)\(\s*((?:seatbridge|process)_[a-z0-9_]+)")
#: functions that only make sense on a gauge
GAUGE_ONLY = re.compile(r"\b(delta|deriv)\(\s*((?:seatbridge|process)_[a-z0-9_]+)")


def _types() -> dict[str, str]:
    """Sample name -> the type of its family (a counter's ``_total``, a histogram's
    ``_bucket``...)."""
    m = BridgeMetrics(clock=ManualClock())
    out: dict[str, str] = {}
    for family in m.registry.collect():
        for suffix in SUFFIXES[family.type]:
            out[family.name + suffix] = family.type
    return out


@pytest.mark.parametrize("where", ["rules", "dashboard"])
def test_rates_are_taken_of_counters_and_deltas_of_gauges(where: str) -> None:
    """``rate``/``increase`` of a gauge, or ``delta`` of a counter, parses and silently computes
    nonsense: an alert that never fires."""
    exprs = [r["expr"] for r in _rules()] if where == "rules" else _dashboard_exprs()
    types = _types()
    found = 0
    for expr in exprs:
        for fn, name in RANGE_OF.findall(expr):
            found += 1
            kind = types.get(name)
            ok = kind == "counter" or (kind == "histogram" and not name.endswith("_created"))
            assert ok, f"{fn}({name}) in {where}: {name} is a {kind}, not a counter"
        for fn, name in GAUGE_ONLY.findall(expr):
            assert types.get(name) == "gauge", f"{fn}({name}) in {where}: not a gauge"
    if where == "rules":
        assert found, "no rate() in the rules: the pattern is wrong"


def test_a_daemon_that_never_succeeds_still_has_something_to_alert_on() -> None:
    """The age rules compute from series that exist from the start: the last success is the
    daemon's start until the first, and a scheduled performance ages before its first sync."""
    m = BridgeMetrics(clock=ManualClock())
    m.scheduled(201)
    body = m.registry.collect()
    have = {s.name for family in body for s in family.samples}
    for rule in _rules():
        for name in METRIC.findall(rule["expr"]):
            if name in (
                "seatbridge_last_success_timestamp_seconds",
                "seatbridge_seconds_since_last_sync",
            ):
                assert name in have, f"{rule['alert']}: {name} has no series before a success"
