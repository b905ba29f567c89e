"""Open the rendered pages in real headless Chromium with the network blocked.

These tests fail, not skip, when Chromium is missing: install it with `apt-get install chromium`.
"""

import re
import shutil
from contextlib import contextmanager

import pytest

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ALL_CHARTS_DRAWN = ("[...document.querySelectorAll('div.chart')]"
                    ".every(el => el.querySelector('svg, canvas'))")


@contextmanager
def offline_page():
    """A Chromium page that may load local files only; yields (page, requests, errors):
    every other request is blocked and recorded, console errors and page errors too."""
    from playwright.sync_api import sync_playwright

    assert shutil.which("chromium") or shutil.os.path.exists(CHROMIUM), (
        "Chromium is required for the browser test: apt-get install chromium")
    requests, errors = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page()
        page.route("**/*", lambda route: route.continue_()
                   if route.request.url.startswith("file://")
                   else (requests.append(route.request.url), route.abort()))
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.on("pageerror", lambda e: errors.append(str(e)))
        yield page, requests, errors
        browser.close()


# What lies outside the viewport and is not inside a box that scrolls on its own, what an
# `overflow: hidden` box clips, and the cells of one figure that take more than one line.
OUTSIDE = """() => {
  const vw = document.documentElement.clientWidth;
  const inScrollBox = el => { for (let a = el.parentElement; a; a = a.parentElement) {
    const o = getComputedStyle(a).overflowX; if (o === 'auto' || o === 'scroll') return true; }
    return false; };
  const name = el => el.tagName + '.' + (el.className.baseVal ?? el.className) + ' '
                     + (el.textContent || '').trim().slice(0, 40);
  const out = {width: document.documentElement.scrollWidth, vw, outside: [], clipped: [],
               tall: []};
  const text = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n; (n = text.nextNode());) {
    const range = document.createRange(); range.selectNodeContents(n);
    const rects = [...range.getClientRects()];
    if (rects.some(r => r.width && (r.left < -1 || r.right > vw + 1))
        && !inScrollBox(n.parentElement)) out.outside.push(name(n.parentElement));
  }
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width && r.height && (r.left < -1 || r.right > vw + 1) && !inScrollBox(el))
      out.outside.push(name(el));
    if (getComputedStyle(el).overflowX === 'hidden' && el.scrollWidth > el.clientWidth + 1)
      out.clipped.push(name(el));
  }
  for (const td of document.querySelectorAll('td.num')) {
    const range = document.createRange(); range.selectNodeContents(td);
    const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
    if (tops.size > 1) out.tall.push(td.textContent);
  }
  return out;
}"""


def _phone_pages(seed_briefing, german_reports):
    return {"seed": seed_briefing, "german": german_reports / "META-2024-04-25.de.html",
            "index": german_reports / "index.html", "index.de": german_reports / "index.de.html"}


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("name", ["seed", "german", "index", "index.de"])
def test_a_page_fits_the_screen_at_phone_and_desktop_widths(seed_briefing, german_reports,
                                                             name, width):
    """Nothing lies outside the screen unless inside a box that scrolls on its own (a wide
    table), nothing is clipped by `overflow: hidden`, the page does not scroll sideways, and
    every cell of one figure is one line high."""
    path = _phone_pages(seed_briefing, german_reports)[name]
    with offline_page() as (page, requests, errors):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(path.resolve().as_uri())
        page.wait_for_function(ALL_CHARTS_DRAWN, timeout=20000)
        found = page.evaluate(OUTSIDE)
        numbers = page.locator("td.num").count()
        page.screenshot(path=str(path.parent / f"{path.stem}-{width}.png"), full_page=True)
    assert found["width"] <= width, found
    assert found["outside"] == [] and found["clipped"] == [], found
    assert numbers > 5 and found["tall"] == [], found["tall"]
    assert requests == [] and errors == []


def test_briefing_renders_every_chart_offline(seed_briefing):
    with offline_page() as (page, requests, errors):
        page.goto(seed_briefing.resolve().as_uri())
        page.wait_for_function(ALL_CHARTS_DRAWN, timeout=20000)
        charts = page.eval_on_selector_all(
            "div.chart", "els => els.map(el => !!el.querySelector('svg, canvas'))")
        marks = page.eval_on_selector_all("div.chart svg path", "els => els.length")
    assert charts and all(charts)
    assert marks > 0
    assert requests == []
    assert errors == []


