"""Soak test: does the kit leak kernels, files or memory when it runs for a long time, and
does it lose anything when commands overlap?

Phase 1: `kit render --all` RUNS times in a row. Phase 2: CONCURRENT single renders at once,
each started again as soon as it ends, for MINUTES minutes. For every run it records the
peak resident memory of the process tree, the most file descriptors the kit process held,
and afterwards any kernel process still alive and any temporary file left in the output
folder. It prints the figures of the first and the last runs and the growth between them as
ratios; a leak shows as kernels or files left over, or as growth well above 1.0.

Phase 3 (overlap): ROUNDS rounds on one copy of the shipped data, each starting at once
`kit data add SNOW --prices …`, `kit data add MUR`, `kit data refresh NVDA`, `kit data build`
and `kit render META` reading the folder, then `kit data remove SNOW MUR` with another
render. SEC is a local server on the loopback interface replaying the recorded documents in
../shared/sources; nothing leaves the machine. After each step it checks that every change
of every command is in the folder (a lost update), that every command exited 0, and that no
temporary file, data folder or kernel folder was left behind. It prints how many commands
ran, how many had to wait for the folder and for how long at most, and exits 1 on any lost
update, failure or leftover.

Run: `make bench-soak` (about 20 minutes on 2 cores); `python bench/soak.py --runs 3
--minutes 1 --rounds 2` for a short look, `--only overlap` for phase 3 alone. Not part of CI.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from render import BIN, REPO, tree_rss  # noqa: E402

sys.path.insert(0, str(REPO))
from kit import data, paths  # noqa: E402
from tests import replay  # noqa: E402

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


SEC_DOCS = {"0001640147": ("companyfacts",), "0000717423": ("companyfacts", "submissions"),
            "0001045810": ("companyfacts", "submissions")}  # SNOW, MUR, NVDA


def sec_server(sources: Path):
    """SEC's paths on 127.0.0.1, answered from the recorded documents (else 404)."""
    docs = {"/files/company_tickers.json": sources / "sec_company_tickers" / "company_tickers.json"}
    for cik, kinds in SEC_DOCS.items():
        if "companyfacts" in kinds:
            docs[f"/api/xbrl/companyfacts/CIK{cik}.json"] = \
                sources / "sec_companyfacts" / f"CIK{cik}.json"
        if "submissions" in kinds:
            docs[f"/submissions/CIK{cik}.json"] = sources / "sec_submissions" / f"CIK{cik}.json"
    return replay.serve(docs)


def together(commands: list[list[str]], env: dict) -> list[dict]:
    """Start `kit <command>` for every command at once; exit codes, seconds, waits."""
    start = time.perf_counter()
    procs = [subprocess.Popen([str(BIN / "kit"), *c], env=env, text=True, cwd=REPO,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
             for c in commands]
    out = []
    for command, proc in zip(commands, procs):
        err = proc.communicate(timeout=900)[1]
        out.append(dict(command=" ".join(command), rc=proc.returncode, stderr=err,
                        waited="waiting: " in err, seconds=time.perf_counter() - start))
    return out


def overlap_phase(rounds: int) -> int:
    """Phase 3 (see the module's docstring): the number of problems found."""
    sources = paths.sources_dir()
    httpd = sec_server(sources)
    problems, runs = [], []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        folder, temp = tmp / "work" / "data", tmp / "tmp"
        temp.mkdir()
        shutil.copytree(paths.shipped("data"), folder)
        (folder / paths.MARKER).touch()
        env = dict(os.environ, KIT_DATA_DIR=str(folder), KIT_CACHE_DIR=str(tmp / "cache"),
                   KIT_SEC_BASE_URL=f"http://127.0.0.1:{httpd.server_address[1]}",
                   KIT_SEC_USER_AGENT="Kit Soak kit-soak@example.com", KIT_SOURCES=str(sources),
                   TMPDIR=str(temp))
        shipped = set(data.load_table("companies", folder)["ticker"])
        render = ["render", "META", "--out", str(tmp / "reports"), "--no-progress", "--force"]
        for i in range(rounds):
            steps = [([["data", "add", "SNOW", "--prices",
                        str(sources / "prices_recent" / "SNOW.csv")], ["data", "add", "MUR"],
                       ["data", "refresh", "NVDA"], ["data", "build"], render],
                      shipped | {"SNOW", "MUR"}),
                     ([["data", "remove", "SNOW", "MUR"], render], shipped)]
            for commands, expected in steps:
                done = together(commands, env)
                runs += done
                have = set(data.load_table("companies", folder)["ticker"])
                if have != expected:
                    problems.append(f"round {i + 1}: lost update: companies {sorted(have)}, "
                                    f"expected {sorted(expected)}")
                problems += [f"round {i + 1}: `kit {r['command']}` exited {r['rc']}: "
                             f"{r['stderr'].strip().splitlines()[-1:]}" for r in done if r["rc"]]
                left = [p.name for p in (tmp / "work").iterdir() if p != folder] + \
                    [p.name for p in (tmp / "reports").glob(".tmp-*")] + \
                    [p.name for p in temp.iterdir() if p.name.startswith("kit-")]
                if left:
                    problems.append(f"round {i + 1}: left behind: {sorted(left)}")
            print(f"  overlap round {i + 1}/{rounds}: {len(problems)} problem(s) so far",
                  file=sys.stderr)
    httpd.shutdown()
    waited = [r for r in runs if r["waited"]]
    print(f"overlapping data commands and renders, {rounds} round(s): {len(runs)} commands "
          f"({sum('data' in r['command'] for r in runs)} writing the data folder), "
          f"{len(waited)} waited for the folder; the longest step took "
          f"{max(r['seconds'] for r in runs):.1f} s")
    print(f"  lost updates: {sum('lost update' in p for p in problems)}, failed commands: "
          f"{sum('exited' in p for p in problems)}, steps with leftovers: "
          f"{sum('left behind' in p for p in problems)}")
    for problem in problems:
        print(f"  {problem}")
    return len(problems)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--concurrent", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", choices=["overlap"], help="run phase 3 alone")
    args = parser.parse_args()
    if args.only:
        return 1 if overlap_phase(args.rounds) else 0
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
    return 1 if overlap_phase(args.rounds) else 0


if __name__ == "__main__":
    sys.exit(main())
