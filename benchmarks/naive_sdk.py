"""The naive baseline: what a competent developer's first sync would be, with the official SDK.

Sequential (no threads, no asyncio), one performance after another: read its holds from Tessitura
over plain HTTP, then write seats.io with the ``seatsio`` SDK (sync, ``requests``): replace the
channels, one status change per custom status, one for-sale edit. Every call on every pass: it
never reads seats.io back, so it never diffs and never skips a write. *What* is wanted comes from
the bridge's own pure mapping (:func:`bridge.core.desired.desired_state` over the config's
tables), so that a difference in the end state is a difference in *how*, not in mapping.

Seasons: an event in a seats.io season cannot have channels; the season's channels depend on all
its performances, so the holds of every performance are read first and a season's channels are
replaced once, on the season.

    .venv/bin/python benchmarks/naive_sdk.py [--performances 50] [--latency-ms 0] [--verify]

``--verify`` also runs the bridge's cold pass (``seatbridge reconcile --all``) on a second fresh
sandbox and compares both end states with :func:`seatsio_end_state`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
import seatsio  # type: ignore[import-untyped]  # the SDK ships no type information
from bench_daemon import endpoint_counts, served
from pydantic import TypeAdapter
from seatsio import ChannelCreationParams, Region

from bridge.config import BridgeConfig, load_config
from bridge.core.desired import DesiredEvent, desired_state
from bridge.domain import HoldSnapshot, SeatHold
from bridge.runtime import policy_of
from bridge.sandbox import Sandbox
from bridge.tessitura import models as m
from bridge.tessitura.credentials import TessituraAuth, TessituraCredentials
from bridge.testing.sandbox import run

_HOLDS = TypeAdapter(list[m.SeatHoldDetail])

#: One object as a buyer would meet it: (status, channel key or None, for sale).
ObjectState = tuple[str, str | None, bool]
#: What :func:`seatsio_end_state` leaves out: a free object, in no channel, for sale.
_DEFAULT: ObjectState = ("free", None, True)


# -- Tessitura: plain sequential HTTP -------------------------------------------------------------


def _tessitura(cfg: BridgeConfig) -> httpx.Client:
    """One sync client with the config's base URL and the four-part Basic login."""
    t = cfg.tessitura
    if cfg.tessitura_password is None:
        raise SystemExit("naive_sdk: no Tessitura password in the config")
    credentials = TessituraCredentials(t.username, t.user_group, t.location, cfg.tessitura_password)
    return httpx.Client(
        base_url=t.base_url if t.base_url.endswith("/") else t.base_url + "/",
        auth=TessituraAuth(credentials),
        headers={"Accept": "application/json"},
        timeout=t.timeout_s,
    )


def read_holds(tessitura: httpx.Client, performance_id: int) -> HoldSnapshot:
    """The performance (for its seat map) and every hold layer: two GETs, JSON only."""
    response = tessitura.get(f"TXN/Performances/{performance_id}")
    response.raise_for_status()
    performance = m.Performance.model_validate(response.json())
    if performance.seat_map_id is None:
        raise SystemExit(f"naive_sdk: performance {performance_id} names no seat map")
    response = tessitura.get(
        f"TXN/Performances/{performance_id}/Seats/Holds", params={"includeAllHolds": "true"}
    )
    response.raise_for_status()
    holds = _HOLDS.validate_python(response.json())
    return HoldSnapshot(
        performance_id=performance_id,
        seat_map_id=performance.seat_map_id,
        holds=tuple(SeatHold(h.seat_id, h.hold_code_id, h.priority, h.end_date) for h in holds),
    )


# -- seats.io: the SDK, one call per idea ---------------------------------------------------------


def sdk_client(cfg: BridgeConfig) -> seatsio.Client:
    """The SDK pointed at the config's API root (any URL: ``Region`` only holds it)."""
    if cfg.seatsio_secret_key is None:
        raise SystemExit("naive_sdk: no seats.io secret key in the config")
    return seatsio.Client(
        Region(cfg.seatsio.api_url),
        secret_key=cfg.seatsio_secret_key.get_secret_value(),
        workspace_key=cfg.seatsio.workspace_key,
    )


def _replace_channels(client: seatsio.Client, cfg: BridgeConfig, want: DesiredEvent) -> None:
    """Every configured bridge channel, with the objects wanted in it (possibly none): the SDK
    sends ``{}`` for an empty list, a 400 in the fake, so the list is never empty."""
    channels = [
        ChannelCreationParams(
            spec.key, spec.name, spec.color, spec.index, sorted(want.channels.get(spec.key, ()))
        )
        for spec in cfg.tables.channels
    ]
    if channels:
        client.events.channels.replace(want.key, channels)


