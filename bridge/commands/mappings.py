"""`seatbridge mappings seats`: generate a seat table from Tessitura and the seats.io event."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from bridge.commands.config import config_option, load_or_exit
from bridge.errors import BridgeError
from bridge.mapping.problems import display_path
from bridge.mapping.seat_table import (
    DEFAULT_TEMPLATE,
    SectionField,
    render_seat_table_csv,
    template_problem,
)


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
    section/row/number triples are listed on stderr (and as comments in the CSV); exit 0 when
    everything matched, 2 when the table was written with findings, 1 on error.
    """
    why = template_problem(template)
    if why:  # exit 1, not click's 2, which here means "written with findings"
        click.echo(f"error: --template {template!r}: {why}", err=True)
        sys.exit(1)
    cfg = load_or_exit(config_path)
    from bridge.logs import configure
    from bridge.mapping.online import generate_seat_table_sync

    configure(cfg.log.level, "console")

    try:
        generated = generate_seat_table_sync(
            cfg, performance_id, template=template, section_field=SectionField(section_field)
        )
    except BridgeError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    result = generated.result
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = render_seat_table_csv(
        result,
        generated_from=(
            f"{stamp} by `seatbridge mappings seats --performance {performance_id}` "
            f"from Tessitura and seats.io event {generated.event_key!r}"
        ),
    )
    if out is None:
        click.echo(text, nl=False)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        click.echo(f"wrote {display_path(out)}", err=True)
    for line in result.summary():
        click.echo(line, err=True)
    if not result.clean:
        sys.exit(2)
