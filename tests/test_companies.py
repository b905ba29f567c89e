"""Every company the kit covers: period-correct labels, definitions, releases, guidance,
quality findings, and a briefing built in-process for each."""

import re
import subprocess
import sys

import pandas as pd
import pytest

import kit
from kit import data, metrics
from kit.schema import GUIDANCE_BASES
from kit.sources import additions, earnings_dates

from .conftest import SOURCES

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
    for chart in (kit.capex_chart(b.quarters, b.current_outlook, b.capex_metric),
                  kit.intensity_chart(b.quarters), kit.guidance_chart(b.guidance),
                  kit.reaction_chart(b.reactions)):
        if chart is None:  # no outlook or no reactions: the section says so in one line
            continue
        spec = chart.to_dict()
        assert spec.get("datasets") or spec.get("data")
    assert (kit.guidance_chart(b.guidance) is None) == b.guidance.empty
    if b.guidance.empty:
        assert "No capex outlook in the sources" in kit.guidance_html(b).data
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
    tsla = rel[rel["ticker"] == "TSLA"]  # delivery-report dates rejected; from its 8-Ks
    assert set(tsla["source_id"]) == {"sec_submissions", "additions"}
    assert tsla["source_url"].str.startswith("https://www.sec.gov/").all()
    delivery = pd.to_datetime(earnings_dates.earnings_dates(SOURCES, additions.corrections())
                              .query("ticker == 'TSLA'")["earnings_date"])
    assert len(delivery) >= 20 and not tsla["release_date"].isin(delivery).any()
    assert not (rel["release_date"] == "2022-08-08").any()
    googl = rel[(rel["ticker"] == "GOOGL") & (rel["fiscal_year"] == 2023)
                & (rel["fiscal_quarter"] == 1)].iloc[0]
    assert googl["release_date"] == pd.Timestamp("2023-04-25")
    assert "says 2023-04-20; corrected" in googl["note"]
    assert googl["timing"] == "after_close"
    assert set(rel["ticker"]) == set(TICKERS)
    crwv = rel[rel["ticker"] == "CRWV"]
    assert set(crwv["source_id"]) == {"additions"} and crwv["source_url"].notna().all()


def test_guidance_keeps_its_kind_period_and_source():
    g = data.load_capex_guidance().set_index(["ticker", "guidance_kind"])
    amzn = g.loc[("AMZN", "quarterly_run_rate")]
    assert (amzn["per"], amzn["fiscal_year"], amzn["low_usd"]) == ("quarter", 2025, 26.3e9)
    orcl = g.loc[("ORCL", "raise_by")]
    assert orcl["given_date"] == pd.Timestamp("2025-12-10") and orcl["low_usd"] == 15e9
    assert g.loc[("MSFT", "at_least"), "high_usd"].isna().all()
    assert g["source_url"].str.startswith("https://").all()
    assert set(g.index.get_level_values(0)) == {"META", "MSFT", "GOOGL", "AMZN", "ORCL",
                                                "CRWV", "TSLA"}
    assert set(g["basis"]) <= set(GUIDANCE_BASES)


def test_an_added_guidance_figure_must_be_quoted_from_its_statement(sources_dir, tmp_path,
                                                                   monkeypatch):
    import shutil

    from kit import paths, sources
    from kit.schema import DataError
    additions = tmp_path / "additions"
    shutil.copytree(paths.additions_dir(), additions)
    path = additions / "guidance.csv"
    path.write_text(path.read_text().replace("approximately $200 billion",
                                             "approximately $250 billion"))
    monkeypatch.setenv("KIT_ADDITIONS", str(additions))
    with pytest.raises(DataError, match=r"guidance.csv, line 5, column quote: not found"):
        sources.build_tables(sources_dir, log=lambda m: None)


def test_quality_findings_name_conflicts_gaps_and_missing_dates():
    orcl = metrics.quality("ORCL")
    assert orcl[orcl["kind"] == "gap"]["period"].str.contains("FY22 Q4").any()  # 10-K vintage
    nvda = metrics.quality("NVDA")
    assert nvda[nvda["kind"] == "gap"]["detail"].str.contains("comparable measure").any()
    meta = metrics.quality("META", pd.Timestamp("2024-04-25"))
    assert meta[meta["kind"] == "identity"]["period"].str.contains("FY23 Q1").any()
    assert meta[meta["kind"] == "conflict"]["period"].str.contains("FY22 Q1").any()