def test_index_and_every_briefing_work_offline_with_a_live_control(all_briefings):
    with offline_page() as (page, requests, errors):
        page.goto((all_briefings / "index.html").resolve().as_uri())
        hrefs = page.eval_on_selector_all("table.index a", "els => els.map(a => a.href)")
        assert len(hrefs) == len(list(all_briefings.glob("*-*.html")))
        for href in hrefs:
            page.goto(href)
            page.wait_for_function(ALL_CHARTS_DRAWN, timeout=20000)
            peers = page.locator("div.chart", has=page.locator("select"))
            assert peers.count() == 1, href
            before = peers.locator("svg").inner_html()
            options = peers.locator("select option").all_inner_texts()
            peers.locator("select").select_option(options[1])
            page.wait_for_function(
                "([el, old]) => el.querySelector('svg').innerHTML !== old",
                arg=[peers.element_handle(), before], timeout=5000)
            assert options[1] in peers.locator("svg").inner_html(), href  # the axis follows
    assert requests == []
    assert errors == []


def test_printing_gives_a_whole_document(seed_briefing):
    with offline_page() as (page, requests, errors):
        page.goto(seed_briefing.resolve().as_uri())
        page.wait_for_function(ALL_CHARTS_DRAWN, timeout=20000)
        page.emulate_media(media="print")
        page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
        assert page.eval_on_selector_all("details", "els => els.every(d => d.open)")
        pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") > 3
    assert errors == []


def test_peers_open_on_the_comparable_measure_and_switch_to_as_reported(seed_briefing):
    with offline_page() as (page, requests, errors):
        page.goto(seed_briefing.resolve().as_uri())
        page.wait_for_function(ALL_CHARTS_DRAWN, timeout=20000)
        chart = page.locator("div.chart", has=page.locator("select"))
        assert chart.locator("select").input_value().startswith("Comparable capex")
        comparable, reported = page.locator("table.peers.comparable"), page.locator(
            "table.peers.capex")
        assert comparable.is_visible() and not reported.is_visible()
        assert "comparable" in comparable.inner_text()
        page.locator("label[for=peer-reported]").click()
        assert reported.is_visible() and not comparable.is_visible()
        assert "as reported: " in reported.inner_text()  # every cell names its basis
    assert requests == [] and errors == []


# A chart's legend as {company: colour}, and its drawn lines as [(company, colour, opacity)]
# (a line's aria-label begins with its company: "META, CY24 Q1: 6.72 (...)").
LEGEND = """el => { const fills = [...el.querySelectorAll('.role-legend-symbol path')]
  .map(p => p.getAttribute('fill'));
  return Object.fromEntries([...el.querySelectorAll('.role-legend-label text')]
    .map((t, i) => [t.textContent, fills[i]])); }"""
LINES = """el => [...el.querySelectorAll('g.mark-line path')].map(p =>
  [p.getAttribute('aria-label').split(',')[0], p.getAttribute('stroke'),
   p.getAttribute('stroke-opacity') || p.getAttribute('opacity') || '1'])"""


