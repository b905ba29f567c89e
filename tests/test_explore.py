"""The explorer's widget logic, driven from Python: set a value, the spec and table follow."""

import base64
import io
import json
import re

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from kit import metrics, paths
from kit.explore import CSV_COLUMNS, METRICS, Explorer, explorer_frame


@pytest.fixture(scope="module")
def frame():
    return explorer_frame()


@pytest.fixture
def ex(frame):
    return Explorer(frame=frame)


def _values(spec):
    return next(iter(spec["datasets"].values()))


def test_changing_companies_changes_the_chart_and_the_table(ex):
    ex.companies.value = ("META",)
    before_spec, before_table = ex.chart.spec, ex.table()
    ex.companies.value = ("META", "NVDA")
    assert {r["ticker"] for r in _values(ex.chart.spec)} == {"META", "NVDA"}
    assert list(ex.table().columns) == ["META", "NVDA"]
    assert ex.chart.spec != before_spec and not ex.table().equals(before_table)
    assert ex.chart.spec == ex.spec()  # the widget shows what spec() describes


def test_the_chart_is_an_offline_interactive_widget_with_tooltips(ex):
    import altair as alt

    assert isinstance(ex.chart, alt.JupyterChart) and alt.JupyterChart._is_offline
    tooltip = {t["field"] for t in ex.spec()["encoding"]["tooltip"]}
    assert {"ticker", "quarter_label", "value", "source"} <= tooltip


def test_nothing_is_drawn_in_the_kernel_on_a_change(ex, monkeypatch):
    import vl_convert

    def refuse(*args, **kwargs):
        raise AssertionError("an image was made although nobody asked for one")

    for name in ("vegalite_to_svg", "vegalite_to_png"):
        monkeypatch.setattr(vl_convert, name, refuse)
    ex.companies.value = ("AMZN", "ORCL")
    ex.metric.value = "capex_ttm"
    ex.alignment.value = "fiscal"
    assert ex.status.value == "" and ex.downloads.value == ""


def test_the_default_selection_is_the_largest_spenders(frame):
    ex = Explorer(frame=frame)
    ttm = frame[frame["metric"] == "capex_ttm"].dropna(subset=["value"])
    latest = ttm.sort_values("calendar_key").groupby("ticker")["value"].last()
    assert set(ex.companies.value) == set(latest.nlargest(4).index)
    assert ex.companies.options[:4] == ex.companies.value


def test_every_metric_gives_values_from_the_sourced_rows(ex):
    ex.companies.value = ("META",)
    q = metrics.quarterly("META", metrics.check_request("META")[1],
                          "capex_incl_finance_leases").set_index("quarter_label")
    expected = {"capex": q["capex_usd"] / 1e9, "capex_ttm": q["capex_ttm_usd"] / 1e9,
                "capex_yoy": q["capex_yoy_pct"], "capex_to_revenue": q["capex_to_revenue_pct"],
                "capex_incl_finance_leases": q["capex_incl_finance_leases_usd"] / 1e9}
    absent = {"depreciation": "depreciation_and_amortization_usd",  # not in Meta's sources
              "backlog": "remaining_performance_obligations_usd"}
    for metric in METRICS:
        ex.metric.value = metric
        if metric in absent and q[absent[metric]].isna().all():
            assert "not in the sources for this selection" in json.dumps(ex.spec()), metric
            continue
        rows = _values(ex.spec())
        assert rows, metric
        assert METRICS[metric] in json.dumps(ex.spec())
        assert any(r["value"] is not None for r in rows), metric
        for r in rows:
            if metric in expected:
                want = expected[metric][r["quarter_label"]]
                if r["value"] is None:  # a gap in the chart where the table says "missing"
                    assert pd.isna(want)
                else:
                    assert r["value"] == pytest.approx(want)
            assert r["source"] or r["value"] is None
    ex.metric.value = "guidance_mid"
    fy2024 = [r for r in _values(ex.spec()) if r["quarter_label"].startswith("FY24")]
    assert {r["value"] for r in fy2024} == {39.0}  # the last FY2024 outlook was $38-40B


