"""Run many schedules, shrink a failing one, and print the figures the README states.

    python -m bridge.testing.chaos --schedules 1000 --jobs 3 --profile soak --out chaos.json
    python -m bridge.testing.chaos --replay FILE        # a schedule printed by a failure
    python -m bridge.testing.chaos --seed 42            # one seed, as the suite generated it
    python -m bridge.testing.chaos --profile stalls --schedules 10   # the process faults, often
    python -m bridge.testing.chaos --profile held-forms --schedules 10   # the world steps, always
    python -m bridge.testing.chaos --profile writeback --schedules 300 --jobs 2   # issue 26

The ``soak`` profile mixes the process faults (a pause past the lease, store sessions lost, a
clock step, the store file removed), hung reads and the world steps (someone else spends an
event's for-sale edits and kills follow; Tessitura answers no holds for some performances; a
partner's channel takes held seats) with the vendor faults and signals; the ``short`` profile of
``make test`` has none of them. A step this checkout cannot play (a clock
step before the config has a clock offset) is counted under ``steps_not_played_by_kind``.

The ``writeback`` profile (issue 26) runs the chaos boxes with ``[writeback] mode = "apply"`` and
``hold_code = 90`` (the sample's "Sold Online", an ``ignore`` row of its table). Beside the usual
traffic and fewer vendor faults, on one or two shared performances: the box office puts hold
layers (codes 1-6, above or below the others, often on seats carrying 90 or booked online), takes
its own off, lifts a seat's layers and sells seats without a hold; online buyers book, resell and release seats; and the
write-back's POST Seats/Holds fails (``tessitura_write_fault``: applied then 500, applied then
hung past the client timeout, or refused 409 SeatLocked). Its invariants, beside the others: no
box-office layer lost (the record of what the box office put and did not take off itself), no
write-back line landed on a seat sold at the box office, and, after the faults stop, every seat
booked or in resale online (not sold in Tessitura) carries 90 and no seat free online carries 90
alone. 300 schedules with two jobs take 30 to 60 minutes; ``requests_faulted_by_kind`` counts what
the actors did (``office_layers_put``, ``office_sales_of_seats_booked_online``, ``seats_locked``,
``box_office_layers_missing_then_back``, ``writeback_lines_refused_on_sold_seats``). A checkout
whose config has no ``[writeback]`` section fails every schedule of this profile at once.

A failing schedule is shrunk (steps dropped one by one while it still fails, within a budget of
runs), written next to its logs as ``schedule.json`` and printed with the command replaying it.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from bridge.clock import SYSTEM
from bridge.testing import postgres
from bridge.testing.chaos.runner import Outcome, Summary, run_schedule
from bridge.testing.chaos.schedule import (
    ALL_FAULT_KINDS,
    PROCESS_KINDS,
    PROFILES,
    WORLD_KINDS,
    WRITEBACK_KINDS,
    Schedule,
    generate,
)

#: Re-runs the shrinker may spend on one failing schedule.
SHRINK_BUDGET = 6


def pg_url() -> str | None:
    """The PostgreSQL server for scaled schedules, or None (they then run on one instance)."""
    return None if postgres.unavailable() else postgres.ADMIN_URL


def play(schedule: Schedule, folder: Path, outputs: bool = True) -> Outcome:
    url = pg_url()
    if schedule.instances > 1 and url is None:
        schedule = dataclasses.replace(schedule, instances=1)
    return run_schedule(schedule, folder, pg_url=url, outputs=outputs)


def shrink(
    outcome: Outcome, folder: Path, budget: int = SHRINK_BUDGET, log: Callable[[str], None] = print
) -> Outcome:
    """Drop steps, last first, while the schedule still fails; the smallest failing outcome."""
    best = outcome
    i = len(best.schedule.steps) - 1
    runs = 0
    while i >= 0 and runs < budget:
        candidate = best.schedule.without(i)
        runs += 1
        tried = play(candidate, folder / f"shrink-{runs}")
        if tried.violations:
            log(f"  shrink: still fails without step {i} ({len(candidate.steps)} steps left)")
            best = tried
        i -= 1
    return best


def report_failure(outcome: Outcome, folder: Path) -> str:
    """The failure as a reader needs it: violations, the schedule, the replay command."""
    path = folder / "schedule.json"
    path.write_text(outcome.schedule.to_json(), encoding="utf-8")
    lines = [
        f"chaos: schedule seed {outcome.schedule.seed} failed:",
        *("  VIOLATION " + v for v in outcome.violations),
        *outcome.schedule.describe(),
        f"  logs: {outcome.folder}",
        f"  replay: .venv/bin/python -m bridge.testing.chaos --replay {path}",
    ]
    return "\n".join(lines)


def _one(seed: int, profile: str, root: str) -> Summary:
    folder = Path(root) / f"seed-{seed}"
    outcome = play(generate(seed, profile), folder, outputs=seed % 5 == 0)
    if outcome.violations:
        outcome = shrink(outcome, folder, log=lambda _: None)
        print(report_failure(outcome, folder), file=sys.stderr, flush=True)
    return outcome.summary()


def figures(results: Iterable[Summary], wall_s: float) -> dict[str, object]:
    """What the README's "Reliability" section states."""
    rs = list(results)
    kinds = (*ALL_FAULT_KINDS, *PROCESS_KINDS, *WORLD_KINDS, *WRITEBACK_KINDS)
    faults: Counter[str] = Counter({k: 0 for k in kinds})
    hit: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    for r in rs:
        faults.update(r.faults)
        hit.update(r.hit)
        skipped.update(r.skipped)
    times = sorted(r.converged_after_s for r in rs if r.converged_after_s is not None)
    return {
        "schedules": len(rs),
        "with_three_instances": sum(1 for r in rs if r.instances != 1),
        "fault_windows_by_kind": dict(faults),
        "requests_faulted_by_kind": dict(hit),
        "steps_not_played_by_kind": dict(skipped),
        "kills": sum(r.kills for r in rs),
        "sigterms": sum(r.terms for r in rs),
        "convergence_after_faults_s": {
            "median": statistics.median(times) if times else None,
            "p95": times[int(0.95 * (len(times) - 1))] if times else None,
            "max": times[-1] if times else None,
        },
        "violations": sum(len(r.violations) for r in rs),
        "failed_seeds": [r.seed for r in rs if r.violations],
        "wall_s": round(wall_s, 1),
    }


