"""Every company the kit covers: period-correct labels, definitions, releases, guidance,
quality findings, and a briefing built in-process for each."""

import subprocess
import sys

import pandas as pd
import pytest

import kit
from kit import data, metrics

TICKERS = ["META", "MSFT", "GOOGL", "AMZN", "ORCL", "AAPL", "NVDA", "TSLA", "CRWV"]


def test_the_nine_companies_are_covered():
    assert sorted(data.load_companies()["ticker"]) == sorted(TICKERS)


@pytest.mark.parametrize("ticker", TICKERS)
def test_every_company_gets_a_briefing_with_its_headline_capex(ticker):
    b = kit.load_briefing(ticker)
    known = b.quarters.dropna(subset=["capex_usd"])
    assert len(known) >= 8
    assert known["capex_usd"].gt(0).all()  # one sign convention: outflows positive
    assert (known[f"{b.capex_metric}_source"].notna()).all()
    for chart in (kit.capex_chart(b.quarters, b.guidance, b.capex_metric),
                  kit.intensity_chart(b.quarters), kit.guidance_chart(b.guidance),
                  kit.reaction_chart(b.reactions)):
        spec = chart.to_dict()
        assert spec.get("datasets") or spec.get("data")
    html = "".join(str(f(b).data) for f in (kit.title_html, kit.headline_html,
                                             kit.guidance_html, kit.quality_html))
    assert b.capex_definition.split()[0] in html


def test_fiscal_and_calendar_labels_both_show_where_they_differ():
    q = kit.load_briefing("MSFT", "2025-02-01").quarters.set_index("period_end_date")
    assert q.loc[pd.Timestamp("2024-12-31"), "quarter_label"] == "FY25 Q2 (CY24 Q4)"
    q = kit.load_briefing("NVDA", "2025-12-01").quarters.set_index("period_end_date")
    assert q.loc[pd.Timestamp("2025-10-26"), "quarter_label"] == "FY26 Q3 (CY25 Q3)"
    q = kit.load_briefing("GOOGL").quarters
    assert not q["quarter_label"].str.contains(r"\(CY").any()


def test_growth_compares_the_same_fiscal_quarter_even_across_a_53_week_year():
    q = kit.load_briefing("AAPL", "2024-03-01").quarters.set_index("period_end_date")
    now, before = q.loc[pd.Timestamp("2023-12-30")], q.loc[pd.Timestamp("2022-12-31")]
    assert now["capex_yoy_pct"] == pytest.approx((now["capex_usd"] / before["capex_usd"] - 1)
                                                 * 100)


def test_month_end_dates_are_never_relabelled_as_52_53_week_quarters():
    fin = data.load_financials()
    apple = fin[(fin["ticker"] == "AAPL")]
    assert "recent_financials" not in set(apple["source_id"])  # it gives month ends only
    assert (apple["period_end_date"].dt.day_of_week == 5).all()  # Saturdays


def test_known_bad_release_dates_are_corrected_with_a_note():
    rel = data.load_earnings_releases()
    assert rel[rel["ticker"] == "TSLA"].empty  # delivery-report dates rejected
    assert not (rel["release_date"] == "2022-08-08").any()
    googl = rel[(rel["ticker"] == "GOOGL") & (rel["fiscal_year"] == 2023)
                & (rel["fiscal_quarter"] == 1)].iloc[0]
    assert googl["release_date"] == pd.Timestamp("2023-04-25")
    assert "says 2023-04-20; corrected" in googl["note"]
    assert googl["timing"] == "after_close"
    assert set(rel["ticker"]) == set(TICKERS) - {"TSLA"}
    crwv = rel[rel["ticker"] == "CRWV"]
    assert list(crwv["source_id"]) == ["additions"] and crwv["source_url"].notna().all()


def test_guidance_keeps_its_kind_period_and_source():
    g = data.load_capex_guidance().set_index(["ticker", "guidance_kind"])
    amzn = g.loc[("AMZN", "quarterly_run_rate")]
    assert (amzn["per"], amzn["fiscal_year"], amzn["low_usd"]) == ("quarter", 2025, 26.3e9)
    orcl = g.loc[("ORCL", "raise_by")]
    assert orcl["given_date"] == pd.Timestamp("2025-12-10") and orcl["low_usd"] == 15e9
    assert pd.isna(g.loc[("MSFT", "at_least"), "high_usd"])
    assert g["source_url"].str.startswith("https://").all()
    assert set(g.index.get_level_values(0)) == {"META", "MSFT", "GOOGL", "AMZN", "ORCL",
                                                "CRWV"}


def test_an_added_guidance_figure_must_be_quoted_from_its_statement(sources_dir, tmp_path,
                                                                   monkeypatch):
    import shutil

    from kit import sources
    from kit.schema import DataError
    additions = tmp_path / "additions"
    shutil.copytree(sources.ADDITIONS, additions)
    path = additions / "guidance.csv"
    path.write_text(path.read_text().replace("approximately $200 billion",
                                             "approximately $250 billion"))
    monkeypatch.setattr(sources, "ADDITIONS", additions)
    with pytest.raises(DataError, match=r"guidance.csv, line 5, column quote: not found"):
        sources.build_tables(sources_dir, log=lambda m: None)


def test_quality_findings_name_conflicts_gaps_and_missing_dates():
    orcl = metrics.quality("ORCL")
    assert orcl[orcl["kind"] == "conflict"]["detail"].str.contains(r"\$1\.5 billion").any()
    tsla = metrics.quality("TSLA")
    assert tsla["detail"].str.contains("no earnings release dates").any()
    msft = metrics.quality("MSFT")
    assert msft[msft["kind"] == "gap"]["period"].str.contains("FY20 Q4").any()
    meta = metrics.quality("META", pd.Timestamp("2024-04-25"))
    assert meta[meta["kind"] == "conflict"]["period"].str.contains("FY23 Q1").any()


def test_data_check_prints_every_company():
    res = subprocess.run([sys.executable, "-m", "kit.cli", "data", "check"],
                         capture_output=True, text=True, check=True)
    for ticker in TICKERS:
        assert f"\n{ticker}: " in "\n" + res.stdout
    assert "finding(s) in all" in res.stdout


def test_reactions_match_the_spot_checks_in_the_manifest(sources_dir):
    # MANIFEST.md: "Spot checks of close-to-close moves on the session after an after-close
    # earnings release: META 2024-04-25 −10.6 %, ..." -- read, not retyped.
    import re
    text = (sources_dir / "MANIFEST.md").read_text()
    line = next(t for t in text.splitlines() if t.startswith("- Spot checks"))
    checks = re.findall(r"(?:([A-Z]+) )?(\d{4}-\d\d-\d\d) ([−+-][\d.]+) %", line)
    assert len(checks) == 5
    ticker = None
    for named, session, pct in checks:
        ticker = named or ticker  # "META 2024-04-25 ..., 2024-02-02 ..." names it once
        r = metrics.reactions(ticker, pd.Timestamp("2026-06-01"))
        row = r[r["session_date"] == pd.Timestamp(session)]
        assert len(row) == 1, (ticker, session)
        assert round(row["move_pct"].iloc[0], 1) == float(pct.replace("−", "-")), ticker
