import filecmp
import json
import shutil
from datetime import date

import pandas as pd
import pytest

from kit import paths, sources
from kit.data import data_dir, load_table
from kit.metrics import as_of_rows
from kit.schema import DataError
from kit.sources import common, pipeline, press, sec_extract


@pytest.fixture(scope="module")
def built(sources_dir, tmp_path_factory):
    return sources.build(sources_dir, tmp_path_factory.mktemp("b") / "data", log=lambda m: None)


def test_build_reproduces_the_committed_data(built):
    committed = data_dir()
    names = sorted(p.name for p in committed.iterdir())
    assert names == sorted(p.name for p in built.iterdir())
    match, mismatch, errors = filecmp.cmpfiles(committed, built, names, shallow=False)
    assert mismatch == [] and errors == []


def test_revised_figure_keeps_both_versions_dated_by_the_first_document_to_carry_them(built):
    fin = load_table("financials", built)
    q = fin[(fin["ticker"] == "META") & (fin["metric"] == "purchases_of_property_and_equipment")
            & (fin["period_end_date"] == "2022-03-31") & (fin["identity_check"] != "fails")
            ].sort_values("published_date")
    assert list(q["source_id"]) == ["press_releases", "sec_extract"]
    first, revised = q.iloc[0], q.iloc[1]
    assert first["value_usd"] != revised["value_usd"]
    assert first["published_date"] == pd.Timestamp("2022-04-27")  # Q1 2022 release
    # The revised figure is the prior-year comparative of the Q1 2023 release (2023-04-26),
    # not dated by the 10-Q the extract happens to record.
    assert (revised["published_basis"], revised["published_date"]) == (
        "release_comparative", pd.Timestamp("2023-04-26"))
    assert revised["source_filed_date"] > revised["published_date"]


def test_every_financial_row_says_how_it_was_derived(built):
    fin = load_table("financials", built)
    assert set(fin["derivation"]) == {"reported", "ytd_difference", "difference", "identity",
                                      "sum"}
    derived = fin[fin["derivation"] != "reported"]
    assert derived["derivation_detail"].notna().all()
    assert fin["source_url"].str.startswith("https://").all()


def test_ytd_differences_are_quarters_with_matching_bounds(built):
    fin = load_table("financials", built)
    days = (fin["period_end_date"] - fin["period_start_date"]).dt.days + 1
    assert days.between(84, 98).all()


def test_sums_equal_their_inputs_as_of_every_date(built):
    fin = load_table("financials", built)
    fin = fin[fin["ticker"] == "META"]
    parts = ["purchases_of_property_and_equipment", "finance_lease_principal_payments"]
    for day in pd.to_datetime(["2023-05-01", "2024-04-25", "2025-02-01", "2026-08-01"]):
        latest = as_of_rows(fin, day).set_index(["period_end_date", "metric"])[
            "value_usd"].unstack()
        both = latest.dropna(subset=[*parts, "capex_incl_finance_leases"])
        assert (both[parts].sum(axis=1) - both["capex_incl_finance_leases"]).abs().max() < 1


def test_a_quote_not_in_the_seed_article_is_rejected(sources_dir, tmp_path, monkeypatch):
    additions = tmp_path / "additions"
    shutil.copytree(paths.additions_dir(), additions)
    path = additions / "statements.csv"
    path.write_text(path.read_text().replace("weiter steigen", "stark steigen"))
    monkeypatch.setenv("KIT_ADDITIONS", str(additions))
    with pytest.raises(DataError, match="statements.csv, line 2, column text: not found"):
        sources.build_tables(sources_dir, log=lambda m: None)


@pytest.mark.robustness
def test_a_failed_build_leaves_existing_data_untouched(tmp_path):
    from kit import atomic
    out = tmp_path / "data"
    out.mkdir()
    (out / "prices.csv").write_text("keep me")
    atomic.mark(out, ["prices.csv"])
    with pytest.raises(DataError, match="not a sources folder"):
        sources.build(tmp_path / "nowhere", out)
    assert (out / "prices.csv").read_text() == "keep me"


# --- hand-made inputs ---------------------------------------------------------------------

