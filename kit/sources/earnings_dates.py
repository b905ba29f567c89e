"""earnings_dates.csv: release dates from SEC 8-K Item 2.02 filings (a PyPI package's table),
with the corrections of additions/corrections.csv. A company listed there under another
ticker names it in `source_ticker` of additions/companies.csv."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kit import periods
from kit.schema import DataError
from kit.sources.common import last_quarter_end_before, parse_day, read_csv

URL = "https://pypi.org/project/stocks-earnings-dates/"


def earnings_dates(src: Path, corrections: pd.DataFrame) -> pd.DataFrame:
    """earnings_dates.csv with the corrections of additions/corrections.csv applied.

    A correction's key is `TICKER` (every row of the ticker) or `TICKER YYYY-MM-DD`; an empty
    value rejects the row. Rejected rows are kept with `rejected` = the note.
    """
    dates = read_csv(src / "earnings_dates.csv")
    dates["rejected"] = ""
    dates["correction"] = ""
    for fix in corrections[corrections["source_id"] == "earnings_dates"].to_dict("records"):
        key = fix["key"].split()
        hit = dates["ticker"] == key[0]
        if len(key) > 1:
            hit &= dates["earnings_date"] == key[1]
        if not hit.any():
            raise DataError(f"additions/corrections.csv: key {fix['key']!r} matches no row of "
                            "earnings_dates.csv")
        if fix["value"]:
            said = key[1] if len(key) > 1 else "other dates"
            dates.loc[hit, "correction"] = (f"earnings_dates.csv says {said}; corrected: "
                                            f"{fix['note']} ({fix['source_url']})")
            dates.loc[hit, "earnings_date"] = fix["value"]
        else:
            dates.loc[hit, "rejected"] = fix["note"]
    return dates


def usable(dates: pd.DataFrame, company: dict) -> pd.DataFrame:
    """The company's rows that were not rejected."""
    mine = dates[dates["ticker"] == (company.get("source_ticker") or company["ticker"])]
    return mine[mine["rejected"] == ""]


def release_rows(dates: pd.DataFrame, company: dict) -> list[dict]:
    """One release per usable date, for the last fiscal quarter that ended before it."""
    fye = company["fiscal_year_end"]
    rows = []
    for r in usable(dates, company).to_dict("records"):
        released = parse_day(r["earnings_date"])
        fy, q = periods.fiscal_period(last_quarter_end_before(released, fye), fye)
        rows.append(dict(fiscal_year=fy, fiscal_quarter=q, release_date=released, timing="",
                         timing_basis="not_stated", source_id="earnings_dates", source_url=URL,
                         accession_number="", exhibit_url="",
                         date_check="corrected" if r["correction"] else "single_source",
                         note=r["correction"] or "SEC 8-K Item 2.02 date"))
    return rows
