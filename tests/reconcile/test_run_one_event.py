"""Case 3 of issue 25, two performances on one event: a performances-table row ``201,perf-202``
beside the ``perf-{performance_id}`` rule. ``config check`` refuses it with both rows named; a run
given such tables anyway (built in code, or a table the check never saw) refuses the two
performances with an error finding, writes nothing for them, and the others go on."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sandbox_bench import CONFIG, Bench, bench_fixture, cfg_fixture  # noqa: F401

from bridge.config import BridgeConfig, load_config
from bridge.core.findings import FindingKind
from bridge.core.outcome import Ending
from bridge.errors import InvalidConfigError
from bridge.mapping.keys import key_clashes, rule_performance
from bridge.mapping.model import PerformanceTarget, SeasonRule
from bridge.reconcile.run import units_of


def two_on_one_event(cfg: BridgeConfig) -> BridgeConfig:
    perfs = dict(cfg.tables.performances)
    perfs[201] = PerformanceTarget(201, "perf-202")
    return replace(cfg, tables=replace(cfg.tables, performances=perfs))


def sandbox_copy(tmp_path: Path, extra_row: str) -> Path:
    """config/sandbox.toml and its tables copied to ``tmp_path``, with ``extra_row`` appended to
    the performances table."""
    mappings = CONFIG.parent.parent / "mappings" / "sample"
    shutil.copytree(mappings, tmp_path / "m")
    shutil.copytree(CONFIG.parent / "sandbox-secrets", tmp_path / "sandbox-secrets")
    text = CONFIG.read_text(encoding="utf-8").replace("../mappings/sample/", "m/")
    (tmp_path / "bridge.toml").write_text(text, encoding="utf-8")
    with (tmp_path / "m" / "performances.csv").open("a", encoding="utf-8") as table:
        table.write(extra_row + "\n")
    return tmp_path / "bridge.toml"


def test_config_check_refuses_a_row_on_another_performances_rule_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = sandbox_copy(tmp_path, "201,perf-202")
    with pytest.raises(InvalidConfigError) as caught:
        load_config(config)
    [problem] = caught.value.problems
    assert problem.source == "m/performances.csv" and problem.line == 13
    text = str(problem)
    assert "two performances on one event 'perf-202'" in text
    assert "performance 201 here" in text
    assert "performance 202 by event_key_template 'perf-{performance_id}' (bridge.toml:29)" in text


def test_config_check_refuses_an_event_key_that_is_a_seasons_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = sandbox_copy(tmp_path, "300,season-2026-27")
    with pytest.raises(InvalidConfigError) as caught:
        load_config(config)
    [problem] = caught.value.problems
    assert (problem.source, problem.line) == ("m/performances.csv", 13)
    assert "event key is a season's key 'season-2026-27'" in str(problem)
    assert "the season at m/seasons.csv:8" in str(problem)


def test_config_check_refuses_a_season_key_the_rule_gives_a_performance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = sandbox_copy(tmp_path, "")
    with (tmp_path / "m" / "seasons.csv").open("a", encoding="utf-8") as table:
        table.write("2028,perf-250,grand-hall-chart,,,,\n")
    with pytest.raises(InvalidConfigError) as caught:
        load_config(config)
    [problem] = caught.value.problems
    assert (problem.source, problem.line) == ("m/seasons.csv", 9)
    assert "season key is a performance's event key 'perf-250'" in str(problem)
    assert "gives it to performance 250" in str(problem)


def test_a_row_that_lists_the_other_performance_too_is_accepted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """202 listed on its own row no longer takes the rule's key: no collision."""
    monkeypatch.chdir(tmp_path)
    config = sandbox_copy(tmp_path, "201,perf-202\n202,perf-202-b")
    assert load_config(config).tables.target_for(201) == PerformanceTarget(201, "perf-202")


async def test_a_run_refuses_two_performances_on_one_event_and_the_others_go_on(
    cfg: BridgeConfig,
) -> None:
    bench = Bench(two_on_one_event(cfg))
    try:
        report = await bench.sync()
        endings = {u.performance_ids: u.ending for u in report.units}
        assert endings[(201, 202)] is Ending.ERROR
        assert all(e is Ending.CONVERGED for ids, e in endings.items() if ids != (201, 202))
        [unit] = [u for u in report.units if u.performance_ids == (201, 202)]
        assert unit.plan.operations == () and unit.outcome is None  # nothing planned or sent
        shared = [f for f in unit.plan.findings if f.kind is FindingKind.EVENT_KEY_SHARED]
        assert sorted(f.performance_id for f in shared) == [201, 202]
        assert all(
            "performance 201: performances table row" in f.detail
            and "performance 202: event_key_template 'perf-{performance_id}'" in f.detail
            for f in shared
        )
        touched = [e.path for e in bench.box.seatsio_control.log.entries if "perf-202" in e.path]
        assert touched == []  # neither side read or wrote its event
        statuses = {s.performance_id: s for s in bench.store.performance_statuses([201, 202])}
        assert {s.outcome.value for s in statuses.values()} == {"error"}
        assert "perf-202" in (statuses[201].last_error or "")
    finally:
        await bench.close()


async def test_a_run_asked_for_one_of_the_two_refuses_both(cfg: BridgeConfig) -> None:
    """`reconcile --performance 201` (or a daemon unit of 201 alone) would write 201's holds
    over 202's on perf-202: the unit takes 202 along and is refused whole."""
    tables = two_on_one_event(cfg).tables
    assert units_of([201], tables) == [(201, 202)] == units_of([202], tables)
    bench = Bench(two_on_one_event(cfg))
    try:
        report = await bench.sync_ids([201])
        [unit] = report.units
        assert unit.performance_ids == (201, 202) and unit.ending is Ending.ERROR
        assert bench.box.seatsio_control.log.entries == []  # nothing read, nothing written
    finally:
        await bench.close()


def test_units_put_performances_on_one_event_together_with_their_season(
    cfg: BridgeConfig,
) -> None:
    perfs = dict(cfg.tables.performances)
    perfs[203] = PerformanceTarget(203, "perf-101")  # 101 is in the season
    tables = replace(cfg.tables, performances=perfs)
    units = units_of([101, 203, 204], tables)
    assert units == [(101, 102, 103, 104, 105, 106, 107, 108, 203), (204,)]


def test_a_performance_on_a_seasons_key_is_refused_alone(cfg: BridgeConfig) -> None:
    tables = replace(
        cfg.tables, seasons=(*cfg.tables.seasons, SeasonRule(9, "perf-204", "grand-hall-chart"))
    )
    clashes = key_clashes(tables, [203, 204])
    assert list(clashes) == [204] and "is a season's key" in clashes[204]


@given(
    st.integers(min_value=1, max_value=10**9),
    st.sampled_from(["perf-{performance_id}", "e{performance_id:06d}x", "{performance_id}"]),
)
def test_the_rule_is_read_back_to_the_performance_it_gives(pid: int, template: str) -> None:
    assert rule_performance(template, template.format(performance_id=pid)) == pid


@given(st.text(max_size=12))
def test_a_key_the_rule_cannot_give_names_no_performance(key: str) -> None:
    pid = rule_performance("perf-{performance_id}", key)
    assert pid is None or f"perf-{pid}" == key
