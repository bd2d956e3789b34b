"""A whole pass over a large portfolio, beside a naive sequential script on the official SDK.

The portfolio (bridge/testing/portfolio.py, ``--performances``, default 500): five seats.io seasons
of 60-100 performances and standalone performances of a 3,000-seat hall, about a tenth of the
seats held over six hold codes, a few sold. The sandbox serves it on loopback with
``--latency-ms`` (default 20) added to every vendor call. Each pass runs as a process, on a fresh
sandbox per repeat:

- **cold**: ``seatbridge reconcile --all`` on a sandbox where seats.io shows nothing yet;
- **after-cold**: the same again, nothing to do, but every event the cold pass wrote to is read in
  full (a pass that writes keeps no read of its events, see docs/architecture.md "Kept reads");
- **converged**: the same again, the steady state: events are read in full only where something
  may have changed (the fake's status-change feed lists changes up to 2 s late, as seats.io's is
  documented to be seconds behind);
- **incremental**: after 1 % of the performances (at least one) had holds changed through the fake
  Tessitura's ``POST Seats/Holds``: three free seats held (House), three held seats moved to another
  code (ReplaceMode 4).

Baseline, on its own fresh sandbox per repeat: ``benchmarks/naive_sdk.py``, a sequential script on
the ``seatsio`` SDK (per performance: read holds; replace channels, change statuses per code, edit
for-sale), the same three passes. After the cold passes, both seats.io end states must be equal
(checked; the benchmark fails otherwise).

Printed first: the commit and the date. Then, per pass: wall and CPU seconds (median and min-max
of ``--repeat`` runs), the speed-up over the baseline, peak RSS of the process, calls and answer
bytes by endpoint, seats.io reads and writes, the MiB read from seats.io (its GET answers; the
answers to writes apart) and from Tessitura (every answer: its performance search is a POST that
reads), the 1-minute load average sampled every 0.5 s during the pass (median and max), and
writes against the minimum, computed from the end states before and after the pass: one channel
call per event or season whose channel members changed, plus status and for-sale changes packed
into multi-event requests of at most 1,000 objects. That minimum replaces an event's channels in
one call, others' channels included; the "safe minimum" is the least a bridge needs that never
does that (seats.io moves objects one channel per call): one call per channel changed, the new
channels of an event together. ``--scale 50,200`` adds bridge passes at those
sizes, to show cost growing linearly; ``--profile DIR`` writes a pyinstrument profile of each
bridge pass of the first repeat; ``--json PATH`` writes every run's figures and the medians.

    .venv/bin/python benchmarks/bench_portfolio.py [--performances 500] [--repeat 3] [--scale 50,200]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from bench_daemon import Site, endpoint_bytes, endpoint_counts, served
from machine import LoadSampler, run_header
from naive_sdk import ObjectState, differences, seatsio_end_state

from bridge.config import load_config
from bridge.testing.sandbox import CHECKOUT, CREDENTIALS, basic

PYTHON = sys.executable
#: where the ``seatbridge`` passes run from (``--bridge-checkout``: an older commit's worktree,
#: to measure what a change bought against the same sandbox and benchmark)
BRIDGE_CHECKOUT = CHECKOUT
PASSES = ("cold", "after-cold", "converged", "incremental")
HOUSE, PRESS = 1, 2
#: the most objects one write request carries (bridge's max_objects_per_request default)
OBJECTS_PER_REQUEST = 1000
#: ReplaceMode 4: the new hold replaces whatever hold the seat had
REPLACE_EXISTING = 4
MIB = 1024 * 1024


@dataclass
class Pass:
    wall_s: float
    cpu_s: float
    peak_rss_mib: float
    calls: Counter[str]
    #: body bytes of the answers, by the same endpoints as ``calls``
    answer_bytes: Counter[str]
    #: the 1-minute load average during the pass, sampled every 0.5 s
    load_median: float
    load_max: float
    #: one channel call per event or season (replacing its channels: others' included)
    minimum_writes: int
    #: one channel call per channel changed, new channels of an event together: the least a
    #: bridge needs that never replaces channels it does not own
    safe_minimum_writes: int

    @property
    def seatsio_reads(self) -> int:
        return sum(n for k, n in self.calls.items() if k.startswith("seats.io GET"))

    @property
    def writes(self) -> int:
        return sum(
            n for k, n in self.calls.items() if k.startswith("seats.io") and " GET " not in k
        )

    @property
    def tessitura_hold_reads(self) -> int:
        return sum(
            n for k, n in self.calls.items() if k.startswith("tessitura GET") and "Holds" in k
        )

    @property
    def seatsio_read_mib(self) -> float:
        return sum(n for k, n in self.answer_bytes.items() if k.startswith("seats.io GET")) / MIB

    @property
    def seatsio_write_answer_mib(self) -> float:
        """What the answers to seats.io writes carried (small: most answer 204)."""
        return (
            sum(
                n
                for k, n in self.answer_bytes.items()
                if k.startswith("seats.io") and " GET " not in k
            )
            / MIB
        )

    @property
    def tessitura_mib(self) -> float:
        return sum(n for k, n in self.answer_bytes.items() if k.startswith("tessitura")) / MIB


# -- running a pass as a process --------------------------------------------------------------------


def timed(argv: list[str], log: Path) -> tuple[float, float, float, int]:
    """Wall seconds, CPU seconds, peak RSS MiB and exit code of ``argv`` run as a child.

    The peak is the child's own VmHWM, read every 20 ms while it runs: the rusage ru_maxrss of
    a child counts the parent's pages it was forked with, and this parent holds the sandbox."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEATBRIDGE_")}
    if BRIDGE_CHECKOUT != CHECKOUT:
        env["PYTHONPATH"] = str(BRIDGE_CHECKOUT)
    peak_kib = 0
    with log.open("a", encoding="utf-8") as sink:
        started = time.perf_counter()
        child = subprocess.Popen(argv, cwd=BRIDGE_CHECKOUT, env=env, stdout=sink, stderr=sink)
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            peak_kib = max(peak_kib, vm_hwm_kib(child.pid))
            time.sleep(0.02)
        wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, peak_kib / 1024, child.returncode


