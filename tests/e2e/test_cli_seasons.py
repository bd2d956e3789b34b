"""`seatbridge seasons sync` against the sandbox on loopback, from an empty seats.io."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from bridge.cli import main
from bridge.sandbox import Sandbox
from bridge.testing.sandbox import served_sandbox


@pytest.fixture
def empty(tmp_path: Path) -> Iterator[tuple[Sandbox, Path]]:
    with served_sandbox(tmp_path, seatsio_empty=True) as both:
        yield both


def run(config: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, [*args, "--config", str(config)])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def writes(box: Sandbox) -> list[str]:
    return [e.endpoint for e in box.seatsio_control.log.entries if e.method != "GET"]


def with_seasons_table(config: Path, text: str) -> None:
    table = config.parent / "seasons.csv"
    table.write_text(text, encoding="utf-8")
    body = config.read_text(encoding="utf-8")
    start = body.index('seasons = "') + len('seasons = "')
    end = body.index('"', start)
    config.write_text(body[:start] + str(table) + body[end:], encoding="utf-8")


HEADER = "season_id,season_key,chart_key,name,for_sale_propagated,table_booking,tables\n"


def test_cold_build_then_reconcile_then_both_again_change_nothing(
    empty: tuple[Sandbox, Path],
) -> None:
    box, config = empty
    code, out = run(config, "seasons", "sync", "--dry-run", "--json")
    assert code == 2
    assert [c["kind"] for c in json.loads(out)["calls"]] == ["CreateSeason"] + ["CreateEvent"] * 4
    assert writes(box) == []
    code, out = run(config, "seasons", "sync")
    assert code == 0, out
    assert len(writes(box)) == 5
    season = box.seatsio_world.event("season-2026-27")
    assert season.is_season and season.name == "2026/27 Symphony Series"
    code, out = run(config, "reconcile", "--all")
    assert code == 0, out
    assert box.seatsio_world.channel_of("perf-201", "Orchestra-A-1") == "house"
    box.seatsio_control.log.clear()
    code, out = run(config, "seasons", "sync")
    assert (code, writes(box)) == (0, []), out
    assert "Nothing to do" in out
    code, out = run(config, "plan", "--all")
    assert code == 0, out


def test_a_season_whose_events_partly_exist_and_a_performance_added_later(
    empty: tuple[Sandbox, Path],
) -> None:
    box, config = empty
    tess = box.tessitura_world
    full = tess.venue
    tess.venue = replace(full, performances=tuple(p for p in full.performances if p.id != 108))
    box.seatsio_world.create_season("grand-hall-chart", "season-2026-27", event_keys=["perf-101"])
    code, out = run(config, "seasons", "sync", "--json")
    assert code == 0, out
    calls = [c["request"] for c in json.loads(out)["calls"]]
    assert calls[0].startswith("POST /events/season-2026-27 ")  # the name was not set
    assert calls[1].startswith("POST /seasons/season-2026-27/actions/create-events")
    assert "perf-101" not in calls[1] and "perf-107" in calls[1]
    tess.venue = full  # performance 108 is added to the Tessitura season
    box.seatsio_control.log.clear()
    code, out = run(config, "seasons", "sync", "--dry-run")
    assert code == 2, out
    assert 'create-events {"eventKeys": ["perf-108"]}' in out
    code, _ = run(config, "seasons", "sync")
    assert code == 0
    assert writes(box) == ["POST /seasons/{key}/actions/create-events"]


def test_name_for_sale_propagated_and_table_booking_changes_send_only_those_fields(
    empty: tuple[Sandbox, Path],
) -> None:
    box, config = empty
    assert run(config, "seasons", "sync")[0] == 0
    with_seasons_table(
        config, HEADER + "2027,season-2026-27,grand-hall-chart,Symphony 26/27,false,INHERIT,\n"
    )
    code, out = run(config, "seasons", "sync", "--json")
    assert code == 0, out
    (call,) = json.loads(out)["calls"]
    assert call["body"] == {"name": "Symphony 26/27", "forSalePropagated": False}
    season = box.seatsio_world.event("season-2026-27")
    assert season.name == "Symphony 26/27" and season.for_sale_propagated is False
    with_seasons_table(
        config,
        HEADER + "2027,season-2026-27,grand-hall-chart,Symphony 26/27,false,CUSTOM,T1=BY_TABLE\n",
    )
    code, out = run(config, "seasons", "sync", "--json")
    assert code == 0, out
    (call,) = json.loads(out)["calls"]
    assert call["body"] == {"tableBookingConfig": {"mode": "CUSTOM", "tables": {"T1": "BY_TABLE"}}}
    assert run(config, "seasons", "sync")[1].startswith("Nothing to do")


SIDE_FILE = """\
[[categories]]
key = "companion"
label = "Wheelchair companion"
color = "#1E90FF"
accessible = true