def test_the_release_identity_gives_capex_from_operating_and_free_cash_flow():
    meta = ("operatingCashFlow", "freeCashFlow", "financeLeasePayments")
    flows = {"operatingCashFlow": 13_998, "freeCashFlow": 6_911, "financeLeasePayments": -264,
             "capitalExpenditures": -6_842}  # Meta Q1 2023 as the press-release source has it
    value, how = press.identity(flows, meta)
    assert value == 6_823 != -flows["capitalExpenditures"]
    assert how == ("operatingCashFlow 13,998M minus freeCashFlow 6,911M minus "
                   "financeLeasePayments 264M")
    assert press.identity({"operatingCF": 1, "freeCashFlow": 2}, meta) is None
    assert press.identity({"operatingCF": 45_057, "freeCashFlow": 25_663},
                             ("operatingCF", "freeCashFlow", None))[0] == 19_394


def test_a_release_figure_that_fails_its_identity_is_flagged_and_not_used(built):
    fin = load_table("financials", built)
    q = fin[(fin["ticker"] == "META") & (fin["metric"] == "purchases_of_property_and_equipment")
            & (fin["period_end_date"] == "2023-03-31") & (fin["source_id"] == "press_releases")]
    failing = q[q["identity_check"] == "fails"]
    fixed = q[q["derivation"] == "identity"]
    assert list(failing["value_usd"]) == [6_842e6] and list(fixed["value_usd"]) == [6_823e6]
    assert (failing["published_date"] == fixed["published_date"].iloc[0]).all()
    chosen = as_of_rows(fin[fin["ticker"] == "META"], pd.Timestamp("2023-04-26"))
    chosen = chosen[(chosen["metric"] == "purchases_of_property_and_equipment")
                    & (chosen["period_end_date"] == "2023-03-31")]
    assert chosen["value_usd"].iloc[0] == 6_823e6
    # Every other quarter of every release source reconciles with its own identity.
    checked = fin[fin["identity_check"] != "not_checked"]
    assert set(checked.loc[checked["identity_check"] == "fails", "ticker"]) == {"META"}
    assert (checked["identity_check"] == "holds").sum() > 100


def _q(metric, end, value, published, source="press_releases", check="not_checked"):
    day = date.fromisoformat
    return common.fact_row(metric, day(end) - pd.Timedelta(days=90), day(end), value,
                        (day(published), "release", "date of the earnings release"), source,
                        "https://example.com", "test", check=check)


def test_the_comparable_sum_needs_both_components_and_follows_each_version():
    rows = [_q("purchases_of_property_and_equipment", "2024-03-31", 6_400e6, "2024-04-24"),
            _q("finance_lease_principal_payments", "2024-03-31", 315e6, "2024-04-24"),
            _q("purchases_of_property_and_equipment", "2024-06-30", 8_173e6, "2024-07-31"),
            _q("finance_lease_principal_payments", "2024-03-31", 320e6, "2024-08-01",
               "sec_extract")]
    sums = pipeline.sums(rows)
    assert [(r["period_end_date"].isoformat(), r["value_usd"], r["published_date"].isoformat())
            for r in sums] == [("2024-03-31", 6_715e6, "2024-04-24"),
                               ("2024-03-31", 6_720e6, "2024-08-01")]  # no partial Q2 sum
    assert [(r["derivation"], r["published_basis"]) for r in sums] == [("sum", "release")] * 2
    failing = [_q("purchases_of_property_and_equipment", "2024-03-31", 7_000e6, "2024-04-24",
                  check="fails"), *rows[:2]]
    assert pipeline.sums(failing)[0]["value_usd"] == 6_715e6  # the failing figure is passed


def test_a_revision_is_dated_by_the_first_release_that_carried_it():
    release_on = {date(2022, 3, 31): (date(2022, 4, 27), "u1"),
                  date(2023, 3, 31): (date(2023, 4, 26), "u2")}
    press = [_q("purchases_of_property_and_equipment", "2022-03-31", 5_315e6, "2022-04-27")]
    press[0]["period_start_date"] = date(2022, 1, 1)
    span = dict(start=date(2022, 1, 1), end=date(2022, 3, 31), value=5_441e6,
                filed=date(2023, 4, 27), form="10-Q")  # the next year's comparative
    day, basis, words = sec_extract.first_public(span, press, release_on, None, "12-31")
    assert (day, basis) == (date(2023, 4, 26), "release_comparative")
    assert "FY2023 Q1 release of 2023-04-26" in words
    same = dict(span, value=5_315e6)
    assert sec_extract.first_public(same, press, release_on, None, "12-31")[:2] == (
        date(2022, 4, 27), "release")


