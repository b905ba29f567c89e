"""Open the rendered briefing in real headless Chromium with the network blocked.

This test fails, not skips, when Chromium is missing: install it with `apt-get install chromium`.
"""

import shutil

import pytest

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def test_briefing_renders_every_chart_offline(seed_briefing):
    from playwright.sync_api import sync_playwright

    assert shutil.which("chromium") or shutil.os.path.exists(CHROMIUM), (
        "Chromium is required for the browser test: apt-get install chromium")
    url = seed_briefing.resolve().as_uri()
    requests, errors = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page()
        page.route("**/*", lambda route: route.continue_() if route.request.url == url
                   else (requests.append(route.request.url), route.abort()))
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        page.wait_for_function(
            "[...document.querySelectorAll('div.chart')]"
            ".every(el => el.querySelector('svg, canvas'))", timeout=20000)
        charts = page.eval_on_selector_all(
            "div.chart", "els => els.map(el => !!el.querySelector('svg, canvas'))")
        marks = page.eval_on_selector_all("div.chart svg .mark-rect path, div.chart svg path",
                                          "els => els.length")
        browser.close()
    assert charts and all(charts)
    assert marks > 0
    assert requests == []
    assert errors == []
