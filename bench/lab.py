"""JupyterLab's Run All of the briefing against `kit render`'s cell time, in one run.

Starts JupyterLab on localhost (a temporary root holding a copy of notebooks/briefing.ipynb),
opens the notebook in headless Chromium (Playwright), waits for the kernel, then clicks Run →
Run All Cells RUNS times (the kernel restarted before each but the first), each timed from the
click until every code cell shows its execution count and the kernel is idle. The baseline is
the same notebook's cell time under `kit render META` (the sum of papermill's per-cell
durations in the executed notebook it keeps), measured RUNS times in this run. Prints the best
of each and their ratio.

Run: `make bench-lab` (about a minute on 2 cores; needs Chromium).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TOKEN = "kit-bench"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def kit_cell_seconds(tmp: Path) -> float:
    """The summed cell durations of one `kit render META` (papermill records them)."""
    out = tmp / "rendered"
    subprocess.run([str(BIN / "kit"), "render", "META", "--force", "--no-progress", "--out",
                    str(out)], check=True, capture_output=True)
    (notebook,) = out.glob("META-*.ipynb")
    cells = json.loads(notebook.read_text())["cells"]
    return sum(c["metadata"].get("papermill", {}).get("duration") or 0 for c in cells)


def serve(tmp: Path, notebook: Path) -> tuple[subprocess.Popen, str]:
    """JupyterLab on a free localhost port, its root `tmp`/root holding a copy of
    `notebook`, its state under `tmp`: the process and its URL once it answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    root = tmp / "root"
    root.mkdir()
    shutil.copy(notebook, root)
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
           "JUPYTER_CONFIG_DIR": str(tmp / "config")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
         "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}",
         f"--ServerApp.root_dir={root}", f"--LabApp.workspaces_dir={tmp / 'ws'}",
         f"--LabApp.user_settings_dir={tmp / 'settings'}", "--allow-root"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(180):
        try:
            urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=2)
            return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("JupyterLab did not start")


def run_all(page, cells: int) -> float:
    """Seconds from Run All Cells to every code cell numbered and the kernel idle."""
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    start = time.perf_counter()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    page.wait_for_function(
        "n => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]"
        ".filter(p => /\\[\\d+\\]/.test(p.textContent)).length >= n", arg=cells,
        timeout=300000, polling=50)
    page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=300000)
    return time.perf_counter() - start


def main() -> int:
    from playwright.sync_api import sync_playwright

    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        renders = [kit_cell_seconds(tmp) for _ in range(runs)]
        baseline = min(renders)
        cells = sum(c["cell_type"] == "code" for c in json.loads(
            (REPO / "notebooks" / "briefing.ipynb").read_text())["cells"])
        proc, url = serve(tmp, REPO / "notebooks" / "briefing.ipynb")
        times = []
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(f"{url}/lab/tree/briefing.ipynb?token={TOKEN}")
                page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=120000)
                for i in range(runs):
                    if i:  # a fresh kernel, as a user who restarts and runs all
                        page.locator(".lm-MenuBar-itemLabel", has_text="Kernel").first.click()
                        page.locator(".lm-Menu-itemLabel",
                                     has_text="Restart Kernel and Clear Outputs of All Cells"
                                     ).first.click()
                        page.locator(".jp-Dialog-button.jp-mod-accept").click()
                        page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=120000)
                    times.append(run_all(page, cells))
                    print(f"  Run All {i + 1}/{runs}: {times[-1]:.1f} s", file=sys.stderr)
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    best = min(times)
    print(f"kit render META, cell time (papermill's durations): best {baseline:.2f} s, all "
          + ", ".join(f"{t:.2f}" for t in renders) + " s")
    print(f"JupyterLab Run All of the briefing: best {best:.2f} s, all "
          + ", ".join(f"{t:.1f}" for t in times) + " s")
    print(f"ratio (Run All / kit render's cell time): {best / baseline:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
