"""What every source adapter shares: reading raw files, dates, the catalogue of sources, and
the row form of the `financials` table."""

from __future__ import annotations

import json
import math
import re
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from kit import periods
from kit.schema import DataError

FILING_DAYS = {"10-Q": 45, "10-K": 90}  # the longest deadline any filer has after a period
FIRST_YEAR = 2019  # the other sources start in 2020; older SEC rows are not used


SOURCES = [
    dict(source_id="press_releases",
         title="Quarterly figures extracted from 8-K EX-99.1 earnings releases (MIT)",
         origin_url="https://github.com/akiraak/ai-financial-analyst",
         origin_commit="a47d373a21546421acb40a16f655a75fc51448b2", path="press_releases/",
         known_issues="Meta capex missing for 2024 Q1-Q3 and 2020 Q1-Q3, and for 2022 Q1 to "
                      "2023 Q4 failing the release's own cash-flow identity by 19-126M: the "
                      "identity (operating cash flow - finance-lease principal - free cash "
                      "flow) supplies those; extracted by a tool, not audited; values in USD "
                      "millions, outflows negative"),
    dict(source_id="sec_extract",
         title="SEC XBRL companyfacts rows, transcribed (data.sec.gov companyfacts)",
         origin_url="https://github.com/blakeweaver17-del/ai-infra-data",
         origin_commit="a42097d19533ec07ff7cc66c086df3fd7e50f3b7",
         path="sec_extract/companyfacts_extract.csv",
         known_issues="Year-to-date spans: quarters derived by difference only where dates line "
                      "up; fy/fp/filed describe the latest filing that reported the value, not "
                      "the period; some rows duplicated (dropped)"),
    dict(source_id="sec_calendar",
         title="Capex by calendar quarter from SEC companyfacts (bridgewater_forecasting)",
         origin_url="https://github.com/danyu1/bridgewater_forecasting",
         origin_commit="7b5b1ae6253e9f13e9e8922970efeb58f8b34c8f",
         path="sec_extract/capex_calendar_quarters.csv",
         known_issues="No filing dates; MSFT calendar Q2 rows missing and its Q4s are year "
                      "minus Q1..Q3; a missing Q4 is derived here only as the year minus three "
                      "reported quarters; rows before 2019 are not used"),
    dict(source_id="sec_companyfacts",
         title="SEC EDGAR XBRL companyfacts, downloaded by `kit data refresh` or `kit data "
               "add`, or whole documents in sec_companyfacts/",
         origin_url="https://data.sec.gov/api/xbrl/companyfacts/", origin_commit="",
         path="(download cache) or sec_companyfacts/",
         known_issues="Published dates are the filing dates of the 10-Q/10-K, later than the "
                      "earnings release; for a company added from SEC, a first figure is dated "
                      "by its period's Item 2.02 8-K where that came first"),
    dict(source_id="sec_submissions",
         title="SEC EDGAR submissions: earnings releases as 8-K filings with Item 2.02",
         origin_url="https://data.sec.gov/submissions/", origin_commit="",
         path="(download cache) or sec_submissions/",
         known_issues="Not every Item 2.02 8-K is a release (Tesla's delivery reports): a "
                      "quarter's release is the last one before its 10-Q/10-K. acceptanceDateTime "
                      "is written with a Z in UTC or in US Eastern time: the zone is decided per "
                      "document from its filing dates, and a time of day is used only where it "
                      "is established; older filings only where their file is in the folder"),
    dict(source_id="sec_exhibit",
         title="Earnings releases (8-K exhibit 99.1) on sec.gov, fetched by `kit data refresh`: "
               "sentences extracted from the release",
         origin_url="https://www.sec.gov/Archives/edgar/data/", origin_commit="",
         path="(download cache)",
         known_issues="Only sentences of known shapes are read (a capex figure whose measure "
                      "is worded, an outlook of one range or figure, the chief executive's "
                      "quoted words); others that speak of capital expenditures are listed by "
                      "kit data check. Figures are rounded as the sentence states them and are "
                      "checked against the XBRL figure within that rounding"),
    dict(source_id="yahoo",
         title="Daily adjusted closes from Yahoo Finance through yfinance, fetched by `kit data "
               "refresh` (the optional extra `prices`)",
         origin_url="https://finance.yahoo.com/", origin_commit="", path="(fetched)",
         known_issues="Adjusted as of the day it was fetched: joined after the last day the "
                      "data's prices agree with it, rescaled onto them (scale_factor); checked "
                      "for positive finite closes and holes longer than a week"),
    dict(source_id="prices_file", title="Daily adjusted closes from a file given to "
                                        "`kit data add --prices`",
         origin_url="(the user's file)", origin_commit="", path="",
         known_issues="Not checked against another source"),
    dict(source_id="recent_financials",
         title="Last five to six quarters from yfinance/Finnhub (secondary)",
         origin_url="https://github.com/gbrakel/stock-intelligence-app",
         origin_commit="819645798c8f340843ce3f8d54167481614af8cd",
         path="recent_financials/", known_issues="Secondary source; used for revenue only"),
    dict(source_id="prices", title="Daily adjusted closes (values look like Yahoo Finance)",
         origin_url="https://github.com/kinryukii/us-tech-quant-v18",
         origin_commit="d9ce90398a7694bfacbb9740068810c89402d4d9", path="prices/",
         known_issues="No licence file; split/dividend adjusted"),
    dict(source_id="prices_recent", title="Daily adjusted closes to 2026-09 (OHLCV files)",
         origin_url="https://github.com/blakeweaver17-del/ai-infra-data",
         origin_commit="07cdbe1f52ae9f9dba4076891a67c51bcb71fdf9", path="prices_recent/",
         known_issues="Adjusted as of a later date than prices/ (levels differ by a constant "
                      "factor per ticker): used after the last day prices/ agrees with it, "
                      "rescaled onto prices/ (scale_factor); the last row (2026-09-29) has no "
                      "close and is dropped; no AAPL or TSLA"),
    dict(source_id="sec_companyfacts_copy",
         title="SEC EDGAR XBRL companyfacts: concepts copied from public copies of the documents",
         origin_url="additions/companyfacts/ (each file names the repository, path and commit)",
         origin_commit="", path="additions/companyfacts/",
         known_issues="Only the concepts the kit needs, copied verbatim; published dates are the "
                      "filing dates of the 10-Q/10-K; a copy ends on the day it was taken"),
    dict(source_id="earnings_dates", title="Earnings release dates from SEC 8-K Item 2.02",
         origin_url="https://pypi.org/project/stocks-earnings-dates/", origin_commit="0.1.9",
         path="earnings_dates.csv",
         known_issues="TSLA dates are delivery reports (rejected); NVDA has an extra "
                      "2022-08-08; Alphabet is listed as GOOG; corrections in "
                      "additions/corrections.csv; CoreWeave's releases and those after 2025-11 "
                      "are in additions/releases.csv. Used where neither SEC submissions nor "
                      "press_releases has the quarter, and as a cross-check elsewhere"),
    dict(source_id="statements", title="Sourced sentences from public web pages",
         origin_url="(made for this kit; each row has its own URL)", origin_commit="",
         path="statements.json",
         known_issues="Mostly news paraphrases; figures in news items are the article's own"),
    dict(source_id="additions", title="Rows the kit's maintainers added, each with its source",
         origin_url="additions/ in this repository", origin_commit="", path="additions/",
         known_issues="Translations of non-English text are the kit's own"),
    dict(source_id="derived", title="Computed by the kit from other rows of the same table",
         origin_url="kit/sources/pipeline.py", origin_commit="", path="",
         known_issues="Each figure names how it was derived and the figures it was "
                      "derived from"),
]


