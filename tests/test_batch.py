"""`kit render --all` and lists of tickers: parallel briefings, the index, failures."""

import json
import re
import shutil
import subprocess
import sys

import pytest
from bs4 import BeautifulSoup

from kit import data, metrics, render
from kit.html import vega_bundle
from kit.i18n import usd_bn
from kit.metrics import RequestError
from tests.conftest import small_notebook

pytestmark = pytest.mark.slow

MAX_BYTES = 1.5e6
BUNDLE_START = vega_bundle()[:200]  # the inlined Vega, Vega-Lite and Vega-Embed script


def test_render_all_writes_every_briefing_and_an_index(all_briefings):
    tickers = sorted(data.load_companies()["ticker"])
    htmls = sorted(p.name for p in all_briefings.glob("*.html") if p.name != "index.html")
    assert [h.split("-")[0] for h in htmls] == tickers
    soup = BeautifulSoup((all_briefings / "index.html").read_text(), "html.parser")
    links = [a["href"] for a in soup.find_all("a")]
    assert sorted(links) == htmls
    rows = soup.select("table.index tbody tr")
    assert len(rows) == len(tickers)
    assert all("billion" in r.get_text() for r in rows)  # headline capex for each
    assert data.fingerprint() in soup.find("footer").get_text()
    day = f"{data.as_of_date():%Y-%m-%d}"  # one date for every company, stated on the index
    assert {h.split("-", 1)[1] for h in htmls} == {f"{day}.html"}
    assert f"Every briefing as of {day}" in soup.get_text()


def test_every_file_is_self_contained_and_small(all_briefings):
    for path in all_briefings.glob("*.html"):
        doc = path.read_text()
        assert path.stat().st_size <= MAX_BYTES, path.name
        soup = BeautifulSoup(doc, "html.parser")
        assert not soup.find_all("script", src=True), path.name
        assert not soup.find_all("link"), path.name
        assert not soup.find_all(["img", "iframe"], src=re.compile(r"^(?!data:)")), path.name
        assert "default-src 'none'" in doc
        charts = len(soup.select("div.chart"))
        assert doc.count(BUNDLE_START) == (1 if charts else 0), path.name  # once, if needed


def test_every_chart_has_tooltips_with_value_period_and_source(all_briefings):
    for path in all_briefings.glob("*-*.html"):
        soup = BeautifulSoup(path.read_text(), "html.parser")
        for spec_tag in soup.find_all("script", id=re.compile(r"-spec$")):
            spec = json.loads(spec_tag.string)
            titles = set(re.findall(r'"title": "([^"]+)"', json.dumps(spec)))
            if "text" in json.dumps(spec.get("encoding", {})):
                continue  # an empty-section note, not a chart of figures
            assert "Source" in titles, (path.name, spec.get("title"))
            assert titles & {"Quarter", "Calendar quarter", "Results for", "Year", "Given",
                             "Actual for"}, (path.name, spec.get("title"))


@pytest.mark.robustness
def test_one_failing_briefing_does_not_stop_the_others(tmp_path):
    notebook = small_notebook(tmp_path / "sometimes.ipynb",
                              "if ticker == 'TSLA':\n    raise ValueError('boom for ' + ticker)")
    out = tmp_path / "out"
    res = subprocess.run([sys.executable, "-m", "kit.cli", "render", "meta", "TSLA", "NVDA",
                          "--out", str(out), "--notebook", str(notebook), "--no-progress"],
                         capture_output=True, text=True)
    assert res.returncode == 1
    assert ("TSLA: FAILED: sometimes.ipynb: cell [3] (if ticker == 'TSLA':) failed with "
            "ValueError: boom for TSLA") in res.stderr
    assert "1 of 3 briefings failed" in res.stderr
    names = sorted(p.name for p in out.iterdir())
    assert [n.split("-")[0] for n in names if n.endswith(".html")] == ["META", "NVDA", "index.html"]
    assert any(n.startswith("TSLA") and n.endswith(".failed.ipynb") for n in names)
    assert not any(n.startswith("TSLA") and n.endswith(".html") for n in names)
    index = (out / "index.html").read_text()
    assert "failed with ValueError: boom for TSLA" in index
    assert 'href="META-' in index and 'href="NVDA-' in index


