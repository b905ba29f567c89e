"""The kit's batches against the naive pipeline, the archive's cost, incremental re-renders
and Dask against the embedded pool, in one run, as ratios of figures measured in this run.

1. `kit render --all` against the naive loop (papermill, then nbconvert, per company).
2. The archive (`--every-release`) cold, each size with an empty kit cache: total, median
   per briefing and the cost per briefing at 9, 90 and all briefings, against the naive
   loop on a sample of the same.
3. The archive again with nothing changed: its time against the cold run's.
4. One new quarter (Meta's latest, taken out of the data and put back, as a refresh adds
   it): how many briefings render again.
5. The releases since SINCE through a two-worker Dask LocalCluster against the embedded
   pool, both warm, twice each: throughput ratio and peak memory of each whole process tree
   (`python bench/archive.py 5` runs only this).

Run: `make bench-archive` (about ten minutes on 2 cores).
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from render import BIN, NOTEBOOK, REPO, empty_cache, naive, tree_rss  # noqa: E402

SINCE = "2025-01-01"  # the Dask comparison: about fifty briefings


def measured(cmd: list[str], env: dict | None = None, tree: int | None = None
             ) -> tuple[float, int, str]:
    """Wall seconds, peak resident memory of the whole process tree (the command's, or
    `tree`'s when given), stdout."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, env=env or os.environ, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    peak = 0

    def sample():
        nonlocal peak
        while proc.poll() is None:
            peak = max(peak, tree_rss(tree or proc.pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample)
    sampler.start()
    stdout, stderr = proc.communicate()
    sampler.join()
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{stderr[-3000:]}")
    return time.perf_counter() - start, peak, stdout


def rendered(stdout: str) -> dict[str, float]:
    return {m[1]: float(m[2]) for m in re.finditer(r"^([\w-]+): .* \(([\d.]+) s\)$", stdout, re.M)}


def kit(*args: str) -> list[str]:
    return [str(BIN / "kit"), "render", *args, "--no-progress"]


def batch(requests, out: Path, env: dict) -> float:
    """Seconds for the kit's batch of `requests`, in this process's interpreter."""
    code = ("import sys, pandas as pd; from kit import render; "
            "reqs = [(t, pd.Timestamp(d)) for t, d in (r.split('@') for r in sys.argv[2:])]; "
            "r = render.run_batch(reqs, sys.argv[1], progress=False); "
            "sys.exit(1 if r.failed else 0)")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, str(out),
                    *(f"{t}@{d:%Y-%m-%d}" for t, d in requests)], check=True, cwd=REPO,
                   env=env)
    return time.perf_counter() - start


def main() -> None:
    sys.path.insert(0, str(REPO))
    from kit import archive, data, metrics

    tickers = list(data.load_companies()["ticker"])
    dates, _ = archive.release_dates(tickers)
    requests = []
    for t, day, _release in dates:
        try:
            requests.append(metrics.check_request(t, day))
        except metrics.RequestError:
            pass
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        env = empty_cache(tmp / "cache")
        (tmp / "naive").mkdir()
        all_against_naive(tmp, tickers)

        print(f"2. the archive: {len(requests)} briefings, cold")
        sample = requests[:: max(1, len(requests) // 5)][:5]
        naive_each = []
        for t, day in sample:
            executed = tmp / "naive" / f"{t}-{day:%Y-%m-%d}.ipynb"
            start = time.perf_counter()
            subprocess.run([str(BIN / "papermill"), str(NOTEBOOK), str(executed), "-p",
                            "ticker", t, "-p", "as_of", f"{day:%Y-%m-%d}",
                            "--no-progress-bar"], check=True, capture_output=True, cwd=REPO)
            subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input",
                            str(executed)], check=True, capture_output=True)
            naive_each.append(time.perf_counter() - start)
        naive_one = statistics.median(naive_each)
        step = len(requests) / 90
        for n in (9, 90):
            subset = [requests[int(i * len(requests) / n)] for i in range(n)] if n < 90 \
                else [requests[int(i * step)] for i in range(90)]
            seconds = batch(subset, tmp / f"cost-{n}", empty_cache(tmp / f"cache-{n}"))
            print(f"   {n:>4} briefings: {seconds:6.1f} s, {seconds / n:.2f} s per briefing, "
                  f"{naive_one / (seconds / n):.1f}x the naive loop's {naive_one:.1f} s")
        env = empty_cache(tmp / "cache-archive")  # nothing of the runs before
        cold, peak, stdout = measured(kit("--every-release", "--out", str(tmp / "archive")),
                                      env)
        each = rendered(stdout)
        print(f"   {len(each):>4} briefings: {cold:6.1f} s, {cold / len(each):.2f} s per briefing, "
              f"{naive_one / (cold / len(each)):.1f}x the naive loop's; median "
              f"{statistics.median(each.values()):.2f} s on a kernel; peak memory "
              f"{peak / 2**20:.0f} MiB\n")

        print("3. the archive again, nothing changed")
        warm, _, stdout = measured(kit("--every-release", "--out", str(tmp / "archive")), env)
        print(f"   {warm:.1f} s, {len(rendered(stdout))} rendered: {warm / cold * 100:.1f} % of "
              "the cold run (target at most 5 %)\n")

        print("4. one new quarter (Meta's latest, as a refresh would add it)")
        fin = data.load_financials()
        meta = fin[fin["ticker"] == "META"]
        latest = meta[meta["period_end_date"] == meta["period_end_date"].max()]
        older = tmp / "older-data"
        shutil.copytree(data.data_dir(), older)
        lines = (older / "financials.csv").read_text().splitlines(keepends=True)
        (older / "financials.csv").write_text(lines[0] + "".join(
            line for i, line in enumerate(lines[1:]) if i not in latest.index))
        measured(kit("--every-release", "--out", str(tmp / "archive")),
                 {**env, "KIT_DATA_DIR": str(older)})
        seconds, _, stdout = measured(kit("--every-release", "--out", str(tmp / "archive")), env)
        again = rendered(stdout)
        public = latest["published_date"].min()
        sees = sum(pd.Timestamp(d) >= public for _, d in requests)
        print(f"   {len(again)} of {len(each)} briefings rendered again in {seconds:.1f} s "
              f"({sees} are dated on or after {public:%Y-%m-%d}, when it was published; the "
              "others see its calendar quarter as not yet public)\n")

        dask_against_pool(tmp)


