"""The explorer as a user meets it: a JupyterLab server on localhost, the notebook opened in
headless Chromium, Run All Cells, a different company picked, the chart redrawn.

Fails, not skips, when Chromium is missing (`apt-get install chromium`).
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from kit.render import REPO

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
TOKEN = "kit-test-token"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab server whose root holds copies of the two notebooks."""
    root = tmp_path / "root"
    root.mkdir()
    for name in ("explore.ipynb", "briefing.ipynb"):
        shutil.copy(REPO / "notebooks" / name, root)
    port = _free_port()
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "JUPYTER_CONFIG_DIR": str(tmp_path / "config")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
         "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}",
         f"--ServerApp.root_dir={root}", f"--LabApp.workspaces_dir={tmp_path / 'ws'}",
         f"--LabApp.user_settings_dir={tmp_path / 'settings'}", "--allow-root"],
        env=env, stdout=subprocess.DEVNULL, stderr=open(tmp_path / "lab.log", "w"))
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=2)
            break
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("JupyterLab did not start:\n" + (tmp_path / "lab.log").read_text())
            time.sleep(0.5)
    yield url, tmp_path
    proc.terminate()
    proc.wait(timeout=30)


def test_explorer_runs_in_jupyterlab_and_follows_a_company_change(lab):
    from playwright.sync_api import sync_playwright

    lab, lab_dir = lab
    assert os.path.exists(CHROMIUM), "Chromium is required: apt-get install chromium"
    outside = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.route("**/*", lambda route: route.continue_()
                   if route.request.url.startswith(lab)
                   else (outside.append(route.request.url), route.abort()))
        page.goto(f"{lab}/lab/tree/explore.ipynb?token={TOKEN}")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60000)
        page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=60000)
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        chart = page.locator(".kit-chart svg")
        try:
            chart.wait_for(timeout=90000)
        except Exception:
            page.screenshot(path=str(Path(lab_dir) / "failed.png"))
            raise
        before = chart.inner_html()
        assert "AAPL" in before and "NVDA" not in before  # the first four, by default
        page.locator(".kit-companies select").select_option(["NVDA", "ORCL"])
        page.wait_for_function(
            "old => { const s = document.querySelector('.kit-chart svg');"
            " return s && s.innerHTML !== old; }", arg=before, timeout=30000)
        after = chart.inner_html()
        browser.close()
    assert "NVDA" in after and "ORCL" in after and "AAPL" not in after


def test_the_briefing_notebook_shows_its_charts_in_jupyterlab_offline(lab):
    from playwright.sync_api import sync_playwright

    lab, _ = lab
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.route("**/*", lambda route: route.continue_()
                   if route.request.url.startswith(lab) else route.abort())
        page.goto(f"{lab}/lab/tree/briefing.ipynb?token={TOKEN}")
        page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=60000)
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        page.wait_for_function(
            "document.querySelectorAll('.jp-RenderedSVG, .jp-RenderedImage').length >= 6",
            timeout=90000)
        drawn = page.locator(".jp-RenderedSVG, .jp-RenderedImage").count()
        browser.close()
    assert drawn == 6  # every chart, drawn without Vega from a CDN
