"""How fast the SQLite store claims and reads a large house's ledger, against naive per-row SQL.

A reconcile of a 3,000-seat house may claim every seat before one seats.io call, so a claim
must cost milliseconds, not seconds. Prints the median wall time over several repeats and the
peak traced memory of one more run, for ``SqliteStore.claim`` / ``ledger`` (executemany, one
transaction) and for two baselines on the same file in the same run: one execute per row inside
one transaction, and one transaction per row (what claiming object by object would cost).

    .venv/bin/python benchmarks/bench_store.py [--entries 3000] [--repeats 7] [--dir PATH]
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bridge.domain import LedgerEntry, Ownership
from bridge.store import SqliteStore, open_store
from bridge.store.sqlite import from_text, to_text

EVENT = "perf-bench"
T0 = datetime(2026, 11, 21, 19, 30, tzinfo=UTC)
UPSERT = """INSERT INTO ledger (event_key, label, ownership, target, since, performance_id)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (event_key, label) DO UPDATE SET ownership = excluded.ownership,
    target = excluded.target, since = excluded.since, performance_id = excluded.performance_id"""


def make_entries(count: int) -> list[LedgerEntry]:
    """A house's worth of seats, every one held by the bridge."""
    return [
        LedgerEntry(
            EVENT, f"S{i // 1000}-R{i // 30 % 34}-{i % 30}", Ownership.STATUS, "held-press", T0, 101
        )
        for i in range(count)
    ]


def row(entry: LedgerEntry) -> tuple[object, ...]:
    since = None if entry.since is None else to_text(entry.since)
    return (
        entry.event_key,
        entry.label,
        str(entry.ownership),
        entry.target,
        since,
        entry.performance_id,
    )


def naive_claim_one_transaction(conn: sqlite3.Connection, entries: list[LedgerEntry]) -> None:
    conn.execute("BEGIN IMMEDIATE")
    for entry in entries:
        conn.execute(UPSERT, row(entry))
    conn.execute("COMMIT")


def naive_claim_transaction_per_row(conn: sqlite3.Connection, entries: list[LedgerEntry]) -> None:
    for entry in entries:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(UPSERT, row(entry))
        conn.execute("COMMIT")


def naive_read_per_row(
    conn: sqlite3.Connection, entries: list[LedgerEntry]
) -> dict[tuple[str, str], LedgerEntry]:
    found: dict[tuple[str, str], LedgerEntry] = {}
    for entry in entries:
        hit = conn.execute(
            "SELECT ownership, target, since, performance_id FROM ledger WHERE event_key = ? AND label = ?",
            (entry.event_key, entry.label),
        ).fetchone()
        if hit is not None:
            ownership, target, since, pid = hit
            found[(entry.event_key, entry.label)] = LedgerEntry(
                entry.event_key, entry.label, Ownership(ownership), target, from_text(since), pid
            )
    return found


def measure(
    work: Callable[[], object], reset: Callable[[], None], repeats: int
) -> tuple[float, float, int]:
    """Median and best wall seconds over ``repeats``, then peak traced bytes of one more run."""
    times = []
    for _ in range(repeats):
        reset()
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    reset()
    tracemalloc.start()
    work()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return statistics.median(times), min(times), peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--dir", type=Path, default=None, help="folder for the database file")
    args = parser.parse_args()

    entries = make_entries(args.entries)
    keys = [(e.event_key, e.label) for e in entries]
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        path = Path(folder) / "bench.db"
        store: SqliteStore = open_store(path)
        raw = sqlite3.connect(path, isolation_level=None)
        raw.execute("PRAGMA synchronous = FULL")

        def empty() -> None:
            store.forget(keys)

        def filled() -> None:
            store.claim(entries)

        slow_repeats = max(1, min(args.repeats, 3))
        results = [
            (
                "claim: SqliteStore.claim (executemany, 1 tx)",
                *measure(lambda: store.claim(entries), empty, args.repeats),
            ),
            (
                "claim: upsert over existing rows (executemany)",
                *measure(lambda: store.claim(entries), filled, args.repeats),
            ),
            (
                "claim: naive execute per row, 1 tx",
                *measure(lambda: naive_claim_one_transaction(raw, entries), empty, args.repeats),
            ),
            (
                "claim: naive 1 tx per row",
                *measure(
                    lambda: naive_claim_transaction_per_row(raw, entries), empty, slow_repeats
                ),
            ),
            (
                "read:  SqliteStore.ledger([event])",
                *measure(lambda: store.ledger([EVENT]), filled, args.repeats),
            ),
            (
                "read:  SqliteStore.ledger() (all)",
                *measure(lambda: store.ledger(), filled, args.repeats),
            ),
            (
                "read:  naive SELECT per key",
                *measure(lambda: naive_read_per_row(raw, entries), filled, args.repeats),
            ),
        ]
        assert len(store.ledger([EVENT])) == args.entries
        raw.close()
        store.close()

    print(
        f"state store benchmark: {args.entries} ledger entries, sqlite {sqlite3.sqlite_version}, "
        f"WAL, synchronous=FULL, file in {args.dir or tempfile.gettempdir()}"
    )
    print(f"{'case':<50} {'median ms':>10} {'best ms':>9} {'peak KiB':>9}")
    for name, median, best, peak in results:
        print(f"{name:<50} {median * 1000:>10.1f} {best * 1000:>9.1f} {peak / 1024:>9.0f}")


if __name__ == "__main__":
    main()