[object_categories]
"Orchestra-A-2" = "companion"

[not_for_sale]
objects = ["Orchestra-A-3"]
"""


def test_a_category_change_updates_only_categories_and_for_sale_is_only_initial(
    empty: tuple[Sandbox, Path],
) -> None:
    box, config = empty
    side = config.parent / "categories.toml"
    side.write_text(SIDE_FILE, encoding="utf-8")
    row = "2027,season-2026-27,grand-hall-chart,Series,true,INHERIT,,categories.toml\n"
    with_seasons_table(config, HEADER.replace("\n", ",categories\n") + row)
    code, out = run(config, "seasons", "sync")
    assert code == 0, out
    season = box.seatsio_world.event("season-2026-27")
    assert season.categories == [
        {
            "key": "companion",
            "label": "Wheelchair companion",
            "color": "#1E90FF",
            "accessible": True,
        }
    ]
    assert season.object_categories == {"Orchestra-A-2": "companion"}
    assert season.for_sale_config is not None
    assert season.for_sale_config.objects == ("Orchestra-A-3",)
    assert run(config, "seasons", "sync")[1].startswith("Nothing to do")

    # a new colour, and a different initial for-sale config, which is never re-applied
    side.write_text(
        SIDE_FILE.replace("#1E90FF", "#FF8800").replace("Orchestra-A-3", "Orchestra-A-4"),
        encoding="utf-8",
    )
    box.seatsio_control.log.clear()
    code, out = run(config, "seasons", "sync", "--json")
    assert code == 0, out
    (call,) = json.loads(out)["calls"]
    assert call["request"].startswith("POST /events/season-2026-27 ")
    assert call["body"] == {
        "categories": [
            {
                "key": "companion",
                "label": "Wheelchair companion",
                "color": "#FF8800",
                "accessible": True,
            }
        ]
    }
    assert writes(box) == ["POST /events/{key}"]
    season = box.seatsio_world.event("season-2026-27")
    assert season.categories[0]["color"] == "#FF8800"
    assert season.object_categories == {"Orchestra-A-2": "companion"}
    assert season.for_sale_config is not None
    assert season.for_sale_config.objects == ("Orchestra-A-3",)
    assert run(config, "seasons", "sync")[1].startswith("Nothing to do")


def test_an_emptied_side_file_never_wipes_a_live_seasons_categories(
    empty: tuple[Sandbox, Path],
) -> None:
    """Case 9 of issue 25: the file emptied is a config error at its path (exit 1) and nothing is
    sent; ``no_categories = true`` is what clears them on purpose."""
    box, config = empty
    side = config.parent / "categories.toml"
    side.write_text(SIDE_FILE, encoding="utf-8")
    row = "2027,season-2026-27,grand-hall-chart,Series,true,INHERIT,,categories.toml\n"
    with_seasons_table(config, HEADER.replace("\n", ",categories\n") + row)
    assert run(config, "seasons", "sync")[0] == 0
    for text in ("", "# to be filled in\n", "categories = []\n"):
        side.write_text(text, encoding="utf-8")
        box.seatsio_control.log.clear()
        code, out = run(config, "config", "check")
        assert code == 1 and "categories.toml" in out, out
        code, out = run(config, "seasons", "sync")
        assert code == 1 and "categories.toml" in out, out
        assert writes(box) == []
        assert [c["key"] for c in box.seatsio_world.event("season-2026-27").categories] == [
            "companion"
        ]
    side.write_text("no_categories = true\n", encoding="utf-8")
    code, out = run(config, "seasons", "sync")
    assert code == 0, out
    season = box.seatsio_world.event("season-2026-27")
    assert season.categories == [] and season.object_categories in ({}, None)


def test_an_event_outside_its_season_is_reported_exit_1_and_left(
    empty: tuple[Sandbox, Path],
) -> None:
    box, config = empty
    box.seatsio_world.create_event("grand-hall-chart", "perf-103")
    code, out = run(config, "seasons", "sync")
    assert code == 1
    assert "perf-103" in out and "exists outside any season" in out
    assert box.seatsio_world.event("perf-103").season_id is None
    assert "perf-103" not in [
        e.key for e in box.seatsio_world.members(box.seatsio_world.event("season-2026-27"))
    ]


def test_without_a_seasons_table_it_is_a_one_line_error(tmp_path: Path) -> None:
    with served_sandbox(tmp_path) as (_, config):
        body = config.read_text(encoding="utf-8")
        config.write_text(
            "\n".join(line for line in body.splitlines() if not line.startswith("seasons =")),
            encoding="utf-8",
        )
        code, out = run(config, "seasons", "sync")
        assert code == 1 and "no seasons table" in out
