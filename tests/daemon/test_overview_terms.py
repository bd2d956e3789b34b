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
#: the season unit's last good run: no row's own sync, so no row may show it
UNIT_RUN = (T0 - timedelta(minutes=1)).isoformat()


def data() -> dict[str, object]:
    return {
        "role": "active",
        "shows": {
            "201": {"name": "Gala Night", "starts_at": (T0 + timedelta(days=2)).isoformat()},
            "202": {"name": "Macbeth", "starts_at": (T0 + timedelta(days=1)).isoformat()},
            "203": {"name": "Tosca", "starts_at": None},
            "205": {"name": "Aida", "starts_at": (T0 + timedelta(days=3)).isoformat()},
        },
        "units": {  # 203 joined the season unit since its last run
            "season S1": {"performances": [201, 203, 205], "last_success": UNIT_RUN},
        },
        "last_synced": {"201": SUCCESS},  # this daemon's memory of each one's last good sync
        "performances": [
            {"performance_id": 201, "outcome": "error", "last_sync": ATTEMPT, "drift": 3},
            {"performance_id": 202, "outcome": "converged", "last_sync": ATTEMPT, "drift": 2},
            {"performance_id": 204, "outcome": "converged", "last_sync": ATTEMPT, "drift": 0},
            {"performance_id": 205, "outcome": "refused", "last_sync": ATTEMPT, "drift": 4},
        ],
    }


def test_rows_carry_names_states_and_the_last_good_sync_next_show_first() -> None:
    rows = rows_of(data())
    assert [r["performance_id"] for r in rows] == [202, 201, 205, 203, 204]  # unknown last
    by_id = {r["performance_id"]: r for r in rows}
    assert by_id[202]["name"] == "Macbeth" and by_id[201]["name"] == "Gala Night"
    assert by_id[204]["name"] is None  # discovery never named it: the page shows its id
    assert [by_id[p]["state"] for p in (201, 202, 203, 204, 205)] == [
        "error",
        "pending",  # converged, but operations still to apply
        "new",  # a unit's performance not synced yet
        "converged",
        "refused",
    ]
    # a failed attempt is not a sync: the performance's own last good sync is
    assert by_id[201]["last_success"] == SUCCESS and by_id[201]["last_sync"] == ATTEMPT
    assert by_id[202]["last_success"] == ATTEMPT
    # never the unit's time: one that joined the unit, one refused since the daemon started
    assert by_id[203]["last_success"] is None
    assert by_id[205]["last_success"] is None
    assert by_id[201]["unit"] == "season S1" and by_id[204]["unit"] is None


def test_the_badge_is_green_only_when_nothing_needs_a_person() -> None:
    counts = counts_of(rows_of(data()))
    assert counts["error"] == 1 and counts["pending"] == 1 and counts["refused"] == 1
    fine = counts | {"error": 0, "refused": 0}
    assert health_of("active", True, counts) == "warn"  # a performance in error
    assert health_of("active", True, fine) == "ok"
    assert health_of("active", True, fine | {"conflicts": 2}) == "warn"
    assert health_of("active", True, fine | {"refused": 1}) == "warn"
    assert health_of("active", False, fine) == "bad"  # readiness fails
    assert health_of("standby", False, counts) == "warn"


def test_a_refused_config_edit_keeps_the_badge_from_green() -> None:
    fine = counts_of([])
    assert health_of("active", True, fine, config_ok=False) == "warn"
    assert health_of("active", False, fine, config_ok=False) == "bad"  # worse stays worse


def test_the_status_carries_names_starts_the_zone_and_the_activity_newest_first() -> None:
    clock = ManualClock(T0)
    cfg = load_config(SANDBOX_CONFIG)
    membership = Membership("me:0:a", shared=False, grace_s=0.0, clock=clock)
    membership.role = Role.ACTIVE
    state = DaemonState()
    state.names[201] = "Gala Night"
    state.starts[201] = T0 + timedelta(hours=16)
    state.starts[202] = None
    state.last_synced[201] = T0 - timedelta(minutes=3)
    for i in range(3):
        state.activity.append(Happening(Topic.APPLIED, T0 + timedelta(seconds=i), f"applied {i}"))
    status = StatusView(cfg, state, membership, clock=clock).status()
    assert status["time_zone"] == cfg.discovery.time_zone
    assert status["shows"] == {
        "201": {"name": "Gala Night", "starts_at": (T0 + timedelta(hours=16)).isoformat()},
        "202": {"name": None, "starts_at": None},
    }
    # each performance's own last good sync, which the page shows as "last sync"
    assert status["last_synced"] == {"201": (T0 - timedelta(minutes=3)).isoformat()}
    activity = status["activity"]
    assert isinstance(activity, list)
    assert [h["summary"] for h in activity] == ["applied 2", "applied 1", "applied 0"]
