"""additions/: the kit's own sourced rows, as data: the companies and their settings, releases,
financial figures (each quoting its page), outlooks, statements and corrections."""

from __future__ import annotations

from datetime import date

import pandas as pd

from kit import paths, periods
from kit.schema import DataError
from kit.sources.common import accession_in, fact_row, parse_day, published, read_csv


def companies() -> pd.DataFrame:
    """additions/companies.csv: one row per company, its settings as columns."""
    companies = read_csv(paths.additions_dir() / "companies.csv")
    for i, fye in enumerate(companies["fiscal_year_end"], start=2):
        try:
            periods.check_fiscal_year_end(fye)
        except ValueError as err:
            raise DataError(f"additions/companies.csv, line {i}, column fiscal_year_end: "
                            f"{err}") from None
    return companies.assign(added_from="")


def company_notes() -> pd.DataFrame:
    """additions/company_notes.csv: dated notes on a company's definition or outlook basis."""
    return read_csv(paths.additions_dir() / "company_notes.csv").assign(source_id="additions")


def free_cash_flow(name: str) -> pd.DataFrame:
    """additions/free_cash_flow_definitions.csv or free_cash_flow_reviews.csv (`name`)."""
    return read_csv(paths.additions_dir() / f"{name}.csv").assign(source_id="additions")


def corrections() -> pd.DataFrame:
    """additions/corrections.csv: fixes to raw rows, each with its source and note."""
    return read_csv(paths.additions_dir() / "corrections.csv")


def release_rows(ticker: str) -> list[dict]:
    """additions/releases.csv for `ticker`: releases with the page that dates them, the
    timing where the page states it, and the 8-K's accession number where the page's URL or
    the row's note names it."""
    rows = []
    for r in read_csv(paths.additions_dir() / "releases.csv").to_dict("records"):
        if r["ticker"] == ticker:
            rows.append(dict(fiscal_year=int(r["fiscal_year"]),
                             fiscal_quarter=int(r["fiscal_quarter"]),
                             release_date=parse_day(r["release_date"]), timing=r["timing"],
                             timing_basis="stated" if r["timing"] else "not_stated",
                             source_id="additions", source_url=r["source_url"],
                             accession_number=accession_in(r["source_url"])
                             or accession_in(r["note"]) or "",
                             exhibit_url=r["source_url"] if r["source_url"].startswith(
                                 "https://www.sec.gov/Archives/") and r["source_url"].endswith(
                                 ".htm") else "",
                             date_check="single_source",
                             note=r["note"]))
    return rows


_UNITS = {"million": 1e6, "billion": 1e9}


def financial_rows(ticker: str, fye: str, release_on: dict, listed: date | None) -> list[dict]:
    """Figures the raw files lack, from additions/financials.csv: each quotes the sentence of
    its page that states it, and the build checks the figure against the quote. Public from
    the period's release where known, else from the date the page gives. A row with
    `months` 6, 9 or 12 is a year-to-date figure (as Apple's releases and 10-Qs print them):
    its span starts with the fiscal year, and pipeline.ytd_quarters makes the quarter."""
    path = paths.additions_dir() / "financials.csv"
    rows = []
    for a in read_csv(path).to_dict("records"):
        if a["ticker"] != ticker:
            continue
        where = (f"additions/financials.csv, the row for {ticker} FY{a['fiscal_year']} "
                 f"Q{a['fiscal_quarter']} {a['metric']}")  # fields span lines: name the row
        text, quote = " ".join(a["text"].split()), " ".join(a["quote"].split())
        if quote not in text:
            raise DataError(f"{where}, column quote: not in the row's text; quote it exactly")
        if a["value"] not in quote.replace(",", ""):  # a table's "54,208" is 54208
            raise DataError(f"{where}, column value: {a['value']} is not in the quote "
                            f"{quote!r}")
        fy, fq = int(a["fiscal_year"]), int(a["fiscal_quarter"])
        start, end = periods.fiscal_quarter_bounds(fy, fq, fye)
        months = int(a.get("months") or 3)  # a year-to-date figure: 6, 9 or 12 months
        if months not in (3, 6, 9, 12) or months > 3 * fq:
            raise DataError(f"{where}, column months: {months} is not 3, 6, 9 or 12 months "
                            f"up to the end of fiscal quarter {fq}; leave it empty for a "
                            "quarter")
        if months > 3:
            start = periods.fiscal_quarter_bounds(fy, fq - months // 3 + 1, fye)[0]
        if a["published_date"]:  # the page shows it only later than the period's release
            public = (parse_day(a["published_date"]), "stated", a["published_note"])
        elif (known := published(end, fq, release_on, listed)) is not None:
            public = known[0]
        else:
            raise DataError(f"{where}: no release date known for FY{fy} Q{fq}; give "
                            "published_date and published_note")
        decimals = len(a["value"].partition(".")[2])
        unit = _UNITS[a["unit"]]
        rows.append(fact_row(a["metric"], start, end, float(a["value"]) * unit, public,
                             "additions", a["source_url"],
                             f"additions/financials.csv: \"{quote}\" ({a['source_type']})",
                             precision=unit * 10 ** -decimals / 2))
    return rows
