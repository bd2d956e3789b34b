"""The seat map SVG: every seat exactly once, escaped, scaled, whatever the input."""

from __future__ import annotations

import math
import random
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from bridge.daemon.seatmap import (
    COLOURS,
    STATES,
    SeatDot,
    channel_colour,
    render_seatmap,
    stage_side,
)

SVG = "{http://www.w3.org/2000/svg}"

coordinates = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**12), max_value=10**12).map(float),
)
dots = st.builds(
    SeatDot,
    label=st.text(max_size=20),
    x=coordinates,
    y=coordinates,
    section=st.text(max_size=8),
    state=st.one_of(st.sampled_from(STATES), st.text(max_size=6)),
    title=st.text(max_size=30),
)


def parse(svg: str) -> etree._Element:
    return etree.fromstring(svg.encode("utf-8"))


def seats_of(svg: str) -> list[etree._Element]:
    return [c for c in parse(svg).iter(f"{SVG}circle") if "seat" in c.get("class", "").split()]


def xml_clean(text: str) -> str:
    """What an XML document can carry of ``text`` (the renderer's replacement rule)."""
    return "".join(
        "\ufffd"
        if (ord(c) < 0x20 and c not in "\t\n\r")
        or 0xD800 <= ord(c) <= 0xDFFF
        or c in "\ufffe\uffff"
        else c
        for c in text
    )


@settings(max_examples=200, deadline=None)
@given(st.lists(dots, max_size=40))
def test_every_seat_appears_exactly_once_with_its_label_and_a_known_state(
    seats: list[SeatDot],
) -> None:
    svg = render_seatmap(seats)
    circles = seats_of(svg)  # parses: garbage labels are escaped
    assert Counter(c.get("data-label") for c in circles) == Counter(
        xml_clean(s.label) for s in seats
    )
    assert all(c.get("data-state") in STATES for c in circles)
    assert Counter(c.get("data-state") for c in circles) == Counter(
        s.state if s.state in STATES else "unknown" for s in seats
    )
    for c in circles:
        for attr in ("cx", "cy", "r"):
            assert math.isfinite(float(c.get(attr)))


@settings(max_examples=100, deadline=None)
@given(st.lists(dots, max_size=30), st.randoms(use_true_random=False))
def test_the_output_does_not_depend_on_the_input_order(
    seats: list[SeatDot], rnd: random.Random
) -> None:
    shuffled = list(seats)
    rnd.shuffle(shuffled)
    assert render_seatmap(shuffled) == render_seatmap(seats)


@settings(max_examples=100, deadline=None)
@given(st.lists(dots, min_size=1, max_size=30))
def test_placed_seats_fit_inside_the_view_box(seats: list[SeatDot]) -> None:
    root = parse(render_seatmap(seats))
    _, _, w, h = (float(v) for v in root.get("viewBox").split())
    for c in seats_of(render_seatmap(seats)):
        cx, cy, r = (float(c.get(a)) for a in ("cx", "cy", "r"))
        assert cx - r >= 0 and cx + r <= w
        assert cy - r >= 0 and cy + r <= h


def test_a_seat_without_a_position_is_listed_below_the_map_not_dropped() -> None:
    svg = render_seatmap(
        [
            SeatDot("A-1", 0, 0, "Stalls", "free"),
            SeatDot("A-2", 10, 0, "Stalls", "held"),
            SeatDot("Z-9", None, 5, "Stalls", "sold"),
            SeatDot("Z-10", math.nan, 5, "Stalls", "conflict"),
        ]
    )
    unplaced = [c for c in seats_of(svg) if "unplaced" in c.get("class")]
    assert sorted(c.get("data-label") for c in unplaced) == ["Z-10", "Z-9"]
    assert "No position in Tessitura (2)" in svg
    placed = {c.get("data-label"): c for c in seats_of(svg) if c not in unplaced}
    assert float(placed["A-1"].get("cx")) < float(placed["A-2"].get("cx"))