def test_recent_prices_join_the_older_file_without_a_jump(sources_dir, built):
    prices = load_table("prices", built)
    for ticker in ("META", "ORCL", "CRWV", "QQQ"):
        p = prices[prices["ticker"] == ticker].set_index("price_date")
        recent = pd.read_csv(sources_dir / "prices_recent" / f"{ticker}.csv",
                             parse_dates=["date"]).set_index("date")["adj_close"].dropna()
        joined = p[p["source_id"] == "prices_recent"]
        seam = p.index[p.index.get_loc(joined.index[0]) - 1]
        # The move across the seam is the newer file's own move that day.
        assert p.loc[joined.index[0], "adj_close_usd"] / p.loc[seam, "adj_close_usd"] == \
            pytest.approx(recent[joined.index[0]] / recent[seam], rel=1e-4)
        assert (joined["adj_close_usd"] / recent.reindex(joined.index)
                == joined["scale_factor"]).all()
        assert p.index.max() == pd.Timestamp("2026-09-28")  # the nan row of 09-29 dropped
    orcl = prices[(prices["ticker"] == "ORCL") & (prices["price_date"] == "2026-05-06")]
    assert list(orcl["source_id"]) == ["prices_recent"]  # not the intraday snapshot


@pytest.mark.robustness
def test_an_added_figure_must_be_in_its_quote(sources_dir, tmp_path, monkeypatch):
    additions = tmp_path / "additions"
    shutil.copytree(paths.additions_dir(), additions)
    path = additions / "financials.csv"
    lines = path.read_text().splitlines(keepends=True)
    line = next(i for i, text in enumerate(lines) if text.startswith("MSFT,2026,2,"))
    lines[line] = lines[line].replace(",37.5,billion,", ",38.5,billion,", 1)
    path.write_text("".join(lines))
    monkeypatch.setenv("KIT_ADDITIONS", str(additions))
    with pytest.raises(DataError, match=r"financials.csv, the row for MSFT FY2026 Q2 "
                                        r"capex_incl_finance_lease_additions, column value: "
                                        r"38.5 is not in the quote"):
        sources.build_tables(sources_dir, log=lambda m: None)


def test_an_added_release_date_that_contradicts_a_source_is_recorded_not_used(
        sources_dir, tmp_path, monkeypatch):
    additions = tmp_path / "additions"
    shutil.copytree(paths.additions_dir(), additions)
    with (additions / "releases.csv").open("a") as f:
        f.write("META,2024,1,2024-04-25,,https://example.com,wrong day\n")
    monkeypatch.setenv("KIT_ADDITIONS", str(additions))
    rel = sources.build_tables(sources_dir, log=lambda m: None)["earnings_releases"]
    q1 = rel[(rel["ticker"] == "META") & (rel["fiscal_year"] == 2024)
             & (rel["fiscal_quarter"] == 1)].iloc[0]
    assert q1["release_date"] == date(2024, 4, 24) and q1["source_id"] == "press_releases"
    assert q1["date_check"] == "differs"
    assert q1["other_dates"] == "earnings_dates 2024-04-24; additions 2024-04-25"