def _summary(data: dict[str, Any]) -> Summary:
    return Summary(
        seed=int(data["seed"]),
        instances=int(data["instances"]),
        violations=tuple(data["violations"]),
        converged_after_s=data["converged_after_s"],
        kills=int(data["kills"]),
        terms=int(data["terms"]),
        faults=tuple(data["faults"]),
        hit=dict(data["hit"]),
        skipped=dict(data.get("skipped") or {}),
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bridge.testing.chaos", description=__doc__)
    ap.add_argument("--schedules", type=int, default=20)
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--profile", default="soak", choices=sorted(PROFILES))
    ap.add_argument("--out", type=Path)
    ap.add_argument("--keep", type=Path, help="keep every schedule's logs in this folder")
    ap.add_argument("--replay", type=Path, help="a schedule.json printed by a failure")
    ap.add_argument("--seed", type=int, help="one generated seed")
    ap.add_argument(
        "--figures",
        type=Path,
        help="print the figures of a results file (the --out file's .jsonl) and stop",
    )
    args = ap.parse_args(argv)
    if args.figures:
        rows = args.figures.read_text(encoding="utf-8").splitlines()
        summaries = [_summary(json.loads(r)) for r in rows if r.strip()]
        print(json.dumps(figures(summaries, 0.0), indent=2))
        return 0
    root = args.keep or Path(tempfile.mkdtemp(prefix="seatbridge-chaos-"))
    if args.replay or args.seed is not None:
        schedule = (
            Schedule.from_json(args.replay.read_text(encoding="utf-8"))
            if args.replay
            else generate(args.seed, args.profile)
        )
        print("\n".join(schedule.describe()))
        outcome = play(schedule, root / f"replay-{schedule.seed}")
        if outcome.violations:
            print(report_failure(outcome, root / f"replay-{schedule.seed}"))
            return 1
        print(f"survived: converged {outcome.converged_after_s} s after the faults stopped")
        print(f"faults hit: {dict(outcome.hit)}; not played here: {dict(outcome.skipped)}")
        return 0
    seeds = range(args.first_seed, args.first_seed + args.schedules)
    started = SYSTEM.monotonic()
    results: list[Summary] = []
    with ProcessPoolExecutor(max_workers=args.jobs, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(_one, s, args.profile, str(root)) for s in seeds]
        for n, f in enumerate(as_completed(futures), 1):
            results.append(f.result())
            if args.out:  # every result as it comes, so an interrupted soak keeps its figures
                with args.out.with_suffix(".jsonl").open("a", encoding="utf-8") as lines:
                    lines.write(json.dumps(dataclasses.asdict(results[-1])) + "\n")
            if n % 25 == 0 or n == len(futures):
                bad = sum(1 for r in results if r.violations)
                print(f"chaos: {n}/{len(futures)} schedules, {bad} failed", flush=True)
    out = figures(results, SYSTEM.monotonic() - started)
    text = json.dumps(out, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    if out["steps_not_played_by_kind"]:  # the figures must not claim kinds that never ran
        print(
            "chaos: some steps were not played (this checkout's config lacks their setting): "
            f"{out['steps_not_played_by_kind']}",
            file=sys.stderr,
        )
    return 1 if out["violations"] else 0
