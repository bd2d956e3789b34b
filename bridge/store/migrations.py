"""The schema, versioned: one ordered list of migrations for both backends, each applied in one
transaction.

``schema_version`` holds one row per applied migration; the database's version is the highest. A
store from an older seatbridge is upgraded in place when opened; one from a newer one is refused,
since this code cannot know what the newer columns mean. Migrations are append-only: never edit one
that has shipped, add the next. Each carries its SQLite and its PostgreSQL statements, so the two
backends always share version numbers; the PostgreSQL tables lead every key with ``venue`` (several
venues share one database) and are applied by :mod:`bridge.store.postgres`, which owns the driver.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection
from dataclasses import dataclass

from bridge.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Migration:
    """Schema ``version`` is reached by running the backend's statements in order, on top of
    version - 1."""

    version: int
    description: str
    sqlite: tuple[str, ...]
    postgres: tuple[str, ...] = ()


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "ledger and journal",
        (
            """CREATE TABLE ledger (
                event_key TEXT NOT NULL,
                label TEXT NOT NULL,
                ownership TEXT NOT NULL CHECK (ownership IN ('channel', 'status', 'not_for_sale')),
                target TEXT NOT NULL,
                since TEXT,
                PRIMARY KEY (event_key, label)
            ) WITHOUT ROWID""",
            """CREATE TABLE runs (
                run_id INTEGER PRIMARY KEY AUTOINCREMENT,
                mode TEXT NOT NULL CHECK (mode IN ('apply', 'dry-run')),
                performance_ids TEXT NOT NULL CHECK (json_valid(performance_ids)),
                started_at TEXT NOT NULL,
                finished_at TEXT,
                plan TEXT CHECK (plan IS NULL OR json_valid(plan)),
                summary TEXT CHECK (summary IS NULL OR json_valid(summary))
            )""",
            """CREATE TABLE ops (
                run_id INTEGER NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
                op_index INTEGER NOT NULL,
                op TEXT NOT NULL CHECK (json_valid(op)),
                state TEXT NOT NULL CHECK (state IN ('started', 'done', 'failed', 'unknown')),
                error TEXT,
                started_at TEXT NOT NULL,
                finished_at TEXT,
                PRIMARY KEY (run_id, op_index)
            ) WITHOUT ROWID""",
            "CREATE INDEX ops_unfinished ON ops (run_id) WHERE state = 'started'",
            """CREATE TABLE run_performances (
                performance_id INTEGER NOT NULL,
                run_id INTEGER NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
                PRIMARY KEY (performance_id, run_id)
            ) WITHOUT ROWID""",
            "CREATE INDEX run_performances_by_run ON run_performances (run_id)",
        ),
        (
            # a JSON column's CHECK casts to json: bad JSON raises a data error, which the store
            # turns into ValueError like SQLite's json_valid check
            """CREATE TABLE ledger (
                venue TEXT NOT NULL,
                event_key TEXT NOT NULL,
                label TEXT NOT NULL,
                ownership TEXT NOT NULL CHECK (ownership IN ('channel', 'status', 'not_for_sale')),
                target TEXT NOT NULL,
                since TIMESTAMPTZ,
                PRIMARY KEY (venue, event_key, label)
            )""",
            """CREATE TABLE runs (
                run_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                venue TEXT NOT NULL,
                mode TEXT NOT NULL CHECK (mode IN ('apply', 'dry-run')),
                performance_ids TEXT NOT NULL CHECK (performance_ids::json IS NOT NULL),
                started_at TIMESTAMPTZ NOT NULL,
                finished_at TIMESTAMPTZ,
                plan TEXT CHECK (plan IS NULL OR plan::json IS NOT NULL),
                summary TEXT CHECK (summary IS NULL OR summary::json IS NOT NULL)
            )""",
            "CREATE INDEX runs_by_venue ON runs (venue, run_id)",
            "CREATE INDEX runs_unfinished ON runs (venue, run_id) WHERE finished_at IS NULL",
            """CREATE TABLE ops (
                run_id BIGINT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
                venue TEXT NOT NULL,
                op_index INTEGER NOT NULL,
                op TEXT NOT NULL CHECK (op::json IS NOT NULL),
                state TEXT NOT NULL CHECK (state IN ('started', 'done', 'failed', 'unknown')),
                error TEXT,
                started_at TIMESTAMPTZ NOT NULL,
                finished_at TIMESTAMPTZ,
                PRIMARY KEY (run_id, op_index)
            )""",
            "CREATE INDEX ops_unfinished ON ops (venue, run_id) WHERE state = 'started'",
            """CREATE TABLE run_performances (
                venue TEXT NOT NULL,
                performance_id BIGINT NOT NULL,
                run_id BIGINT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
                PRIMARY KEY (venue, performance_id, run_id)
            )""",
            "CREATE INDEX run_performances_by_run ON run_performances (run_id)",
        ),
    ),
    Migration(
        2,
        "ledger performance ids, performance status, for-sale budget, leases",
        (
            "ALTER TABLE ledger ADD COLUMN performance_id INTEGER",
            """CREATE TABLE performance_status (
                performance_id INTEGER PRIMARY KEY,
                event_key TEXT,
                last_sync TEXT NOT NULL,
                outcome TEXT NOT NULL
                    CHECK (outcome IN ('converged', 'conflicts', 'error', 'refused')),
                drift INTEGER NOT NULL CHECK (drift >= 0),
                conflicts INTEGER NOT NULL CHECK (conflicts >= 0),
                errors INTEGER NOT NULL CHECK (errors >= 0),
                last_error TEXT,
                run_id INTEGER
            )""",
            """CREATE TABLE for_sale_calls (
                call_id INTEGER PRIMARY KEY,
                event_key TEXT NOT NULL,
                called_at TEXT NOT NULL,
                remaining INTEGER,
                resets_at TEXT
            )""",
            "CREATE INDEX for_sale_calls_by_event ON for_sale_calls (event_key, called_at)",
            """CREATE TABLE leases (
                performance_id INTEGER PRIMARY KEY,
                holder TEXT NOT NULL,
                expires_at TEXT NOT NULL
            )""",
        ),
        (
            "ALTER TABLE ledger ADD COLUMN performance_id BIGINT",
            """CREATE TABLE performance_status (
                venue TEXT NOT NULL,
                performance_id BIGINT NOT NULL,
                event_key TEXT,
                last_sync TIMESTAMPTZ NOT NULL,
                outcome TEXT NOT NULL
                    CHECK (outcome IN ('converged', 'conflicts', 'error', 'refused')),
                drift INTEGER NOT NULL CHECK (drift >= 0),
                conflicts INTEGER NOT NULL CHECK (conflicts >= 0),
                errors INTEGER NOT NULL CHECK (errors >= 0),
                last_error TEXT,
                run_id BIGINT,
                PRIMARY KEY (venue, performance_id)
            )""",
            """CREATE TABLE for_sale_calls (
                call_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                venue TEXT NOT NULL,
                event_key TEXT NOT NULL,
                called_at TIMESTAMPTZ NOT NULL,
                remaining INTEGER,
                resets_at TIMESTAMPTZ
            )""",
            "CREATE INDEX for_sale_calls_by_event ON for_sale_calls (venue, event_key, called_at)",
            # held iff the row exists, has not run out AND its database session (pid plus backend
            # start, so a reused pid does not count) is still connected: see bridge.store.postgres
            """CREATE TABLE leases (
                venue TEXT NOT NULL,
                performance_id BIGINT NOT NULL,
                holder TEXT NOT NULL,
                expires_at TIMESTAMPTZ NOT NULL,
                session_pid INTEGER NOT NULL,
                session_start TIMESTAMPTZ NOT NULL,
                PRIMARY KEY (venue, performance_id)
            )""",
        ),
    ),
    Migration(
        3,
        "seat table sizes, so a table that lost rows since the last run is noticed",
        (
            """CREATE TABLE seat_tables (
                seat_map_id INTEGER PRIMARY KEY,
                row_count INTEGER NOT NULL,
                recorded_at TEXT NOT NULL
            )""",
        ),
        (
            """CREATE TABLE seat_tables (
                venue TEXT NOT NULL,
                seat_map_id BIGINT NOT NULL,
                row_count INTEGER NOT NULL,
                recorded_at TIMESTAMPTZ NOT NULL,
                PRIMARY KEY (venue, seat_map_id)
            )""",
        ),
    ),
    Migration(
        4,
        "daemon notes: what a running daemon tells `seatbridge status` (role, next runs, refusals)",
        (
            """CREATE TABLE daemon_notes (
                key TEXT PRIMARY KEY,
                value TEXT NOT NULL,
                updated_at TEXT NOT NULL
            )""",
        ),
        (
            """CREATE TABLE daemon_notes (
                venue TEXT NOT NULL,
                key TEXT NOT NULL,
                value TEXT NOT NULL,
                updated_at TIMESTAMPTZ NOT NULL,
                PRIMARY KEY (venue, key)
            )""",
        ),
    ),
    Migration(
        5,
        "instances: the daemons announced on the store, for `seatbridge status` and the cluster",
        (
            """CREATE TABLE instances (
                holder TEXT PRIMARY KEY,
                listen TEXT NOT NULL,
                units TEXT NOT NULL CHECK (json_valid(units)),
                started_at TEXT NOT NULL,
                seen_at TEXT NOT NULL
            )""",
        ),
        (
            """CREATE TABLE instances (
                venue TEXT NOT NULL,
                holder TEXT NOT NULL,
                listen TEXT NOT NULL,
                units TEXT NOT NULL CHECK (units::json IS NOT NULL),
                started_at TIMESTAMPTZ NOT NULL,
                seen_at TIMESTAMPTZ NOT NULL,
                session_pid INTEGER NOT NULL,
                session_start TIMESTAMPTZ NOT NULL,
                PRIMARY KEY (venue, holder)
            )""",
        ),
    ),
    Migration(
        6,
        "lingering leases: a run that stopped with a write in flight keeps its unit until then",
        (
            # a lingering lease is over for its run but held off from successors until it runs
            # out, whatever happens to its process: see bridge.reconcile.leases (clean stop)
            "ALTER TABLE leases ADD COLUMN lingering INTEGER NOT NULL DEFAULT 0",
        ),
        ("ALTER TABLE leases ADD COLUMN lingering BOOLEAN NOT NULL DEFAULT false",),
    ),
    Migration(
        7,
        "write-back holds: the Tessitura seats the bridge holds because seats.io sold them",
        (
            """CREATE TABLE writeback_holds (
                performance_id INTEGER NOT NULL,
                seat_id INTEGER NOT NULL,
                label TEXT NOT NULL,
                event_key TEXT NOT NULL,
                hold_code_id INTEGER NOT NULL,
                since TEXT,
                PRIMARY KEY (performance_id, seat_id)
            ) WITHOUT ROWID""",
        ),
        (
            """CREATE TABLE writeback_holds (
                venue TEXT NOT NULL,
                performance_id BIGINT NOT NULL,
                seat_id BIGINT NOT NULL,
                label TEXT NOT NULL,
                event_key TEXT NOT NULL,
                hold_code_id BIGINT NOT NULL,
                since TIMESTAMPTZ,
                PRIMARY KEY (venue, performance_id, seat_id)
            )""",
        ),
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version

_VERSION_TABLE = """CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    description TEXT NOT NULL,
    applied_at TEXT NOT NULL
)"""


#: PostgreSQL's version table (the SQLite one above, with a real timestamp).
POSTGRES_VERSION_TABLE = """CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    description TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL
)"""


def found_version(tables: Collection[str], stored: Callable[[], int]) -> int | None:
    """A database's schema version from its table names: 0 when it has no tables, None when it
    has tables but no ``schema_version`` (someone else's database), else what ``stored`` reads."""
    if "schema_version" not in tables:
        return 0 if not tables else None
    return stored()


def pending(found: int | None, source: str, *, database: str, unit: str) -> list[Migration]:
    """The migrations a database at version ``found`` still needs, oldest first. Someone else's
    database (None) and one from a newer seatbridge are refused (ConfigError), since this code
    cannot know what the newer columns mean: ``database`` names its kind in the message ("an
    SQLite database"), ``unit`` what to point at instead ("file")."""
    if found is None:
        raise ConfigError(
            f"{source} is {database} but not a seatbridge state store "
            "(no schema_version table); refusing to write into it"
        )
    if found > LATEST_VERSION:
        raise ConfigError(
            f"{source} has state store schema version {found}, newer than this seatbridge "
            f"knows (up to {LATEST_VERSION}); upgrade seatbridge or point it at another {unit}"
        )
    return [migration for migration in MIGRATIONS if migration.version > found]


def failed(source: str, migration: Migration, unit: str, error: str) -> ConfigError:
    """The error for a migration that failed: the transaction is rolled back, so the ``unit``
    (file, database) is as it was."""
    return ConfigError(
        f"{source}: upgrading to schema version {migration.version} "
        f"({migration.description}) failed, the {unit} is unchanged: {error}"
    )


def _max_version(conn: sqlite3.Connection) -> int:
    (version,) = conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
    return int(version)


def migrate(conn: sqlite3.Connection, source: str, applied_at: str) -> int:
    """Bring the SQLite database up to LATEST_VERSION in one transaction and return the version.

    ``conn`` must be in autocommit mode (isolation_level=None): DDL runs inside our own
    BEGIN IMMEDIATE, so two processes opening one old file upgrade it once, and a failure leaves
    the file as it was. ``source`` names the file in error messages; ``applied_at`` is
    ISO-8601 UTC text.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        tables = {
            name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        found = found_version(tables, lambda: _max_version(conn))
        todo = pending(found, source, database="an SQLite database", unit="file")
        if todo:
            conn.execute(_VERSION_TABLE)
        for migration in todo:
            try:
                for statement in migration.sqlite:
                    conn.execute(statement)
            except sqlite3.Error as exc:
                raise failed(source, migration, "file", str(exc)) from exc
            conn.execute(
                "INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.description, applied_at),
            )
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return LATEST_VERSION
