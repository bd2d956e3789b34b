"""`seatbridge sandbox serve`: both emulators on loopback until interrupted."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from pathlib import Path

import click

from bridge.commands.render import echo
from bridge.errors import ConfigError
from bridge.sandbox import (
    SERVED_MAX_DELAY_S,
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
@click.option(
    "--seatsio-max-delay",
    "seatsio_max_delay_s",
    default=SERVED_MAX_DELAY_S,
    show_default=True,
    type=click.FloatRange(min=0),
    metavar="SECONDS",
    help="Longest a status change takes to show in seats.io's status-change listings "
    "(each its own delay up to this, as seats.io processes them asynchronously); 0: at once.",
)
def serve(
    host: str,
    tessitura_port: int,
    seatsio_port: int,
    venue: Path | None,
    seatsio_empty: bool,
    seatsio_max_delay_s: float,
) -> None:
    """Serve both emulators and print their base URLs; runs until interrupted."""
    try:
        box = Sandbox(venue, seatsio_empty=seatsio_empty, seatsio_max_delay_s=seatsio_max_delay_s)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    # bound before anything is printed: a port in use is one line and exit 1, not uvicorn's
    # log line, its exit 3 and a traceback
    tessitura = _listen_socket(host, tessitura_port, "--tessitura-port")
    try:
        sockets = [tessitura, _listen_socket(host, seatsio_port, "--seatsio-port")]
    except click.ClickException:
        tessitura.close()
        raise
    v = box.venue
    echo(f"venue      {v.name}: {len(v.seats)} places, {len(v.performances)} performances")
    echo(
        f"tessitura  http://{host}:{tessitura_port}/TessituraService/  "
        f"(user {TESSITURA_USER}, group {TESSITURA_USER_GROUP}, location {TESSITURA_LOCATION})"
    )
    echo(f"seatsio    http://{host}:{seatsio_port}")
    echo(
        "secrets    the fixed sandbox ones: config/sandbox-secrets/ of a checkout, or the "
        "secrets/ `seatbridge init` writes"
    )
    echo(f"control    http://{host}:{seatsio_port}/_sandbox/requests  (and on :{tessitura_port})")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve_both(box, sockets))


def _listen_socket(host: str, port: int, option: str) -> socket.socket:
    """A socket bound to ``host:port``; a port in use (or a bad host) is one line, exit 1."""
    try:
        infos = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE | socket.AI_NUMERICSERV
        )
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise click.ClickException(f"{option} {port}: cannot listen on {host}: {exc}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        sock.close()
        reason = exc.strerror or str(exc)
        raise click.ClickException(f"{option} {port}: cannot listen on {host}: {reason}") from None
    return sock


async def _serve_both(box: Sandbox, sockets: list[socket.socket]) -> None:
    import uvicorn

    tessitura, seatsio = sockets
    await asyncio.gather(
        uvicorn.Server(
            uvicorn.Config(box.tessitura_app, log_level="warning", lifespan="off")
        ).serve(sockets=[tessitura]),
        uvicorn.Server(uvicorn.Config(box.seatsio_app, log_level="warning", lifespan="off")).serve(
            sockets=[seatsio]
        ),
    )
