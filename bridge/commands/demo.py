"""`seatbridge demo`: the bridge against the built-in sandbox, start to finish, in seconds."""

from __future__ import annotations

from collections import Counter

import click

from bridge.sandbox.venue import load_venue


@click.command()
def demo() -> None:
    """Show the sample venue the sandbox serves."""
    venue = load_venue()
    click.echo(f"{venue.name}: {len(venue.seats)} places, {len(venue.performances)} performances")
    by_code = Counter(h.hold_code_id for h in venue.holds)
    for code in venue.hold_codes:
        click.echo(f"  {code.description:<22} {by_code.get(code.id, 0):>4} seat-holds")
