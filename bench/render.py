"""The whole set of briefings, the kit's way against the naive pipeline, in one run.

Naive: for each company, `papermill` the briefing notebook, then `jupyter nbconvert --to html
--no-input` it. Kit: `kit render --all`. Also the floor: the naive pipeline on a trivial
one-chart notebook, against one kit briefing cold from the command line. Prints wall times,
ratios, median single-briefing times, every HTML file's size and the peak memory (resident,
whole process tree) of `kit render --all`.

Run: `make bench-render` (about two minutes on 2 cores).
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
NOTEBOOK = REPO / "notebooks" / "briefing.ipynb"
MAX_BYTES = 1.5e6


def run(cmd: list[str], **kw) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, **kw)
    return time.perf_counter() - start


def empty_cache(folder: Path) -> dict:
    """An environment whose kit cache is empty: nothing built by an earlier run is reused."""
    folder.mkdir()
    return {**os.environ, "KIT_CACHE_DIR": str(folder)}


def naive(notebook: Path, out: Path, ticker: str) -> float:
    """papermill then nbconvert, as a shell loop would: seconds for one briefing."""
    executed = out / f"{ticker}.ipynb"
    return (run([str(BIN / "papermill"), str(notebook), str(executed), "-p", "ticker", ticker,
                 "--no-progress-bar"], cwd=REPO)
            + run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input",
                   str(executed)]))


def tree_rss(pid: int) -> int:
    """Resident memory of a process and all its descendants, in bytes."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+) kB", status)[1]) * 1024
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError, TypeError):
            continue
    return total


def kit_all(out: Path, env: dict) -> tuple[float, int, dict[str, float]]:
    """`kit render --all`: wall seconds, peak memory of the process tree, seconds per
    briefing as the command reports them."""
    start = time.perf_counter()
    proc = subprocess.Popen([str(BIN / "kit"), "render", "--all", "--out", str(out),
                             "--no-progress"], cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    peak = 0

    def sample():
        nonlocal peak
        while proc.poll() is None:
            peak = max(peak, tree_rss(proc.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    stdout, _ = proc.communicate()
    wall = time.perf_counter() - start
    sampler.join()
    if proc.returncode != 0:
        sys.exit(f"kit render --all failed:\n{stdout}")
    each = {m[1]: float(m[2]) for m in re.finditer(r"^(\w+): .* \(([\d.]+) s\)$", stdout, re.M)}
    return wall, peak, each


def trivial_notebook(folder: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("ticker = 'META'", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell(
                    "import altair as alt\nimport pandas as pd\n"
                    "alt.Chart(pd.DataFrame({'x': [1, 2, 3], 'y': [1, 3, 2]}))"
                    ".mark_line().encode(x='x', y='y')")]
    path = folder / "trivial.ipynb"
    nbformat.write(nb, path)
    return path


def main() -> None:
    sys.path.insert(0, str(REPO))
    from kit import data

    tickers = list(data.load_companies()["ticker"])
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for d in ("floor", "single", "naive", "kit"):
            (tmp / d).mkdir()
        floor = naive(trivial_notebook(tmp / "floor"), tmp / "floor", "META")
        single = run([str(BIN / "kit"), "render", "META", "--out", str(tmp / "single"),
                      "--no-progress"], cwd=REPO, env=empty_cache(tmp / "cache-single"))
        print(f"floor, naive pipeline on a trivial one-chart notebook: {floor:.1f} s")
        print(f"one kit briefing, cold (new process, empty kit cache): {single:.1f} s")
        print(f"  ratio kit / floor: {single / floor:.2f} (target at most 0.6)\n")

        start = time.perf_counter()
        naive_each = {t: naive(NOTEBOOK, tmp / "naive", t) for t in tickers}
        naive_wall = time.perf_counter() - start
        kit_wall, peak, kit_each = kit_all(tmp / "kit", empty_cache(tmp / "cache-all"))
        print(f"{len(tickers)} briefings, naive loop (papermill + nbconvert each): "
              f"{naive_wall:.1f} s, median {statistics.median(naive_each.values()):.1f} s "
              "per briefing")
        print(f"{len(tickers)} briefings, kit render --all:                        "
              f"{kit_wall:.1f} s, median {statistics.median(kit_each.values()):.1f} s "
              "per briefing (on a warm kernel)")
        print(f"  ratio naive / kit: {naive_wall / kit_wall:.1f}x faster (target at least 8x)")
        print(f"  peak memory of kit render --all: {peak / 2**20:.0f} MiB (target under 2 GiB)\n")
        print("HTML sizes (bytes; target at most 1.5 MB each):")
        for t in tickers:
            kit_html = next((tmp / "kit").glob(f"{t}-*.html"))
            size = kit_html.stat().st_size
            naive_size = (tmp / "naive" / f"{t}.html").stat().st_size
            print(f"  {t:<6} kit {size:>9,}{'' if size <= MAX_BYTES else '  OVER'}   "
                  f"naive {naive_size:>9,}")
        index = (tmp / "kit" / "index.html").stat().st_size
        print(f"  index  kit {index:>9,}")


if __name__ == "__main__":
    main()