def all_against_naive(tmp: Path, tickers: list[str]) -> None:
    """Step 1 (`python bench/archive.py 1` runs only this)."""
    env = empty_cache(tmp / "cache-all")
    (tmp / "naive").mkdir(exist_ok=True)
    print("1. kit render --all against the naive loop")
    start = time.perf_counter()
    for t in tickers:
        naive(NOTEBOOK, tmp / "naive", t)
    naive_all = time.perf_counter() - start
    kit_all, peak_all, _ = measured(kit("--all", "--out", str(tmp / "all")), env)
    again, _, _ = measured(kit("--all", "--out", str(tmp / "all"), "--force"), env)
    print(f"   naive {naive_all:.1f} s; kit, first run after installing (empty kit cache: "
          f"the validated tables and peers are made) {kit_all:.1f} s: "
          f"{naive_all / kit_all:.1f}x faster; kit, any later run (--force) {again:.1f} s: "
          f"{naive_all / again:.1f}x faster (target at least 15x); peak memory "
          f"{peak_all / 2**20:.0f} MiB\n")


def dask_against_pool(tmp: Path) -> None:
    """Step 5. Both warm (each run once untimed: the Vega bundle, tables and peers in their
    caches, as for a newsroom re-rendering), then timed twice each, alternating, --force."""
    from distributed import LocalCluster  # started first: `--scheduler` joins a cluster

    print(f"5. releases since {SINCE}: Dask LocalCluster (2 workers) against the pool")
    pool_env = empty_cache(tmp / "cache-pool")
    os.environ["KIT_CACHE_DIR"] = str(tmp / "cache-dask")  # the workers' and kernels'
    # as the README starts workers: without Dask's statistical profiler, which samples every
    # thread's stack every 10 ms (a tenth of the throughput here; tasks take seconds)
    os.environ["DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED"] = "False"
    client_env = empty_cache(tmp / "cache-client")
    args = ("--every-release", "--since", SINCE, "--force")
    pools, dasks, peaks = [], [], {"pool": 0, "dask": 0}
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as c:
        for timed in (False, True, True):
            seconds, peak, stdout = measured(kit(*args, "--out", str(tmp / "pool")), pool_env)
            n = len(rendered(stdout))
            if timed:
                pools.append(seconds)
                peaks["pool"] = max(peaks["pool"], peak)
            seconds, peak, stdout = measured(
                kit(*args, "--out", str(tmp / "dask"), "--scheduler", c.scheduler_address),
                client_env, tree=os.getpid())
            assert len(rendered(stdout)) == n
            if timed:
                dasks.append(seconds)
                peaks["dask"] = max(peaks["dask"], peak)
    same = all((tmp / "dask" / p.name).read_bytes() == p.read_bytes()
               for p in (tmp / "pool").glob("*-*.html"))
    pool, dask = statistics.median(pools), statistics.median(dasks)
    print(f"   {n} briefings, median of two: pool {pool:.1f} s ({n / pool:.2f}/s), Dask (the "
          f"cluster already running, as with --scheduler) {dask:.1f} s ({n / dask:.2f}/s): "
          f"throughput ratio {pool / dask:.2f} (target at least 0.8; runs: pool "
          f"{', '.join(f'{x:.1f}' for x in pools)} s, Dask {', '.join(f'{x:.1f}' for x in dasks)}"
          f" s); pages byte-identical: {same}")
    print(f"   peak memory: pool {peaks['pool'] / 2**20:.0f} MiB, Dask (this process with the "
          f"scheduler, workers, kernels and the kit client) {peaks['dask'] / 2**20:.0f} MiB "
          "(target under 2 GiB)")


if __name__ == "__main__":
    if sys.argv[1:] in (["1"], ["5"]):  # only --all against the naive loop, or only Dask
        sys.path.insert(0, str(REPO))
        from kit import data

        with tempfile.TemporaryDirectory() as folder:
            if sys.argv[1] == "1":
                all_against_naive(Path(folder), list(data.load_companies()["ticker"]))
            else:
                dask_against_pool(Path(folder))
    else:
        main()
