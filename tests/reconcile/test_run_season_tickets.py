"""Season tickets against the sandbox (issue 13): a hold code on the same seats in every performance
of a season goes out as one multi-event status change, all or nothing; a refusal names the events,
claims nothing and is re-planned; a change split for size says so."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Sequence

import httpx
import pytest
from sandbox_bench import Bench, bench_fixture, cfg_fixture  # noqa: F401

from bridge.core.plan_model import OpKind, Plan
from bridge.http import RetryPolicy
from bridge.reconcile import run as run_module
from bridge.reconcile.apply import apply_plan
from bridge.sandbox import SEATSIO_SECRET_KEY
from bridge.seatsio.chunking import SplitLimits
from bridge.seatsio.client import SeatsioClient

PRESS = 2  # hold code 2: status held-press (mappings/sample/hold-codes.csv)
EVENTS = [f"perf-{pid}" for pid in range(101, 109)]  # the season's performances
SEATS = ["Orchestra-J-1", "Orchestra-J-2", "Orchestra-J-3", "Orchestra-J-4", "Orchestra-J-5"]
GROUP = "POST /events/groups/actions/change-object-status"


def hold_for_the_season(bench: Bench, labels: Sequence[str] = SEATS) -> None:
    """A subscription before renewal: the same code on the same seats in every performance."""
    for pid in range(101, 109):
        bench.box.tessitura_world.hold(pid, [bench.seat(label) for label in labels], PRESS)


def claimed(bench: Bench) -> set[tuple[str, str]]:
    return {key for key in dict(bench.store.ledger(EVENTS)) if key[1] in SEATS}


def statuses(bench: Bench, labels: Sequence[str] = SEATS) -> set[str]:
    world = bench.box.seatsio_world
    return {world.object_status(e, label) for e in EVENTS for label in labels}


@pytest.fixture
async def synced(bench: Bench) -> AsyncIterator[Bench]:
    await bench.sync()  # the sample venue's own holds, then a clean request log
    bench.box.seatsio_control.log.clear()
    yield bench


def book_first(
    monkeypatch: pytest.MonkeyPatch, bench: Bench, event: str, labels: Sequence[str]
) -> None:
    """A buyer books in one performance between the bridge's observe and apply."""
    real = run_module.apply_plan
    world = bench.box.seatsio_world

    async def booking_first(plan, seatsio, store, **kw):  # type: ignore[no-untyped-def]
        if any(
            event in op.event_keys and op.kind is OpKind.CHANGE_STATUS for op in plan.operations
        ):
            world.book(event, labels)
        return await real(plan, seatsio, store, **kw)

    monkeypatch.setattr(run_module, "apply_plan", booking_first)


async def test_a_season_ticket_hold_is_one_multi_event_call(synced: Bench) -> None:
    hold_for_the_season(synced)
    report = await synced.sync()
    (op,) = [o for o in report.plan.operations if o.kind is OpKind.CHANGE_STATUS]
    assert (list(op.event_keys), list(op.labels), op.target) == (EVENTS, SEATS, "held-press")
    assert synced.box.seatsio_control.log.counts().get(GROUP) == 1
    assert statuses(synced) == {"held-press"}
    assert not report.errors and not report.notes  # under the split limit: no note
    assert len(claimed(synced)) == len(EVENTS) * len(SEATS)


async def test_one_performance_refusing_applies_nowhere_claims_nothing_and_is_replanned(
    synced: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    hold_for_the_season(synced)
    book_first(monkeypatch, synced, "perf-105", ["Orchestra-J-3"])
    report = await synced.sync()
    (result,) = [
        r for u in report.units if u.outcome for r in u.outcome.results if r.state == "failed"
    ]
    assert result.error is not None
    # the fake, like seats.io as far as anyone has shown, does not say which event refused
    assert "seats.io does not say which of the events perf-101, perf-102" in result.error
    assert "all or nothing: applied to none of the events" in result.error
    assert any("perf-108 refused" in e for e in report.errors)
    world = synced.box.seatsio_world
    assert world.object_status("perf-105", "Orchestra-J-3") == "booked"
    assert statuses(synced, [s for s in SEATS if s != "Orchestra-J-3"]) == {"free"}
    assert {world.object_status(e, "Orchestra-J-3") for e in EVENTS if e != "perf-105"} == {"free"}
    assert claimed(synced) == set()  # nothing claimed for any event of the call

    monkeypatch.undo()
    await synced.sync()  # the next run re-plans around the sale
    assert world.object_status("perf-105", "Orchestra-J-3") == "booked"
    assert statuses(synced, [s for s in SEATS if s != "Orchestra-J-3"]) == {"held-press"}
    assert {world.object_status(e, "Orchestra-J-3") for e in EVENTS if e != "perf-105"} == {
        "held-press"
    }


async def test_the_event_seatsio_names_is_the_one_reported(synced: Bench) -> None:
    """EVENT_NOT_FOUND names its key: the error says that event refused, and nothing landed on
    the others."""
    hold_for_the_season(synced)
    plan = (await synced.sync(apply=False)).plan
    (op,) = [o for o in plan.operations if o.kind is OpKind.CHANGE_STATUS]
    gone = dataclasses.replace(op, event_keys=(*op.event_keys[:4], "perf-999", *op.event_keys[4:]))
    outcome = await apply_plan(Plan(operations=(gone,)), synced.seatsio, synced.store)
    (result,) = outcome.results
    assert result.state == "failed" and result.error is not None
    assert "refused by event perf-999" in result.error
    assert "does not say" not in result.error
    assert statuses(synced) == {"free"}
    assert claimed(synced) == set()


@pytest.fixture
async def small(synced: Bench) -> AsyncIterator[Bench]:
    """The bench with a seats.io client that puts at most 2 objects in a write request."""
    await synced.seatsio.aclose()
    synced.seatsio = SeatsioClient(
        SEATSIO_SECRET_KEY,
        base_url="http://seatsio.sandbox",
        transport=httpx.ASGITransport(app=synced.box.seatsio_app),
        retry=RetryPolicy.seatsio(attempts=2, first_wait_s=0.0, max_wait_s=0.0, jitter_s=0.0),
        split=SplitLimits(objects_per_request=2),
    )
    yield synced


async def test_a_change_split_for_size_is_reported_as_split(small: Bench) -> None:
    hold_for_the_season(small)
    report = await small.sync()
    assert small.box.seatsio_control.log.counts().get(GROUP) == 3  # 5 seats, 2 per request
    assert statuses(small) == {"held-press"}
    split = "split into 3 requests of at most 2 objects: not all-or-nothing across requests"
    assert report.notes == [f"change_status on {', '.join(EVENTS)}: {split}"]
    assert not report.errors


async def test_a_split_change_refused_in_a_later_request_keeps_its_claims(
    small: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first requests landed before the last was refused: the claims stay, and the error
    says the change was split."""
    hold_for_the_season(small)
    book_first(monkeypatch, small, "perf-105", ["Orchestra-J-5"])  # in the last request
    report = await small.sync()
    (error,) = report.errors
    assert "split into 3 requests" in error and "may have landed" in error
    assert statuses(small, SEATS[:4]) == {"held-press"}  # the first two requests landed
    assert len(claimed(small)) == len(EVENTS) * len(SEATS)  # kept: the next plan sorts them out
    monkeypatch.undo()
    await small.sync()
    world = small.box.seatsio_world
    assert {world.object_status(e, SEATS[4]) for e in EVENTS if e != "perf-105"} == {"held-press"}
    assert claimed(small) == {(e, s) for e in EVENTS for s in SEATS} - {("perf-105", SEATS[4])}
