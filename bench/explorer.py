"""How long the explorer takes from a widget change to the updated chart in the browser
(target: median under 150 ms on 2 cores), measured in a real JupyterLab in headless Chromium.

Each change picks a different set of companies in the explorer's list; the time runs from
the list's change event in the page to the frame in which the chart's SVG shows the new
companies (kernel round trip, new spec, Vega redraw). The bytes the kernel sends per change
are counted on the websocket.

Baseline, measured in the same run and process: what the explorer did per change before it
used JupyterChart — the same spec drawn to SVG and PNG in the kernel with vl-convert — against
what it does now in the kernel (the spec only). Run: `make bench-explorer` or
`.venv/bin/python bench/explorer.py` (needs Chromium: apt-get install chromium).
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import vl_convert

from kit import paths
from kit.explore import Explorer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lab import CHROMIUM, TOKEN, serve  # noqa: E402  (JupyterLab on localhost)

CHANGES = 21
TARGET_MS = 150

# In the page: pick `tickers` in the list, then wait for the frame where the chart's legend
# names exactly them; the elapsed milliseconds.
CHANGE_JS = """async (tickers) => {
  const select = document.querySelector('.kit-companies select');
  const shows = () => {
    const legend = document.querySelector('.kit-chart .role-legend');
    if (!legend) return false;
    const text = legend.textContent;
    return tickers.every(t => text.includes(t)) &&
      [...select.options].every(o => tickers.includes(o.value) || !text.includes(o.value));
  };
  const start = performance.now();
  for (const o of select.options) o.selected = tickers.includes(o.value);
  select.dispatchEvent(new Event('change', {bubbles: true}));
  while (!shows()) {
    await new Promise(r => requestAnimationFrame(r));
    if (performance.now() - start > 20000) throw new Error('chart did not update');
  }
  return performance.now() - start;
}"""


def in_kernel() -> tuple[float, float]:
    """Median ms per change in the kernel: now (spec only) and before (spec + SVG + PNG)."""
    ex = Explorer()
    options = list(ex.companies.options)
    x, y, z = (tuple(options[k: k + 4]) for k in (0, 2, 4))  # each change a real change
    now, before = [], []
    for i in range(CHANGES):
        start = time.perf_counter()
        ex.companies.value = x if i % 2 else y
        now.append(time.perf_counter() - start)
        start = time.perf_counter()
        ex.companies.value = z
        spec = ex.chart.spec
        vl_convert.vegalite_to_svg(spec)
        vl_convert.vegalite_to_png(spec, scale=2)
        before.append(time.perf_counter() - start)
    return statistics.median(now) * 1000, statistics.median(before) * 1000


def in_browser() -> tuple[list[float], list[int]]:
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="kit-bench-"))
    server, url = serve(tmp, paths.notebook("explore.ipynb"))
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            received = []
            page.on("websocket", lambda ws: ws.on(
                "framereceived", lambda frame: received.append(len(frame))))
            page.goto(f"{url}/lab/tree/explore.ipynb?token={TOKEN}")
            page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=60000)
            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
            page.locator(".kit-chart svg.marks").wait_for(timeout=120000)
            page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=60000)
            options = page.eval_on_selector_all(".kit-companies select option",
                                                "os => os.map(o => o.value)")
            times, sizes = [], []
            for i in range(CHANGES + 1):
                tickers = options[i % 5: i % 5 + 4]
                before = sum(received)
                times.append(page.evaluate(CHANGE_JS, tickers))
                time.sleep(0.3)  # let the table and the rest of the update arrive
                sizes.append(sum(received) - before)
            browser.close()
        return times[1:], sizes[1:]  # the first change warms the page up
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    now, before = in_kernel()
    times, sizes = in_browser()
    median = statistics.median(times)
    print(f"machine: {os.cpu_count()} cores")
    print(f"widget change -> updated chart in the browser (JupyterLab, Chromium): median "
          f"{median:.0f} ms over {len(times)} changes (min {min(times):.0f}, max "
          f"{max(times):.0f}); {statistics.median(sizes) / 1024:.0f} KiB sent per change")
    print(f"in the kernel per change: {now:.1f} ms now (spec only); baseline, drawing SVG and "
          f"PNG as before: {before:.1f} ms")
    print(f"ratio kernel now / baseline: {now / before:.3f} ({before / now:.1f}x faster)")
    print(f"target: browser median under {TARGET_MS} ms: "
          f"{'met' if median < TARGET_MS else 'NOT met'}")


if __name__ == "__main__":
    main()
