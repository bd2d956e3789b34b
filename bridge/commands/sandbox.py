"""`seatbridge sandbox serve`: both emulators on loopback until interrupted."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import click

from bridge.commands.render import echo
from bridge.errors import ConfigError
from bridge.sandbox import (
    TESSITURA_LOCATION,
    TESSITURA_USER,
    TESSITURA_USER_GROUP,
    Sandbox,
)


@click.group()
def sandbox() -> None:
    """The built-in emulators of Tessitura and seats.io (no accounts needed)."""


@sandbox.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--tessitura-port",
    default=7801,
    show_default=True,
    type=int,
    help="Port of the Tessitura fake.",
)
@click.option(
    "--seatsio-port", default=7802, show_default=True, type=int, help="Port of the seats.io fake."
)
@click.option(
    "--venue",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Venue file (TOML); the sample Grand Hall when omitted.",
)
@click.option(
    "--seatsio-empty",
    is_flag=True,
    help="Start seats.io with the venue's chart but no events or seasons (for provisioning).",
)
def serve(
    host: str, tessitura_port: int, seatsio_port: int, venue: Path | None, seatsio_empty: bool
) -> None:
    """Serve both emulators and print their base URLs; runs until interrupted."""
    try:
        box = Sandbox(venue, seatsio_empty=seatsio_empty)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    v = box.venue
    echo(f"venue      {v.name}: {len(v.seats)} places, {len(v.performances)} performances")
    echo(
        f"tessitura  http://{host}:{tessitura_port}/TessituraService/  "
        f"(user {TESSITURA_USER}, group {TESSITURA_USER_GROUP}, location {TESSITURA_LOCATION})"
    )
    echo(f"seatsio    http://{host}:{seatsio_port}")
    echo("secrets    the fixed sandbox ones, in config/sandbox-secrets/")
    echo(f"control    http://{host}:{seatsio_port}/_sandbox/requests  (and on :{tessitura_port})")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve_both(box, host, tessitura_port, seatsio_port))


async def _serve_both(box: Sandbox, host: str, tessitura_port: int, seatsio_port: int) -> None:
    import uvicorn

    servers = [
        uvicorn.Server(
            uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off")
        )
        for app, port in ((box.tessitura_app, tessitura_port), (box.seatsio_app, seatsio_port))
    ]
    await asyncio.gather(*(s.serve() for s in servers))