def test_each_company_keeps_its_colour_under_every_measure_and_language(german_reports):
    """Issue 29: the peer chart's legend maps each company to one colour under every option
    of the drop-down, in English and German alike, and each line is drawn in its company's
    colour; a company picked in the legend fades the others only under a measure where it
    has a line (Apple, with no comparable figure, fades nothing on the comparable measure)."""
    seen = {}
    with offline_page() as (page, requests, errors):
        for lang, name in (("en", "META-2024-04-25.html"), ("de", "META-2024-04-25.de.html")):
            page.goto((german_reports / name).resolve().as_uri())
            page.wait_for_function(ALL_CHARTS_DRAWN, timeout=20000)
            chart = page.locator("div.chart", has=page.locator("select"))
            options = chart.locator("select option").all_inner_texts()
            for option in options:
                chart.locator("select").select_option(option)
                page.wait_for_timeout(100)
                legend, lines = chart.evaluate(LEGEND), chart.evaluate(LINES)
                assert lines and all(color == legend[ticker] for ticker, color, _o in lines), (
                    option, lines, legend)
                seen[(lang, option)] = legend
            if lang == "en":
                chart.locator("select").select_option(options[1])  # as reported
                chart.locator(".role-legend text", has_text="AAPL").click()
                page.wait_for_timeout(100)
                picked = chart.evaluate(LINES)
                chart.locator("select").select_option(options[0])  # comparable: no AAPL
                page.wait_for_timeout(100)
                elsewhere = chart.evaluate(LINES)
    assert len(seen) == 2 * len(options) == 12
    first = next(iter(seen.values()))
    assert len(first) == 8 and all(legend == first for legend in seen.values()), seen
    assert {t for t, _c, o in picked if o == "1"} == {"AAPL"}, picked
    assert "AAPL" not in {t for t, _c, _o in elsewhere}
    assert elsewhere and all(o == "1" for _t, _c, o in elsewhere), elsewhere
    assert requests == [] and errors == []


def test_archive_time_lines_open_their_briefings_offline(archive_reports):
    with offline_page() as (page, requests, errors):
        page.goto((archive_reports / "index.html").resolve().as_uri())
        ids = page.eval_on_selector_all("section.timeline", "els => els.map(s => s.id)")
        assert len(ids) == 9
        page.click("a[href='#META']")  # the company links jump to its time line
        assert page.evaluate("location.hash") == "#META"
        page.click("section#META a[href='META-2024-04-25.html']")
        page.wait_for_load_state()
        assert page.url.endswith("/META-2024-04-25.html")
        assert "META AI-infrastructure briefing as of 2024-04-25" in page.title()
        page.wait_for_function(ALL_CHARTS_DRAWN, timeout=20000)
        page.go_back()
        last = page.eval_on_selector_all("section.timeline a[href$='.html']",
                                          "els => els.map(a => a.href)")
        assert len(last) > 180
        for href in last[::40]:  # a sample across companies and years
            page.goto(href)
            page.wait_for_function(ALL_CHARTS_DRAWN, timeout=20000)
    assert requests == []
    assert errors == []


def test_a_german_briefing_draws_every_chart_offline_in_german(german_reports):
    with offline_page() as (page, requests, errors):
        page.goto((german_reports / "META-2024-04-25.de.html").resolve().as_uri())
        page.wait_for_function(ALL_CHARTS_DRAWN, timeout=20000)
        drawn = page.eval_on_selector_all(
            "div.chart", "els => els.map(el => !!el.querySelector('svg path'))")
        svg_text = " ".join(page.eval_on_selector_all("div.chart svg text",
                                                      "els => els.map(t => t.textContent)"))
        options = page.locator("div.chart select option").all_inner_texts()
        bar = page.locator("div.chart").first.locator("g.mark-rect path").first
        bar.scroll_into_view_if_needed()
        bar.hover()
        tip = page.locator("#vg-tooltip-element")
        tip.wait_for(state="visible", timeout=5000)
        tooltip = tip.inner_text()
        width = page.eval_on_selector("div.chart svg", "el => el.getBoundingClientRect().width")
        overflow = page.evaluate(OUTSIDE)["outside"]  # wide tables scroll in their own box
        clipped = page.eval_on_selector_all(  # a chart title wider than its chart is cut off
            "div.chart svg", "els => els.filter(s => { const t = s.querySelector('.role-title');"
            " return t && t.getBoundingClientRect().right > s.getBoundingClientRect().right + 1;"
            " }).map(s => s.querySelector('.role-title').textContent)")
        page.goto((german_reports / "index.de.html").resolve().as_uri())
        overflow += page.evaluate(OUTSIDE)["outside"]
    assert drawn and all(drawn)
    assert width > 600  # as wide as the page, readable
    assert overflow == []  # the longer German words still fit the page
    assert clipped == []
    # titles and axes in German, numbers with a decimal comma (the d3 locale of de)
    assert "Investitionsausgaben nach Quartal" in svg_text and "Quartal (Periodenende)" in svg_text
    assert "Mrd. $" in tooltip and re.search(r"\b\d+,\d{3}\b", tooltip), tooltip
    assert "Quelle" in tooltip and "Quartal" in tooltip and "GJ2" in tooltip
    assert options[0] == "Vergleichbare Investitionsausgaben, Mrd. $"
    assert requests == []
    assert errors == []


