"""The notebooks as a user meets them: a JupyterLab server (and a Voilà app) on localhost,
opened in headless Chromium, with every request that leaves the server refused.

Charts must be readable (at least 600 px wide), answer a hover with a tooltip naming the
source, and keep their interactions (the peer chart's drop-down); the explorer must follow a
change and link to the briefing it renders. Fails, not skips, when Chromium is missing
(`apt-get install chromium`).
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from kit import paths
from kit.explore import explorer_frame, largest_spenders

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
TOKEN = "kit-test-token"
MIN_WIDTH = 600  # pixels: below this, quarter labels and legends crowd out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(tmp_path, argv: list[str], ready: str):
    """Start a Jupyter server process on a free port; its URL once `ready` answers."""
    port = _free_port()
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "JUPYTER_CONFIG_DIR": str(tmp_path / "config")}
    log = tmp_path / "server.log"
    proc = subprocess.Popen([sys.executable, "-m", *argv, "--no-browser", f"--port={port}"],
                            env=env, cwd=tmp_path / "root", stdout=subprocess.DEVNULL,
                            stderr=open(log, "w"))
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while True:
        try:
            urllib.request.urlopen(f"{url}{ready}?token={TOKEN}", timeout=2)
            return proc, url
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail(f"{argv[0]} did not start:\n" + log.read_text())
            time.sleep(0.5)


@pytest.fixture
def root(tmp_path):
    """A server root holding copies of the two notebooks."""
    (tmp_path / "root").mkdir()
    for name in ("explore.ipynb", "briefing.ipynb"):
        shutil.copy(paths.notebook(name), tmp_path / "root")
    return tmp_path


@pytest.fixture
def lab(root):
    proc, url = _serve(root, ["jupyterlab", "--ServerApp.ip=127.0.0.1",
                              f"--IdentityProvider.token={TOKEN}",
                              f"--ServerApp.root_dir={root / 'root'}",
                              f"--LabApp.workspaces_dir={root / 'ws'}",
                              f"--LabApp.user_settings_dir={root / 'settings'}",
                              "--allow-root"], "/api/status")
    yield url, root
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    assert os.path.exists(CHROMIUM), "Chromium is required: apt-get install chromium"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


def _page(browser, url: str, outside: list):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(url)
               else (outside.append(route.request.url), route.abort()))
    return page


def _run_all(page, url: str, name: str) -> None:
    page.goto(f"{url}/lab/tree/{name}?token={TOKEN}")
    page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=60000)
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()


def _hover_tooltip(page, chart) -> str:
    """Hover the first mark of `chart` that has a tooltip; the tooltip's text as shown."""
    marks = chart.locator("g.mark-rect path, g.mark-symbol path")
    for i in range(min(marks.count(), 40)):
        marks.nth(i).scroll_into_view_if_needed()  # JupyterLab may have moved it meanwhile
        box = marks.nth(i).bounding_box()
        if not box or box["width"] < 2 or box["height"] < 2:
            continue
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        tip = page.locator("#vg-tooltip-element.visible")
        try:
            tip.wait_for(timeout=2000)
        except Exception:  # noqa: BLE001 - this mark has no tooltip: try the next
            continue
        text = tip.inner_text()
        page.mouse.move(0, 0)
        return text
    return ""


def test_briefing_charts_in_jupyterlab_are_readable_with_tooltips_and_a_working_dropdown(
        lab, browser):
    url, _ = lab
    outside = []
    page = _page(browser, url, outside)
    _run_all(page, url, "briefing.ipynb")
    page.wait_for_function("document.querySelectorAll('.vega-embed svg.marks').length >= 7",
                           timeout=120000)
    page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=60000)  # all cells run
    charts = page.locator(".jp-OutputArea-output .vega-embed")
    assert charts.count() == 7  # capex, intensity, growth, funding, guidance, reaction, peers
    for i in range(7):
        chart = charts.nth(i)
        chart.scroll_into_view_if_needed()
        width = chart.locator("svg.marks").bounding_box()["width"]
        assert width >= MIN_WIDTH, f"chart {i + 1} is {width:.0f} px wide"
        tip = _hover_tooltip(page, chart)
        assert "Source" in tip, f"chart {i + 1} shows no tooltip with its source"

    peers = charts.nth(6)
    select = peers.locator("select")
    assert select.count() == 1  # the measure drop-down, bound to a Vega-Lite param
    options = select.locator("option").all_inner_texts()
    lines = "el => [...el.querySelectorAll('g.mark-line path')].map(p => p.getAttribute('d'))"
    before = peers.evaluate(lines)
    select.select_option(label=options[1])
    page.wait_for_function(
        f"([el, old]) => JSON.stringify(({lines})(el)) !== JSON.stringify(old)",
        arg=[peers.element_handle(), before], timeout=10000)
    assert not outside, f"requests left the server: {outside[:3]}"
    page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=60000)  # all cells run
    red = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'],"
                       " .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']")
    assert red.count() == 0, red.all_inner_texts()[:3]  # no error or warning output
    # File > Save and Export Notebook As lists the exporters this API returns
    exporters = json.load(urllib.request.urlopen(f"{url}/api/nbconvert?token={TOKEN}"))
    assert exporters["kit"]["output_mimetype"] == "text/html"


