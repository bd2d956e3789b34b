"""A standby asks for the writer lease every second: waiting costs the store a read, and a
lease that comes free (a clean stop released it) is taken at the next ask."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bridge.clock import ManualClock
from bridge.daemon.membership import Membership
from bridge.reconcile.leases import instance_id
from bridge.store import open_store
from bridge.store.base import WRITER_LEASE

T0 = datetime(2026, 12, 8, 19, 0, tzinfo=UTC)


class CountingWrites:
    """A store that counts the writer-lease writes it is asked for, and passes everything on."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.acquires = 0

    def acquire_lease(self, *args: Any, **kwargs: Any) -> bool:
        self.acquires += 1
        return bool(self.store.acquire_lease(*args, **kwargs))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


def test_a_standby_waiting_on_a_live_active_daemon_only_reads(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.sqlite3") as store:
        assert store.acquire_lease(WRITER_LEASE, instance_id(), 30)  # this process: alive
        counting = CountingWrites(store)
        standby = Membership("standby:2:y", shared=False, grace_s=1.0, clock=ManualClock(T0))
        for _ in range(5):
            assert not standby.take_writer_role(counting, 30)
        assert counting.acquires == 0
        # the active daemon stops cleanly: the next ask takes the role
        store.release_lease(WRITER_LEASE, instance_id())
        assert standby.take_writer_role(counting, 30)
        assert counting.acquires == 1
        assert store.lease_holder(WRITER_LEASE) == "standby:2:y"