def test_data_check_prints_every_company():
    res = subprocess.run([sys.executable, "-m", "kit.cli", "data", "check"],
                         capture_output=True, text=True, check=True)
    for ticker in TICKERS:
        assert f"\n{ticker}: " in "\n" + res.stdout
    assert "finding(s) in all" in res.stdout
    # free cash flow as each company states it, against its own definition, every quarter
    # that does not hold listed with its review
    assert ("free cash flow = operating_cash_flow - purchases_of_property_and_equipment - "
            "finance_lease_principal_payments") in res.stdout  # Meta's definition
    assert re.search(r"differs  FY21 Q1: stated [\d,]+M, by its definition [\d,]+M; reviewed: "
                     r"Meta subtracts", res.stdout) and "NOT REVIEWED" not in res.stdout
    assert "MSFT: operating_cash_flow 22 quarter(s)" in res.stdout


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


# --- trust: bases, verdicts, dates (issue 11) on the shipped data --------------------------

DATES = ["2024-04-25", "2025-06-30", None]  # None: the data's date, the same for all


@pytest.mark.parametrize("day", DATES)
@pytest.mark.parametrize("ticker", TICKERS)
def test_every_briefing_builds_at_several_dates(ticker, day):
    try:
        b = kit.load_briefing(ticker, day)
    except metrics.NoDataYet:
        assert ticker == "CRWV" and day == "2024-04-25"  # listed before its IPO data
        return
    html = "".join(str(f(b).data) for f in (
        kit.title_html, kit.headline_html, kit.quarters_html, kit.guidance_html,
        kit.reactions_html, kit.peers_html, kit.quality_html, kit.methodology_html))
    assert "Comparable" in html and "As reported" in html
    for chart in (kit.capex_chart(b.quarters, b.current_outlook, b.capex_metric),
                  kit.guidance_chart(b.guidance, b.actuals), kit.peer_chart(b.peers, ticker)):
        assert chart is None or chart.to_dict()
    # Nothing dated after the briefing names a document: every date shown is on or before it.
    dates = set(re.findall(r"\b(20\d\d-\d\d-\d\d)\b", kit.headline_html(b).data
                           + kit.quarters_html(b).data))
    assert max(dates) <= f"{b.as_of:%Y-%m-%d}"


def _verdict(ticker, fy, q=None, day=None):
    v = kit.load_briefing(ticker, day).verdicts
    hit = v[(v["fiscal_year"] == fy) & (v["fiscal_quarter"].fillna(0) == (q or 0))]
    assert len(hit) == 1, (ticker, fy, q)
    return hit.iloc[0]


def test_oracle_fy2026_is_judged_against_the_level_its_raise_reached():
    v = _verdict("ORCL", 2026)
    assert v["outlook"] == "$50 billion" and v["basis"] == "purchases_of_property_and_equipment"
    steps = kit.load_briefing("ORCL", "2026-01-15").guidance
    raised = steps[steps["given_date"] == "2025-12-10"].iloc[0]
    assert (raised["low_usd"], raised["high_usd"]) == (50e9, 50e9)
    assert "about $35 billion (given 2025-09-09) + the $15 billion raise" in raised["level_note"]
    fy = kit.load_briefing("ORCL").quarters
    assert v["actual_usd"] == fy.loc[fy["fiscal_year"] == 2026, "capex_usd"].sum()
    assert v["verdict"] == f"${(v['actual_usd'] - 50e9) / 1e9:,.2f} billion above the outlook"


def test_alphabet_fy2025_is_judged_against_its_last_outlook():
    v = _verdict("GOOGL", 2025)
    assert v["outlook"] == "$91–93 billion" and v["status"] == "within"


def test_no_verdict_where_the_outlook_is_on_another_basis():
    assert _verdict("CRWV", 2025)["status"] == "not_comparable"
    assert _verdict("AMZN", 2025)["status"] == "not_comparable"
    msft = _verdict("MSFT", 2026, 1)  # ">$30B" including finance leases ...
    assert msft["basis"] == "capex_incl_finance_lease_additions"
    q = kit.load_briefing("MSFT").quarters.set_index("quarter_label")
    # ... judged against the figure including finance leases, not cash purchases.
    assert msft["actual_usd"] == q.loc["FY26 Q1 (CY25 Q3)",
                                       "capex_incl_finance_lease_additions_usd"]
    assert msft["actual_usd"] != q.loc["FY26 Q1 (CY25 Q3)", "capex_usd"]


