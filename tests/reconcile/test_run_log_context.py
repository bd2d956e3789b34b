"""Every line logged during a pass carries the pass's ``run_id``, and each unit's lines carry
that unit, though units run concurrently (contextvars are copied into each unit's task)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from sandbox_bench import Bench, bench_fixture, cfg_fixture  # noqa: F401

from bridge.core.outcome import UnitResult
from bridge.core.plan_model import Plan
from bridge.reconcile.run import Reconciler
from bridge.runtime import reconciler_for

CONTEXT = [structlog.contextvars.merge_contextvars]


@pytest.fixture(autouse=True)
def _every_level() -> Iterator[None]:
    """Debug lines too, whatever level an earlier test's CLI run configured."""
    saved = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG))
    yield
    structlog.configure(**saved)


async def test_concurrent_units_log_their_own_unit(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two units interleave on purpose: each logs, yields to the other, logs again."""
    both_started = asyncio.Barrier(2)
    log = structlog.get_logger("test")

    async def fake_unit(*args: Any, **kwargs: Any) -> UnitResult:
        unit: tuple[int, ...] = args[1]
        log.info("unit starts", performances=list(unit))
        await both_started.wait()  # the other unit has logged in between
        log.info("unit ends", performances=list(unit))
        return UnitResult(unit, Plan(operations=(), findings=()))

    monkeypatch.setattr(Reconciler, "reconcile_unit", fake_unit)
    with structlog.testing.capture_logs(processors=CONTEXT) as logs:
        await reconciler_for(bench.cfg, bench.tessitura, bench.seatsio, bench.store).reconcile(
            [201, 202], apply=False
        )
    lines = [line for line in logs if line["event"] in ("unit starts", "unit ends")]
    assert len(lines) == 4
    assert [line["event"] for line in lines[:2]] == ["unit starts"] * 2  # they did interleave
    for line in lines:
        assert line["unit"] == line["performances"]
    assert len({line["run_id"] for line in lines}) == 1
    assert structlog.contextvars.get_contextvars() == {}  # nothing leaks out of the pass


async def test_every_vendor_call_of_a_real_pass_names_its_run_and_unit(bench: Bench) -> None:
    with structlog.testing.capture_logs(processors=CONTEXT) as logs:
        await bench.sync(apply=False)
    calls = [line for line in logs if "unit" in line or "vendor" in line]
    assert calls
    assert all("run_id" in line and "unit" in line for line in calls)
    assert len({line["run_id"] for line in calls}) == 1
    units = {tuple(line["unit"]) for line in calls}
    assert len(units) > 1
    with structlog.testing.capture_logs(processors=CONTEXT) as again:
        await bench.sync(apply=False)
    assert {line["run_id"] for line in again if "run_id" in line}.isdisjoint({calls[0]["run_id"]})
