"""A generated portfolio for benchmarks: many performances of one large hall, several seasons.

The shape issue 15 describes: a 2,500-3,000 seat hall, a few seats.io seasons of 60-100
performances each plus standalone performances, about a tenth of the seats held over the sample's
six hold codes, a few sold. Dates spread over the discovery horizon, so a daemon finds every one.
:func:`write_portfolio` writes the venue, its seat and performance tables and a config pointing at
a served sandbox; the same hold-code table as the sample venue maps the codes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bridge.clock import SYSTEM
from bridge.mapping.seat_table import render_seat_table_csv
from bridge.sandbox.venue import Venue, load_venue
from bridge.testing.sample_tables import venue_seat_table
from bridge.testing.sandbox import sandbox_config

HALL = """
name = "Portfolio Hall"
facility_id = 47
seat_map_id = 12
chart_key = "grand-hall-chart"
utc_offset = "-05:00"
first_seat_id = 10001

[[sections]]
id = 1
description = "Stalls"
rows = [{ rows = "A-Y", seats = 60 }]

[[sections]]
id = 2
description = "Circle"
rows = [{ rows = "A-T", seats = 45 }]

[[sections]]
id = 3
description = "Gallery"
rows = [{ rows = "A-O", seats = 40 }]

[[hold_codes]]
id = 1
description = "House"
legend = "HSE"
[[hold_codes]]
id = 2
description = "Press"
legend = "PRS"
[[hold_codes]]
id = 3
description = "Comps"
legend = "ART"
[[hold_codes]]
id = 4
description = "Access"
legend = "WCC"
[[hold_codes]]
id = 5
description = "Kill"
legend = "KIL"
blackout = true
[[hold_codes]]
id = 6
description = "Subscription"
legend = "SUB"

{seasons}

{standalone}

[[holds]]
performances = "all"
hold_code = 1
seats = ["Stalls A 1-60", "Stalls B 1-60"]

[[holds]]
performances = "all"
hold_code = 5
seats = ["Gallery O 1-40"]

[[holds]]
performances = "all"
hold_code = 4
seats = ["Stalls Y 1-30"]

[[holds]]
performances = "season"
hold_code = 6
seats = ["Circle C 1-45", "Circle D 1-45"]

[[holds]]
performances = "all"
hold_code = 2
seats = ["Circle A 1-20"]

[[sales]]
performances = "all"
seats = ["Stalls H 1-30", "Circle J 1-20"]
"""


@dataclass(frozen=True)
class PortfolioShape:
    """How many performances: ``season_sizes`` (one seats.io season each) plus ``standalone``,
    their dates spread evenly over ``span_days`` from today."""

    season_sizes: tuple[int, ...] = (60, 70, 80, 90, 100)
    standalone: int = 100
    span_days: int = 110

    @property
    def performances(self) -> int:
        return sum(self.season_sizes) + self.standalone

    @classmethod
    def scaled(cls, performances: int) -> PortfolioShape:
        """The default shape's proportions at ``performances`` in all (at least 2: a season of
        one and a standalone performance); seasons too small to round to one are left out."""
        full = cls()
        share = max(performances, 2) / full.performances
        sizes = tuple(n for n in (round(n * share) for n in full.season_sizes) if n) or (1,)
        return cls(sizes, max(1, max(performances, 2) - sum(sizes)))


def portfolio_venue_text(shape: PortfolioShape) -> str:
    """The venue file (the sandbox's TOML form) of ``shape``."""
    total = shape.performances
    day = iter([i * shape.span_days // max(total - 1, 1) for i in range(total)])
    seasons = []
    for s, size in enumerate(shape.season_sizes, start=1):
        perfs = ", ".join(f"{{ id = {s * 1000 + i}, day = {next(day)} }}" for i in range(size))
        seasons.append(
            f'[[seasons]]\nid = {3000 + s}\ndescription = "Season {s}"\n'
            f'production_season_id = {s}\nseatsio_season_key = "season-{s}"\n'
            f"performances = [{perfs}]\n"
        )
    standalone = "\n".join(
        f'[[standalone]]\nid = {9000 + i}\nday = {next(day)}\ndescription = "Special {i}"\n'
        f"season_id = 3999\nproduction_season_id = {100 + i}\n"
        for i in range(shape.standalone)
    )
    return HALL.replace("{seasons}", "\n".join(seasons)).replace("{standalone}", standalone)


def write_portfolio(
    folder: Path,
    tessitura_url: str,
    seatsio_url: str,
    shape: PortfolioShape,
    *,
    today: date | None = None,
) -> tuple[Venue, Path]:
    """The venue of ``shape`` (dates from ``today``, default the real today: a daemon schedules
    by the wall clock) and a config at ``folder/bridge.toml`` pointing at fakes served at the two
    URLs, with its own seat and performance tables."""
    folder.mkdir(parents=True, exist_ok=True)
    venue_file = folder / "portfolio.toml"
    venue_file.write_text(portfolio_venue_text(shape), encoding="utf-8")
    venue = load_venue(venue_file, today=today or SYSTEM.now().astimezone().date())
    seats = folder / "seats.csv"
    seats.write_text(
        render_seat_table_csv(venue_seat_table(venue), generated_from="the portfolio hall"),
        encoding="utf-8",
    )
    performances = folder / "performances.csv"
    rows = [
        f"{p.id},{p.event_key},{p.seatsio_season_key}"
        for p in venue.performances
        if p.seatsio_season_key
    ]
    performances.write_text(
        "performance_id,event_key,season_key\n" + "\n".join(rows) + "\n", encoding="utf-8"
    )
    config = sandbox_config(folder, tessitura_url, seatsio_url)
    text = config.read_text(encoding="utf-8")
    text = re.sub(r'"[^"]*seats-12\.csv"', f'"{seats}"', text)
    text = re.sub(r'"[^"]*performances\.csv"', f'"{performances}"', text)
    config.write_text(text, encoding="utf-8")
    return venue, config
