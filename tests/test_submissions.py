"""Earnings releases from SEC submissions documents: which Item 2.02 8-K is the release, and
in which time zone a document writes `acceptanceDateTime` (real recorded documents)."""

import json
from datetime import date

import pandas as pd
import pytest

from kit import data
from kit.sources import submissions
from kit.sources.common import sec_filing_url

from .conftest import SOURCES

TSLA, MSFT, NVDA, AAPL, MUR = "0001318605", "0000789019", "0001045810", "0000320193", "0000717423"
CALENDARS = {TSLA: "12-31", MSFT: "06-30", NVDA: "last-Sun-01/Q4", AAPL: "last-Sat-09/Q1",
             MUR: "12-31"}


def _doc(cik):
    return json.loads((SOURCES / "sec_submissions" / f"CIK{cik}.json").read_text())


def _rows(cik):
    rows = submissions.release_rows(_doc(cik), dict(cik=cik, fiscal_year_end=CALENDARS[cik]),
                                    SOURCES / "sec_submissions")
    return {(r["fiscal_year"], r["fiscal_quarter"]): r for r in rows}


def test_tesla_releases_are_its_earnings_releases_not_its_delivery_reports():
    rows = _rows(TSLA)
    assert rows[(2020, 1)]["release_date"] == date(2020, 4, 29)
    assert rows[(2024, 3)]["release_date"] == date(2024, 10, 23)
    assert rows[(2025, 4)]["release_date"] == date(2026, 1, 28)
    # A delivery report is an Item 2.02 8-K within days of a quarter's end (2020-04-02 for
    # Q1 2020): found here independently of the kit's rule, and never taken as a release.
    recent = _doc(TSLA)["filings"]["recent"]
    delivery = {date.fromisoformat(d) for form, items, d in
                zip(recent["form"], recent["items"], recent["filingDate"])
                if form == "8-K" and "2.02" in items
                and date.fromisoformat(d).month in (1, 4, 7, 10)
                and date.fromisoformat(d).day <= 7}
    assert len(delivery) >= 25 and date(2020, 4, 2) in delivery
    assert not delivery & {r["release_date"] for r in rows.values()}
    assert all("not the release" in r["note"] for r in rows.values()
               if r["fiscal_year"] >= 2019)  # each quarter names the other Item 2.02 filing


def test_shipped_tesla_releases_are_dated_by_their_8k_and_link_sec_gov():
    rel = data.load_earnings_releases()
    tsla = rel[rel["ticker"] == "TSLA"].set_index(["fiscal_year", "fiscal_quarter"])
    for (fy, q), day in {(2020, 1): "2020-04-29", (2024, 3): "2024-10-23",
                         (2025, 4): "2026-01-28"}.items():
        r = tsla.loc[(fy, q)]
        assert r["release_date"] == pd.Timestamp(day) and r["source_id"] == "sec_submissions"
        assert r["source_url"] == sec_filing_url(TSLA, r["accession_number"])
        assert (r["timing"], r["timing_basis"]) == ("after_close", "filing_time")


@pytest.mark.parametrize("cik, zone", [(MUR, "US Eastern"), (MSFT, "UTC"), (NVDA, "UTC"),
                                       (TSLA, "UTC"), (AAPL, None)])
def test_each_document_gets_the_zone_its_own_filings_fit(cik, zone):
    found, evidence = submissions.document_zone(submissions.filings(_doc(cik)))
    assert found == zone, evidence


