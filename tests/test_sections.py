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


def test_a_later_quarter_the_headline_measure_lacks_is_named_not_dropped():
    b = metrics.load_briefing("META", None)
    rows = _headline_rows(b)
    have = b.quarters.dropna(subset=["capex_usd"])
    later = b.quarters[b.quarters.index > have.index[-1]]
    assert len(later)  # the sources have purchases for a quarter after the headline's
    for q in later.itertuples():
        row = rows[f"Capex, {q.quarter_label}"]
        assert row[1].startswith("missing: principal payments on finance leases")
        assert sections.usd_bn(q.purchases_of_property_and_equipment_usd) in row[1]