def test_alignment_switches_the_axis_and_keeps_the_same_quarters(ex):
    ex.companies.value = ("MSFT",)
    ex.period.value = ("CY24 Q1", "CY24 Q4")
    calendar = ex.selection()["quarter_label"].tolist()
    assert ex.spec()["encoding"]["x"]["field"] == "calendar_label"
    ex.alignment.value = "fiscal"
    spec = ex.spec()
    assert spec["encoding"]["x"]["field"] == "fiscal_label"
    assert ex.period.value == ("FY24 Q3", "FY25 Q2")  # Microsoft's year ends in June
    assert ex.selection()["quarter_label"].tolist() == calendar
    ex.alignment.value = "calendar"
    assert ex.period.value == ("CY24 Q1", "CY24 Q4")


def test_quarters_without_data_stay_on_the_axis_as_gaps(ex):
    ex.companies.value = ("CRWV",)  # listed in 2025: no rows before its first filings
    ex.period.value = ("CY22 Q1", "CY24 Q4")
    spec = ex.spec()
    domain = spec["encoding"]["x"]["scale"]["domain"]
    assert domain == ex.quarters() and domain[0] == "CY22 Q1" and len(domain) == 12
    have = {r["calendar_label"] for r in _values(spec) if r["value"] is not None}
    assert have and set(domain) - have  # some quarters have no value: they stay, empty
    assert spec["mark"]["invalid"] == "break-paths-show-domains"  # no line across a gap
    table = ex.table()
    assert list(table.index) == domain
    empty = [q for q in domain if q not in have]
    assert table.loc[empty, "CRWV"].isna().all()
    shown = BeautifulSoup(ex.table_view.value, "html.parser")
    cells = {r.th.get_text(): r.td.get_text() for r in shown.select("tbody tr")}
    assert all(cells[q] == "missing" for q in empty)


def test_the_table_is_styled(ex):
    ex.companies.value = ("META", "MSFT")
    shown = BeautifulSoup(ex.table_view.value, "html.parser")
    assert shown.style and "border-collapse" in shown.style.get_text()
    assert shown.select_one("table.kit-table")
    first = shown.select_one("tbody td").get_text()
    assert re.fullmatch(r"[\d,]+\.\d\d|missing", first)


def test_the_period_range_limits_chart_and_table(ex):
    ex.companies.value = ("GOOGL", "AMZN")
    ex.period.value = ("CY24 Q1", "CY24 Q4")
    assert sorted({r["calendar_label"] for r in _values(ex.spec())}) == [
        "CY24 Q1", "CY24 Q2", "CY24 Q3", "CY24 Q4"]
    assert list(ex.table().index) == ["CY24 Q1", "CY24 Q2", "CY24 Q3", "CY24 Q4"]


def test_the_csv_is_made_on_request_with_the_documented_columns(ex):
    ex.companies.value = ("ORCL",)
    assert ex.downloads.value == ""
    ex.csv_button.click()
    link = re.search(r'download="kit-explorer.csv" href="data:text/csv;base64,([^"]+)"',
                     ex.downloads.value)
    csv = base64.b64decode(link.group(1)).decode()
    assert csv.splitlines()[0] == ",".join(CSV_COLUMNS)
    assert CSV_COLUMNS == ["ticker", "metric", "value", "quarter_label", "fiscal_label",
                           "calendar_label", "source"]
    rows = pd.read_csv(io.StringIO(csv))
    assert (rows["ticker"] == "ORCL").all() and len(rows) == len(ex.selection())
    ex.companies.value = ("ORCL", "META")
    assert ex.downloads.value == ""  # a stale CSV is not offered


def test_a_missing_value_stays_missing(ex):
    ex.companies.value = ("NVDA",)
    ex.metric.value = "capex_incl_finance_leases"  # no component of it in the sources for Nvidia
    assert ex.selection()["value"].isna().all()
    assert "not in the sources" in json.dumps(ex.spec())
    ex.metric.value = "capex_yoy"  # the first four quarters have no year-earlier quarter
    ex.alignment.value = "fiscal"
    table = ex.table()
    gaps = table[table["NVDA"].isna()].index.tolist()
    assert gaps
    shown = BeautifulSoup(ex.table_view.value, "html.parser")
    cells = {r.th.get_text(): r.td.get_text() for r in shown.select("tbody tr")}
    assert all(cells[q] == "missing" for q in gaps)


