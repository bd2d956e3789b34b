"""What refusing duplicate JSON keys costs: decoding the biggest seats.io answers the bridge reads.

Every vendor JSON answer is decoded by :func:`bridge.http.loads_answer` (the stdlib decoder with an
``object_pairs_hook`` that refuses a member given twice) and then validated with pydantic's
``validate_python``. The baseline beside it is what it replaced: pydantic-core's one pass over the
bytes (``validate_json``), which reads a repeated member last-wins. Answers come from the sandbox's
generated 3,000-seat hall: an object-info read of 1,000 labels (the most one read names) and the
whole-event ``byLabel`` report (read above 400 managed labels).

    .venv/bin/python benchmarks/bench_json.py [--repeats 30]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import timeit
from collections.abc import Callable
from pathlib import Path

from pydantic import TypeAdapter

from bridge.http import loads_answer
from bridge.sandbox import SEATSIO_SECRET_KEY, Sandbox
from bridge.sandbox.venue import load_venue
from bridge.seatsio.reports import _Infos, _Report
from bridge.testing.portfolio import PortfolioShape, portfolio_venue_text


async def answers() -> dict[str, tuple[bytes, TypeAdapter[object]]]:
    folder = Path(tempfile.mkdtemp())
    venue_file = folder / "portfolio.toml"
    venue_file.write_text(portfolio_venue_text(PortfolioShape((1,), 1)), encoding="utf-8")
    box = Sandbox(load_venue(venue_file))
    event = box.venue.performances[0].event_key
    labels = [seat.label for seat in box.venue.seats][:1000]
    async with box.seatsio_client(auth=(SEATSIO_SECRET_KEY, "")) as http:
        infos = await http.get(f"/events/{event}/objects", params={"label": labels})
        report = await http.get(f"/reports/events/{event}/byLabel")
    infos.raise_for_status()
    report.raise_for_status()
    return {
        f"object infos, 1,000 labels ({len(infos.content) / 1024:,.0f} KiB)": (
            infos.content,
            _Infos,
        ),  # type: ignore[dict-item]
        f"byLabel report, 3,000 seats ({len(report.content) / 1024:,.0f} KiB)": (
            report.content,
            _Report,
        ),  # type: ignore[dict-item]
    }


def median_ms(fn: object, repeats: int) -> tuple[float, float]:
    times = timeit.repeat(fn, number=1, repeat=repeats)  # type: ignore[arg-type]
    q = statistics.quantiles(times, n=4)
    return statistics.median(times) * 1000, (q[2] - q[0]) * 1000


def rows_for(body: bytes, adapter: TypeAdapter[object]) -> dict[str, Callable[[], object]]:
    return {
        "validate_json (before: last-wins)": lambda: adapter.validate_json(body),
        "json.loads alone (no duplicate check)": lambda: json.loads(body),
        "loads_answer alone (duplicate check)": lambda: loads_answer(body),
        "loads_answer + validate_python (now)": lambda: adapter.validate_python(loads_answer(body)),
        "validate_json + loads_answer (both)": lambda: (
            adapter.validate_json(body),
            loads_answer(body),
        ),
    }


def main(repeats: int) -> None:
    found = asyncio.run(answers())
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"median of {repeats} decodes (interquartile range), one process, ms; load {load}")
    for name, (body, adapter) in found.items():
        print(name)
        rows = rows_for(body, adapter)
        for what, fn in rows.items():
            median, spread = median_ms(fn, repeats)
            print(f"  {what:<40} {median:8.2f}  ({spread:.2f})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=30)
    main(parser.parse_args().repeats)
