"""The overview in the venue's terms: each row with its production's name and start from the
daemon's discovery, filed under a state, the last sync that went well (never a failed attempt),
the next show first; the role badge's health; the activity feed newest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bridge.clock import ManualClock
from bridge.config import load_config
from bridge.core.happenings import Happening, Topic
from bridge.daemon.membership import Membership, Role
from bridge.daemon.overview import counts_of, health_of, rows_of
from bridge.daemon.state import DaemonState
from bridge.daemon.status_view import StatusView
from bridge.testing.sandbox import SANDBOX_CONFIG

T0 = datetime(2026, 12, 8, 3, 0, tzinfo=UTC)
ATTEMPT = (T0 - timedelta(seconds=5)).isoformat()
SUCCESS = (T0 - timedelta(minutes=10)).isoformat()


def data() -> dict[str, object]:
    return {
        "role": "active",
        "shows": {
            "201": {"name": "Gala Night", "starts_at": (T0 + timedelta(days=2)).isoformat()},
            "202": {"name": "Macbeth", "starts_at": (T0 + timedelta(days=1)).isoformat()},
            "203": {"name": "Tosca", "starts_at": None},
        },
        "units": {
            "performance 201": {"performances": [201], "last_success": SUCCESS},
            "performance 203": {"performances": [203]},
        },
        "performances": [
            {"performance_id": 201, "outcome": "error", "last_sync": ATTEMPT, "drift": 3},
            {"performance_id": 202, "outcome": "converged", "last_sync": ATTEMPT, "drift": 2},
            {"performance_id": 204, "outcome": "converged", "last_sync": ATTEMPT, "drift": 0},
        ],
    }


def test_rows_carry_names_states_and_the_last_good_sync_next_show_first() -> None:
    rows = rows_of(data())
    assert [r["performance_id"] for r in rows] == [202, 201, 203, 204]  # unknown starts last
    by_id = {r["performance_id"]: r for r in rows}
    assert by_id[202]["name"] == "Macbeth" and by_id[201]["name"] == "Gala Night"
    assert by_id[204]["name"] is None  # discovery never named it: the page shows its id
    assert [by_id[p]["state"] for p in (201, 202, 203, 204)] == [
        "error",
        "pending",  # converged, but operations still to apply
        "new",  # a unit's performance not synced yet
        "converged",
    ]
    # a failed attempt is not a sync: the unit's last run without an error is
    assert by_id[201]["last_success"] == SUCCESS and by_id[201]["last_sync"] == ATTEMPT
    assert by_id[202]["last_success"] == ATTEMPT
    assert by_id[203]["last_success"] is None
    assert by_id[201]["unit"] == "performance 201" and by_id[204]["unit"] is None


def test_the_badge_is_green_only_when_nothing_needs_a_person() -> None:
    counts = counts_of(rows_of(data()))
    assert counts["error"] == 1 and counts["pending"] == 1 and counts["refused"] == 0
    assert health_of("active", True, counts) == "warn"  # a performance in error
    assert health_of("active", True, counts | {"error": 0}) == "ok"
    assert health_of("active", True, counts | {"error": 0, "conflicts": 2}) == "warn"
    assert health_of("active", False, counts | {"error": 0}) == "bad"  # readiness fails
    assert health_of("standby", False, counts) == "warn"


def test_the_status_carries_names_starts_the_zone_and_the_activity_newest_first() -> None:
    clock = ManualClock(T0)
    cfg = load_config(SANDBOX_CONFIG)
    membership = Membership("me:0:a", shared=False, grace_s=0.0, clock=clock)
    membership.role = Role.ACTIVE
    state = DaemonState()
    state.names[201] = "Gala Night"
    state.starts[201] = T0 + timedelta(hours=16)
    state.starts[202] = None
    for i in range(3):
        state.activity.append(Happening(Topic.APPLIED, T0 + timedelta(seconds=i), f"applied {i}"))
    status = StatusView(cfg, state, membership, clock=clock).status()
    assert status["time_zone"] == cfg.discovery.time_zone
    assert status["shows"] == {
        "201": {"name": "Gala Night", "starts_at": (T0 + timedelta(hours=16)).isoformat()},
        "202": {"name": None, "starts_at": None},
    }
    activity = status["activity"]
    assert isinstance(activity, list)
    assert [h["summary"] for h in activity] == ["applied 2", "applied 1", "applied 0"]