def test_an_error_while_updating_is_shown_not_lost(ex, monkeypatch):
    monkeypatch.setattr(ex, "table", lambda: 1 / 0)
    ex.companies.value = ("META",)
    assert "Could not update the view" in ex.status.value and "ZeroDivisionError" in (
        ex.status.value)


def test_as_of_limits_the_explorer_to_what_was_public():
    early = explorer_frame("2024-04-25")
    meta = early[(early["ticker"] == "META") & (early["metric"] == "capex")]
    assert meta["fiscal_key"].max() == 2024 * 4  # FY24 Q1, the quarter just released
    assert pd.isna(meta.set_index("fiscal_label")["value"].get("FY24 Q2"))


@pytest.mark.slow
def test_render_button_renders_the_chosen_briefing_and_links_it(frame, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # the notebook's folder, outside any checkout
    ex = Explorer(as_of="2024-04-25", frame=frame, out_dir=tmp_path / "reports")
    ex.companies.value = ("GOOGL", "META")
    ex.briefing_for.value = "META"
    ex.render_button.click()
    html = tmp_path / "reports" / "META-2024-04-25.html"
    assert html.is_file()
    shown = ex.result_html
    assert 'href="reports/META-2024-04-25.html"' in shown  # relative: JupyterLab resolves it
    assert "Trust HTML" in shown
    assert not ex.render_button.disabled
    # in Voilà, which serves no HTML file, the same briefing is offered to save, and nothing
    # speaks of JupyterLab's trust
    monkeypatch.setenv("VOILA_KERNEL_ID", "a-kernel")
    link = BeautifulSoup(ex.written(html), "html.parser").find("a", download=True)
    assert link["download"] == "META-2024-04-25.html"
    assert base64.b64decode(link["href"].split(",", 1)[1]) == html.read_bytes()
    assert "Trust" not in ex.written(html) and "JupyterLab" not in ex.written(html)


def test_explore_notebook_is_committed_without_outputs():
    nb = json.loads(paths.notebook("explore.ipynb").read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code and all(not c["outputs"] and c["execution_count"] is None for c in code)
    assert "Explorer()" in "".join(code[0]["source"])
    assert nb["metadata"]["voila"]["template"] == "kit"  # Voila without CDN style sheets


def test_the_language_choice_relabels_widgets_chart_and_table():
    from kit import i18n

    try:
        ex = Explorer(as_of="2024-04-25", lang="de")
        assert ex.companies.description == "Unternehmen" and ex.language.value == "de"
        spec = ex.chart.chart.to_dict()
        assert " ".join(spec["title"]["text"]) == \
            "Investitionsausgaben wie vom Unternehmen berichtet (Mrd. $)"
        assert spec["config"]["locale"]["number"]["decimal"] == ","
        assert any(label.startswith("KJ") for label in ex.quarters())
        assert "," in ex.styled_table().to_html()  # 6,72, not 6.72
        ex.language.value = "en"
        assert ex.companies.description == "Companies"
        assert " ".join(ex.chart.chart.to_dict()["title"]["text"]) == \
            "Capex as the company reports it (USD bn)"
        assert all(label.startswith("CY") for label in ex.quarters())
    finally:
        i18n.use_language("en")


def test_the_explorer_has_cash_flow_depreciation_and_backlog_with_sources(frame):
    """Issue 28: the metric list gains operating cash flow, free cash flow after capex, its
    share, depreciation and backlog; reported figures keep their sources."""
    assert {"operating_cash_flow", "fcf_after_capex", "capex_to_ocf", "depreciation",
            "backlog"} <= set(METRICS)
    nvda = frame[frame["ticker"] == "NVDA"].pivot_table(
        index="fiscal_label", columns="metric", values="value")
    last = nvda.dropna(subset=["operating_cash_flow", "capex"]).iloc[-1]
    assert last["fcf_after_capex"] == pytest.approx(last["operating_cash_flow"] - last["capex"])
    assert nvda["backlog"].notna().any() and nvda["depreciation"].notna().any()
    sources = frame[(frame["ticker"] == "NVDA") & (frame["metric"] == "backlog")]["source"]
    assert sources.str.contains("RevenueRemainingPerformanceObligation").any()
