"""The bridge's state store: ledger, write-back ledger, journal, per-performance status,
for-sale budget, leases.

Each of these is a role protocol of ``bridge.store.base`` (``Ledger``, ``Journal``, ...): a caller
takes the roles it uses; ``StateStore`` is all of them, for what opens and closes a store.

SQLite is imported here; the shared PostgreSQL backend lives in ``bridge.store.postgres``
(``open_postgres``), imported only by those who configure it.
"""

from bridge.store.base import (
    FOR_SALE_DAILY_LIMIT,
    FOR_SALE_WINDOW,
    ForSaleBudget,
    Health,
    Instance,
    Instances,
    Journal,
    JournalOp,
    LaneBudget,
    LaneBudgets,
    Leases,
    Ledger,
    Notes,
    OpState,
    PerformanceStatus,
    Run,
    RunMode,
    SeatTables,
    StateStore,
    StatusBoard,
    StoreGoneError,
    SyncOutcome,
    WritebackLedger,
)
from bridge.store.sqlite import SqliteStore, open_store

__all__ = [
    "FOR_SALE_DAILY_LIMIT",
    "FOR_SALE_WINDOW",
    "ForSaleBudget",
    "Health",
    "Instance",
    "Instances",
    "Journal",
    "JournalOp",
    "LaneBudget",
    "LaneBudgets",
    "Leases",
    "Ledger",
    "Notes",
    "OpState",
    "PerformanceStatus",
    "Run",
    "RunMode",
    "SeatTables",
    "SqliteStore",
    "StateStore",
    "StatusBoard",
    "StoreGoneError",
    "SyncOutcome",
    "WritebackLedger",
    "open_store",
]