# An accession number as written (0001193125-26-265848) or in a sec.gov path (/00011931…/)
ACCESSION = re.compile(r"(?<!\d)(\d{10})-(\d{2})-(\d{6})(?!\d)"
                       r"|/edgar/data/\d+/(\d{10})(\d{2})(\d{6})/")


def sec_filing_url(cik, accession: str) -> str:
    """The filing's index on sec.gov: .../Archives/edgar/data/<CIK>/<accession, no dashes>/."""
    return f"https://www.sec.gov/Archives/edgar/data/{int(cik)}/{accession.replace('-', '')}/"


def accession_in(url) -> str | None:
    """The SEC accession number a URL embeds (a copy or proxy of a filing), or None."""
    found = ACCESSION.search(url) if isinstance(url, str) else None
    return "-".join(g for g in found.groups() if g) if found else None


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def parse_day(text: str) -> date:
    return date.fromisoformat(text)


def read_json(path: Path):
    """A JSON source file; a broken one is named with the line and column of the fault, and
    one holding a number that is not finite (NaN, Infinity, 1e400) is refused."""
    try:
        return json.loads(path.read_text(encoding="utf-8"), parse_float=finite_float,
                          parse_constant=finite_float)
    except json.JSONDecodeError as err:
        raise DataError(f"{path}, line {err.lineno}, column {err.colno}: not valid JSON "
                        f"({err.msg}); restore the file from its source") from None
    except ValueError as err:
        raise DataError(f"{path}: {err}; restore the file from its source") from None