def test_the_headline_outlook_is_the_current_years_latest_step():
    orcl = kit.load_briefing("ORCL", "2026-01-15")
    assert orcl.current_outlook["text"] == "about $50 billion"
    html = kit.headline_html(orcl).data
    assert "about $50 billion" in html and "raised from about $35 billion" in html
    meta = kit.load_briefing("META")
    assert meta.current_outlook["fiscal_year"] == 2026  # FY2025 has closed
    assert "$25–25" not in kit.headline_html(kit.load_briefing("ORCL", "2025-09-12")).data


def test_every_figure_is_dated_by_a_release_or_filing_where_one_is_known():
    fin = data.load_financials()
    rel = data.load_earnings_releases()
    dated = fin.merge(rel, on=["ticker", "period_end_date"], how="left")
    fallback = dated[dated["published_basis"] == "filing_deadline"]
    assert fallback["release_date"].isna().all()  # a deadline only where no release is known
    tsla = rel[rel["ticker"] == "TSLA"]
    assert len(tsla) >= 25 and tsla["release_date"].min() <= pd.Timestamp("2020-04-29")
    assert (rel.groupby("ticker")["release_date"].max() >= "2026-04-01").all()


def test_growth_across_a_14_week_quarter_carries_a_note():
    q = kit.load_briefing("AAPL", "2024-03-01").quarters.set_index("quarter_label")
    assert q.loc["FY23 Q1 (CY22 Q4)", "yoy_note"] == "14 weeks against 13 a year earlier"
    assert q.loc["FY24 Q1 (CY23 Q4)", "yoy_note"] == "13 weeks against 14 a year earlier"
    assert "14 weeks against 13" in kit.quarters_html(kit.load_briefing("AAPL", "2023-03-01")
                                                      ).data


def test_a_quarter_in_the_data_but_not_yet_public_says_so():
    b = kit.load_briefing("META", "2026-02-01")  # after Meta's release, before Amazon's
    cell = b.peers[(b.peers["ticker"] == "AMZN") & (b.peers["calendar_label"] == "CY25 Q4")]
    assert not cell["is_public"].iloc[0]
    assert "not public by 2026-02-01" in kit.peers_html(b).data


def test_reactions_reach_the_releases_after_the_older_price_file_ends():
    assert pd.Timestamp("2026-05-20") in set(metrics.reactions(
        "NVDA", pd.Timestamp("2026-09-28"))["release_date"])
    orcl = metrics.reactions("ORCL", pd.Timestamp("2026-09-28"))
    assert orcl["session_date"].max() == pd.Timestamp("2026-09-11")


def test_data_check_ends_with_a_trust_summary():
    res = subprocess.run([sys.executable, "-m", "kit.cli", "data", "check"],
                         capture_output=True, text=True, check=True)
    summary = res.stdout.split("Trust summary as of ")[1]
    assert summary.splitlines()[0] == f"{data.as_of_date():%Y-%m-%d} (the data's date):"
    assert "comparable" in summary.splitlines()[1] and "withheld" in summary.splitlines()[1]
    for ticker in TICKERS:
        assert f"\n{ticker} " in "\n" + "\n".join(x.strip() for x in summary.splitlines())
    assert "AMZN verdicts withheld:" in summary and "net of proceeds" in summary


def test_metas_april_2026_outlook_links_its_release_not_an_ai_written_summary():
    g = data.load_capex_guidance()
    april = g[(g["ticker"] == "META") & (g["given_date"] == "2026-04-29")].iloc[0]
    assert (april["low_usd"], april["high_usd"]) == (125e9, 145e9)
    assert (april["prior_low_usd"], april["prior_high_usd"]) == (115e9, 135e9)
    assert april["source_url"] == ("https://www.sec.gov/Archives/edgar/data/1326801/"
                                   "000162828026028364/meta-03312026xexhibit991.htm")
    assert april["basis"] == "capex_incl_finance_leases"
    ai = metrics.ai_written()
    assert not ((ai["ticker"] == "META") & (ai["date"] == "2026-04-29")).any()


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("&amp;", "&").split())