def vm_hwm_kib(pid: int) -> int:
    """The process's peak resident set so far (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def bridge_argv(site: Site, profile: Path | None) -> list[str]:
    head = [PYTHON, "-m"]
    if profile is not None:
        head += ["pyinstrument", "-r", "text", "-o", str(profile), "-m"]
    return [*head, "bridge", "reconcile", "--config", str(site.config), "--all"]


def naive_argv(site: Site, ids_file: Path) -> list[str]:
    return [
        PYTHON,
        str(CHECKOUT / "benchmarks" / "naive_sdk.py"),
        "--pass-config",
        str(site.config),
        "--ids-file",
        str(ids_file),
    ]


def one_pass(site: Site, argv: list[str], log: Path, ok: Callable[[int], bool]) -> Pass:
    before = seatsio_end_state(site.box)
    channels_before = channel_keys(site)
    site.clear_logs()
    with LoadSampler() as load:
        wall, cpu, rss, code = timed(argv, log)
    if not ok(code):
        sys.exit(f"bench_portfolio: {argv[1:4]} exited {code}; see {log}")
    calls = endpoint_counts(site.log(), site)
    answer_bytes = endpoint_bytes(site.log(), site)
    after = seatsio_end_state(site.box)
    least, safe = minimum_writes(site, before, after, channels_before)
    return Pass(wall, cpu, rss, calls, answer_bytes, load.median, load.max, least, safe)


def channel_keys(site: Site) -> dict[str, set[str]]:
    """The channels each event or season has (events in a season have none of their own)."""
    world = site.box.seatsio_world
    return {
        e.key: {c.key for c in world.channels(e.key)} for e in world.events() if not e.in_season
    }


# -- the minimum ----------------------------------------------------------------------------------


def minimum_writes(
    site: Site,
    before: Mapping[str, Mapping[str, ObjectState]],
    after: Mapping[str, Mapping[str, ObjectState]],
    channels_before: Mapping[str, set[str]],
) -> tuple[int, int]:
    """The fewest seats.io writes that take ``before`` to ``after``: one channel call per event or
    season whose channel members changed (channels belong to the season for its events), status
    and for-sale changes packed into multi-event requests of at most 1,000 objects (a season's
    for-sale change shows on its events too, and is counted once)."""
    world = site.box.seatsio_world
    season_of = {e.key: world.top_season(e) for e in world.events() if e.in_season}
    default: ObjectState = ("free", None, True)
    channel_owners: set[str] = set()
    changed_channels: dict[str, set[str | None]] = {}
    statuses = for_sale = 0
    for key in set(before) | set(after):
        old, new = before.get(key, {}), after.get(key, {})
        season = season_of.get(key)
        for label in set(old) | set(new):
            a, b = old.get(label, default), new.get(label, default)
            if a[0] != b[0]:
                statuses += 1
            if a[1] != b[1]:
                owner = key if season is None else season.key
                channel_owners.add(owner)
                existing = channels_before.get(owner, set())
                # a new channel is created with its objects, all new ones in one call
                touched = {c if c in existing else None for c in (a[1], b[1]) if c is not None}
                changed_channels.setdefault(owner, set()).update(touched)
            if a[2] != b[2]:
                s_old = before.get(season.key, {}) if season else {}
                s_new = after.get(season.key, {}) if season else {}
                from_season = season is not None and (
                    s_old.get(label, default)[2] != s_new.get(label, default)[2]
                )
                for_sale += 0 if from_season else 1
    packed = math.ceil(statuses / OBJECTS_PER_REQUEST) + math.ceil(for_sale / OBJECTS_PER_REQUEST)
    per_channel = sum(len(channels) for channels in changed_channels.values())
    return len(channel_owners) + packed, per_channel + packed


# -- the box office changes holds -----------------------------------------------------------------


def change_holds(site: Site, share: float, rng: random.Random) -> int:
    """Change holds on ``share`` of the performances through ``POST Seats/Holds``; how many."""
    cfg = load_config(site.config)
    venue = site.venue
    held: dict[int, list[int]] = {}
    for h in venue.holds:
        held.setdefault(h.performance_id, []).append(h.seat_id)
    taken = {(h.performance_id, h.seat_id) for h in venue.holds}
    taken |= {(s.performance_id, s.seat_id) for s in venue.sales}
    chosen = rng.sample(list(venue.performances), max(1, round(share * len(venue.performances))))
    headers = {"Authorization": basic(*CREDENTIALS)}
    with httpx.Client(base_url=str(cfg.tessitura.base_url), headers=headers, timeout=30) as http:
        for p in chosen:
            free = [s.id for s in venue.seats if (p.id, s.id) not in taken]
            lines = [{"SeatId": sid, "HoldCodeId": HOUSE} for sid in rng.sample(free, 3)]
            lines += [
                {"SeatId": sid, "HoldCodeId": PRESS} for sid in rng.sample(held.get(p.id, []), 3)
            ]
            r = http.post(
                f"TXN/Performances/{p.id}/Seats/Holds",
                json={"SeatHolds": lines, "ReplaceMode": REPLACE_EXISTING},
            )
            r.raise_for_status()
    return len(chosen)


# -- one side, three passes -------------------------------------------------------------------------


def run_side(
    side: str, args: argparse.Namespace, performances: int, tmp: Path, profile: Path | None
) -> tuple[dict[str, Pass], dict[str, dict[str, ObjectState]]]:
    rng = random.Random(args.seed)
    out: dict[str, Pass] = {}
    with served("portfolio", tmp, performances, args.latency_ms / 1000) as site:
        ids_file = tmp / "ids.txt"
        ids_file.write_text("\n".join(str(p.id) for p in site.venue.performances))
        cold_state: dict[str, dict[str, ObjectState]] = {}
        for kind in PASSES:
            if kind == "incremental":
                change_holds(site, args.incremental_share, rng)
            if side == "bridge":
                prof = profile / f"bridge-{performances}-{kind}.txt" if profile else None
                argv = bridge_argv(site, prof)
                ok: Callable[[int], bool] = lambda code: code in (0, 3)  # noqa: E731
            else:
                argv = naive_argv(site, ids_file)
                ok = lambda code: code == 0  # noqa: E731
            out[kind] = one_pass(site, argv, tmp / f"{side}.log", ok)
            if kind == "cold":
                cold_state = seatsio_end_state(site.box)
    return out, cold_state


# -- report -----------------------------------------------------------------------------------------


def med(values: list[float]) -> float:
    return statistics.median(values)


def spread(values: list[float], digits: int = 1) -> str:
    return f"{min(values):.{digits}f}-{max(values):.{digits}f}"


#: what each pass is summed up by, with a median and a min-max over the repeats
MEASURES: dict[str, Callable[[Pass], float]] = {
    "wall_s": lambda p: p.wall_s,
    "cpu_s": lambda p: p.cpu_s,
    "seatsio_read_mib": lambda p: p.seatsio_read_mib,
    "seatsio_write_answer_mib": lambda p: p.seatsio_write_answer_mib,
    "tessitura_mib": lambda p: p.tessitura_mib,
}


def summary(ps: list[Pass]) -> dict[str, object]:
    """Medians and min-max of the repeats of one pass; the load over all of them."""
    out: dict[str, object] = {}
    for name, of in MEASURES.items():
        values = [of(p) for p in ps]
        out[name] = {"median": med(values), "min": min(values), "max": max(values)}
    out["load_median"] = med([p.load_median for p in ps])
    out["load_max"] = max(p.load_max for p in ps)
    return out


def print_table(performances: int, runs: Mapping[str, list[dict[str, Pass]]]) -> None:
    print(
        f"\n{performances} performances: medians of {len(runs['bridge'])} runs "
        f"(min-max in brackets)"
    )
    head = (
        f"{'side':<7} {'pass':<12} {'wall s':>7} {'(spread)':>11} {'x naive':>7} "
        f"{'CPU s':>6} {'(spread)':>11} {'RSS MiB':>7} {'sio reads':>9} {'tess holds':>10} "
        f"{'writes':>6} {'minimum':>7} {'ratio':>5} {'safe min':>8} {'ratio':>5}"
    )
    print(head)
    for side, side_runs in runs.items():
        for kind in PASSES:
            ps = [r[kind] for r in side_runs]
            wall = [p.wall_s for p in ps]
            cpu = [p.cpu_s for p in ps]
            naive = runs.get("naive")
            speedup = (
                f"{med([r[kind].wall_s for r in naive]) / med(wall):7.1f}"
                if naive and side == "bridge"
                else f"{'':>7}"
            )
            writes = med([p.writes for p in ps])
            minimum = med([p.minimum_writes for p in ps])
            safe = med([p.safe_minimum_writes for p in ps])
            ratio, safe_ratio = (
                f"{writes / m:5.2f}" if m else ("    0" if not writes else "  inf")
                for m in (minimum, safe)
            )
            print(
                f"{side:<7} {kind:<12} {med(wall):7.2f} {'(' + spread(wall) + ')':>11} {speedup} "
                f"{med(cpu):6.2f} {'(' + spread(cpu, 2) + ')':>11} "
                f"{med([p.peak_rss_mib for p in ps]):7.0f} "
                f"{med([p.seatsio_reads for p in ps]):9.0f} "
                f"{med([p.tessitura_hold_reads for p in ps]):10.0f} {writes:6.0f} "
                f"{minimum:7.0f} {ratio} {safe:8.0f} {safe_ratio}"
            )
    print(
        "\nbytes read (answer bodies, MiB) and the 1-minute load average during the pass "
        "(median of the runs' medians, max of all samples):"
    )
    print(
        f"{'side':<7} {'pass':<12} {'seats.io reads':>14} {'(spread)':>13} "
        f"{'sio write answers':>17} {'Tessitura':>9} {'(spread)':>13} {'load':>5} {'max':>5}"
    )
    for side, side_runs in runs.items():
        for kind in PASSES:
            ps = [r[kind] for r in side_runs]
            sio = [p.seatsio_read_mib for p in ps]
            tess = [p.tessitura_mib for p in ps]
            print(
                f"{side:<7} {kind:<12} {med(sio):14.2f} {'(' + spread(sio, 2) + ')':>13} "
                f"{med([p.seatsio_write_answer_mib for p in ps]):17.3f} "
                f"{med(tess):9.2f} {'(' + spread(tess, 2) + ')':>13} "
                f"{med([p.load_median for p in ps]):5.2f} {max(p.load_max for p in ps):5.2f}"
            )
    for side, side_runs in runs.items():
        first = side_runs[0]
        print(f"\ncalls and answer KiB by endpoint, {side} (first run):")
        print(f"  {'endpoint':<64}" + "".join(f" {kind:>18}" for kind in PASSES))
        for k in sorted({k for kind in PASSES for k in first[kind].calls}):
            cells = "".join(
                f" {first[kind].calls[k]:>6} {first[kind].answer_bytes[k] / 1024:>9.0f} KiB"
                for kind in PASSES
            )
            print(f"  {k:<64}{cells}")


def as_json(sizes: Mapping[int, Mapping[str, list[dict[str, Pass]]]]) -> dict[str, object]:
    """Every run's figures and, per pass, the medians and min-max of the repeats."""
    out: dict[str, object] = {}
    for size, runs in sizes.items():
        out[str(size)] = {
            side: {
                "summary": {kind: summary([r[kind] for r in side_runs]) for kind in PASSES},
                "runs": [
                    {
                        kind: {
                            # asdict would rebuild the Counters by counting their items
                            **{f.name: getattr(p, f.name) for f in dataclasses.fields(p)},
                            "seatsio_reads": p.seatsio_reads,
                            "writes": p.writes,
                            "tessitura_hold_reads": p.tessitura_hold_reads,
                            "seatsio_read_mib": p.seatsio_read_mib,
                            "seatsio_write_answer_mib": p.seatsio_write_answer_mib,
                            "tessitura_mib": p.tessitura_mib,
                        }
                        for kind, p in run.items()
                    }
                    for run in side_runs
                ],
            }
            for side, side_runs in runs.items()
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--performances", type=int, default=500)
    ap.add_argument("--latency-ms", type=float, default=20.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--scale", default="", help="more sizes, bridge only (e.g. 50,200)")
    ap.add_argument("--incremental-share", type=float, default=0.01)
    ap.add_argument("--no-baseline", action="store_true", help="skip the naive SDK script")
    ap.add_argument("--profile", type=Path, help="write pyinstrument profiles here (first run)")
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument(
        "--bridge-checkout",
        type=Path,
        help="run the bridge passes from this checkout (e.g. a worktree of an older commit)",
    )
    args = ap.parse_args()
    global BRIDGE_CHECKOUT
    if args.bridge_checkout is not None:
        BRIDGE_CHECKOUT = args.bridge_checkout.resolve()
    header = run_header()
    if BRIDGE_CHECKOUT != CHECKOUT:
        header += f"; bridge passes from {BRIDGE_CHECKOUT}"
    machine = (
        f"{os.cpu_count()} cores, Python {platform.python_version()}, {platform.machine()}; "
        f"{args.latency_ms:g} ms per vendor call"
    )
    print(header)
    print(f"machine: {machine}")
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    sizes = [int(n) for n in args.scale.split(",") if n] + [args.performances]
    tmp = Path(tempfile.mkdtemp(prefix="bench-portfolio-"))  # kept when a pass fails: its logs
    by_size: dict[int, dict[str, list[dict[str, Pass]]]] = {}
    for size in sizes:
        sides = (
            ["bridge"] if (args.no_baseline or size != args.performances) else ["bridge", "naive"]
        )
        runs: dict[str, list[dict[str, Pass]]] = {s: [] for s in sides}
        for r in range(args.repeat):
            ends = {}
            for side in sides:
                folder = tmp / f"{side}-{size}-{r}"
                folder.mkdir()
                profile = args.profile if (r == 0 and side == "bridge") else None
                passes, ends[side] = run_side(side, args, size, folder, profile)
                runs[side].append(passes)
                print(
                    f"  {size} {side} run {r + 1}: "
                    + ", ".join(
                        f"{k} {p.wall_s:.1f} s (load {p.load_median:.2f})"
                        for k, p in passes.items()
                    ),
                    flush=True,
                )
            if "naive" in ends:
                diff = differences(ends["naive"], ends["bridge"])
                if diff:
                    sys.exit(
                        f"bench_portfolio: end states differ after the cold pass "
                        f"({len(diff)}):\n" + "\n".join(diff[:20])
                    )
                print(f"  {size} run {r + 1}: same seats.io end state after the cold pass")
        print_table(size, runs)
        by_size[size] = runs
    if args.json:
        figures = {"run": header, "machine": machine, "performances": as_json(by_size)}
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
