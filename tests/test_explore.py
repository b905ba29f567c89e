"""The explorer's widget logic, driven from Python: set a value, the spec and table follow."""

import base64
import json
import re

import pandas as pd
import pytest

from kit import metrics
from kit.explore import METRICS, Explorer, explorer_frame


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
    before_spec, before_table = ex.spec(), ex.table()
    before_svg = ex.chart.value
    ex.companies.value = ("META", "NVDA")
    assert {r["ticker"] for r in _values(ex.spec())} == {"META", "NVDA"}
    assert list(ex.table().columns) == ["META", "NVDA"]
    assert ex.spec() != before_spec and not ex.table().equals(before_table)
    assert ex.chart.value != before_svg and ex.chart.value.startswith("<svg")


def test_every_metric_gives_values_from_the_sourced_rows(ex):
    ex.companies.value = ("META",)
    q = metrics.quarterly("META", metrics.check_request("META")[1],
                          "capex_incl_finance_leases").set_index("quarter_label")
    expected = {"capex": q["capex_usd"] / 1e9, "capex_ttm": q["capex_ttm_usd"] / 1e9,
                "capex_yoy": q["capex_yoy_pct"], "capex_to_revenue": q["capex_to_revenue_pct"],
                "capex_incl_finance_leases": q["capex_incl_finance_leases_usd"] / 1e9}
    for metric in METRICS:
        ex.metric.value = metric
        rows = _values(ex.spec())
        assert rows, metric
        assert METRICS[metric] in json.dumps(ex.spec())
        for r in rows:
            if metric in expected:
                assert r["value"] == pytest.approx(expected[metric][r["quarter_label"]])
            assert r["source"]
    ex.metric.value = "guidance_mid"
    fy2024 = [r for r in _values(ex.spec()) if r["quarter_label"].startswith("FY24")]
    assert {r["value"] for r in fy2024} == {39.0}  # the last FY2024 outlook was $38-40B


def test_alignment_switches_the_axis_and_resets_the_period(ex):
    ex.companies.value = ("MSFT",)
    ex.period.value = (ex.period.options[-6], ex.period.options[-1])
    assert ex.spec()["encoding"]["x"]["field"] == "calendar_label"
    ex.alignment.value = "fiscal"
    spec = ex.spec()
    assert spec["encoding"]["x"]["field"] == "fiscal_label"
    assert ex.period.value == (ex.period.options[0], ex.period.options[-1])
    row = next(r for r in _values(spec) if r["quarter_label"] == "FY25 Q2 (CY24 Q4)")
    assert row["fiscal_label"] == "FY25 Q2"


def test_the_period_range_limits_chart_and_table(ex):
    ex.companies.value = ("GOOGL", "AMZN")
    ex.period.value = ("CY24 Q1", "CY24 Q4")
    assert sorted({r["calendar_label"] for r in _values(ex.spec())}) == [
        "CY24 Q1", "CY24 Q2", "CY24 Q3", "CY24 Q4"]
    assert list(ex.table().index) == ["CY24 Q1", "CY24 Q2", "CY24 Q3", "CY24 Q4"]


def test_downloads_carry_the_selection_and_the_chart(ex):
    ex.companies.value = ("ORCL",)
    links = dict(re.findall(r'download="([^"]+)" href="data:[^;]+;base64,([^"]+)"',
                            ex.downloads.value))
    assert set(links) == {"kit-explorer.csv", "kit-explorer.svg", "kit-explorer.png"}
    csv = base64.b64decode(links["kit-explorer.csv"]).decode()
    assert csv.splitlines()[0].startswith("ticker,metric,value,source")
    assert all(line.startswith("ORCL,") for line in csv.splitlines()[1:])
    assert base64.b64decode(links["kit-explorer.svg"]).startswith(b"<svg")
    assert base64.b64decode(links["kit-explorer.png"]).startswith(b"\x89PNG")


def test_a_missing_value_stays_missing(ex):
    ex.companies.value = ("NVDA",)
    ex.metric.value = "capex_incl_finance_leases"  # no component of it in the sources for Nvidia
    assert ex.selection().empty
    assert "not in the sources" in json.dumps(ex.spec())
    ex.metric.value = "capex"
    ex.alignment.value = "fiscal"
    assert "missing" in ex.table_view.value or ex.table().notna().all().all()


def test_as_of_limits_the_explorer_to_what_was_public():
    early = explorer_frame("2024-04-25")
    meta = early[(early["ticker"] == "META") & (early["metric"] == "capex")]
    assert meta["fiscal_key"].max() == 2024 * 4  # FY24 Q1, the quarter just released
    assert pd.isna(meta.set_index("fiscal_label")["value"].get("FY24 Q2"))


@pytest.mark.slow
def test_render_button_renders_the_chosen_briefing_and_links_it(frame, monkeypatch, tmp_path):
    from kit import render
    monkeypatch.setattr(render, "REPO", tmp_path)  # reports/ inside a temporary folder
    ex = Explorer(as_of="2024-04-25", frame=frame)
    ex.companies.value = ("GOOGL", "META")
    ex.briefing_for.value = "META"
    ex.render_button.click()
    html = (tmp_path / "reports" / "META-2024-04-25.html")
    assert html.is_file()
    assert 'href="../reports/META-2024-04-25.html"' in ex.render_result.value
    assert not ex.render_button.disabled


def test_explore_notebook_is_committed_without_outputs():
    from kit.render import REPO
    nb = json.loads((REPO / "notebooks" / "explore.ipynb").read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code and all(not c["outputs"] and c["execution_count"] is None for c in code)
    assert "Explorer()" in "".join(code[0]["source"])