@pytest.mark.parametrize("page_name, title, measure, quarter", [
    ("META-2024-04-25.html", "Operating cash flow against capex and depreciation",
     "Operating cash flow", "FY24 Q1"),
    ("META-2024-04-25.de.html", "Operativer Cashflow gegen Investitionsausgaben und "
     "Abschreibungen", "Operativer Cashflow", "GJ24 Q1")])
def test_the_funding_chart_draws_offline_in_both_languages(german_reports, page_name, title,
                                                            measure, quarter):
    """The section's chart: drawn, as wide as the page, its lines' points answering a
    hover with the quarter, the measure and its source."""
    with offline_page() as (page, requests, errors):
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto((german_reports / page_name).resolve().as_uri())
        page.wait_for_function(ALL_CHARTS_DRAWN, timeout=20000)
        chart = page.locator("div.chart", has=page.locator("svg text", has_text=title))
        assert chart.count() == 1
        width = chart.locator("svg").first.evaluate("el => el.getBoundingClientRect().width")
        points = chart.locator("g.mark-symbol.role-mark path")
        assert points.count() > 8
        legend = chart.locator("svg text", has_text=measure).count()
        points.first.scroll_into_view_if_needed()
        box = max((points.nth(i).bounding_box() for i in range(points.count())),
                  key=lambda b: b["x"])  # a point of the latest quarter
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        tip = page.locator("#vg-tooltip-element")
        tip.wait_for(state="visible", timeout=5000)
        tooltip = tip.inner_text()
    assert width > 600 and legend
    assert quarter in tooltip, tooltip  # the latest quarter, and the document that gave it
    assert "2024" in tooltip and "press_releases" not in tooltip, tooltip
    assert requests == [] and errors == []


def test_the_index_is_a_sector_overview_with_a_chart_and_a_sortable_table(all_briefings):
    """Issue 29: the index opens with every company's capex by calendar quarter, one bar per
    company and quarter and a mark for the group's total; a click on a column's head sorts
    the table by it, a second click reverses it; no cell is left empty without a reason."""
    from kit import charts, data, metrics

    peers = metrics.peers(data.as_of_date())
    p = peers[peers["is_public"]]
    key = p["calendar_year"] * 4 + p["calendar_quarter"]
    shown = p[key > key.max() - charts.OVERVIEW_QUARTERS].dropna(subset=["comparable_usd"])
    with offline_page() as (page, requests, errors):
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto((all_briefings / "index.html").resolve().as_uri())
        page.wait_for_function(ALL_CHARTS_DRAWN, timeout=20000)
        chart = page.locator("div.chart").first
        layers = chart.locator("g.mark-rect.role-mark")  # the bars, then the ticks of totals
        bars, tops = (layers.nth(i).locator("path").count() for i in (0, 1))
        table = page.locator("table.index")
        column = [th.strip() for th in table.locator("thead th").all_inner_texts()].index(
            "Capex as reported")

        def values():
            return [float(v) if v else None for v in table.locator("tbody tr").evaluate_all(
                f"rows => rows.map(r => r.cells[{column}].dataset.sort)")]

        before = values()
        table.locator("thead th").nth(column).click()
        ascending = values()
        table.locator("thead th").nth(column).click()
        descending = values()
        empty = table.locator("tbody td").evaluate_all(
            "cells => cells.filter(c => !c.textContent.trim()).length")
    assert bars == len(shown), (bars, len(shown))  # one per company and quarter
    assert tops == shown["calendar_label"].nunique()  # and the group's total for each quarter
    known = [v for v in before if v is not None]
    assert ascending[:len(known)] == sorted(known) and descending[:len(known)] == sorted(
        known, reverse=True)
    assert empty == 0
    assert requests == [] and errors == []
