"""The daemon's config reload, on a copy of the sandbox config: apply, refuse, keep the last good.

No sleeps: every edit sets the file's mtime explicitly (os.utime), so a poll sees it whatever the
file system's timestamp resolution.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
from pathlib import Path

import pytest

from bridge.config import BridgeConfig, load_config
from bridge.daemon.reload import (
    ConfigWatcher,
    Reload,
    ReloadResult,
    RowChanges,
    describe_changes,
    restart_needed,
    row_changes,
    section_changes,
    watched_files,
)

REPO = Path(__file__).resolve().parents[2]
SEATS = Path("mappings/sample/seats-12.csv")
HOLDS = Path("mappings/sample/hold-codes.csv")
CONFIG = Path("config/sandbox.toml")
LOCATED = re.compile(r"^[^\s:]+:\d+:\d+: ")  # file:line:col: message

TESS_SECRET = "hunter2-TESS-SECRET-4711"
SEATSIO_SECRET = "sk-SEATSIO-SECRET-0815"

_clock = itertools.count(1)


@pytest.fixture
def cfg_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``tmp/config/sandbox.toml`` with its secrets and ``tmp/mappings/sample``; the working
    directory is ``tmp`` (so files show as ``mappings/sample/...``), no SEATBRIDGE_* is set."""
    for name in (
        "SEATBRIDGE_CONFIG",
        "SEATBRIDGE_TESSITURA_PASSWORD",
        "SEATBRIDGE_SEATSIO_SECRET_KEY",
    ):
        monkeypatch.delenv(name, raising=False)
    shutil.copytree(REPO / "config" / "sandbox-secrets", tmp_path / "config" / "sandbox-secrets")
    shutil.copy(REPO / "config" / "sandbox.toml", tmp_path / "config" / "sandbox.toml")
    shutil.copytree(REPO / "mappings" / "sample", tmp_path / "mappings" / "sample")
    monkeypatch.chdir(tmp_path)
    return tmp_path / CONFIG


def bump(path: Path) -> None:
    """Give ``path`` a new, later mtime than any before (as an editor's save would)."""
    ns = 2_000_000_000_000_000_000 + next(_clock) * 1_000_000_000
    os.utime(path, ns=(ns, ns))


def write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    bump(path)


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= count, old
    write(path, text.replace(old, new, count))


def watcher_for(path: Path) -> tuple[ConfigWatcher, BridgeConfig, list[Path]]:
    """A watcher on the loaded config; the list records every file it reads."""
    cfg = load_config(path)
    reads: list[Path] = []

    def read(p: Path) -> bytes:
        reads.append(p)
        return p.read_bytes()

    return ConfigWatcher(path, cfg, read=read), cfg, reads


def assert_applied(reload: Reload | None) -> Reload:
    assert reload is not None
    assert reload.result == ReloadResult.APPLIED, reload.errors
    assert reload.config is not None
    assert reload.errors == []
    return reload


def assert_refused(reload: Reload | None) -> Reload:
    assert reload is not None
    assert reload.result == ReloadResult.REFUSED, reload.changes
    assert reload.config is None
    assert reload.changes == []
    assert reload.errors
    for line in reload.errors:
        assert "\n" not in line and "Traceback" not in line
    return reload


# --------------------------------------------------------------------------- watched files


def test_the_config_every_table_and_the_secret_files_are_watched(cfg_path: Path) -> None:
    cfg = load_config(cfg_path)
    files = watched_files(cfg, cfg_path)
    root = cfg_path.parent.parent
    assert files[:4] == [
        root / CONFIG,
        root / HOLDS,
        root / "mappings/sample/performances.csv",
        root / SEATS,
    ]
    assert set(files[4:]) == {
        root / "mappings/sample/seasons.csv",
        root / "config/sandbox-secrets/tessitura-password",
        root / "config/sandbox-secrets/seatsio-secret-key",
    }
    assert all(p.is_absolute() for p in files)