def test_explorer_follows_a_change_and_links_the_briefing_it_renders(lab, browser):
    url, root = lab
    outside = []
    page = _page(browser, url, outside)
    _run_all(page, url, "explore.ipynb")
    chart = page.locator(".kit-chart svg.marks")
    chart.wait_for(timeout=120000)
    expected = largest_spenders(explorer_frame())[:4]
    legend = page.locator(".kit-chart .role-legend").text_content()
    assert all(t in legend for t in expected), legend
    assert "Source" in _hover_tooltip(page, page.locator(".kit-chart"))

    before = chart.inner_html()
    others = [t for t in largest_spenders(explorer_frame()) if t not in expected][:2]
    page.locator(".kit-companies select").select_option(others)
    page.wait_for_function(
        "old => { const s = document.querySelector('.kit-chart svg.marks');"
        " return s && s.innerHTML !== old; }", arg=before, timeout=30000)
    legend = page.locator(".kit-chart .role-legend").text_content()
    assert all(t in legend for t in others) and not any(t in legend for t in expected)

    page.locator("button.kit-render").click()
    link = page.locator(".kit-result a")
    link.wait_for(timeout=120000)
    name = f"{others[0]}-"
    assert link.inner_text().startswith(name) and link.inner_text().endswith(".html")
    assert "Trust HTML" in page.locator(".kit-result").inner_text()
    assert list((root / "root" / "reports").glob(f"{name}*.html"))
    link.click()
    viewer = page.locator(".jp-HTMLViewer iframe")  # JupyterLab opened the file in a tab
    viewer.wait_for(timeout=30000)
    page.locator(".jp-Toolbar").get_by_text("Trust HTML", exact=True).click()
    frame = page.frame_locator(".jp-HTMLViewer iframe")
    frame.locator("div.chart svg").nth(6).wait_for(timeout=30000)
    assert frame.locator("div.chart svg.marks").count() == 7
    assert not outside, f"requests left the server: {outside[:3]}"


def test_explorer_runs_as_a_voila_app_offline(root, browser):
    proc, url = _serve(root, ["voila", "explore.ipynb", "--Voila.ip=127.0.0.1",
                                f"--token={TOKEN}"], "/")
    try:
        outside, console = [], []
        page = _page(browser, url, outside)
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
        page.goto(f"{url}/?token={TOKEN}")
        chart = page.locator(".kit-chart svg.marks")
        chart.wait_for(timeout=120000)
        before = chart.inner_html()
        page.locator(".kit-companies select").select_option(
            largest_spenders(explorer_frame())[-2:])
        page.wait_for_function(
            "old => document.querySelector('.kit-chart svg.marks').innerHTML !== old",
            arg=before, timeout=30000)
        assert not outside, f"requests left the server: {outside[:3]}"
        # no "Unsatisfied version" of shared modules, no error: the widget packages match
        # the JupyterLab packages of Voila's page (pyproject.toml pins them)
        noisy = [m for m in console if m.split(":")[0] in ("warning", "error", "pageerror")]
        assert not noisy, noisy
        # on a phone: nothing wider than the screen, nothing cut off (issue 29)
        from tests.test_browser import OUTSIDE

        page.set_viewport_size({"width": 390, "height": 900})
        page.wait_for_timeout(1000)
        found = page.evaluate(OUTSIDE)
        assert found["width"] <= 390 and not found["outside"] and not found["clipped"], found
    finally:
        proc.terminate()
        proc.wait(timeout=30)