def test_kit_data_check_lists_each_release_date_disagreement_with_both_dates():
    import subprocess
    import sys

    res = subprocess.run([sys.executable, "-m", "kit.cli", "data", "check"],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    rel = load_table("earnings_releases", data_dir())
    differs = rel[rel["date_check"] == "differs"]
    assert len(differs) >= 1  # Apple's 2019-01-02 8-K (a revenue warning) is not a release
    for r in differs.itertuples():
        line = next(x for x in res.stdout.splitlines() if "disagree on the release date" in x
                    and f"{r.release_date:%Y-%m-%d}" in x)
        assert r.other_dates in line
    assert "2019-01-29 (sec_submissions, used); earnings_dates 2019-01-02" in res.stdout


def _fin(*rows):
    cols = ["ticker", "metric", "period_end_date", "source_id", "derivation",
            "published_date", "value_usd", "identity_check"]
    df = pd.DataFrame([dict(zip(cols, r)) for r in rows])
    for c in ("period_end_date", "published_date"):
        df[c] = pd.to_datetime(df[c])
    return df


def test_the_change_report_is_exact_and_breaks_same_day_ties_the_same_way():
    capex = ("X", "purchases_of_property_and_equipment", "2024-03-31")
    before = _fin((*capex, "press_releases", "reported", "2024-04-24", 7e9, "holds"),
                  (*capex, "sec_extract", "reported", "2024-04-24", 7e9, "not_checked"),
                  ("X", "revenue", "2024-03-31", "press_releases", "reported", "2024-04-24",
                   30e9, "not_checked"))
    # The same two same-day rows in the other order, the revenue gone, a failing row added.
    after = _fin((*capex, "sec_extract", "reported", "2024-04-24", 7e9, "not_checked"),
                 (*capex, "press_releases", "reported", "2024-04-24", 7e9, "holds"),
                 (*capex, "press_releases", "identity", "2024-04-24", 9e9, "fails"))
    lines = sources.changes(before, after)
    assert lines[0] == ("changes: 0 new quarter figures, 0 revised, 1 removed "
                        "(1 rows added, 1 removed)")
    assert lines[1:] == ["  removed  X revenue 2024-03-31: 30,000M"]


def test_kit_data_check_shows_each_horizon_and_the_rows_on_ai_written_pages():
    import subprocess
    import sys

    from kit import data, metrics

    res = subprocess.run([sys.executable, "-m", "kit.cli", "data", "check"],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    out = res.stdout.split("\nHorizons as of ", 1)[1]
    rel = data.load_earnings_releases()
    for c in data.load_companies().itertuples():
        last = rel.loc[rel["ticker"] == c.ticker, "release_date"].max()
        assert f"  {c.ticker}: latest release {last:%Y-%m-%d} (" in out
    ai = metrics.ai_written()
    assert len(ai) >= 1 and f"{len(ai)} row(s) resting on a page written by an AI" in out
    for r in ai.itertuples():
        assert f"{r.ticker} {r.table} {r.date:%Y-%m-%d} {r.what}: {r.source_type} " \
               f"({r.source_url})" in out


def test_a_year_to_date_figure_becomes_its_quarter_less_the_earlier_quarters_as_then_known():
    def row(start, end, value, day, source="sec_companyfacts"):
        day = date.fromisoformat(day)
        return common.fact_row("purchases_of_property_and_equipment", date.fromisoformat(start),
                               date.fromisoformat(end), value, (day, "filing", ""), source, "u",
                               "")

    q1 = row("2026-01-01", "2026-03-31", 100e6, "2026-04-30")
    revised = row("2026-01-01", "2026-03-31", 150e6, "2026-10-30")  # known only later
    half = row("2026-01-01", "2026-06-30", 300e6, "2026-07-30", "additions")
    out = pipeline.ytd_quarters([q1, revised, half], "X")
    q2 = [r for r in out if r["period_start_date"] == date(2026, 4, 1)]
    assert len(out) == 3 and len(q2) == 1
    assert (q2[0]["value_usd"], q2[0]["derivation"]) == (200e6, "ytd_difference")
    assert q2[0]["published_date"] == date(2026, 7, 30)
    with pytest.raises(DataError, match=r"X purchases_of_property_and_equipment "
                                        r"2026-01-01\.\.2026-06-30: a year-to-date figure"):
        pipeline.ytd_quarters([half], "X")


@pytest.mark.parametrize("cik, ticker, fye, metric, end, value, day", [
    # Alphabet revenue Q4 2020: the year from the 10-K filed 2023-02-03 (182,527M) minus the
    # nine months (125,629M), which is what Alphabet reported for the quarter
    ("0001652044", "GOOGL", "12-31", "revenue", "2020-12-31", 56_898e6, "2023-02-03"),
    # Nvidia capex Q4 FY2022: 976M for the year, 703M for nine months
    ("0001045810", "NVDA", "last-Sun-01/Q4", "purchases_of_property_and_equipment",
     "2022-01-30", 273e6, "2024-02-21"),
])
def test_a_quarter_whose_year_survives_only_in_a_later_filing_is_derived_and_dated_by_it(
        sources_dir, cik, ticker, fye, metric, end, value, day):
    from kit.sources import companyfacts
    doc = json.loads((sources_dir / "sec_companyfacts" / f"CIK{cik}.json").read_text())
    rows = companyfacts.facts_rows(doc, dict(ticker=ticker, cik=cik, fiscal_year_end=fye), "u")
    (row,) = [r for r in rows if r["metric"] == metric and str(r["period_end_date"]) == end]
    assert (row["value_usd"], str(row["published_date"]), row["derivation"]) == (
        value, day, "ytd_difference")