@pytest.mark.parametrize("ticker", TICKERS)
def test_two_weeks_after_its_latest_release_a_briefing_shows_what_that_release_brought(ticker):
    rel = data.load_earnings_releases()
    last = rel[rel["ticker"] == ticker].sort_values("release_date").iloc[-1]
    b = kit.load_briefing(ticker, last["release_date"] + pd.Timedelta(days=14))
    head = _text(kit.headline_html(b).data)
    q = b.quarters[(b.quarters["fiscal_year"] == last["fiscal_year"])
                   & (b.quarters["fiscal_quarter"] == last["fiscal_quarter"])].iloc[0]
    # that quarter on both measures, or the part of a measure the sources lack, named
    shown = b.quarters.dropna(subset=["capex_usd"]).iloc[-1]
    if shown["quarter_label"] == q["quarter_label"]:
        assert f"{q['quarter_label']} " in head.split("Capex, a year earlier")[0]
        assert pd.notna(q["comparable_usd"]) or "missing: principal payments on finance " \
            "leases" in head.split("Capex, a year earlier")[0]
    else:  # a row of its own for the quarter, naming what is missing
        row = head.split(f"Capex, {q['quarter_label']} ")[1].split("Capex, a year earlier")[0]
        assert row.startswith("missing: ")
    # the outlook given with it, or a line that none is in the sources
    day, outlooks = last["release_date"], pd.concat([b.guidance, b.other_guidance])
    given = outlooks[outlooks["given_date"].between(day, day + pd.Timedelta(days=1))]
    if given.empty:
        assert f"no outlook given in the sources release of {day:%Y-%m-%d}" in head
    else:  # in the guidance tracker, dated, with its source
        page = _text(kit.guidance_html(b).data)
        assert f"{day:%Y-%m-%d}" in page
        urls = [url for s in given.get("sources", []) if isinstance(s, list) for _k, url in s]
        urls += [u for u in given.get("source_url", []) if isinstance(u, str)]
        assert urls and all(url in kit.guidance_html(b).data for url in urls)
    # the stock's first session after it, or the line that says the price is not in the data
    measured = (b.reactions["release_date"] == last["release_date"]).any()
    assert measured or (f"the price is not in the data: prices for {ticker} end" in head)
    assert "is not in the data — `kit data refresh`" not in _text(kit.title_html(b).data)


def test_a_briefing_past_a_due_release_says_so_at_the_top_and_not_when_the_data_has_it(
        tmp_path, monkeypatch):
    import shutil

    rel = data.load_earnings_releases()
    meta = rel[rel["ticker"] == "META"].sort_values("release_date")
    last, kept = meta.iloc[-1], meta.iloc[:-1]
    lag = (kept["release_date"] - kept["period_end_date"]).tail(4).max()
    due = last["period_end_date"] + lag + pd.Timedelta(days=7)
    day = due + pd.Timedelta(days=1)
    assert "kit data refresh" not in _text(kit.title_html(kit.load_briefing("META", day)).data)
    # the same day, with a copy of the data that lacks Meta's latest release
    shutil.copytree(data.data_dir(), tmp_path / "data")
    path = tmp_path / "data" / "earnings_releases.csv"
    lines = path.read_text().splitlines(keepends=True)
    drop = [x for x in lines if x.startswith("META,") and
            f",{last['release_date']:%Y-%m-%d}," in x]
    assert len(drop) == 1
    path.write_text("".join(x for x in lines if x not in drop))
    monkeypatch.setenv("KIT_DATA_DIR", str(tmp_path / "data"))
    top = _text(kit.title_html(kit.load_briefing("META", day)).data)
    quarter = f"FY{last['fiscal_year'] % 100:02d} Q{last['fiscal_quarter']}"
    assert (f"Data for Meta Platforms, Inc. ends with the release of "
            f"{kept['release_date'].iloc[-1]:%Y-%m-%d}; the release for {quarter}, due by "
            f"{due:%Y-%m-%d}, is not in the data — `kit data refresh`.") in top


def test_microsofts_fy26_q3_capex_including_finance_leases_is_not_its_cash_figure():
    """A page's "Cash CapEx $30.9B" was stored as the figure including finance leases."""
    fin = data.load_financials()
    q = fin[(fin["ticker"] == "MSFT") & (fin["fiscal_year"] == 2026)
            & (fin["fiscal_quarter"] == 3)]
    cash = q.loc[q["metric"] == "purchases_of_property_and_equipment", "value_usd"].iloc[0]
    incl = q[q["metric"] == "capex_incl_finance_lease_additions"]
    assert not ((incl["value_usd"] - cash).abs() <= incl["precision_usd"].fillna(0.5e6)).any()
    assert not incl["source_detail"].str.contains("Cash CapEx").any()
    page = _text(kit.quarters_html(kit.load_briefing("MSFT", "2026-05-13")).data)
    row = page.split("FY26 Q3 (CY26 Q1)")[1].split(" FY26 Q2 ")[0]
    assert "$30.90 billion" not in row and "$30.88 billion" in row


