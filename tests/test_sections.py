import pandas as pd
import pytest
from bs4 import BeautifulSoup

from kit import metrics, sections


def _with_statement(text, url="https://example.com/a", speaker="<b>CFO</b>"):
    b = metrics.load_briefing("META", "2024-04-25")
    row = b.statements.iloc[[0]].copy()
    row["text"], row["source_url"], row["speaker"] = text, url, speaker
    b.statements = row
    return b


def test_text_from_data_is_escaped():
    b = _with_statement('<script>alert("x")</script> & "quotes"')
    html = sections.statements_html(b).data
    assert "<script>" not in html and "<b>CFO</b>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp;" in html


def test_only_http_urls_become_links():
    html = sections.statements_html(_with_statement("x", url="javascript:alert(1)")).data
    assert "href" not in html
    assert sections.link("https://a.b/?q=1&r=\"2\"") == \
        '<a href="https://a.b/?q=1&amp;r=&quot;2&quot;">https://a.b/?q=1&amp;r=&quot;2&quot;</a>'


def test_headline_names_a_source_for_every_figure():
    b = metrics.load_briefing("META", "2024-04-25")
    html = sections.headline_html(b).data
    rows = BeautifulSoup(html, "html.parser").select("tbody tr")
    assert len(rows) >= 6
    assert all(r.find_all("td")[-1].get_text(strip=True) for r in rows)
    assert "$6.72 billion" in html and "$7.09 billion" in html
    assert "$35–40 billion" in html and "raised from $30–37 billion" in html


def test_usd_bn_rounds_half_up_and_says_missing():
    assert sections.usd_bn(6_715_000_000) == "$6.72 billion"
    assert "not in the sources" in sections.usd_bn(float("nan"))


@pytest.mark.robustness
def test_index_escapes_text_from_data_and_links_only_local_files():
    import pandas as pd

    from kit.sections import index_html
    evil = '<script>alert("x")</script>'
    html = index_html([
        dict(ticker="META", company_name=evil, as_of=pd.Timestamp("2024-04-25"),
             file="javascript:alert(1)", quarter_label="FY24 Q1", capex_usd=6.72e9,
             comparable_usd=float("nan"), comparable_missing=evil,
             capex_yoy_pct=-5.2, capex_ttm_usd=3e10, guidance=None, reaction_pct=None,
             reaction_excess_pct=None),
        dict(ticker="TSLA", error=evil), dict(ticker="CRWV", no_data=evil)], "Index " + evil,
        pd.Timestamp("2024-04-25"))
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert 'href="javascript' not in html


def test_headline_gives_both_measures_with_their_basis():
    b = metrics.load_briefing("MSFT", "2026-02-01")
    soup = BeautifulSoup(sections.headline_html(b).data, "html.parser")
    head = [th.get_text() for th in soup.find_all("th")]
    assert head[1].startswith("As reported (Purchases of property and equipment")
    assert head[2].startswith("Comparable (purchases + finance-lease principal)")
    first = [td.get_text(" ", strip=True) for td in soup.select("tbody tr")[0].find_all("td")]
    assert first[1] != first[2] and "billion" in first[2]
    nvda = sections.headline_html(metrics.load_briefing("NVDA", "2026-02-01")).data
    # companyfacts give Nvidia's purchases; no source gives finance-lease principal
    assert "missing: principal payments on finance leases" in nvda


def test_the_peer_tables_open_on_the_comparable_measure():
    html = sections.peers_html(metrics.load_briefing("META", "2024-04-25")).data
    soup = BeautifulSoup(html, "html.parser")
    first, second = soup.select("div.basis-switch > input")
    assert first["id"] == "peer-comparable" and first.has_attr("checked")
    assert not second.has_attr("checked")
    assert [t["class"] for t in soup.find_all("table")] == [["peers", "comparable"],
                                                           ["peers", "capex"]]
    cells = soup.select("table.peers.capex td span.basis")
    assert cells and all(c.get_text().startswith("as reported: ") for c in cells)


def _headline_rows(b) -> dict[str, list[str]]:
    soup = BeautifulSoup(sections.headline_html(b).data, "html.parser")
    return {tr.find("td").get_text(): [td.get_text(" ", strip=True) for td in tr.find_all("td")]
            for tr in soup.select("tbody tr")}


@pytest.mark.parametrize("ticker, as_of", [("AAPL", "2024-02-15"), ("NVDA", "2026-03-15")])
def test_52_53_week_years_find_the_year_earlier_quarter(ticker, as_of):
    """The year-earlier quarter is the same fiscal quarter, not the one ending 365 days before
    (a 14-week quarter ends a week later than a year before)."""
    b = metrics.load_briefing(ticker, as_of)
    rows = _headline_rows(b)
    last = b.quarters.dropna(subset=["capex_usd"]).iloc[-1]
    earlier = b.quarters[(b.quarters["fiscal_year"] == last["fiscal_year"] - 1)
                         & (b.quarters["fiscal_quarter"] == last["fiscal_quarter"])].iloc[0]
    row = rows["Capex, a year earlier"]
    assert row[1] == sections.usd_bn(earlier["capex_usd"]) and row[3] == earlier["quarter_label"]
    growth = (last["capex_usd"] / earlier["capex_usd"] - 1) * 100
    assert rows["Change, year over year"][1] == sections.pct(growth)