def _statuses_and_for_sale(
    client: seatsio.Client, want: DesiredEvent, fallbacks: Mapping[str, str]
) -> None:
    """One status change per custom status, then one for-sale edit for the not-for-sale labels.

    ``fallbacks`` (label -> status, "" for not for sale) are a season's channel holds that cannot
    go to the season this pass: held on the event instead, as a fresh season holds none."""
    statuses = {k: set(v) for k, v in want.statuses.items()}
    not_for_sale = set(want.not_for_sale)
    for label, status in fallbacks.items():
        if status:
            statuses.setdefault(status, set()).add(label)
        else:
            not_for_sale.add(label)
    for status, labels in sorted(statuses.items()):
        # on a second pass the objects already sit in the bridge's channels, which seats.io
        # refuses to change unless told to (the first fix a developer makes)
        client.events.change_object_status(want.key, sorted(labels), status, ignore_channels=True)
    if not_for_sale:
        client.events.edit_for_sale_config(
            want.key, not_for_sale=[{"object": label} for label in sorted(not_for_sale)]
        )


def run_naive(config_path: Path, performance_ids: Sequence[int]) -> None:
    """One full naive pass over ``performance_ids``: read all holds, then write every event and
    season, sequentially, every call whatever seats.io already shows."""
    cfg = load_config(config_path)
    with _tessitura(cfg) as tessitura:
        snapshots = [read_holds(tessitura, p) for p in performance_ids]
    wanted = desired_state(snapshots, cfg.tables, policy_of(cfg))
    client = sdk_client(cfg)
    for want in wanted.events.values():
        if want.is_season:
            _replace_channels(client, cfg, want)
            continue
        if want.season_key is None:
            _replace_channels(client, cfg, want)
        _statuses_and_for_sale(client, want, want.season_fallbacks)


# -- the end state ---------------------------------------------------------------------------------


def seatsio_end_state(box: Sandbox) -> dict[str, dict[str, ObjectState]]:
    """Every event's and season's objects as ``{key: {label: (status, channel, for_sale)}}``,
    read from the fake's in-memory world, leaving out objects that are free, in no channel and
    for sale (absent means exactly that).

    An event in a season shows its season's channel, and the season's not-for-sale objects when
    propagated. Ignored, as they legitimately differ between two ways of getting there: hold
    tokens, order ids, extra data, ids, timestamps, the status-change log, the for-sale budget,
    and the channels themselves (names, colours, indices, ids, empty channels): only which
    channel holds an object counts.
    """
    world = box.seatsio_world
    out: dict[str, dict[str, ObjectState]] = {}
    for event in sorted(world.events(), key=lambda e: e.key):
        objects: dict[str, ObjectState] = {}
        for view in world.object_views(event.key):
            state: ObjectState = (view.status, view.channel, view.for_sale)
            if state != _DEFAULT:
                objects[view.object.label] = state
        out[event.key] = objects
    return out


def differences(
    a: Mapping[str, Mapping[str, Any]], b: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    """Human-readable lines for every key and label where two end states differ."""
    lines = []
    for key in sorted(set(a) | set(b)):
        left, right = a.get(key, {}), b.get(key, {})
        for label in sorted(set(left) | set(right)):
            x, y = left.get(label, _DEFAULT), right.get(label, _DEFAULT)
            if x != y:
                lines.append(f"{key} {label}: {x} != {y}")
    return lines


# -- the command -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--performances", type=int, default=50)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--verify", action="store_true", help="compare with the bridge's cold pass")
    parser.add_argument("--pass-config", type=Path, help="one pass with this config, no sandbox")
    parser.add_argument("--ids-file", type=Path, help="with --pass-config: performance ids")
    args = parser.parse_args()
    if args.pass_config:  # bench_portfolio.py runs each pass as a process, as the bridge's
        ids = [int(line) for line in args.ids_file.read_text().split()]
        run_naive(args.pass_config, ids)
        return
    latency_s = args.latency_ms / 1000
    with tempfile.TemporaryDirectory(prefix="naive-sdk-") as tmp:
        with served("portfolio", Path(tmp), args.performances, latency_s) as site:
            ids = [p.id for p in site.venue.performances]
            started = time.monotonic()
            run_naive(site.config, ids)
            seconds = time.monotonic() - started
            counts = endpoint_counts(site.log(), site)
            naive = seatsio_end_state(site.box)
        print(
            f"naive pass: {len(ids)} performances in {seconds:.2f} s, {sum(counts.values())} calls"
        )
        for endpoint, n in sorted(counts.items()):
            print(f"  {n:6d}  {endpoint}")
        if not args.verify:
            return
        (Path(tmp) / "bridge").mkdir()
        with served("portfolio", Path(tmp) / "bridge", args.performances, latency_s) as site:
            done = run(site.config, "reconcile", "--all", timeout_s=600)
            bridge = seatsio_end_state(site.box)
            bridge_counts = endpoint_counts(site.log(), site)
        print(f"bridge cold pass: exit {done.returncode}, {sum(bridge_counts.values())} calls")
        for endpoint, n in sorted(bridge_counts.items()):
            print(f"  {n:6d}  {endpoint}")
        if done.returncode not in (0, 3):
            print(done.stdout, done.stderr, sep="\n")
        diff = differences(naive, bridge)
        held = sum(len(v) for v in bridge.values())
        print(f"end states: {len(bridge)} events and seasons, {held} objects not default")
        print("equal" if not diff else f"{len(diff)} differences:\n" + "\n".join(diff[:50]))
        if diff:
            sys.exit(1)


if __name__ == "__main__":
    main()