# --------------------------------------------------------------------------- polling


def test_nothing_changed_is_none_and_reads_no_file(cfg_path: Path) -> None:
    watcher, cfg, reads = watcher_for(cfg_path)
    reads.clear()
    assert watcher.check() is None
    assert watcher.check() is None
    assert reads == []  # mtime and size held: nothing was read again
    assert watcher.current is cfg


def test_a_touch_without_an_edit_is_none(cfg_path: Path) -> None:
    watcher, cfg, reads = watcher_for(cfg_path)
    reads.clear()
    bump(cfg_path.parent.parent / SEATS)
    bump(cfg_path)
    assert watcher.check() is None
    assert len(reads) == 2  # both were hashed again, and found the same
    reads.clear()
    assert watcher.check() is None
    assert reads == []
    assert watcher.current is cfg


def test_an_edited_seat_table_is_applied_with_row_counts(cfg_path: Path) -> None:
    watcher, old, _ = watcher_for(cfg_path)
    seats = cfg_path.parent.parent / SEATS
    edit(seats, "10001,Orchestra-A-1\n", "10001,Orchestra-A-1x\n")
    edit(seats, "10002,Orchestra-A-2\n", "10002,Orchestra-A-2x\n")
    edit(seats, "10003,Orchestra-A-3\n", "")
    edit(
        seats,
        "12000,Balcony-P-32\n",
        "12000,Balcony-P-32\n12001,Balcony-P-33\n12002,Balcony-P-34\n",
    )

    reload = assert_applied(watcher.check())
    assert reload.changes == [f"{SEATS}: 2 rows added, 1 removed, 2 changed"]
    assert reload.config is watcher.current
    assert reload.config is not old
    assert reload.config.tables.seat_tables[12].labels[10001] == "Orchestra-A-1x"
    assert watcher.check() is None  # applied once


def test_a_hold_code_edit_counts_rules_and_channels(cfg_path: Path) -> None:
    watcher, _, _ = watcher_for(cfg_path)
    edit(
        cfg_path.parent.parent / HOLDS,
        "6,channel,subscribers,6,Subscribers,#1E8449,held-subscription",
        "6,channel,subscribers,6,Season subscribers,#1E8449,held-subscription\n"
        "7,status,held-vip,7,,,",
    )
    reload = assert_applied(watcher.check())
    assert reload.changes == [
        f"{HOLDS}: 1 row added, 0 removed, 1 changed; channels: 0 added, 0 removed, 1 changed"
    ]


def test_a_settings_edit_names_the_sections_only(cfg_path: Path) -> None:
    watcher, _, _ = watcher_for(cfg_path)
    edit(cfg_path, "discovery_every_s = 60", "discovery_every_s = 90")
    edit(cfg_path, "mass_release_floor = 50", "mass_release_floor = 40")
    reload = assert_applied(watcher.check())
    assert reload.changes == [f"{CONFIG}: sections changed: schedule, safety"]
    assert reload.config is not None and reload.config.schedule.discovery_every_s == 90


def test_a_comment_edit_is_applied_and_says_no_setting_differs(cfg_path: Path) -> None:
    watcher, _, _ = watcher_for(cfg_path)
    edit(cfg_path, "[http]", "# a comment\n[http]")
    edit(cfg_path.parent.parent / SEATS, "seat_id,label", "# hand edit\nseat_id,label")
    reload = assert_applied(watcher.check())
    assert reload.changes == [
        f"{CONFIG}: edited, no setting differs",
        f"{SEATS}: edited, no row differs",
    ]


# --------------------------------------------------------------------------- refusals


