"""One read path: what a reconcile reads and plans is :meth:`Reconciler.read_unit`, and reading
alone (as `seatbridge explain` does) takes no lease and writes nothing anywhere."""

from __future__ import annotations

from sandbox_bench import Bench, bench_fixture, cfg_fixture  # noqa: F401

from bridge.reconcile.seat_maps import NOTE_KEY
from bridge.runtime import reconciler_for
from bridge.sandbox.control import Faults


async def test_a_read_plans_what_the_units_reconcile_plans(bench: Bench) -> None:
    await bench.sync()
    bench.box.tessitura_world.release(201, [bench.seat("Orchestra-A-1")])  # drift to plan
    dry = await bench.sync(apply=False)
    rec = reconciler_for(bench.cfg, bench.tessitura, bench.seatsio, bench.store)
    for result in dry.units:
        reading = await rec.read_unit(result.performance_ids, refused_tables=rec.refused_tables())
        assert reading.unit == result.performance_ids
        assert not reading.hold_errors and reading.seatsio_error is None
        assert reading.plan == result.plan
        assert {s.performance_id for s in reading.snapshots} == set(result.performance_ids)
    assert any(not r.plan.is_empty for r in dry.units)


async def test_reading_takes_no_lease_and_writes_nothing(bench: Bench) -> None:
    rec = reconciler_for(bench.cfg, bench.tessitura, bench.seatsio, bench.store)
    for unit in rec.units(bench.ids):
        reading = await rec.read_unit(unit)
        assert not reading.plan.is_empty  # a first sync: everything to write, nothing written
        assert not bench.store.leases()
    assert all(e.method == "GET" for e in bench.box.seatsio_control.log.entries)
    assert all(e.method == "GET" for e in bench.box.tessitura_control.log.entries)
    assert not bench.store.ledger() and not bench.store.runs()
    assert not bench.store.notes(NOTE_KEY)  # the seat maps it read are kept by a pass, not here


async def test_failed_reads_are_in_the_reading_as_a_reconcile_reports_them(bench: Bench) -> None:
    rec = reconciler_for(bench.cfg, bench.tessitura, bench.seatsio, bench.store)
    bench.box.tessitura_control.set_faults(
        Faults(error_rate=1.0, error_status=400, path_pattern=r"Performances/202\b")
    )
    (unit,) = rec.units([202])
    reading = await rec.read_unit(unit)
    assert set(reading.hold_errors) == {202}
    report = await bench.sync(apply=False)
    (result,) = [r for r in report.units if r.performance_ids == unit]
    assert [e.performance_id for e in result.errors] == [202]
    assert str(reading.hold_errors[202]) in result.errors[0].message

    bench.box.tessitura_control.set_faults(Faults())
    bench.box.seatsio_control.set_faults(Faults(error_rate=1.0, error_status=400))
    reading = await rec.read_unit(unit)
    assert reading.seatsio_error is not None and not reading.observed
    assert reading.plan.is_empty
