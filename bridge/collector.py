"""The garbage collector, set for how a pass allocates.

A pass decodes some 10^5 objects (object states, holds) and builds as many plan rows, nearly all
freed by reference counting. With CPython's default generation-0 threshold (700 allocations) the
cyclic collector ran thousands of times a pass, walking the survivors each time, and cost about a
fifth of a 500-performance pass's CPU (benchmarks/bench_portfolio.py: converged 5.5 s -> 4.4 s).
"""

from __future__ import annotations

import gc

#: Allocations between young-generation collections (CPython's default is 700).
YOUNG_THRESHOLD = 10_000


def tune() -> None:
    """Collect less often, and never walk what was imported: called once, at the command's start,
    after the imports (``gc.freeze`` moves every object alive now out of the collector's way)."""
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
