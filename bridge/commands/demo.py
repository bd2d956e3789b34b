"""`seatbridge demo`: the bridge against the built-in sandbox, start to finish, in seconds.

It starts both emulators in-process, syncs the sample venue, then plays the box office through
Tessitura's own POST Seats/Holds (a new press hold, a lifted house hold, a hold on a seat already
sold online, a subscription hold across the season), syncs again, and shows the minimal plan, the
conflict and what seats.io now says. No accounts, no config edits, nothing left behind.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
import tempfile
from pathlib import Path

import click
import httpx
from rich.console import Console
from rich.table import Table

from bridge.clock import SYSTEM
from bridge.commands.config import load_or_exit
from bridge.commands.render import findings_table, plan_table, terminal
from bridge.config import BridgeConfig
from bridge.core.outcome import Ending, RunReport
from bridge.logs import configure
from bridge.reconcile.explain_gather import explain_performance
from bridge.runtime import Runtime, connect
from bridge.sandbox import SAMPLE_CONFIG, SERVED_MAX_DELAY_S, Sandbox
from bridge.sandbox.venue import Venue
from bridge.store import open_store
from bridge.tessitura.models import ReplaceMode, SeatHoldRequest

#: The sample's sandbox config, shipped in the package; the demo only borrows its tables and
#: settings.
DEFAULT_DEMO_CONFIG = SAMPLE_CONFIG

HOUSE, PRESS, SUBSCRIPTION, LIFT_ALL = 1, 2, 6, -1


@click.command()
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_DEMO_CONFIG,
    show_default="the sample's sandbox.toml, shipped with seatbridge",
    help="Sandbox config whose mapping tables the demo uses.",
)
@click.option(
    "--live",
    is_flag=True,
    help="Run the daemon and its status page against the sandbox, with a simulated box office "
    "and online buyer, until Ctrl-C; prints the page's address.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default="any free port",
    help="With --live: the status page's port on 127.0.0.1.",
)
@click.option(
    "--every",
    "every_s",
    type=click.FloatRange(0.1, 3600),
    default=3.0,
    show_default=True,
    metavar="SECONDS",
    help="With --live: seconds between two moves of the simulated traffic.",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="With --live: the seed of the simulated traffic (the same seed, the same moves).",
)
def demo(config_path: Path, live: bool, port: int, every_s: float, seed: int) -> None:
    """Run the bridge against the built-in sandbox and tell what it does; with --live, keep
    it running with its status page and simulated traffic."""
    if not config_path.exists():
        raise click.ClickException(
            f"{config_path} not found: pass --config the sandbox config to use"
        )
    if live:
        from bridge.commands.demo_live import run_live

        sys.exit(run_live(config_path, port=port, seed=seed, every_s=every_s))
    configure("error", "console")
    cfg = load_or_exit(config_path)
    console = terminal()
    started = SYSTEM.monotonic()
    with tempfile.TemporaryDirectory(prefix="seatbridge-demo-") as tmp:
        asyncio.run(_story(console, cfg, Path(tmp) / "demo.sqlite3"))
    console.print(f"\n[bold]Done in {SYSTEM.monotonic() - started:.1f} s.[/bold]")


async def _story(console: Console, cfg: BridgeConfig, store_path: Path) -> None:
    box = Sandbox(seatsio_max_delay_s=SERVED_MAX_DELAY_S)
    venue = box.venue
    ids = [p.id for p in venue.performances]
    season_key, season_performances = next(iter(venue.seasons().items()))
    season = [p.id for p in season_performances]
    tonight = next(p for p in venue.performances if p.seatsio_season_key is None)
    with open_store(store_path, durable=False) as store:
        async with connect(
            cfg,
            tessitura_transport=httpx.ASGITransport(app=box.tessitura_app),
            seatsio_transport=httpx.ASGITransport(app=box.seatsio_app),
            store=store,
        ) as rt:
            console.rule("[bold]1. The sample venue")
            console.print(
                f"{venue.name}: {len(venue.seats)} places, {len(ids)} performances "
                f"({len(season)} in the seats.io season {season_key}"
                f", {len(ids) - len(season)} standalone). Tessitura holds "
                f"{len(venue.holds)} seat-holds; {len(venue.sales)} seats are sold online."
            )

            console.rule("[bold]2. First sync: seats.io learns the holds")
            first = await _sync(rt, ids)
            console.print(plan_table(first.plan, title="Applied"))
            _summary(console, first)

            console.rule("[bold]3. The box office works in Tessitura")
            press = _seats(venue, "Orchestra", "H", range(11, 15))
            house = _seats(venue, "Orchestra", "A", range(1, 5))
            sold = next(s for s in venue.sales if s.performance_id == tonight.id)
            subs = _seats(venue, "Mezzanine", "E", range(1, 7))
            await _hold(rt, tonight.id, press, PRESS)
            console.print(f"- press hold on {_labels(venue, press)} for {tonight.description}")
            await _hold(rt, tonight.id, house, LIFT_ALL, replace=ReplaceMode.REPLACE_EXISTING)
            console.print(
                f"- house hold lifted from {_labels(venue, house)} for {tonight.description}"
            )
            await _hold(rt, tonight.id, [sold.seat_id], PRESS, only_available=False)
            console.print(
                f"- press hold on {_labels(venue, [sold.seat_id])}, a seat already sold online"
            )
            for pid in season:
                await _hold(rt, pid, subs, SUBSCRIPTION)
            console.print(
                f"- subscription hold on {_labels(venue, subs)} in all {len(season)} season performances"
            )

            console.rule("[bold]4. What the bridge would change now (plan)")
            preview = await _sync(rt, ids, apply=False)
            console.print(plan_table(preview.plan, title="Minimal plan"))
            for op in preview.plan.api_operations:
                console.print(
                    f"  {op.kind.value:<20} {', '.join(op.event_keys):<22} "
                    f"{op.target or '':<14} {len(op.labels)} objects"
                    + (
                        f"  (only if now {'/'.join(op.allowed_previous)})"
                        if op.allowed_previous
                        else ""
                    )
                )
            if preview.conflicts:
                console.print(findings_table(preview.conflicts))

            console.rule("[bold]5. Second sync applies it")
            second = await _sync(rt, ids)
            _summary(console, second)

            console.rule("[bold]6. What seats.io shows now")
            # the "why" is seatbridge explain's own rule for each seat, not a caption
            show = press[:2] + house[:2] + [sold.seat_id]
            tonight_facts = await explain_performance(rt.reconciler(), tonight.id)
            season_facts = await explain_performance(rt.reconciler(), season[0])
            table = Table(title="Objects (why: seatbridge explain)", title_justify="left")
            for col in ("event / season", "object", "state", "why"):
                table.add_column(col)
            rows = [(tonight_facts, seat_id) for seat_id in show]
            rows += [(season_facts, seat_id) for seat_id in subs[:2]]
            for facts, seat_id in rows:
                seat = next(f for f in facts.seats if f.seat_id == seat_id)
                table.add_row(
                    seat.season_key or seat.event_key or "-",
                    seat.label or str(seat_id),
                    seat.state.value,
                    seat.rule,
                )
            console.print(table)

            third = await _sync(rt, ids, apply=False)
            # never "converged" above a conflict: the heading says what the third plan found
            heading = {
                Ending.CONVERGED: "Converged",
                Ending.CONFLICTS: "Converged except for conflicts",
            }.get(third.ending, f"Not converged ({third.ending.value})")
            console.rule(f"[bold]7. {heading}")
            state = (
                "nothing to do"
                if third.plan.is_empty
                else f"{len(third.plan.api_operations)} pending"
            )
            console.print(
                f"A third plan: {state}; {len(third.conflicts)} conflict(s) still reported "
                "until the box office resolves them in Tessitura."
            )
            console.rule("[bold]8. Two-way: what sells online, the box office cannot sell")
            await _two_way(console, box, rt, tonight.id, tonight.event_key)

            calls = rt.seatsio.stats
            console.print(f"seats.io calls made in the whole demo: {calls.total}")


async def _two_way(
    console: Console, box: Sandbox, rt: Runtime, performance_id: int, event_key: str
) -> None:
    """The write-back (``[writeback] mode = "apply"``, on for this step only): a seat booked
    online becomes a Tessitura hold of the bridge's code, which the box office cannot sell, and
    the hold goes when the online booking is cancelled."""
    settings = rt.cfg.writeback.model_copy(update={"mode": "apply"})
    two_way = dataclasses.replace(rt, cfg=dataclasses.replace(rt.cfg, writeback=settings))
    venue, tessitura = box.venue, box.tessitura_world
    label = "Orchestra-K-7"
    seat = venue.seat_by_label(label).id
    box.seatsio_world.book(event_key, [label])
    console.print(f"- an online buyer books {label} in {event_key}; no Tessitura order yet")
    await _sync(two_way, [performance_id])
    codes = [layer.hold_code_id for layer in tessitura.layers(performance_id, seat)]
    named = ", ".join(f"{c} ({tessitura.hold_code(c).description})" for c in codes) or "none"
    console.print(f"- the bridge holds it in Tessitura: hold code {named}")
    refused = tessitura.sell_open(performance_id, seat)
    console.print(
        "- the box office tries to sell it: "
        + ("refused, the seat is held" if refused else "SOLD (a double sale)")
    )
    box.seatsio_world.release(event_key, [label])
    await _sync(two_way, [performance_id])
    left = tessitura.layers(performance_id, seat)
    console.print(
        "- the online booking is cancelled: the bridge lifts its hold "
        + ("and the box office can sell the seat again" if not left else "(NOT lifted)")
    )


async def _sync(rt: Runtime, ids: list[int], *, apply: bool = True) -> RunReport:
    return await rt.reconciler().reconcile(ids, apply=apply)


def _summary(console: Console, report: RunReport) -> None:
    done = sum(u.outcome.count("done") for u in report.units if u.outcome)
    console.print(
        f"{done} operations applied, {len(report.conflicts)} conflicts, {len(report.errors)} errors"
    )


async def _hold(
    rt: Runtime,
    performance_id: int,
    seat_ids: list[int],
    code: int,
    *,
    replace: ReplaceMode = ReplaceMode.ABOVE_EXISTING,
    only_available: bool = True,
) -> None:
    await rt.tessitura.update_seat_holds(
        performance_id,
        [SeatHoldRequest(seat_id=s, hold_code_id=code) for s in seat_ids],
        replace_mode=replace,
        only_affect_available=only_available,
    )


def _seats(venue: Venue, section: str, row: str, numbers: range) -> list[int]:
    return [venue.seat_by_label(f"{section}-{row}-{n}").id for n in numbers]


def _labels(venue: Venue, seat_ids: list[int]) -> str:
    labels = [venue.seat(s).label for s in seat_ids]
    return labels[0] if len(labels) == 1 else f"{labels[0]}..{labels[-1].rsplit('-', 1)[-1]}"
