"""The bridge's state store: ledger, journal, per-performance status, for-sale budget, leases."""

from bridge.store.base import (
    FOR_SALE_DAILY_LIMIT,
    FOR_SALE_WINDOW,
    JournalOp,
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
    "JournalOp",
    "OpState",
    "PerformanceStatus",
    "Run",
    "RunMode",
    "SqliteStore",
    "StateStore",
    "SyncOutcome",
    "open_store",
]
