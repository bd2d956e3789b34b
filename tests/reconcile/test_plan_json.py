"""The saved plan: a stable, documented JSON shape that reads back to the same value."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from reconcile_world import PRESS, VIP

from bridge.core.findings import Finding, FindingKind, Severity
from bridge.core.plan_model import Operation, OpKind, Plan
from bridge.domain import Ownership

DOC = Path(__file__).resolve().parents[2] / "docs" / "plan-format.md"

SAMPLE = Plan(
    operations=(
        Operation(OpKind.CREATE_CHANNEL, ("ev-1",), ("A-1", "A-2"), "vip", channel=VIP),
        Operation(
            OpKind.CHANGE_STATUS, ("ev-1", "ev-2"), ("B-1",), "held", allowed_previous=("free",)
        ),
        Operation(OpKind.REPLACE_CHANNELS, ("ev-3",), ("C-1",), channels=((PRESS, ("C-1",)),)),
        Operation(OpKind.LEDGER_CLAIM, ("ev-1",), ("D-1",), "", ownership=Ownership.NOT_FOR_SALE),
    ),
    findings=(
        Finding(FindingKind.CONFLICT, performance_id=1, event_key="ev-1", label="B-2"),
        Finding(FindingKind.SEASON_HOLD_DIFFERS, event_key="s", labels=("A-1",), count=3),
    ),
)


def test_a_plan_reads_back_from_its_json_as_the_same_value() -> None:
    text = json.dumps(SAMPLE.to_json())
    assert Plan.from_json(json.loads(text)) == SAMPLE


def test_the_json_carries_its_format_version_and_a_summary() -> None:
    data = SAMPLE.to_json()
    assert data["version"] == 1
    assert data["summary"]["api_operations"] == 3
    assert data["summary"]["ledger_operations"] == 1
    assert data["summary"]["by_event"]["ev-2"] == {"change_status": 1}
    assert data["summary"]["findings"] == {"conflict": 1, "season_hold_differs": 1}


def test_an_operation_serialises_to_the_documented_fields() -> None:
    assert SAMPLE.to_json()["operations"][0] == {
        "kind": "create_channel",
        "event_keys": ["ev-1"],
        "labels": ["A-1", "A-2"],
        "target": "vip",
        "allowed_previous": [],
        "ownership": None,
        "channel": {"key": "vip", "name": "VIP", "color": "#aa0000", "index": 1},
        "channels": [],
    }


def test_a_finding_serialises_with_its_severity() -> None:
    data = SAMPLE.to_json()["findings"][0]
    assert data["kind"] == "conflict" and data["severity"] == Severity.CONFLICT.value
    assert data["label"] == "B-2" and data["performance_id"] == 1


def test_an_unknown_format_version_is_refused() -> None:
    data = SAMPLE.to_json() | {"version": 2}
    with pytest.raises(ValueError, match="version"):
        Plan.from_json(data)


def test_a_plan_with_only_ledger_upkeep_counts_as_empty() -> None:
    plan = Plan(operations=(SAMPLE.operations[-1],))
    assert plan.is_empty and not SAMPLE.is_empty


def test_every_operation_and_finding_kind_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [k.value for k in (*OpKind, *FindingKind) if f"`{k.value}`" not in text]
    assert missing == []
