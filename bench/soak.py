"""Soak test: does the kit leak kernels, files or memory when it runs for a long time?

Phase 1: `kit render --all` RUNS times in a row. Phase 2: CONCURRENT single renders at once,
each started again as soon as it ends, for MINUTES minutes. For every run it records the
peak resident memory of the process tree, the most file descriptors the kit process held,
and afterwards any kernel process still alive and any temporary file left in the output
folder. It prints the figures of the first and the last runs and the growth between them as
ratios; a leak shows as kernels or files left over, or as growth well above 1.0.

Run: `make bench-soak` (about 20 minutes on 2 cores); `python bench/soak.py --runs 3
--minutes 1` for a short look. Not part of CI.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from render import BIN, REPO, tree_rss  # noqa: E402

TICKERS = ["META", "MSFT", "GOOGL", "AMZN", "ORCL", "AAPL", "NVDA", "TSLA", "CRWV"]


def kernels() -> list[int]:
    """Every IPython kernel process on the machine (ipykernel_launcher)."""
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"ipykernel_launcher" in cmd:
                found.append(int(pid))
    return found


def fds(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def one_run(args: list[str], out: Path) -> dict:
    """Run `kit <args> --out out`; peak tree memory, most descriptors, exit code, seconds."""
    start = time.perf_counter()
    proc = subprocess.Popen([str(BIN / "kit"), *args, "--out", str(out), "--no-progress"],
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = most = 0
    while proc.poll() is None:
        peak, most = max(peak, tree_rss(proc.pid)), max(most, fds(proc.pid))
        time.sleep(0.1)
    return dict(rc=proc.returncode, rss=peak, fds=most, seconds=time.perf_counter() - start)


def leftovers(out: Path) -> int:
    return sum(1 for p in out.rglob(".tmp-*"))


def report(name: str, runs: list[dict], left_kernels: int, left_files: int) -> None:
    first, last = runs[0], runs[-1]
    late = runs[len(runs) // 2:]
    failed = sum(1 for r in runs if r["rc"] != 0)
    print(f"{name}: {len(runs)} runs, {failed} failed")
    print(f"  peak memory of a run: first {first['rss'] / 2**20:.0f} MiB, last "
          f"{last['rss'] / 2**20:.0f} MiB, largest of the later half "
          f"{max(r['rss'] for r in late) / 2**20:.0f} MiB "
          f"(ratio to the first {max(r['rss'] for r in late) / first['rss']:.2f})")
    print(f"  descriptors held: first {first['fds']}, largest of the later half "
          f"{max(r['fds'] for r in late)}")
    print(f"  afterwards: {left_kernels} kernel process(es) still running, "
          f"{left_files} temporary file(s) left")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--concurrent", type=int, default=4)
    args = parser.parse_args()
    before = set(kernels())
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "all"
        runs = []
        for i in range(args.runs):
            runs.append(one_run(["render", "--all"], out))
            print(f"  --all run {i + 1}/{args.runs}: {runs[-1]['seconds']:.1f} s",
                  file=sys.stderr)
        time.sleep(2)
        report("kit render --all, one after another", runs, len(set(kernels()) - before),
               leftovers(out))
        singles, lock = [], threading.Lock()
        stop_at = time.monotonic() + args.minutes * 60
        out = Path(tmp) / "single"
        rng = random.Random(0)

        def loop():
            while time.monotonic() < stop_at:
                ticker = rng.choice(TICKERS)
                result = one_run(["render", ticker], out)
                with lock:
                    singles.append(result)

        threads = [threading.Thread(target=loop) for _ in range(args.concurrent)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        time.sleep(2)
        report(f"{args.concurrent} single renders at once for {args.minutes:g} min", singles,
               len(set(kernels()) - before), leftovers(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