def test_a_broken_table_is_refused_once_and_the_last_good_config_kept(cfg_path: Path) -> None:
    watcher, good, _ = watcher_for(cfg_path)
    seats = cfg_path.parent.parent / SEATS
    edit(seats, "10003,Orchestra-A-3", "abc,Orchestra-A-3")

    reload = assert_refused(watcher.check())
    assert reload.errors == [f"{SEATS}:8:1: malformed number in seat_id 'abc' (expected digits)"]
    assert watcher.current is good
    assert watcher.check() is None  # the same broken content is not reported on every poll
    bump(seats)
    assert watcher.check() is None  # nor when only touched

    edit(seats, "abc,Orchestra-A-3", "10003,Orchestra-A-3b")  # fixed, with an edit
    reload = assert_applied(watcher.check())
    assert reload.changes == [f"{SEATS}: 0 rows added, 0 removed, 1 changed"]
    assert watcher.current is reload.config


def test_broken_toml_is_refused_with_its_location_then_fixed(cfg_path: Path) -> None:
    watcher, good, _ = watcher_for(cfg_path)
    line = cfg_path.read_text(encoding="utf-8").splitlines().index("[schedule]") + 1
    edit(cfg_path, "[schedule]", "[schedule")
    reload = assert_refused(watcher.check())
    assert len(reload.errors) == 1
    assert LOCATED.match(reload.errors[0])
    assert reload.errors[0].startswith(f"{CONFIG}:{line}:10: invalid TOML")
    assert watcher.current is good
    assert watcher.check() is None

    edit(cfg_path, "[schedule", "[schedule]")
    edit(cfg_path, "default_every_s = 300", "default_every_s = 240")
    reload = assert_applied(watcher.check())
    assert reload.changes == [f"{CONFIG}: sections changed: schedule"]


def test_several_problems_each_on_one_located_line(cfg_path: Path) -> None:
    watcher, good, _ = watcher_for(cfg_path)
    edit(cfg_path, "regular_lane_limit = 5", "regular_lane_limit = 50")
    edit(cfg_path.parent.parent / SEATS, "10003,", "x,")
    edit(cfg_path.parent.parent / SEATS, "10004,", "y,")
    reload = assert_refused(watcher.check())
    assert len(reload.errors) == 3
    assert all(LOCATED.match(line) for line in reload.errors)
    assert watcher.current is good


def test_reverting_a_refused_edit_is_unchanged(cfg_path: Path) -> None:
    watcher, good, _ = watcher_for(cfg_path)
    original = cfg_path.read_text(encoding="utf-8")
    edit(cfg_path, "[schedule]", "[schedule")
    assert_refused(watcher.check())
    write(cfg_path, original)
    reload = watcher.check()
    assert reload == Reload(ReloadResult.UNCHANGED, good)


def test_a_deleted_table_is_refused_in_one_line(cfg_path: Path) -> None:
    watcher, good, _ = watcher_for(cfg_path)
    seats = cfg_path.parent.parent / SEATS
    kept = seats.read_bytes()
    seats.unlink()

    reload = assert_refused(watcher.check())
    assert len(reload.errors) == 1
    assert LOCATED.match(reload.errors[0])
    assert "table file not found" in reload.errors[0] and str(SEATS) in reload.errors[0]
    assert watcher.current is good
    assert watcher.check() is None

    seats.write_bytes(kept)
    bump(seats)
    assert watcher.check() == Reload(ReloadResult.UNCHANGED, good)


def test_a_deleted_config_file_is_refused_in_one_line(cfg_path: Path) -> None:
    watcher, good, _ = watcher_for(cfg_path)
    cfg_path.unlink()
    reload = assert_refused(watcher.check())
    assert len(reload.errors) == 1
    assert reload.errors[0].startswith(f"{CONFIG}: cannot read config")
    assert watcher.current is good
    assert watcher.check() is None


