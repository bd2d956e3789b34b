"""`seatbridge mappings seats`: generate a seat table from Tessitura and the seats.io event."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bridge.clock import SYSTEM
from bridge.commands.config import config_option, load_or_exit
from bridge.commands.render import echo
from bridge.config import BridgeConfig, redact
from bridge.errors import BridgeError
from bridge.mapping.problems import display_path
from bridge.mapping.seat_table import (
    DEFAULT_TEMPLATE,
    SectionField,
    render_seat_table_csv,
    template_problem,
)

if TYPE_CHECKING:
    from bridge.mapping.online import GeneratedSeatTable


@click.group("mappings")
def mappings() -> None:
    """Build and check the operator's mapping tables."""


@mappings.command("seats")
@click.option(
    "--performance",
    "performance_id",
    type=int,
    required=True,
    help="A Tessitura performance whose seat map (and seats.io event) to use.",
)
@config_option
@click.option(
    "--template",
    default=DEFAULT_TEMPLATE,
    show_default=True,
    help="Label template; placeholders {section}, {row}, {seat}, {section_id}.",
)
@click.option(
    "--section-field",
    type=click.Choice([f.value for f in SectionField]),
    default=SectionField.DESCRIPTION.value,
    show_default=True,
    help="Which Tessitura section text the chart uses.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the CSV here (default: stdout).",
)
def seats(
    performance_id: int,
    config_path: Path,
    template: str,
    section_field: str,
    out: Path | None,
) -> None:
    """Join the performance's Tessitura seats to the labels of its seats.io event.

    Seats without a label on the chart, chart labels without a seat, and duplicate
    section/row/number triples are listed on stderr (and as comments in the CSV).

    \b
    Exit codes:
      0   the table was written and everything matched
      2   the table was written with findings
      1   error: a bad config or --template, an API failed, no seat matched
          (nothing written), --out cannot be written (the table then goes to stdout)
      64  usage error
    """
    why = template_problem(template)
    if why:  # a semantic check of the value: exit 1, like every other refused input here
        echo(f"error: --template {template!r}: {why}", err=True)
        sys.exit(1)
    cfg = load_or_exit(config_path)
    from bridge.logs import configure

    configure(cfg.log.level, cfg.log.format)

    try:
        generated = asyncio.run(
            _generate(cfg, performance_id, template, SectionField(section_field))
        )
    except BridgeError as exc:
        echo(f"error: {redact(str(exc))}", err=True)
        sys.exit(1)
    result = generated.result
    if not result.labels:  # an empty table would make every hold of the seat map unknown
        for line in result.summary():
            echo(line, err=True)
        echo(
            f"error: no seat matched a chart label with --template {template!r}: "
            "nothing written (an empty seat table is refused)",
            err=True,
        )
        sys.exit(1)
    stamp = SYSTEM.now().strftime("%Y-%m-%d %H:%M UTC")
    text = render_seat_table_csv(
        result,
        generated_from=(
            f"{stamp} by `seatbridge mappings seats --performance {performance_id}` "
            f"from Tessitura and seats.io event {generated.event_key!r}"
        ),
    )
    written = True
    if out is None:
        echo(text, nl=False)
    else:
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, encoding="utf-8")
            echo(f"wrote {display_path(out)}", err=True)
        except OSError as exc:  # the generated table is not lost: it goes to stdout
            echo(f"error: --out {str(out)!r}: {exc.strerror or exc}", err=True)
            echo(text, nl=False)
            written = False
    for line in result.summary():
        echo(line, err=True)
    if not written:
        sys.exit(1)
    if not result.clean:
        sys.exit(2)


async def _generate(
    cfg: BridgeConfig, performance_id: int, template: str, section_field: SectionField
) -> GeneratedSeatTable:
    """:func:`bridge.mapping.online.generate_seat_table` against the real APIs."""
    from bridge.mapping.online import generate_seat_table
    from bridge.runtime import open_sources

    async with open_sources(cfg) as (tessitura, seatsio):
        return await generate_seat_table(
            cfg.tables,
            performance_id,
            tessitura,
            seatsio,
            template=template,
            section_field=section_field,
        )