def test_the_zone_rule_on_filings_either_side_of_1730_eastern():
    def filing(accepted, filed, form="8-K"):
        return dict(form=form, accepted=pd.Timestamp(accepted).to_pydatetime(),
                    filed=date.fromisoformat(filed))

    # Murphy Oil: accepted 19:18 and dated the next day: only Eastern time explains it
    murphy = filing("2020-05-06T19:18:24", "2020-05-07")
    assert submissions.fits(murphy, "US Eastern") and not submissions.fits(murphy, "UTC")
    # Microsoft: 21:04 and dated the same day: only UTC (16:04 Eastern) explains it
    msft = filing("2026-01-28T21:04:38", "2026-01-28")
    assert submissions.fits(msft, "UTC") and not submissions.fits(msft, "US Eastern")
    # Nvidia: 16:31 fits both (11:31 or 16:31 Eastern, both before 17:30)
    nvda = filing("2026-02-25T16:31:25", "2026-02-25")
    assert submissions.fits(nvda, "UTC") and submissions.fits(nvda, "US Eastern")
    # a Friday evening filing is dated the next business day, the Monday
    friday = filing("2024-04-26T18:00:00", "2024-04-29")
    assert submissions.fits(friday, "US Eastern") and not submissions.fits(friday, "UTC")


def test_an_ambiguous_filing_gives_no_time_unless_a_source_states_it():
    rows = _rows(NVDA)
    fy26q4 = rows[(2026, 4)]  # 2026-02-25T16:31:25Z: 11:31 or 16:31 Eastern
    assert (fy26q4["release_date"], fy26q4["timing"], fy26q4["timing_basis"]) == (
        date(2026, 2, 25), "", "not_stated")
    assert "time not stated" in fy26q4["note"]
    fy26q3 = rows[(2026, 3)]  # 21:20:44Z, dated the same day: UTC, 16:20 Eastern
    assert (fy26q3["timing"], fy26q3["timing_basis"]) == ("after_close", "filing_time")
    # Murphy Oil's 2017-11-01T17:29Z fits both readings too, one during the session
    mur = _rows(MUR)
    assert all(r["timing_basis"] == ("filing_time" if r["timing"] else "not_stated")
               for r in mur.values())
    assert mur[(2020, 1)]["timing"] == "after_close"  # 19:18 Eastern on 2020-05-06
    # Apple's document mixes zones: no time from it at all
    assert {r["timing_basis"] for r in _rows(AAPL).values()} == {"not_stated"}
    # in the shipped data a page that states the time fills it in, and says so
    rel = data.load_earnings_releases().set_index(["ticker", "fiscal_year", "fiscal_quarter"])
    shipped = rel.loc[("NVDA", 2026, 4)]
    assert (shipped["timing"], shipped["timing_basis"]) == ("after_close", "stated")
    assert "timing after_close as additions states it" in shipped["note"]


def test_every_release_with_an_accession_and_every_companyfacts_figure_links_sec_gov():
    companies = data.load_companies().set_index("ticker")
    rel = data.load_earnings_releases()
    known = rel[rel["accession_number"].notna()]
    assert len(known) >= 150
    for r in known.itertuples():
        assert r.source_url == sec_filing_url(companies.loc[r.ticker, "cik"],
                                              r.accession_number), r
    fin = data.load_financials()
    facts = fin[fin["source_id"].isin(["sec_companyfacts", "sec_companyfacts_copy"])]
    assert len(facts) >= 200
    for r in facts.itertuples():
        prefix = f"https://www.sec.gov/Archives/edgar/data/{int(companies.loc[r.ticker, 'cik'])}/"
        assert r.source_url.startswith(prefix), r
        accession = r.source_url.removeprefix(prefix).strip("/")
        assert accession in r.published_date_basis.replace("-", ""), r


def test_the_8k_the_rule_picks_is_the_one_the_press_release_links_name():
    """Apple, Microsoft and Nvidia: every quarter both sources have names the same 8-K (the
    press releases' links give its accession number and exhibit) on the same day."""
    rel = data.load_earnings_releases()
    both = rel[(rel["source_id"] == "sec_submissions")
               & rel["other_dates"].str.contains("press_releases", na=False)]
    assert set(both["ticker"]) == {"AAPL", "MSFT", "NVDA"} and len(both) >= 60
    assert (both["date_check"] == "agrees").all()
    assert all(r.accession_number.replace("-", "") in r.exhibit_url for r in both.itertuples())