@pytest.mark.robustness
def test_a_bad_ticker_or_notebook_stops_a_batch_before_anything_is_written(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(RequestError, match="unknown ticker 'NOPE'"):
        render.render_all(["META", "NOPE"], out_dir=out, progress=False)
    with pytest.raises(RequestError, match="is not an .ipynb file"):
        render.render_all(["META"], out_dir=out, progress=False, notebook=tmp_path / "x.txt")
    assert not out.exists()
    res = subprocess.run([sys.executable, "-m", "kit.cli", "render", "--all", "--out", str(out),
                          "--notebook", str(tmp_path / "missing.ipynb")],
                         capture_output=True, text=True)
    assert res.returncode == 2 and "is not an .ipynb file" in res.stderr
    assert not out.exists()


def test_a_batch_as_of_an_early_date_lists_companies_with_no_data_then(tmp_path):
    out = tmp_path / "out"
    res = subprocess.run([sys.executable, "-m", "kit.cli", "render", "--all",
                          "--as-of", "2024-04-25", "--out", str(out), "--no-progress"],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-2000:]
    assert "CRWV: not rendered: no CRWV figures public by 2024-04-25" in res.stderr
    others = sorted(set(data.load_companies()["ticker"]) - {"CRWV"})
    assert sorted(p.name for p in out.glob("*.html")) == [
        *(f"{t}-2024-04-25.html" for t in others), "index.html"]
    soup = BeautifulSoup((out / "index.html").read_text(), "html.parser")
    rows = {r.find("td").get_text(): r.get_text(" ") for r in soup.select("table.index tbody tr")}
    assert "no CRWV figures public by 2024-04-25" in rows["CRWV"]
    assert "Every briefing as of 2024-04-25" in soup.get_text()


def test_a_batch_of_some_companies_keeps_the_others_on_the_index(all_briefings, tmp_path):
    out = tmp_path / "reports"
    shutil.copytree(all_briefings, out)
    rows = lambda: {r.find("a")["href"]: r.get_text(" ", strip=True)  # noqa: E731
                    for r in BeautifulSoup((out / "index.html").read_text(), "html.parser")
                    .select("table.index tbody tr")}
    full = rows()
    assert len(full) == len(data.load_companies())
    res = subprocess.run([sys.executable, "-m", "kit.cli", "render", "META", "MSFT", "--out",
                          str(out), "--no-progress"], capture_output=True, text=True)
    assert res.returncode == 0 and "2 briefing(s) up to date" in res.stderr, res.stderr
    assert rows() == full
    assert list(rows())[:2] == [p for t in ("META", "MSFT") for p in full if p.startswith(t)]


def test_briefings_of_several_dates_in_one_folder_make_an_index_by_company_and_date(
        all_briefings, archive_reports, tmp_path):
    out = tmp_path / "reports"
    shutil.copytree(all_briefings, out)
    for name in ("META-2024-04-25.html", "META-2024-04-25.ipynb"):  # from the archive
        shutil.copy(archive_reports / name, out)
    res = subprocess.run([sys.executable, "-m", "kit.cli", "render", "NVDA", "TSLA", "--out",
                          str(out), "--no-progress"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    soup = BeautifulSoup((out / "index.html").read_text(), "html.parser")
    assert not soup.select("table.index")  # not "as of one date": a time line per company
    sections = {s["id"]: s for s in soup.select("section.timeline")}
    assert sorted(sections) == sorted(data.load_companies()["ticker"])
    assert list(sections)[:2] == ["NVDA", "TSLA"]
    meta = [[td.get_text(" ", strip=True) for td in r.find_all("td")]
            for r in sections["META"].select("tbody tr")]
    day = f"{data.as_of_date():%Y-%m-%d}"
    assert [r[1] for r in meta] == ["2024-04-25", day]
    assert meta[0][0] == "2024-04-24"  # the release it follows
    assert "Every briefing in this folder, by company and date" in soup.get_text()
    assert sorted(a["href"] for a in soup.select("section a")) == sorted(
        p.name for p in out.glob("*-*.html"))


def test_the_index_has_free_cash_flow_after_capex_or_says_why_not(all_briefings):
    """Issue 28: the index gains the kit's free cash flow after capex (trailing four quarters,
    as reported), each empty cell with its reason."""
    soup = BeautifulSoup((all_briefings / "index.html").read_text(), "html.parser")
    head = [th.get_text() for th in soup.select("table.index thead th")]
    column = head.index("Free cash flow after capex, trailing 4 quarters (as reported)")
    cells = {r.select("td")[0].get_text(): r.select("td")[column].get_text()
             for r in soup.select("table.index tbody tr")}
    for ticker in ("META", "GOOGL", "TSLA"):  # operating cash flow in the press extract
        b = metrics.load_briefing(ticker)
        f = b.funding.dropna(subset=["fcf_capex_ttm_usd"]).iloc[-1]
        assert cells[ticker].startswith(usd_bn(f["fcf_capex_ttm_usd"])), cells[ticker]
    assert "not computable" in cells["AMZN"]  # no operating cash flow in the shipped sources


def test_no_tooltip_shows_a_source_path_or_a_field_name(all_briefings):
    """Issue 29: a tooltip names the document (a release or filing, with its date), not a
    file of the sources folder or a column name."""
    from kit.schema import METRICS

    field = re.compile(r"\b(" + "|".join(m for m in METRICS if "_" in m) + r"|\w+_usd)\b")
    for path in all_briefings.glob("*-*.html"):
        soup = BeautifulSoup(path.read_text(), "html.parser")
        for spec_tag in soup.find_all("script", id=re.compile(r"-spec$")):
            spec = json.loads(spec_tag.string)
            for rows in spec.get("datasets", {}).values():
                for row in rows:
                    for key, value in row.items():
                        if key.endswith(("source", "_src", "note")) and isinstance(value, str):
                            assert "press_releases/" not in value and ".json" not in value, \
                                (path.name, value)
                            assert not field.search(value), (path.name, value)