def test_alphabets_q1_2026_capex_is_shown_from_its_10q():
    facts = pd.read_json(SOURCES / "sec_companyfacts" / "CIK0001652044.json", typ="series")
    usd = facts["facts"]["us-gaap"]["PaymentsToAcquirePropertyPlantAndEquipment"]["units"]["USD"]
    q1 = {f["val"] for f in usd if (f["start"], f["end"]) == ("2026-01-01", "2026-03-31")}
    assert len(q1) == 1
    b = kit.load_briefing("GOOGL", "2026-05-13")
    last = b.quarters.dropna(subset=["capex_usd"]).iloc[-1]
    assert (last["quarter_label"], last["capex_usd"]) == ("FY26 Q1", q1.pop())
    assert last["purchases_of_property_and_equipment_source"].startswith("sec_companyfacts:")


def test_teslas_q4_2025_finance_lease_principal_is_shown_not_missing():
    """The 10-K's year (104) less the first three quarters (48, 19, 18): 19, public with the
    10-K, so the comparable measure has Q4 2025 two weeks after the release."""
    b = kit.load_briefing("TSLA", "2026-02-11")
    q4 = b.quarters.set_index("quarter_label").loc["FY25 Q4"]
    assert q4["finance_lease_principal_payments_usd"] == 19e6
    assert q4["comparable_usd"] == q4["capex_usd"] + 19e6
    fin = data.load_financials()
    row = fin[(fin["ticker"] == "TSLA") & (fin["metric"] == "finance_lease_principal_payments")
              & (fin["period_end_date"] == "2025-12-31")].iloc[0]
    assert row["derivation"] == "ytd_difference" and "tsla-20251231.htm" in row["source_url"]
    head = _text(kit.headline_html(b).data).split("Capex, a year earlier")[0]
    assert "not in the sources" not in head and "missing:" not in head


def test_oracles_fy2026_raise_is_shown_as_15bn_settled_not_as_an_open_conflict():
    """One page said $1.5 billion; reports of the call and the outlooks before and after it
    say $15 billion: a settled note, not "sources disagree"."""
    q = metrics.quality("ORCL", pd.Timestamp("2026-01-15"))
    assert not q[q["kind"] == "conflict"]["detail"].str.contains(r"\$1\.5 billion").any()
    settled = q[q["detail"].str.contains("settled:")]
    assert len(settled) == 1 and "$15 billion" in settled["detail"].iloc[0]
    assert "stacker.news" in settled["detail"].iloc[0]
    page = _text(kit.quality_html(kit.load_briefing("ORCL", "2026-01-15")).data)
    assert "settled: $15 billion" in page


def test_oracles_june_2025_outlook_is_more_than_25bn_not_a_point():
    g = data.load_capex_guidance()
    june = g[(g["ticker"] == "ORCL") & (g["given_date"] == "2025-06-11")].iloc[0]
    assert (june["guidance_kind"], june["low_usd"]) == ("at_least", 25e9)
    assert pd.isna(june["high_usd"])
    head = _text(kit.headline_html(kit.load_briefing("ORCL", "2025-07-01")).data)
    assert "at least $25 billion" in head


def test_metas_july_2024_outlook_links_its_release_and_no_longer_rests_on_an_ai_page():
    g = data.load_capex_guidance()
    july = g[(g["ticker"] == "META") & (g["given_date"] == "2024-07-31")]
    assert set(july["source_type"]) == {"press release (8-K exhibit 99.1)",
                                        "news (AI transcript summary)"}
    assert (july["low_usd"].unique().tolist(), july["high_usd"].unique().tolist()) == \
        ([37e9], [40e9])
    ai = metrics.ai_written()
    assert not ((ai["ticker"] == "META") & (ai["date"] == "2024-07-31")).any()
    assert ((ai["ticker"] == "TSLA") & (ai["date"] == "2025-07-23")).any()  # nothing better