def test_a_later_quarter_the_headline_measure_lacks_is_named_not_dropped(tmp_path, monkeypatch):
    import shutil

    from kit import data
    shutil.copytree(data.data_dir(), tmp_path / "data")  # Meta's latest quarter without
    path = tmp_path / "data" / "financials.csv"         # its finance-lease principal
    lines = path.read_text().splitlines(keepends=True)
    last = max(x.split(",")[5] for x in lines[1:] if x.startswith("META,"))
    path.write_text("".join(x for x in lines if not (
        x.startswith(("META,finance_lease_principal_payments,", "META,capex_incl_finance_leases,"))
        and x.split(",")[5] == last)))
    monkeypatch.setenv("KIT_DATA_DIR", str(tmp_path / "data"))
    b = metrics.load_briefing("META", None)
    rows = _headline_rows(b)
    have = b.quarters.dropna(subset=["capex_usd"])
    later = b.quarters[b.quarters.index > have.index[-1]]
    assert len(later)  # the sources have purchases for a quarter after the headline's
    for q in later.itertuples():
        row = rows[f"Capex, {q.quarter_label}"]
        assert row[1].startswith("missing: principal payments on finance leases")
        assert sections.usd_bn(q.purchases_of_property_and_equipment_usd) in row[1]


@pytest.mark.slow
def test_a_briefing_says_at_the_top_when_a_due_release_is_not_in_the_data(tmp_path):
    """Meta's latest release is taken out of a copy of the data: a briefing as of the data's
    date opens with the notice, dated from the remaining releases; the same company 14 days
    after its latest release in the full data has none."""
    import os
    import shutil
    import subprocess
    import sys

    from kit import data, periods

    folder = tmp_path / "data"
    shutil.copytree(data.data_dir(), folder)
    rel = pd.read_csv(folder / "earnings_releases.csv", dtype=str, keep_default_na=False)
    meta = rel[rel["ticker"] == "META"].sort_values("release_date")
    rel.drop(index=meta.index[-1]).to_csv(folder / "earnings_releases.csv", index=False,
                                          lineterminator="\n")
    kept = meta.iloc[:-1].tail(4)
    lag = (pd.to_datetime(kept["release_date"]) - pd.to_datetime(kept["period_end_date"])).max()
    fy, q = int(meta.iloc[-1]["fiscal_year"]), int(meta.iloc[-1]["fiscal_quarter"])
    due = pd.Timestamp(periods.fiscal_quarter_end(fy, q, "12-31")) + lag + pd.Timedelta(days=7)
    as_of = f"{data.as_of_date():%Y-%m-%d}"

    def render(date, folder=None):
        env = {**os.environ, **({"KIT_DATA_DIR": str(folder)} if folder else {})}
        res = subprocess.run([sys.executable, "-m", "kit.cli", "render", "META", "--as-of", date,
                              "--out", str(tmp_path / "out"), "--no-progress"], env=env,
                             capture_output=True, text=True)
        assert res.returncode == 0, res.stderr[-2000:]
        soup = BeautifulSoup((tmp_path / "out" / f"META-{date}.html").read_text(), "html.parser")
        return soup.select_one("header.briefing-title p.behind")

    notice = render(as_of, folder)
    assert notice is not None and notice.get_text() == (
        f"Data for Meta Platforms, Inc. ends with the release of {meta.iloc[-2]['release_date']};"
        f" the release for {periods.label(fy, q)}, due by {due:%Y-%m-%d}, is not in the data — "
        "`kit data refresh`.")
    fresh = pd.Timestamp(meta.iloc[-1]["release_date"]) + pd.Timedelta(days=14)
    assert render(f"{fresh:%Y-%m-%d}") is None


def test_the_index_marks_a_company_whose_due_release_is_missing():
    note = ("Data for Tesla, Inc. ends with the release of 2026-04-22; the release for FY26 Q2, "
            "due by 2026-08-04, is not in the data — `kit data refresh`.")
    entry = dict(ticker="TSLA", company_name="Tesla, Inc.", file="TSLA-2026-09-28.html",
                 quarter_label="FY26 Q1", capex_usd=2.5e9, comparable_usd=None,
                 comparable_missing="", capex_yoy_pct=None, capex_ttm_usd=None, guidance=None,
                 reaction_pct=None, reaction_excess_pct=None, horizon_note=note)
    html = sections.index_html([entry, dict(entry, ticker="META", horizon_note=None)], "Index",
                               pd.Timestamp("2026-09-28"))
    rows = BeautifulSoup(html, "html.parser").select("table.index tbody tr")
    assert [r.select_one(".behind").get_text() if r.select_one(".behind") else None
            for r in rows] == [note, None]


def test_outlooks_are_summed_only_on_one_measure_for_years_ending_in_one_quarter():
    """Issue 29: the index sums current full-year outlooks only where alike; every other is
    named with why it is not in the sum."""
    from kit.sections import outlook_sum_html

    def g(basis, low, high, year_end, kind="range", text="x"):
        return dict(fiscal_year=2026, text=text, basis=basis, kind=kind, low_usd=low,
                    high_usd=high, year_end=year_end)

    p = "purchases_of_property_and_equipment"
    html = outlook_sum_html([
        dict(ticker="A", guidance=g(p, 10e9, 20e9, "2026-12-31")),
        dict(ticker="B", guidance=g(p, 5e9, 5e9, "2026-12-27", kind="point")),
        dict(ticker="C", guidance=g("capex_incl_finance_leases", 1e9, 2e9, "2026-12-31")),
        dict(ticker="D", guidance=g(p, 3e9, 4e9, "2027-05-31")),
        dict(ticker="E", guidance=g(p, 25e9, None, "2026-12-31", kind="at_least")),
        dict(ticker="F", guidance=None)])
    assert "add up to $15–25 billion (A, B)" in html  # both years end in CY26 Q4
    assert "C: FY2026 x — on another measure" in html
    assert "D: FY2026 x — its fiscal year ends in CY27 Q2" in html
    assert "E: FY2026 x — given as an open end" in html
    assert "F:" not in html
