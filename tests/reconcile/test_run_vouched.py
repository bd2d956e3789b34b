"""A lost or replaced store hides the bridge's status holds from a pass that reads only what the
ledger names: an event whose ledger is not vouched for lists every object in each bridge status
(one by-status report per status), so a hold Tessitura lifted meanwhile is reported, never
released and never "converged"; once every such object is the bridge's again, the event is
vouched for and later passes read nothing more."""

from __future__ import annotations

import pytest
from sandbox_bench import Bench, bench_fixture, cfg_fixture  # noqa: F401

from bridge.core.findings import FindingKind
from bridge.core.outcome import Ending, RunReport
from bridge.runtime import policy_of
from bridge.sandbox.control import Faults
from bridge.store import open_store

#: hold code 2 maps to the bridge status "held-press" (mappings/sample/hold-codes.csv)
PRESS = 2
#: a seat the sample venue holds for the press in performance 201 (event perf-201)
SEAT = "Orchestra-F-15"


def by_status_reads(bench: Bench) -> list[str]:
    return [e.path for e in bench.box.seatsio_control.log.entries if "/byStatus/" in e.path]


def seatsio_writes(bench: Bench) -> list[str]:
    return [e.endpoint for e in bench.box.seatsio_control.log.entries if e.method != "GET"]


def listed_events(bench: Bench) -> set[str]:
    return {path.split("/")[3] for path in by_status_reads(bench)}


def unowned(report: RunReport, event_key: str) -> list[str]:
    return [
        f.label or ""
        for f in report.plan.findings
        if f.kind is FindingKind.UNOWNED_BRIDGE_STATUS and f.event_key == event_key
    ]


def ending_of(report: RunReport, pid: int) -> Ending:
    (unit,) = [u for u in report.units if pid in u.performance_ids]
    return unit.ending


def unit_errors(report: RunReport, pid: int) -> list[str]:
    """The unit's own errors (a read, a crash), findings and failed operations aside."""
    (unit,) = [u for u in report.units if pid in u.performance_ids]
    return [str(e) for e in unit.errors]


async def lose_the_store_then_lift(bench: Bench, pid: int, label: str) -> None:
    """Sync, lose the store (a fresh one, as a restart on a new file), and lift the seat's hold
    in Tessitura meanwhile."""
    await bench.sync()
    assert bench.box.seatsio_world.object_status(f"perf-{pid}", label) != "free"
    bench.store = open_store(":memory:")
    bench.box.tessitura_world.release(pid, [bench.seat(label)])
    bench.box.seatsio_control.log.clear()


@pytest.mark.slow  # over 2 s: `make test-slow` (CI runs it)
async def test_a_lifted_status_hold_the_fresh_ledger_cannot_prove_is_reported_every_pass(
    bench: Bench,
) -> None:
    await lose_the_store_then_lift(bench, 201, SEAT)
    world = bench.box.seatsio_world

    for _ in range(2):  # the finding stands, pass after pass, until a person or Tessitura acts
        report = await bench.sync()
        assert world.object_status("perf-201", SEAT) == "held-press"  # never released
        assert unowned(report, "perf-201") == [SEAT]
        assert ending_of(report, 201) is Ending.ERROR
        assert unit_errors(report, 201) == []  # the finding is the error, nothing else failed
        (status,) = bench.store.performance_statuses([201])
        assert (status.outcome.value, status.errors) == ("error", 1)
        assert "unowned_bridge_status" in (status.last_error or "")
        assert "perf-201" in listed_events(bench)
        assert not [w for w in seatsio_writes(bench) if "perf-201" in w]
        bench.box.seatsio_control.log.clear()

    # the rest converged and was vouched for: only perf-201 is still listed
    await bench.sync()
    assert listed_events(bench) == {"perf-201"}

    # Tessitura holds it again: the bridge claims it, the event is vouched for
    bench.box.tessitura_world.hold(201, [bench.seat(SEAT)], PRESS)
    report = await bench.sync()
    assert not unowned(report, "perf-201")
    assert ending_of(report, 201) is Ending.CONVERGED
    assert ("perf-201", SEAT) in bench.store.ledger(["perf-201"])
    bench.box.seatsio_control.log.clear()
    await bench.sync()
    assert by_status_reads(bench) == []

    # and the claimed hold is the bridge's again: lifting it now releases it
    bench.box.tessitura_world.release(201, [bench.seat(SEAT)])
    await bench.sync()
    assert world.object_status("perf-201", SEAT) == "free"