def finite_float(text: str) -> float:
    """A JSON number as a float, or ValueError for one that is not finite."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is not a finite number")
    return value


def deadline(end: date, form: str) -> tuple[date, str, str]:
    return end + timedelta(days=FILING_DAYS[form]), "filing_deadline", (
        f"no release date in the sources: the latest day the period's {form} was due "
        f"({FILING_DAYS[form]} days after the period, the longest deadline of any filer; the "
        "company was listed by then, see prices)")


def listed(src: Path, ticker: str) -> date | None:
    """First day the prices file has the stock: from then on the company had to file."""
    path = src / "prices" / f"{ticker}.csv"
    if not path.is_file():
        return None
    with path.open(encoding="utf-8-sig") as f:
        f.readline()
        first = f.readline().split(",")[0]
    return parse_day(first) if first else None


def last_quarter_end_before(day: date, fye: str) -> date:
    year = day.year + 1
    ends = [periods.fiscal_quarter_end(y, q, fye) for y in (year - 2, year - 1, year)
            for q in range(1, 5)]
    return max(e for e in ends if e < day)


def filing_year(filed: date, fye: str) -> int:
    """The fiscal year of the period a filing reports: the last fiscal quarter that ended
    before it was filed. Two figures of the same filing year come from one set of books."""
    return periods.fiscal_period(last_quarter_end_before(filed, fye), fye)[0]


def fact_row(metric, start, end, value, published, source_id, url, detail,
             derivation="reported", derivation_detail="", check="not_checked", filed=None,
             precision=None):
    """One financials row; `published` is (date, published_basis, the reason in words)."""
    day, basis, words = published
    return dict(metric=metric, period_start_date=start, period_end_date=end, value_usd=value,
                derivation=derivation, derivation_detail=derivation_detail,
                identity_check=check, published_date=day, published_basis=basis,
                published_date_basis=words, source_id=source_id, source_url=url,
                source_detail=detail, source_filed_date=filed, precision_usd=precision)


def published(end: date, fiscal_quarter: int, release_on: dict,
              listed: date | None) -> tuple[tuple[date, str, str], str] | None:
    """((date, basis, words), url) for a figure first published with its period's release;
    without a release date, the period's filing deadline if the company was listed; else
    None."""
    if end in release_on:
        released, url = release_on[end]
        return (released, "release", "date of the earnings release"), url
    if listed is not None and listed <= end:
        return deadline(end, "10-K" if fiscal_quarter == 4 else "10-Q"), ""
    return None


def is_fiscal_end(day: date, fye: str) -> bool:
    try:
        periods.fiscal_period(day, fye)
    except ValueError:
        return False
    return True
