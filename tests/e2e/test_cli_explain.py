"""`seatbridge explain`, `history` and `status` against the sandbox served on loopback: one test
per rule an operator asks about (held, conflict, unknown kept, season fallback, owned or not),
the journal after a reconcile, and a status that fits 80 columns."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from served_sandbox import served_sandbox, store_path

from bridge.cli import EX_USAGE, main
from bridge.sandbox import Sandbox
from bridge.sandbox.control import Faults
from bridge.store import open_store
from bridge.store.base import PerformanceStatus, SyncOutcome


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Sandbox, Path]]:
    with served_sandbox(tmp_path, floor=0) as both:
        yield both


def invoke(config: Path, *args: str) -> Result:
    return CliRunner().invoke(main, [*args, "--config", str(config)], env={"COLUMNS": "80"})


def explain_json(config: Path, *args: str) -> dict[str, Any]:
    result = invoke(config, "explain", *args, "--json")
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def one_seat(config: Path, performance: int, label: str) -> dict[str, Any]:
    seats = explain_json(config, "--performance", str(performance), "--seat", label)["seats"]
    assert len(seats) == 1
    seat: dict[str, Any] = seats[0]
    return seat


def seat_id(box: Sandbox, label: str) -> int:
    sid: int = box.venue.seat_by_label(label).id
    return sid


def no_traceback(result: Result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def reconcile(config: Path, *performances: int) -> None:
    args = [a for p in performances for a in ("--performance", str(p))]
    result = invoke(config, "reconcile", *args)
    assert result.exit_code in (0, 3), result.output


# -- the rules ----------------------------------------------------------------------------------


def test_a_held_seat_names_its_code_channel_and_ledger_entry(served: tuple[Sandbox, Path]) -> None:
    _, config = served
    reconcile(config, 201)
    seat = one_seat(config, 201, "Orchestra-A-5")
    assert seat["state"] == "channel"
    assert seat["rule"].startswith("held by code 1 (House Seats)")
    assert "-> channel house" in seat["rule"]
    # every layer, with its priority and mapping row; the top rule decides
    holds = {h["code"]: h for h in seat["holds"]}
    assert set(holds) == {1, 2}
    assert holds[1]["wins"] and holds[1]["rule"]["target"] == "house"
    assert holds[2]["priority"] == 2 and holds[2]["rule"]["action"] == "status"
    assert seat["desired"] == seat["observed"] == {"kind": "channel", "target": "house"}
    assert [(o["event_key"], o["ownership"]) for o in seat["owned"]] == [("perf-201", "channel")]
    assert seat["journal"] and seat["journal"][0]["state"] == "done"
    assert (seat["x"], seat["y"], seat["section"]) == (5, 1, "Orchestra")

    text = invoke(config, "explain", "--performance", "201", "--seat", "Orchestra-A-5")
    assert text.exit_code == 0
    assert "rule:     held by code 1 (House Seats)" in text.stdout
    assert "owned on perf-201: channel house" in text.stdout
    assert all(len(line) <= 80 for line in text.stdout.splitlines()), text.stdout


def test_a_held_seat_not_yet_applied_says_what_the_next_reconcile_does(
    served: tuple[Sandbox, Path],
) -> None:
    _, config = served
    seat = one_seat(config, 201, "Orchestra-A-1")
    assert seat["state"] == "free"
    assert seat["desired"] == {"kind": "channel", "target": "house"}
    assert seat["owned"] == []
    assert "next reconcile: create channel house on perf-201" in seat["rule"]


def test_a_seat_sold_online_that_tessitura_holds_is_a_conflict(
    served: tuple[Sandbox, Path],
) -> None:
    box, config = served
    box.seatsio_world.book("perf-201", ["Orchestra-A-2"])  # sold before the bridge held it
    reconcile(config, 201)
    seat = one_seat(config, 201, "Orchestra-A-2")
    assert seat["state"] == "conflict"
    assert seat["rule"].startswith("conflict: sold online (booked) while Tessitura holds it")
    assert seat["observed"] == {"kind": "sold", "target": "booked"}
    facts = explain_json(config, "--performance", "201", "--code", "1")
    assert facts["conflicts"] == ["Orchestra-A-2"]
    assert len(facts["seats"]) == 10  # the house seats, code 1


def test_a_seat_sold_online_without_a_hold_is_sold_and_not_ours(
    served: tuple[Sandbox, Path],
) -> None:
    _, config = served
    seat = one_seat(config, 201, "Orchestra-G-10")
    assert seat["state"] == "sold"
    assert seat["rule"] == "sold online (booked): not the bridge's, left alone"


def test_an_unknown_hold_code_is_kept_as_is_never_free(
    served: tuple[Sandbox, Path], tmp_path: Path
) -> None:
    _, config = served
    reconcile(config, 201)
    codes = tmp_path / "hold-codes.csv"
    original = Path(re.findall(r'hold_codes = "([^"]+)"', config.read_text())[0])
    codes.write_text(
        "\n".join(line for line in original.read_text().splitlines() if not line.startswith("2,"))
        + "\n"
    )
    config.write_text(config.read_text().replace(str(original), str(codes)))
    seat = one_seat(config, 201, "Orchestra-F-15")  # press (code 2) has no rule any more
    assert seat["state"] == "unknown"
    assert seat["rule"] == "unknown hold code 2: no rule, kept as is"
    assert seat["desired"]["kind"] == "as_is"
    assert seat["observed"] == {"kind": "status", "target": "held-press"}  # still held
    assert seat["planned"] == []


def test_a_seat_missing_from_the_seat_table_is_an_unknown_seat_kept_as_is(
    served: tuple[Sandbox, Path], tmp_path: Path
) -> None:
    box, config = served
    reconcile(config, 201)
    table = tmp_path / "seats-12.csv"
    original = Path(re.findall(r'12 = "([^"]+)"', config.read_text())[0])
    gone = seat_id(box, "Orchestra-A-3")
    table.write_text(
        "\n".join(
            line for line in original.read_text().splitlines() if not line.startswith(f"{gone},")
        )
        + "\n"
    )
    config.write_text(config.read_text().replace(str(original), str(table)))
    data = explain_json(config, "--performance", "201", "--seat-id", str(gone))
    (seat,) = data["seats"]
    assert seat["label"] is None and seat["state"] == "unknown"
    assert seat["rule"].startswith(f"unknown seat: seat {gone} (code 1 (House Seats))")
    assert seat["rule"].endswith("kept as is")
    # what the bridge holds on that object stays held, and says so
    kept = one_seat(config, 201, "Orchestra-A-3")
    assert kept["state"] == "unknown" and kept["owned"]


def test_a_season_performance_that_cannot_be_read_makes_the_others_fall_back(
    served: tuple[Sandbox, Path],
) -> None:
    box, config = served
    # a refusal (400) rather than a 5xx: the same unreadable performance, without retry waits
    box.tessitura_control.set_faults(
        Faults(error_rate=1.0, error_status=400, path_pattern=r"Performances/105/Seats/Holds")
    )
    seat = one_seat(config, 101, "Mezzanine-C-10")
    assert seat["rule"].startswith("season fallback: season season-2026-27 cannot be planned")
    assert "held per event as status held-subscription" in seat["rule"]
    assert seat["season_key"] == "season-2026-27"
    unread = explain_json(config, "--performance", "105", "--seat", "Mezzanine-C-10")
    assert unread["read_error"] and unread["seats"][0]["state"] == "unknown"
    assert unread["seats"][0]["rule"] == "holds could not be read: kept as is"


def test_a_season_hold_in_every_performance_goes_to_the_season_channel(
    served: tuple[Sandbox, Path],
) -> None:
    _, config = served
    seat = one_seat(config, 101, "Mezzanine-C-10")
    assert seat["desired"] == {"kind": "channel", "target": "subscribers"}
    assert seat["rule"].startswith("held by code 6 (Subscription Hold) in the season's")


def test_a_bridge_status_the_ledger_does_not_know_is_not_ours(
    served: tuple[Sandbox, Path],
) -> None:
    box, config = served
    reconcile(config, 202)
    box.seatsio_world.set_status("perf-202", ["Orchestra-K-1"], "held-press")
    seat = one_seat(config, 202, "Orchestra-K-1")
    assert seat["state"] == "status" and seat["owned"] == []
    assert seat["rule"] == "not ours: status held-press is not in the ledger, left alone"
    owned = one_seat(config, 202, "Orchestra-A-1")
    assert owned["owned"] and owned["state"] == "channel"


def test_a_lifted_hold_the_bridge_owns_is_released(served: tuple[Sandbox, Path]) -> None:
    box, config = served
    reconcile(config, 202)
    box.tessitura_world.release(202, [seat_id(box, "Orchestra-A-1")])
    seat = one_seat(config, 202, "Orchestra-A-1")
    assert seat["owned"] and seat["desired"] == {"kind": "free", "target": ""}
    assert "the bridge releases its channel house" in seat["rule"]
    assert "next reconcile: remove from channel house on perf-202" in seat["rule"]


# -- errors and usage ---------------------------------------------------------------------------


def test_an_unknown_performance_or_seat_is_one_error_line(served: tuple[Sandbox, Path]) -> None:
    _, config = served
    for args, words in (
        (["--performance", "999"], "performance 999: Tessitura has no such performance"),
        (["--performance", "201", "--seat", "Nope-1"], "performance 201 has no seat 'Nope-1'"),
        (["--performance", "201", "--seat-id", "5"], "performance 201 has no seat id 5"),
    ):
        result = invoke(config, "explain", *args)
        assert result.exit_code == 1, result.output
        no_traceback(result)
        assert result.stderr.strip() == f"error: {words}"


def test_two_seat_filters_are_a_usage_error(served: tuple[Sandbox, Path]) -> None:
    _, config = served
    result = invoke(config, "explain", "--performance", "201", "--seat", "A", "--code", "1")
    assert result.exit_code == EX_USAGE
    result = invoke(config, "history", "--since", "soon")
    assert result.exit_code == EX_USAGE and "not a duration" in result.stderr


def test_the_summary_lists_every_seat_that_is_not_free_within_80_columns(
    served: tuple[Sandbox, Path],
) -> None:
    _, config = served
    reconcile(config, 201)
    result = invoke(config, "explain", "--performance", "201")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "performance 201 -> event perf-201 (by the event_key_template)"
    assert "24 channel, 6 status, 8 not for sale, 19 sold" in lines[1]
    assert all(len(line) <= 80 for line in lines), result.stdout
    assert any(line.startswith("Orchestra-W-1") for line in lines)


# -- history ------------------------------------------------------------------------------------


def test_history_after_a_reconcile_shows_its_operations(served: tuple[Sandbox, Path]) -> None:
    _, config = served
    reconcile(config, 201)
    result = invoke(config, "history", "--performance", "201", "--since", "3d")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert re.search(r"^run 1  \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC  apply  unit 201$", out, re.M)
    assert "done     create_channel house on perf-201" in out
    assert "10 objects: Orchestra-A-1" in out
    assert "done     mark_not_for_sale on perf-201" in out
    assert all(len(line) <= 80 for line in out.splitlines()), out

    data = json.loads(invoke(config, "history", "--json").stdout)
    assert [r["performance_ids"] for r in data] == [[201]]
    kinds = {op["kind"] for op in data[0]["operations"]}
    assert {"create_channel", "change_status", "mark_not_for_sale"} <= kinds
    assert invoke(config, "history", "--performance", "202").stdout.startswith("No run")


# -- status at 80 columns -----------------------------------------------------------------------


def test_status_at_80_columns_shows_the_whole_error_and_a_full_date(
    served: tuple[Sandbox, Path],
) -> None:
    _, config = served
    error = (
        "performance 203: cannot read holds: tessitura HTTP 500 on GET "
        "/TessituraService/TXN/Performances/203/Seats/Holds: the server failed, try later"
    )
    with open_store(store_path(config)) as store:
        store.set_performance_status(
            PerformanceStatus(
                performance_id=203,
                last_sync=datetime(2026, 11, 21, 19, 30, 5, tzinfo=UTC),
                outcome=SyncOutcome.ERROR,
                event_key="perf-203",
                drift=2,
                errors=1,
                last_error=error,
            )
        )
    result = invoke(config, "status")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert all(len(line) <= 80 for line in out.splitlines()), out
    assert "2026-11-21 19:30" in out
    flat = " ".join(out.split())
    assert f"perf 203: last error: {error}" in flat
    rows = json.loads(invoke(config, "status", "--json").stdout)
    assert rows[0]["last_error"] == error and rows[0]["last_sync"].startswith("2026-11-21T19:30")