def test_each_state_has_its_colour_a_hover_title_and_a_legend_entry_with_its_count() -> None:
    seats = [
        SeatDot(f"S-{i}", i, 0, "S", state, title=f"why {i}") for i, state in enumerate(STATES)
    ]
    seats.append(SeatDot("S-99", 99, 0, "S", "conflict"))
    root = parse(render_seatmap(seats))
    for c in seats_of(render_seatmap(seats)):
        assert c.get("fill") == COLOURS[c.get("data-state")]
        assert c.find(f"{SVG}title").text.startswith(("why", "S-99"))
    legend = {
        g.get("data-state"): "".join(g.itertext())
        for g in root.iter(f"{SVG}g")
        if g.get("class") == "legend-item"
    }
    assert list(legend) == list(STATES)
    assert legend["conflict"].endswith("(2)")


def test_a_hostile_label_stays_text() -> None:
    svg = render_seatmap([SeatDot('"><script>alert(1)</script>', 1, 1, "<b>", "free", "<i>x</i>")])
    assert "<script>" not in svg and "<b>" not in svg and "<i>" not in svg
    (c,) = seats_of(svg)
    assert c.get("data-label") == '"><script>alert(1)</script>'


def test_huge_and_equal_coordinates_still_fit() -> None:
    svg = render_seatmap(
        [SeatDot("a", -1.7e308, 1.7e308, state="free"), SeatDot("b", 1.7e308, -1.7e308)]
    )
    xs = sorted(float(c.get("cx")) for c in seats_of(svg))
    assert xs[0] < xs[1]
    (one,) = seats_of(render_seatmap([SeatDot("only", 5, 5)]))
    assert math.isfinite(float(one.get("cx")))


def test_rows_sections_and_the_stage_are_labelled_on_the_front_rows_side() -> None:
    seats = [
        SeatDot(f"{s}-{r}-{n}", n, y, s, "free", row=r)
        for s, rows, first in (("Orchestra", "AB", 1), ("Balcony", "AB", 10))
        for y, r in enumerate(rows, start=first)
        for n in (1, 2, 3)
    ]
    root = parse(render_seatmap(seats))
    rows = [
        (t.get("data-section"), t.text)
        for t in root.iter(f"{SVG}text")
        if t.get("class") == "row-label"
    ]
    assert sorted(rows) == [
        ("Balcony", "A"),
        ("Balcony", "B"),
        ("Orchestra", "A"),
        ("Orchestra", "B"),
    ]
    sections = [
        g.get("data-section") for g in root.iter(f"{SVG}g") if g.get("class") == "section-label"
    ]
    assert sorted(sections) == ["Balcony", "Orchestra"]
    assert stage_side(seats) == "top"  # the A rows sit above the middle: y grows downwards
    (stage,) = [g for g in root.iter(f"{SVG}g") if g.get("class") == "stage"]
    seat_ys = [float(c.get("cy")) for c in seats_of(render_seatmap(seats))]
    assert float(stage.find(f"{SVG}rect").get("y")) < min(seat_ys)
    flipped = [
        SeatDot(d.label, d.x, -float(d.y or 0), d.section, d.state, row=d.row) for d in seats
    ]
    assert stage_side(flipped) == "bottom"
    assert stage_side([SeatDot("X-1", 1, 1, "X", "free", row="X")]) is None


def test_each_channel_has_its_table_colour_else_a_stable_one_and_a_legend_entry() -> None:
    seats = [
        SeatDot(
            "A-1",
            1,
            1,
            "S",
            "channel",
            channel="house",
            channel_name="House seats",
            channel_colour="#B03A2E",
        ),
        SeatDot("A-2", 2, 1, "S", "channel", channel="press"),
        SeatDot("A-3", 3, 1, "S", "channel", channel="press"),
        SeatDot("A-4", 4, 1, "S", "free"),
    ]
    svg = render_seatmap(seats)
    fills = {c.get("data-label"): c.get("fill") for c in seats_of(svg)}
    assert fills["A-1"] == "#b03a2e"
    assert fills["A-2"] == fills["A-3"] == channel_colour("press") != fills["A-1"]
    assert channel_colour("press") == channel_colour("press", "not a colour")
    assert fills["A-4"] == COLOURS["free"]
    legend = {
        g.get("data-channel"): "".join(g.itertext())
        for g in parse(svg).iter(f"{SVG}g")
        if g.get("class") == "legend-item channel"
    }
    assert legend == {"house": "channel House seats (1)", "press": "channel press (2)"}
    states = [
        g.get("data-state") for g in parse(svg).iter(f"{SVG}g") if g.get("class") == "legend-item"
    ]
    assert states == ["free"]  # the channels' own entries stand for "in a bridge channel"