def test_an_unreadable_table_is_a_refusal_not_a_crash(cfg_path: Path) -> None:
    cfg = load_config(cfg_path)
    seats = (cfg_path.parent.parent / SEATS).absolute()
    broken = False

    def read(p: Path) -> bytes:
        if broken and p == seats:
            raise PermissionError(13, "Permission denied", str(p))
        return p.read_bytes()

    def load(p: Path) -> BridgeConfig:
        if broken:
            raise PermissionError(13, "Permission denied", str(seats))
        return load_config(p)

    watcher = ConfigWatcher(cfg_path, cfg, load, read=read)
    broken = True
    bump(seats)
    reload = assert_refused(watcher.check())
    assert reload.errors == [f"{SEATS}: cannot read: Permission denied"]
    assert watcher.check() is None
    assert watcher.current is cfg


def test_a_new_seat_table_is_watched_while_refused(cfg_path: Path) -> None:
    """The config names a table that is not there yet: refused; creating it is noticed."""
    watcher, _, _ = watcher_for(cfg_path)
    edit(
        cfg_path,
        '12 = "../mappings/sample/seats-12.csv"',
        '12 = "../mappings/sample/seats-12.csv"\n13 = "../mappings/sample/seats-13.csv"',
    )
    reload = assert_refused(watcher.check())
    assert "table file not found" in reload.errors[0]
    assert watcher.check() is None

    write(cfg_path.parent.parent / "mappings/sample/seats-13.csv", "seat_id,label\n1,Box-A-1\n")
    reload = assert_applied(watcher.check())
    assert reload.changes == [
        f"{CONFIG}: sections changed: mappings",
        "mappings/sample/seats-13.csv: seat map 13 added (1 row)",
    ]
    assert watcher.check() is None


# --------------------------------------------------------------------------- force (SIGHUP)


def test_force_on_identical_content_is_unchanged(cfg_path: Path) -> None:
    watcher, good, reads = watcher_for(cfg_path)
    reads.clear()
    reload = watcher.check(force=True)
    assert reload == Reload(ReloadResult.UNCHANGED, good)
    assert watcher.current is good
    assert set(reads) >= set(watched_files(good, cfg_path))  # forced: hashed, not trusted


def test_force_reports_a_refusal_again(cfg_path: Path) -> None:
    watcher, _, _ = watcher_for(cfg_path)
    edit(cfg_path, "[schedule]", "[schedule")
    first = assert_refused(watcher.check())
    assert watcher.check() is None
    assert assert_refused(watcher.check(force=True)).errors == first.errors


