"""How long the explorer takes from a widget change to the new chart spec (target: under
100 ms for all nine companies over the full period), measured in process.

Baseline, measured in the same run: the same change answered naively, by recomputing every
selected company's quarters from the tables (what the explorer would do without its
precomputed frame). Run: `make bench-explorer` or `.venv/bin/python bench/explorer.py`.
"""

from __future__ import annotations

import statistics
import time

from kit import data, metrics
from kit.explore import Explorer

REPEATS = 20
TARGET_MS = 100


def main() -> None:
    t0 = time.perf_counter()
    ex = Explorer()
    build_s = time.perf_counter() - t0
    nine = tuple(ex.companies.options)
    ex.period.index = (0, len(ex.period.options) - 1)  # the full period
    spec_ms, shown_ms = [], []
    for i in range(REPEATS):
        value = nine if i % 2 == 0 else nine[:-1]  # all nine, then eight: a real change
        start = time.perf_counter()
        ex.companies.value = value
        spec_ms.append((ex.spec_ready_at - start) * 1000)
        shown_ms.append((time.perf_counter() - start) * 1000)
    assert {r["ticker"] for r in next(iter(ex.last_spec["datasets"].values()))} <= set(nine)

    companies = data.load_companies()
    naive_ms = []
    for _ in range(3):
        start = time.perf_counter()
        for c in companies.itertuples():
            metrics.quarterly(c.ticker, metrics.check_request(c.ticker)[1], c.capex_metric)
        ex.spec()
        naive_ms.append((time.perf_counter() - start) * 1000)

    spec, shown, naive = (statistics.median(x) for x in (spec_ms, shown_ms, naive_ms))
    print(f"explorer built once in {build_s:.2f} s ({len(ex.frame)} rows, 9 companies)")
    print(f"widget change -> new chart spec, all nine companies, full period: "
          f"median {spec:.1f} ms over {REPEATS} changes (max {max(spec_ms):.1f} ms)")
    print(f"widget change -> chart drawn (SVG), table and downloads updated: "
          f"median {shown:.1f} ms")
    print(f"baseline, recomputing the quarters on each change: median {naive:.1f} ms")
    print(f"ratio change->spec / baseline: {spec / naive:.3f} "
          f"({naive / spec:.0f}x faster)")
    print(f"target: change->spec under {TARGET_MS} ms: "
          f"{'met' if spec < TARGET_MS else 'NOT met'}")


if __name__ == "__main__":
    main()
