"""The bridge's state store: ledger, journal, per-performance status, for-sale budget, leases.

SQLite is imported here; the shared PostgreSQL backend lives in ``bridge.store.postgres``
(``open_postgres``), imported only by those who configure it.
"""

from bridge.store.base import (
    FOR_SALE_DAILY_LIMIT,
    FOR_SALE_WINDOW,
    Instance,
    JournalOp,
    LaneBudget,
    OpState,
    PerformanceStatus,
    Run,
    RunMode,
    StateStore,
    SyncOutcome,
)
from bridge.store.sqlite import SqliteStore, open_store

__all__ = [
    "FOR_SALE_DAILY_LIMIT",
    "FOR_SALE_WINDOW",
    "Instance",
    "JournalOp",
    "LaneBudget",
    "OpState",
    "PerformanceStatus",
    "Run",
    "RunMode",
    "SqliteStore",
    "StateStore",
    "SyncOutcome",
    "open_store",
]
