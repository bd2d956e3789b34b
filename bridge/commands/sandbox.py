"""`seatbridge sandbox serve` and, until the reconcile engine lands, `seatbridge demo`."""

from __future__ import annotations

from collections import Counter

import click

from bridge.sandbox.venue import load_venue


@click.group()
def sandbox() -> None:
    """The built-in emulators of Tessitura and seats.io."""


@click.command()
def demo() -> None:
    """Show the sample venue the sandbox serves."""
    venue = load_venue()
    click.echo(f"{venue.name}: {len(venue.seats)} places, {len(venue.performances)} performances")
    by_code = Counter(h.hold_code_id for h in venue.holds)
    for code in venue.hold_codes:
        click.echo(f"  {code.description:<22} {by_code.get(code.id, 0):>4} seat-holds")