@pytest.mark.slow  # over 3 s: `make test-slow` (CI runs it)
async def test_a_dry_run_reports_it_too_but_vouches_for_nothing(bench: Bench) -> None:
    await lose_the_store_then_lift(bench, 201, SEAT)
    for _ in range(2):  # `seatbridge plan` writes nothing, the marks included
        report = await bench.sync(apply=False)
        assert unowned(report, "perf-201") == [SEAT]
        assert report.ending is Ending.ERROR
        assert "perf-201" in listed_events(bench)
        bench.box.seatsio_control.log.clear()
    assert not bench.store.notes("ledger-vouched/")


async def test_an_event_in_a_season_is_listed_not_the_season(bench: Bench) -> None:
    """perf-102 holds Mezzanine-D-10 by a fallback status (the season's performances disagree);
    a season shows its events' statuses, so the event is listed and reports it."""
    label = "Mezzanine-D-10"
    await lose_the_store_then_lift(bench, 102, label)
    report = await bench.sync()
    assert bench.box.seatsio_world.object_status("perf-102", label) == "held-subscription"
    assert unowned(report, "perf-102") == [label]
    assert ending_of(report, 102) is Ending.ERROR
    assert unit_errors(report, 102) == []
    listed = listed_events(bench)
    assert "perf-102" in listed and "season-2026-27" not in listed


async def test_a_vouched_event_makes_no_by_status_read(bench: Bench) -> None:
    await bench.sync()  # a fresh store: every event listed once, then vouched for
    assert by_status_reads(bench)
    bench.box.seatsio_control.log.clear()
    report = await bench.sync()
    assert report.ending is Ending.CONVERGED
    assert by_status_reads(bench) == []


@pytest.mark.slow  # over 2 s: `make test-slow` (CI runs it)
async def test_a_failed_by_status_read_is_an_error_and_releases_nothing(bench: Bench) -> None:
    await lose_the_store_then_lift(bench, 201, SEAT)
    bench.box.seatsio_control.set_faults(Faults(error_rate=1.0, path_pattern=r"/byStatus/"))
    report = await bench.sync()
    assert ending_of(report, 201) is Ending.ERROR
    assert any("perf-201" in e or "byStatus" in e for e in report.errors), report.errors
    assert bench.box.seatsio_world.object_status("perf-201", SEAT) == "held-press"
    assert seatsio_writes(bench) == []
    assert not bench.store.notes("ledger-vouched/")

    bench.box.seatsio_control.set_faults(Faults())  # seats.io back: the finding shows
    report = await bench.sync()
    assert unowned(report, "perf-201") == [SEAT]


async def test_an_unreadable_mark_lists_the_event_again(bench: Bench) -> None:
    await bench.sync()
    bench.store.put_note("ledger-vouched/perf-201", "not json")
    bench.box.seatsio_control.log.clear()
    report = await bench.sync()
    assert report.ending is Ending.CONVERGED
    assert listed_events(bench) == {"perf-201"}
    bench.box.seatsio_control.log.clear()
    await bench.sync()  # vouched for again
    assert listed_events(bench) == set()


async def test_a_lost_store_lists_only_the_statuses_the_summary_counts_objects_in(
    bench: Bench,
) -> None:
    """One by-status summary per event (a small answer), then a report for each bridge status
    it counts objects in: an event with no object in a bridge status costs one read, not one
    per status; the stray is still found."""
    pid, event = 201, "perf-201"
    await lose_the_store_then_lift(bench, pid, SEAT)
    world = bench.box.seatsio_world
    in_use = {v.status for v in world.object_views(event) if v.status.startswith("held-")}
    bench.box.seatsio_control.log.clear()
    report = await bench.sync_ids([pid])
    paths = [p for p in by_status_reads(bench) if p.split("/")[3] == event]
    summaries = [p for p in paths if p.endswith("/summary")]
    reports = {p.split("/")[-1] for p in paths if not p.endswith("/summary")}
    assert len(summaries) == 1
    assert reports == in_use
    assert SEAT in unowned(report, event)


async def test_an_unreadable_summary_lists_every_bridge_status(bench: Bench) -> None:
    pid, event = 201, "perf-201"
    await lose_the_store_then_lift(bench, pid, SEAT)
    bench.box.seatsio_control.set_faults(
        Faults(error_rate=1.0, error_status=500, path_pattern="/summary$")
    )
    bench.box.seatsio_control.log.clear()
    report = await bench.sync_ids([pid])
    reports = {
        p.split("/")[-1]
        for p in by_status_reads(bench)
        if p.split("/")[3] == event and not p.endswith("/summary")
    }
    assert reports == set(policy_of(bench.cfg).bridge_statuses)
    assert SEAT in unowned(report, event)
