"""Account-wide lane budgets on PostgreSQL: a slot is a session-level advisory lock.

Slot ``s`` of a lane is the two-int4 advisory lock ``(k1, s)``, ``k1`` a negative int32 derived
from the account and lane, so it never meets a lock anyone else takes by a positive key. The locks
live on ONE dedicated autocommit connection per store (not a pooled one: a session lock would go
back to the pool with its connection). Advisory locks are exactly right here, unlike for leases:
a slot is held for the length of one request, nobody needs to read who holds it, and a process
that dies frees its slots the moment its session ends.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from typing import Any

import psycopg

Connect = Callable[[], "psycopg.Connection[tuple[Any, ...]]"]

# One round trip: the first free slot this session does not hold yet. Advisory locks are
# re-entrant within a session, so the slots already held are skipped BEFORE trying the lock: the
# CASE fixes that order (the planner may reorder AND-ed conditions), and LIMIT 1 stops at the
# first lock taken.
_TAKE = """SELECT s FROM generate_series(0, %(n)s - 1) AS s
WHERE CASE WHEN s = ANY(%(held)s::int[]) THEN false ELSE pg_try_advisory_lock(%(k1)s, s) END
LIMIT 1"""


def lane_key(account: str, lane: str) -> int:
    """The advisory lock's first key for one lane: a negative int32 from sha256, sign bit set."""
    digest = hashlib.sha256(f"{account}\0{lane}".encode()).digest()
    return (int.from_bytes(digest[:4], "big") | 0x8000_0000) - (1 << 32)


class LaneSession:
    """The store's one connection for lane slots, made on first use and again after it broke.

    ``held`` maps a lane's key to the slots this session holds: kept per session rather than per
    budget, so two budgets of one lane on one store never stack the same (re-entrant) lock.
    """

    def __init__(
        self, connect: Connect, unreachable: Callable[[BaseException], Exception], shown_url: str
    ) -> None:
        self._connect = connect
        #: the store's own error for a lost server (one message, the password scrubbed)
        self.unreachable = unreachable
        self.shown_url = shown_url
        self.lock = threading.Lock()
        self._conn: psycopg.Connection[tuple[Any, ...]] | None = None
        self.held: dict[int, set[int]] = {}
        self._closed = False

    def connection(self) -> psycopg.Connection[tuple[Any, ...]]:
        """The live connection, made if needed; call with ``lock`` held."""
        if self._closed:
            raise RuntimeError(f"state store {self.shown_url} is closed")
        conn = self._conn
        if conn is None or conn.closed or conn.broken:
            self.drop()
            try:
                conn = self._connect()
            except psycopg.OperationalError as exc:
                raise self.unreachable(exc) from exc
            self._conn = conn
        return conn

    def current(self) -> psycopg.Connection[tuple[Any, ...]] | None:
        """The connection if it is still usable, never making one; call with ``lock`` held."""
        conn = self._conn
        return None if conn is None or conn.closed or conn.broken else conn

    def drop(self) -> None:
        """Forget the connection and its slots (they died with its session); call with ``lock``
        held."""
        self.held.clear()
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def close(self) -> None:
        with self.lock:
            self._closed = True
            self.drop()


class PostgresLaneBudget:
    """The LaneBudget protocol: ``limit`` slots shared by every session using the database."""

    def __init__(self, session: LaneSession, account: str, lane: str, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"a lane budget needs a positive limit: {limit}")
        self.limit = limit
        self.account = account
        self.lane = lane
        self._session = session
        self._k1 = lane_key(account, lane)

    def try_take(self) -> int | None:
        """A free slot in [0, limit), or None while live sessions hold all of them."""
        session = self._session
        with session.lock:
            conn = session.connection()
            held = session.held.setdefault(self._k1, set())
            try:
                row = conn.execute(
                    _TAKE, {"n": self.limit, "held": sorted(held), "k1": self._k1}
                ).fetchone()
            except psycopg.OperationalError as exc:
                session.drop()
                raise session.unreachable(exc) from exc
            if row is None:
                return None
            slot = int(row[0])
            held.add(slot)
            return slot

    def give(self, slot: int) -> None:
        """Free ``slot``; one this budget does not hold is ignored. A broken connection is not an
        error here: the slot died with its session, so it is free either way."""
        session = self._session
        with session.lock:
            held = session.held.get(self._k1, set())
            if slot not in held:
                return
            held.discard(slot)
            conn = session.current()
            try:
                if conn is None:
                    raise psycopg.OperationalError("the lane connection is gone")
                conn.execute("SELECT pg_advisory_unlock(%s, %s)", (self._k1, slot)).fetchone()
            except psycopg.OperationalError:
                session.drop()

    @property
    def held(self) -> frozenset[int]:
        """The slots of this lane the store's session holds now (for tests and `status`)."""
        with self._session.lock:
            return frozenset(self._session.held.get(self._k1, ()))