def test_force_sees_an_edit_that_kept_mtime_and_size(cfg_path: Path) -> None:
    watcher, _, _ = watcher_for(cfg_path)
    seats = cfg_path.parent.parent / SEATS
    st = seats.stat()
    seats.write_text(
        seats.read_text(encoding="utf-8").replace("Orchestra-A-1\n", "Orchestra-A-Z\n", 1),
        encoding="utf-8",
    )
    os.utime(seats, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert watcher.check() is None  # a poll trusts mtime and size
    reload = assert_applied(watcher.check(force=True))
    assert reload.changes == [f"{SEATS}: 0 rows added, 0 removed, 1 changed"]


# --------------------------------------------------------------------------- secrets


def test_secrets_never_appear_in_changes_or_errors(
    cfg_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEATBRIDGE_TESSITURA_PASSWORD", TESS_SECRET)
    key_file = cfg_path.parent / "sandbox-secrets" / "seatsio-secret-key"
    write(key_file, SEATSIO_SECRET + "\n")
    watcher, _, _ = watcher_for(cfg_path)
    shown: list[str] = []

    # a secret written into the config file: refused, the value not echoed
    edit(
        cfg_path, 'username = "seatbridge"', f'username = "seatbridge"\npassword = "{TESS_SECRET}"'
    )
    reload = assert_refused(watcher.check())
    assert any("tessitura.password" in line for line in reload.errors)
    shown += reload.errors
    # ... nor one in a URL
    edit(cfg_path, f'password = "{TESS_SECRET}"\n', "")
    edit(cfg_path, "http://127.0.0.1:7802", f"http://u:{SEATSIO_SECRET}@127.0.0.1:7802")
    shown += assert_refused(watcher.check()).errors
    edit(cfg_path, f"http://u:{SEATSIO_SECRET}@127.0.0.1:7802", "http://127.0.0.1:7802")

    # a rotated key file and a settings edit: applied, the secrets only said to have changed
    write(key_file, SEATSIO_SECRET + "-rotated\n")
    edit(cfg_path, "timeout_s = 10", "timeout_s = 12")  # [tessitura]
    reload = assert_applied(watcher.check())
    assert reload.changes == [
        f"{CONFIG}: sections changed: tessitura",
        "config/sandbox-secrets/seatsio-secret-key: changed",
        "secrets changed: seats.io secret key",
    ]
    shown += reload.changes

    # a new password in the environment, picked up by SIGHUP
    monkeypatch.setenv("SEATBRIDGE_TESSITURA_PASSWORD", TESS_SECRET + "-new")
    reload = assert_applied(watcher.check(force=True))
    assert reload.changes == ["secrets changed: tessitura password"]
    shown += reload.changes

    text = "\n".join(shown)
    for secret in (TESS_SECRET, SEATSIO_SECRET):
        assert secret not in text
    assert "hunter2" not in text and "SEATSIO-SECRET" not in text


# --------------------------------------------------------------------------- pure diffs


def test_row_changes_match_rows_by_key() -> None:
    old = {1: "a", 2: "b", 3: "c"}
    new = {2: "b", 3: "C", 4: "d", 5: "e"}
    assert row_changes(old, new) == RowChanges(added=2, removed=1, changed=1)
    assert not row_changes(old, dict(old))
    assert str(RowChanges(1, 0, 0)) == "1 row added, 0 removed, 0 changed"
    assert str(RowChanges(2, 1, 3)) == "2 rows added, 1 removed, 3 changed"


def test_section_changes_compare_each_section(cfg_path: Path) -> None:
    a = load_config(cfg_path)
    assert section_changes(a, load_config(cfg_path)) == []
    edit(cfg_path, 'level = "info"', 'level = "debug"')
    edit(cfg_path, "horizon_days = 120", "horizon_days = 90")
    b = load_config(cfg_path)
    assert section_changes(a, b) == ["discovery", "log"]


def test_describe_changes_of_a_moved_table(cfg_path: Path) -> None:
    a = load_config(cfg_path)
    root = cfg_path.parent.parent
    shutil.copy(root / "mappings/sample/performances.csv", root / "mappings/sample/perfs.csv")
    edit(cfg_path, "sample/performances.csv", "sample/perfs.csv")
    b = load_config(cfg_path)
    assert describe_changes(a, b, [cfg_path], cfg_path) == [
        f"{CONFIG}: sections changed: mappings",
        "mappings/sample/perfs.csv (was mappings/sample/performances.csv): no row differs",
    ]
    assert describe_changes(a, a) == []


def test_connection_and_scheduler_settings_are_named_as_waiting_for_a_restart(
    cfg_path: Path,
) -> None:
    watcher, started, _ = watcher_for(cfg_path)
    edit(cfg_path, "regular_lane_limit = 5", "regular_lane_limit = 4")
    edit(cfg_path, "discovery_every_s = 60", "discovery_every_s = 90")
    edit(cfg_path, "default_every_s = 300", "default_every_s = 240")  # applies at once
    (cfg_path.parent / "sandbox-secrets" / "seatsio-secret-key").write_text("sk-NEW-9999\n")
    new = assert_applied(watcher.check()).config
    assert new is not None
    pending = restart_needed(started, new)
    assert pending == ["[seatsio]", "[schedule] discovery_every_s", "seats.io secret key"]
    assert not any("9999" in line or "= 4" in line for line in pending)


def test_settings_read_on_every_run_need_no_restart(cfg_path: Path) -> None:
    watcher, started, _ = watcher_for(cfg_path)
    edit(cfg_path, "default_every_s = 300", "default_every_s = 240")
    new = assert_applied(watcher.check()).config
    assert new is not None and restart_needed(started, new) == []
