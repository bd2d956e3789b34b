"""Leases and instances on PostgreSQL: rows tied to the store's own database session.

The store keeps one dedicated autocommit "presence" connection for its whole life (not a pooled
one), and each lease or instance row names that session: ``pg_backend_pid()`` plus its
``backend_start``, so a reused pid does not count. A lease is held iff its row exists, has not run
out AND that session is still connected. A process that dies, even by SIGKILL, has its socket
closed by the kernel, its backend exits, and its leases are free at once; ``expires_at`` stays the
backstop for a network partition, where the server may keep a half-open session until TCP
keepalives (about 25 s, set on both sides) give up on it.

Why row locks and session identity rather than advisory locks: an advisory lock belongs to a
connection, so a pooled connection would carry it back to the pool (and to whichever method
borrows it next), while a dedicated connection per lease would cost one connection per unit in
flight. The row also records who holds what until when, which ``seatbridge status`` shows from any
host; an advisory lock does not. Exclusivity comes from one conditional upsert: under READ
COMMITTED a racing upsert waits for the other's commit and re-checks its condition against the row
that one wrote, so two cannot both win. Within one store object several holder strings share the
one session, so exclusivity among them comes from the row logic exactly as on SQLite.

Liveness is read from ``pg_stat_activity``. Without ``pg_read_all_stats`` a role sees
``backend_start`` of other roles' sessions as NULL; such a session counts as alive (its lease then
ends only by release or expiry, never early), so give every instance the same role for prompt
take-over.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

import psycopg

Conn = psycopg.Connection[tuple[Any, ...]]


def alive(table: str) -> str:
    """SQL: the session named by ``table``'s session_pid/session_start is still connected."""
    return (
        f"EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = {table}.session_pid"
        f" AND (a.backend_start = {table}.session_start OR a.backend_start IS NULL))"
    )


#: The time a lease statement judges by: the server's own clock (``now()``, the statement's
#: transaction start), never the process's. ``%(now)s`` is NULL from the bridge; only a test that
#: stands in for the server's clock passes a time (see ``SqlStore._lease_now``).
STORE_NOW = "coalesce(%(now)s::timestamptz, now())"
#: When a lease taken or renewed now runs out, by the server's clock.
EXPIRES = "coalesce(%(expires_at)s::timestamptz, now() + make_interval(secs => %(ttl_s)s::float8))"
#: Held: not run out by the server's clock, and its session still connected (or, lingering, the
#: run is over and only waits out what it may still have in flight: no session to lose).
HELD = f"l.expires_at > {STORE_NOW} AND (l.lingering OR {alive('l')})"

#: Take or renew: free, run out, already the holder's, still ``reclaim``'s, or its session gone;
#: a lingering lease only once it ran out. Returns whether the row names a live session: False
#: means OUR session died unnoticed.
ACQUIRE_LEASE = f"""INSERT INTO leases AS l (venue, performance_id, holder, expires_at,
    session_pid, session_start)
VALUES (%(venue)s, %(performance_id)s, %(holder)s, {EXPIRES}, %(session_pid)s,
    %(session_start)s)
ON CONFLICT (venue, performance_id) DO UPDATE SET
    holder = excluded.holder, expires_at = excluded.expires_at,
    session_pid = excluded.session_pid, session_start = excluded.session_start, lingering = false
WHERE l.expires_at <= {STORE_NOW} OR (NOT l.lingering AND (l.holder = excluded.holder
    OR l.holder = %(reclaim_from)s OR NOT {alive("l")}))
RETURNING {alive("l")}"""

#: Only the holder's row that still names this very (live) session: after the session was lost
#: and made anew, the lease may have been taken meanwhile, so it counts as lost.
RENEW_LEASE = f"""UPDATE leases AS l SET expires_at = {EXPIRES}
WHERE venue = %(venue)s AND performance_id = %(performance_id)s AND holder = %(holder)s
    AND NOT lingering AND session_pid = %(session_pid)s AND session_start = %(session_start)s
    AND {alive("l")}"""

#: The holder's row, whatever its session: nobody else took the unit since (taking it rewrites
#: the holder), so holding it off from successors a little longer is the holder's to do.
LINGER_LEASE = f"""UPDATE leases AS l SET expires_at = {EXPIRES}, lingering = true
WHERE venue = %(venue)s AND performance_id = %(performance_id)s AND holder = %(holder)s
    AND NOT lingering"""

LEASE_HOLDER = f"""SELECT holder FROM leases AS l
WHERE venue = %(venue)s AND performance_id = %(performance_id)s AND {HELD}"""

LEASES = f"""SELECT performance_id, holder, expires_at, lingering FROM leases AS l
WHERE venue = %(venue)s AND {HELD}
ORDER BY performance_id"""

#: A holder's leases (not lingering) with the server's time they were judged at.
HELD_LEASES = f"""SELECT performance_id, expires_at, {STORE_NOW} FROM leases AS l
WHERE venue = %(venue)s AND holder = %(holder)s AND NOT l.lingering AND {HELD}"""

ANNOUNCE_INSTANCE = """INSERT INTO instances (venue, holder, listen, units, started_at, seen_at,
    session_pid, session_start)
VALUES (%(venue)s, %(holder)s, %(listen)s, %(units)s, %(now)s, %(now)s, %(session_pid)s,
    %(session_start)s)
ON CONFLICT (venue, holder) DO UPDATE SET
    listen = excluded.listen, units = excluded.units, seen_at = excluded.seen_at,
    session_pid = excluded.session_pid, session_start = excluded.session_start"""

INSTANCES = f"""SELECT holder, listen, units, started_at, seen_at,
    seen_at > %(cutoff)s AND {alive("i")}
FROM instances AS i WHERE venue = %(venue)s ORDER BY holder COLLATE "C\""""


def identity_of(conn: Conn) -> tuple[int, datetime]:
    """(pid, backend start) of ``conn``'s session."""
    row = conn.execute(
        "SELECT pid, backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()"
    ).fetchone()
    assert row is not None
    return int(row[0]), row[1]


class Presence:
    """The store's presence session, made anew when it is found broken or dead: the new identity
    does not match the old rows, so the leases they name count as lost."""

    def __init__(
        self,
        connect: Callable[[], Conn],
        conn: Conn,
        unreachable: Callable[[BaseException], Exception],
    ) -> None:
        self._connect = connect
        self._unreachable = unreachable
        self._lock = threading.Lock()
        self._conn: Conn | None = conn
        self.identity = identity_of(conn)

    def current(self) -> tuple[int, datetime]:
        """The session's identity, reconnecting first if the connection is known broken."""
        with self._lock:
            conn = self._conn
            if conn is None or conn.closed or conn.broken:
                self._reconnect()
            return self.identity

    def lost(self, identity: tuple[int, datetime]) -> None:
        """The database says session ``identity`` is gone: make a new one (unless done already)."""
        with self._lock:
            if self.identity == identity:
                self._reconnect()

    def _reconnect(self) -> None:
        old, self._conn = self._conn, None
        if old is not None:
            old.close()
        try:
            conn = self._connect()
            identity = identity_of(conn)
        except psycopg.OperationalError as exc:
            raise self._unreachable(exc) from exc
        self._conn, self.identity = conn, identity

    def close(self) -> None:
        with self._lock:
            conn, self._conn = self._conn, None
            if conn is not None:
                conn.close()
