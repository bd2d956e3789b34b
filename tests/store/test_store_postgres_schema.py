"""Opening a PostgreSQL store: the schema is made once however many instances start together,
newer or foreign databases are refused, and no failure message ever shows a password."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from bridge.errors import ConfigError
from bridge.store import migrations
from bridge.store.migrations import LATEST_VERSION, MIGRATIONS, Migration
from bridge.store.postgres import PostgresStore, open_postgres
from bridge.testing.postgres import fresh_database, unavailable

SECRET = "pa55-w0rd-nobody-may-see"


@pytest.fixture
def empty_url() -> Iterator[str]:
    """A database of its own, empty: these tests are about what opening does to it."""
    reason = unavailable()
    if reason is not None:
        pytest.skip(reason)
    with fresh_database("seatbridge_schema") as url:
        yield url


def query(url: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(sql).fetchall()


def run(url: str, sql: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def versions(url: str) -> list[int]:
    return [v for (v,) in query(url, "SELECT version FROM schema_version ORDER BY version")]


def test_instances_opening_an_empty_database_together_migrate_it_once(empty_url: str) -> None:
    start = threading.Barrier(6)
    opened: list[PostgresStore] = []
    failures: list[BaseException] = []

    def open_one() -> None:
        start.wait()
        try:
            opened.append(open_postgres(empty_url, pool_size=1))
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for store in opened:
        store.close()
    assert failures == []
    assert len(opened) == 6
    assert versions(empty_url) == list(range(1, LATEST_VERSION + 1))


def test_reopening_a_current_database_changes_nothing(empty_url: str) -> None:
    with open_postgres(empty_url) as store:
        assert store.schema_version == LATEST_VERSION
        store.put_note("k", "1")
    with open_postgres(empty_url) as store:
        assert [n.key for n in store.notes()] == ["k"]
    assert versions(empty_url) == list(range(1, LATEST_VERSION + 1))


def test_a_database_from_a_newer_seatbridge_is_refused(empty_url: str) -> None:
    with open_postgres(empty_url):
        pass
    run(empty_url, "INSERT INTO schema_version VALUES (99, 'from the future', now())")
    with pytest.raises(ConfigError, match=f"version 99, newer .*up to {LATEST_VERSION}"):
        open_postgres(empty_url)


def test_another_programs_database_is_refused_and_left_alone(empty_url: str) -> None:
    run(empty_url, "CREATE TABLE customers (id INTEGER PRIMARY KEY)")
    with pytest.raises(ConfigError, match="not a seatbridge state store"):
        open_postgres(empty_url)
    tables = query(
        empty_url,
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
    )
    assert tables == [("customers",)]


def test_a_failing_migration_leaves_the_database_unchanged(
    empty_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = Migration(
        LATEST_VERSION + 1, "breaks halfway", (), ("CREATE TABLE halfway (x int)", "NOT SQL")
    )
    monkeypatch.setattr(migrations, "MIGRATIONS", (*MIGRATIONS, broken))
    monkeypatch.setattr(migrations, "LATEST_VERSION", broken.version)
    with pytest.raises(ConfigError, match=f"schema version {broken.version} .* unchanged"):
        open_postgres(empty_url)
    tables = query(
        empty_url,
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
    )
    assert tables == []


def test_an_unreachable_server_is_a_config_error_without_the_password() -> None:
    url = f"postgresql://seatbridge:{SECRET}@127.0.0.1:1/state"
    with pytest.raises(ConfigError, match="cannot connect to state store") as caught:
        open_postgres(url, password=SECRET)
    message = str(caught.value)
    assert SECRET not in message
    assert "127.0.0.1:1/state" in message
    assert "\n" not in message
    assert caught.value.__cause__ is None and caught.value.__context__ is not None


def test_a_refused_login_is_a_config_error_without_the_password(empty_url: str) -> None:
    missing = empty_url.rsplit("/", 1)[0] + "/seatbridge_no_such_database"
    with pytest.raises(ConfigError) as caught:
        open_postgres(missing, password=SECRET)
    assert SECRET not in str(caught.value)
    assert "seatbridge_no_such_database" in str(caught.value)


def test_the_password_is_passed_apart_from_the_url(empty_url: str) -> None:
    with open_postgres(empty_url, password=SECRET) as store:
        assert SECRET not in store.url
        assert SECRET not in repr(vars(store).get("url"))
