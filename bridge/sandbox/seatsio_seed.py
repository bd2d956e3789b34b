"""Seed the fake seats.io from a venue: the chart, and (unless empty) its events as seats.io has them.

The chart's objects are the seats' labels, categorised by section. A non-empty world also has the
season(s) with their events, the standalone events, the seats already sold online (booked, with
an order id) and the channels the bridge does not own.
"""

from __future__ import annotations

from collections import defaultdict

from bridge.sandbox.seatsio_clock import Clock, utc_now
from bridge.sandbox.seatsio_model import Category, ChannelSpec, Chart, ChartObject
from bridge.sandbox.seatsio_world import SeatsioWorld
from bridge.sandbox.venue import Venue

_COLORS = ("#2E86C1", "#28B463", "#D68910", "#8E44AD", "#C0392B", "#17A589")


def chart_from_venue(venue: Venue) -> Chart:
    """One seat per venue seat; neighbours are the seats either side in the same row."""
    sections = {s.id: s for s in venue.sections}
    by_row: dict[tuple[int, str], set[str]] = defaultdict(set)
    for seat in venue.seats:
        by_row[seat.section_id, seat.row].add(seat.number)
    objects: dict[str, ChartObject] = {}
    for seat in venue.seats:
        section = sections[seat.section_id]
        row_numbers = by_row[seat.section_id, seat.row]
        prefix = f"{section.description}-{seat.row}-"
        left, right = str(int(seat.number) - 1), str(int(seat.number) + 1)
        objects[seat.label] = ChartObject(
            label=seat.label,
            section=section.description,
            row=seat.row,
            number=seat.number,
            category_key=str(section.id),
            category_label=section.description,
            accessible=seat.wheelchair,
            left_neighbour=prefix + left if left in row_numbers else None,
            right_neighbour=prefix + right if right in row_numbers else None,
        )
    categories = tuple(
        Category(str(s.id), s.description, _COLORS[i % len(_COLORS)])
        for i, s in enumerate(venue.sections)
    )
    return Chart(venue.chart_key, venue.name, objects, categories)


def world_from_venue(venue: Venue, *, empty: bool = False, clock: Clock = utc_now) -> SeatsioWorld:
    """The workspace as seats.io would hold it for this venue (only the chart when ``empty``)."""
    world = SeatsioWorld(chart_from_venue(venue), clock=clock)
    if empty:
        return world
    for season_key, performances in venue.seasons().items():
        world.create_season(
            venue.chart_key,
            season_key,
            name=performances[0].season_description,
            event_keys=[p.event_key for p in performances],
        )
        for p in performances:
            world.event(p.event_key).name = p.description
    for p in venue.performances:
        if not p.seatsio_season_key:
            world.create_event(venue.chart_key, p.event_key, name=p.description)

    label_of = {s.id: s.label for s in venue.seats}
    sold: dict[int, list[str]] = defaultdict(list)
    for sale in venue.sales:
        sold[sale.performance_id].append(label_of[sale.seat_id])
    for performance_id, sold_labels in sold.items():
        event_key = venue.performance(performance_id).event_key
        world.book(event_key, sold_labels, order_id=f"web-{performance_id}", ignore_channels=True)

    for fc in venue.foreign_channels:
        performance = venue.performance(fc.performance_id)
        owner = performance.seatsio_season_key or performance.event_key
        labels = tuple(label_of[i] for i in fc.seat_ids)
        if any(c.key == fc.key for c in world.channels(owner)):
            world.add_channel_objects(owner, fc.key, labels)
        else:
            world.add_channels(owner, [ChannelSpec(fc.key, fc.name, fc.color, None, labels)])
    return world
