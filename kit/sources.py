"""Build data/ from the raw public files in the sources folder, reproducibly.

Every output row names its source (`source_id` + URL) and how it was derived. Nothing is typed
in here: figures come from the raw files; the kit's own sourced rows and corrections live in
`additions/` as data, each with a URL or title and a note.
"""

from __future__ import annotations

import errno
import json
import math
import shutil
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from kit import atomic, data, paths, periods
from kit.errors import OutputError
from kit.schema import SUMS, TABLES, DataError, data_dictionary, to_csv_frame

ADDITIONS = paths.shipped("additions")
BENCHMARK = "QQQ"

# Where each source keeps a company: folder names of press_releases/, and the keys of its
# cash-flows.json per metric (outflows are negative there; stored positive here).
_PRESS_FOLDERS = {"META": "meta", "MSFT": "microsoft", "GOOGL": "alphabet", "AAPL": "apple",
                  "NVDA": "nvidia", "TSLA": "tesla"}
_PRESS_CAPEX_KEYS = {
    "meta": {"purchases_of_property_and_equipment": "capitalExpenditures",
             "finance_lease_principal_payments": "financeLeasePayments"},
    "microsoft": {"purchases_of_property_and_equipment": "capitalExpenditure"},
    "alphabet": {"purchases_of_property_and_equipment": "capex"},
    "apple": {"purchases_of_property_and_equipment": "capitalExpenditures"},
    "tesla": {"purchases_of_property_and_equipment": "capex"},
}
# The release's own cash-flow identity per folder: (operating cash flow, free cash flow,
# finance-lease principal where the company's free cash flow subtracts it).
_PRESS_IDENTITY = {
    "meta": ("operatingCashFlow", "freeCashFlow", "financeLeasePayments"),
    "microsoft": ("operatingCF", "freeCashFlow", None),
    "alphabet": ("operatingCF", "freeCashFlow", None),
    "apple": ("operatingCashFlow", "freeCashFlow", None),
    "tesla": ("operatingCF", "freeCashFlow", None),
}
_EARNINGS_DATES_ALIAS = {"GOOGL": "GOOG"}  # earnings_dates.csv lists Alphabet as GOOG
_SEC_ITEMS = {"capex": "purchases_of_property_and_equipment", "revenue": "revenue"}
# XBRL concepts per metric, in order of preference (`capex_concept` of the company first).
_FACT_CONCEPTS = {
    "purchases_of_property_and_equipment": ("PaymentsToAcquirePropertyPlantAndEquipment",),
    "finance_lease_principal_payments": ("FinanceLeasePrincipalPayments",),
    "revenue": ("RevenueFromContractWithCustomerExcludingAssessedTax", "Revenues"),
}
# When two sources publish the same quarter on the same date, the first listed wins.
SOURCE_PRIORITY = ("sec_companyfacts", "sec_companyfacts_copy", "sec_extract",
                   "press_releases", "sec_calendar", "recent_financials", "additions", "derived")
ROUNDING_USD = 0.5e6  # press releases and XBRL figures are in whole millions
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
         title="SEC EDGAR XBRL companyfacts, downloaded by `kit data refresh`",
         origin_url="https://data.sec.gov/api/xbrl/companyfacts/", origin_commit="",
         path="(download cache)",
         known_issues="Present only after a refresh; published dates are the filing dates "
                      "of the 10-Q/10-K, later than the earnings release"),
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
                      "additions/corrections.csv; Tesla's and CoreWeave's releases and those "
                      "after 2025-11 are in additions/releases.csv. Used where press_releases "
                      "has no release links (GOOGL, AMZN, ORCL) and as a cross-check "
                      "elsewhere"),
    dict(source_id="statements", title="Sourced sentences from public web pages",
         origin_url="(made for this kit; each row has its own URL)", origin_commit="",
         path="statements.json",
         known_issues="Mostly news paraphrases; figures in news items are the article's own"),
    dict(source_id="additions", title="Rows the kit's maintainers added, each with its source",
         origin_url="additions/ in this repository", origin_commit="", path="additions/",
         known_issues="Translations of non-English text are the kit's own"),
    dict(source_id="derived", title="Computed by the kit from other rows of the same table",
         origin_url="kit/sources.py", origin_commit="", path="",
         known_issues="See derivation_detail on each row"),
]


def build(sources_dir: Path | str | None = None, data_dir: Path | str | None = None,
          log=print, facts: dict[str, dict] | None = None,
          companies: pd.DataFrame | None = None, kept: pd.DataFrame | None = None) -> Path:
    """Build every table from `sources_dir` (default: paths.sources_dir) and replace
    `data_dir` (default: paths.output_data_dir) with them in one step.

    `facts` adds SEC companyfacts documents by ticker and `kept` earlier refreshed rows of
    companies not fetched now (see `kit.sec.refresh`). What changed against the existing
    data is logged before the swap. Returns the data directory. `data_dir` must be new, empty
    or a kit data folder (kit.atomic); on any error it is left untouched.
    """
    src = Path(sources_dir or paths.sources_dir())
    out = atomic.check_data_folder(Path(data_dir or paths.output_data_dir()))
    if not (src / "MANIFEST.md").is_file():
        raise DataError(f"{src}: not a sources folder (no MANIFEST.md); pass --sources DIR "
                        "pointing at shared/sources")
    tables = build_tables(src, log=log, companies=companies, facts=facts, kept=kept)
    if (out / "financials.csv").is_file():
        try:
            before = data.load_table("financials", out)
        except DataError:
            before = None  # written by an older kit: nothing to compare with
        if before is not None:
            for line in changes(before, data.validate_frame(tables["financials"], "financials")):
                log(line)
    as_of = max(tables["financials"]["published_date"].max(), tables["prices"]["price_date"].max())
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        for stale in atomic.clean_stale(out.parent):
            log(f"removed {stale.name}, left by a build that was stopped")
        tmp = atomic.new_data_folder(out)
    except OSError as err:
        raise OutputError(f"cannot write in {out.parent}: {err.strerror}") from None
    try:
        for name, df in tables.items():
            to_csv_frame(df, name).to_csv(tmp / TABLES[name].filename, index=False,
                                          lineterminator="\n")
        (tmp / "README.md").write_text(data_dictionary(as_of.strftime("%Y-%m-%d")) + "\n")
        for name in tables:  # validate what was written, exactly as users will load it
            data.load_table(name, tmp)
        atomic.replace_folder(tmp, out)
        data._cached.cache_clear()
    except OSError as err:
        raise OutputError(f"cannot write the data folder {out}: {err.strerror}"
                          + ("; free some space" if err.errno == errno.ENOSPC else "")
                          + f"; {out} is unchanged") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for name, df in tables.items():
        log(f"{name}: {len(df)} rows")
    return out


def changes(before: pd.DataFrame, after: pd.DataFrame) -> list[str]:
    """What a rebuild changes in `financials`: the rows added and removed, and for each
    company, metric and quarter the figure a briefing uses (latest published; on one day the
    one that passes its identity check, then by source priority, then by derivation, so ties
    are broken the same way every time): new, revised beyond rounding, or gone."""
    def rows(fin):
        key = [*TABLES["financials"].key, "value_usd"]
        return set(fin[key].astype(str).itertuples(index=False, name=None))

    def current(fin):
        fin = fin.assign(_ok=fin["identity_check"] != "fails",
                         _rank=-fin["source_id"].map(SOURCE_PRIORITY.index))
        fin = fin.sort_values(["published_date", "_ok", "_rank", "derivation"], kind="stable")
        return fin.groupby(["ticker", "metric", "period_end_date"])["value_usd"].last()

    old, new = current(before), current(after)
    added = new.index.difference(old.index)
    gone = old.index.difference(new.index)
    revised = [k for k in new.index.intersection(old.index)
               if abs(new[k] - old[k]) > ROUNDING_USD]
    lines = [f"changes: {len(added)} new quarter figures, {len(revised)} revised, "
             f"{len(gone)} removed ({len(rows(after) - rows(before))} rows added, "
             f"{len(rows(before) - rows(after))} removed)"]
    for t, m, end in added:
        lines.append(f"  new      {t} {m} {end:%Y-%m-%d}: {new[(t, m, end)] / 1e6:,.0f}M")
    for t, m, end in revised:
        lines.append(f"  revised  {t} {m} {end:%Y-%m-%d}: {old[(t, m, end)] / 1e6:,.0f}M -> "
                     f"{new[(t, m, end)] / 1e6:,.0f}M")
    for t, m, end in gone:
        lines.append(f"  removed  {t} {m} {end:%Y-%m-%d}: {old[(t, m, end)] / 1e6:,.0f}M")
    return lines


def build_tables(src: Path, log=print, companies: pd.DataFrame | None = None,
                 facts: dict[str, dict] | None = None,
                 kept: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Every table, from the raw files in `src` (plus `facts`: companyfacts documents by
    ticker, from `kit data refresh`, and `kept`: financials rows of an earlier refresh to
    keep). `companies` defaults to additions/companies.csv."""
    companies = _companies() if companies is None else companies
    tickers = list(companies["ticker"])
    corrections = _read_csv(ADDITIONS / "corrections.csv")
    dates = _earnings_dates(src, corrections)
    releases = pd.concat([_releases(src, c, dates, corrections)
                          for c in companies.to_dict("records")])
    statements = _statements(src, tickers, corrections, log)
    prices = [_prices(src, t, log) for t in [*tickers, BENCHMARK]
              if (src / "prices" / f"{t}.csv").is_file()]
    return {
        "sources": pd.DataFrame(SOURCES),
        "companies": companies,
        "financials": pd.concat(
            [_financials(src, c, releases, (facts or {}).get(c["ticker"]),
                         _kept_rows(kept, c["ticker"]))
             for c in companies.to_dict("records")]),
        "capex_guidance": _guidance(statements, companies),
        "earnings_releases": releases,
        "prices": pd.concat(prices),
        "statements": statements.drop(columns=[c for c in statements if c.startswith("_")]),
    }


def _companies() -> pd.DataFrame:
    companies = _read_csv(ADDITIONS / "companies.csv")
    for i, fye in enumerate(companies["fiscal_year_end"], start=2):
        try:
            periods.check_fiscal_year_end(fye)
        except ValueError as err:
            raise DataError(f"additions/companies.csv, line {i}, column fiscal_year_end: "
                            f"{err}") from None
    return companies


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _day(text: str) -> date:
    return date.fromisoformat(text)


def _json(path: Path):
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


def _deadline(end: date, form: str) -> tuple[date, str, str]:
    return end + timedelta(days=FILING_DAYS[form]), "filing_deadline", (
        f"no release date in the sources: the latest day the period's {form} was due "
        f"({FILING_DAYS[form]} days after the period, the longest deadline of any filer; the "
        "company was listed by then, see prices)")


def _listed(src: Path, ticker: str) -> date | None:
    """First day the prices file has the stock: from then on the company had to file."""
    path = src / "prices" / f"{ticker}.csv"
    if not path.is_file():
        return None
    with path.open(encoding="utf-8-sig") as f:
        f.readline()
        first = f.readline().split(",")[0]
    return _day(first) if first else None


# --- earnings releases ---------------------------------------------------------------------

def _earnings_dates(src: Path, corrections: pd.DataFrame) -> pd.DataFrame:
    """earnings_dates.csv with the corrections of additions/corrections.csv applied.

    A correction's key is `TICKER` (every row of the ticker) or `TICKER YYYY-MM-DD`; an empty
    value rejects the row. Rejected rows are kept with `rejected` = the note.
    """
    dates = _read_csv(src / "earnings_dates.csv")
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


def _releases(src: Path, company: dict, dates: pd.DataFrame,
              corrections: pd.DataFrame) -> pd.DataFrame:
    """One row per quarter with a known release: from the 8-K links of press_releases when
    it has them, else from earnings_dates.csv (as corrected), plus additions/releases.csv
    for quarters neither has (with the timing its page states)."""
    ticker, fye = company["ticker"], company["fiscal_year_end"]
    mine = dates[dates["ticker"] == _EARNINGS_DATES_ALIAS.get(ticker, ticker)]
    usable = mine[mine["rejected"] == ""]
    known = sorted({_day(d) for d in usable["earnings_date"]})
    links = src / "press_releases" / _PRESS_FOLDERS.get(ticker, "-") / "quarterly-links.json"
    rows = []
    if links.is_file():
        for link in _json(links):
            released = _day(link["date"])
            near = [d for d in known if abs((d - released).days) <= 20]
            if released in near:
                note = "earnings_dates.csv agrees"
            elif near:
                note = f"earnings_dates.csv says {near[0]}; the 8-K date is used"
            else:
                note = "not in earnings_dates.csv"
            rows.append(dict(fiscal_year=int(link["fy"][2:]), fiscal_quarter=int(link["q"][1:]),
                             release_date=released, timing="", source_id="press_releases",
                             source_url=link["url"], note=note))
    else:
        for r in usable.to_dict("records"):
            released = _day(r["earnings_date"])
            end = _last_quarter_end_before(released, fye)
            fy, q = periods.fiscal_period(end, fye)
            rows.append(dict(fiscal_year=fy, fiscal_quarter=q, release_date=released, timing="",
                             source_id="earnings_dates",
                             source_url="https://pypi.org/project/stocks-earnings-dates/",
                             note=r["correction"] or "SEC 8-K Item 2.02 date"))
    have = {(r["fiscal_year"], r["fiscal_quarter"]): r for r in rows}
    for line, add in enumerate(_read_csv(ADDITIONS / "releases.csv").to_dict("records"), 2):
        fy, q = int(add["fiscal_year"]), int(add["fiscal_quarter"])
        if add["ticker"] != ticker:
            continue
        released = _day(add["release_date"])
        if (fy, q) in have:
            if have[(fy, q)]["release_date"] != released:
                raise DataError(f"additions/releases.csv, line {line}: {ticker} FY{fy} Q{q} "
                                f"released {released} disagrees with "
                                f"{have[(fy, q)]['source_id']} "
                                f"({have[(fy, q)]['release_date']}); add a correction instead")
            if add["timing"] and not have[(fy, q)]["timing"]:  # the page states the time
                have[(fy, q)]["timing"] = add["timing"]
                have[(fy, q)]["note"] += f"; timing {add['timing']}: {add['note']} " \
                                         f"({add['source_url']})"
            continue
        rows.append(dict(fiscal_year=fy, fiscal_quarter=q, release_date=released,
                         timing=add["timing"], source_id="additions",
                         source_url=add["source_url"], note=add["note"]))
    if not rows:
        return pd.DataFrame(columns=["ticker", "fiscal_year", "fiscal_quarter", "period_end_date",
                                     "release_date", "timing", "source_id", "source_url", "note"])
    out = pd.DataFrame(rows)
    out["ticker"] = ticker
    out["period_end_date"] = [periods.fiscal_quarter_end(fy, q, fye)
                              for fy, q in zip(out["fiscal_year"], out["fiscal_quarter"])]
    for fix in corrections[corrections["source_id"] == "earnings_releases"].to_dict("records"):
        who, day = fix["key"].split()
        hit = (out["ticker"] == who) & (out["release_date"] == _day(day))
        if who == ticker and not hit.any():
            raise DataError(f"additions/corrections.csv: key {fix['key']!r} matches no release")
        out.loc[hit, fix["field"]] = fix["value"]
        out.loc[hit, "note"] += (f"; {fix['field']} {fix['value']}: {fix['note']} "
                                 f"({fix['source_url']})")
    return out


def _last_quarter_end_before(day: date, fye: str) -> date:
    year = day.year + 1
    ends = [periods.fiscal_quarter_end(y, q, fye) for y in (year - 2, year - 1, year)
            for q in range(1, 5)]
    return max(e for e in ends if e < day)


def _filing_year(filed: date, fye: str) -> int:
    """The fiscal year of the period a filing reports: the last fiscal quarter that ended
    before it was filed. Two figures of the same filing year come from one set of books."""
    return periods.fiscal_period(_last_quarter_end_before(filed, fye), fye)[0]


# --- quarterly financials ------------------------------------------------------------------

def _financials(src: Path, company: dict, releases: pd.DataFrame,
                facts: dict | None, kept: list[dict] = ()) -> pd.DataFrame:
    ticker, fye = company["ticker"], company["fiscal_year_end"]
    rel = releases[releases["ticker"] == ticker]
    release_on = dict(zip(rel["period_end_date"], zip(rel["release_date"], rel["source_url"])))
    listed = _listed(src, ticker)
    press = _press_rows(src, ticker, fye, release_on, listed)
    facts_url = f"https://data.sec.gov/api/xbrl/companyfacts/CIK{company['cik']}.json"
    sec, own_filing = _sec_rows(src, company, facts_url, press, release_on, listed)
    rows = press + sec + _calendar_rows(src, ticker, fye, release_on, listed)
    rows += _recent_rows(src, ticker, fye, release_on, own_filing)
    rows += _added_rows(ticker, fye, release_on, listed)
    copy = ADDITIONS / "companyfacts" / f"{ticker}.json"
    if copy.is_file():
        doc = _json(copy)
        origin = doc["origin"]
        rows += [r for r in facts_rows(doc, company, f"{origin['repository']}/blob/"
                                                     f"{origin['commit']}/{origin['path']}",
                                       "sec_companyfacts_copy")
                 if r["period_end_date"].year >= FIRST_YEAR]  # the span of the other sources
    if facts is not None:
        rows += facts_rows(facts, company, facts_url)
    rows += kept
    rows += _sums(rows)
    df = pd.DataFrame(rows)
    if df.empty:
        raise DataError(f"{ticker}: no quarterly figures in any source; remove it from "
                        "additions/companies.csv or add a source")
    df["ticker"] = ticker
    try:
        df["fiscal_year"], df["fiscal_quarter"] = zip(
            *[periods.fiscal_period(e, fye) for e in df["period_end_date"]])
    except ValueError as err:
        raise DataError(f"{ticker}: {err}; check fiscal_year_end in additions/companies.csv"
                        ) from None
    df["calendar_year"], df["calendar_quarter"] = zip(
        *[periods.calendar_quarter(s, e) for s, e in zip(df["period_start_date"],
                                                          df["period_end_date"])])
    return df


def _kept_rows(kept: pd.DataFrame | None, ticker: str) -> list[dict]:
    """Rows of an earlier refresh (financials as loaded) back in the build's row form."""
    if kept is None:
        return []

    def day(value):
        return None if pd.isna(value) else value.date()

    return [_row(r["metric"], day(r["period_start_date"]), day(r["period_end_date"]),
                 r["value_usd"], (day(r["published_date"]), r["published_basis"],
                                  r["published_date_basis"]),
                 r["source_id"], r["source_url"], r["source_detail"], r["derivation"],
                 "" if pd.isna(r["derivation_detail"]) else r["derivation_detail"],
                 r["identity_check"], filed=day(r["source_filed_date"]),
                 precision=None if pd.isna(r["precision_usd"]) else r["precision_usd"])
            for r in kept[kept["ticker"] == ticker].to_dict("records")]


def _row(metric, start, end, value, published, source_id, url, detail,
         derivation="reported", derivation_detail="", check="not_checked", filed=None,
         precision=None):
    """One financials row; `published` is (date, published_basis, the reason in words)."""
    day, basis, words = published
    return dict(metric=metric, period_start_date=start, period_end_date=end, value_usd=value,
                derivation=derivation, derivation_detail=derivation_detail,
                identity_check=check, published_date=day, published_basis=basis,
                published_date_basis=words, source_id=source_id, source_url=url,
                source_detail=detail, source_filed_date=filed, precision_usd=precision)


def _published(end: date, fiscal_quarter: int, release_on: dict,
               listed: date | None) -> tuple[tuple[date, str, str], str] | None:
    """((date, basis, words), url) for a figure first published with its period's release;
    without a release date, the period's filing deadline if the company was listed; else
    None."""
    if end in release_on:
        released, url = release_on[end]
        return (released, "release", "date of the earnings release"), url
    if listed is not None and listed <= end:
        return _deadline(end, "10-K" if fiscal_quarter == 4 else "10-Q"), ""
    return None


def _identity(flows: dict, keys: tuple[str, str, str | None]) -> tuple[int, str] | None:
    """Capex from the release's own cash-flow identity: operating cash flow minus free cash
    flow (minus finance-lease principal where the company's free cash flow subtracts it).
    None when an input is missing. Outflows are negative in the source."""
    ocf, fcf, lease = keys
    if flows.get(ocf) is None or flows.get(fcf) is None or (lease and flows.get(lease) is None):
        return None
    value = flows[ocf] - flows[fcf] + (flows[lease] if lease else 0)
    detail = f"{ocf} {flows[ocf]:,}M minus {fcf} {flows[fcf]:,}M" + (
        f" minus {lease} {-flows[lease]:,}M" if lease else "")
    return value, detail


def _press_rows(src: Path, ticker: str, fye: str, release_on: dict,
                listed: date | None) -> list[dict]:
    """Figures from the press-release extract. Capex is checked against the release's own
    cash-flow identity: a figure that fails it is kept but flagged, and the identity's value
    (which reconciles) is added beside it; where capex is missing the identity supplies it."""
    if ticker not in _PRESS_FOLDERS:
        return []
    folder = src / "press_releases" / _PRESS_FOLDERS[ticker]
    cash = _json(folder / "cash-flows.json")
    income = _json(folder / "financials.json")
    keys = _PRESS_CAPEX_KEYS.get(folder.name, {})
    wanted = [(m, cash, "cash-flows.json", k, -1) for m, k in keys.items()]
    wanted.append(("revenue", income, "financials.json", "revenue", 1))
    rows = []
    labels = sorted({(fy, q) for doc in (cash, income) for fy, qs in doc.items() for q in qs})
    for fy_label, q_label in labels:
        fy, q = int(fy_label[2:]), int(q_label[1:])
        start, end = periods.fiscal_quarter_bounds(fy, q, fye)
        known = _published(end, q, release_on, listed)
        if known is None:
            continue  # no date known: cannot say when it was public
        public, url = known
        url = url or "https://github.com/akiraak/ai-financial-analyst"
        flows = cash.get(fy_label, {}).get(q_label, {})
        found = []
        for metric, doc, filename, key, sign in wanted:
            figure = doc.get(fy_label, {}).get(q_label, {}).get(key)
            where = f"press_releases/{folder.name}/{filename} {fy_label}.{q_label}"
            if figure is not None:
                found.append([metric, sign * figure, f"{where}.{key}", "reported", "",
                              "not_checked"])
        identity = (_identity(flows, _PRESS_IDENTITY[folder.name])
                    if folder.name in _PRESS_IDENTITY else None)
        if identity is not None:
            value, how = identity
            capex = [f for f in found if f[0] == "purchases_of_property_and_equipment"]
            for f in capex:
                f[5] = "holds" if abs(f[1] - value) <= 1 else "fails"
            if not capex or capex[0][5] == "fails":
                found.append(["purchases_of_property_and_equipment", value,
                              f"press_releases/{folder.name}/cash-flows.json "
                              f"{fy_label}.{q_label}", "identity", how, "holds"])
        if folder.name == "nvidia":  # no capex key: operating cash flow minus free cash flow
            if flows.get("operatingCF") is not None and flows.get("freeCashFlow") is not None:
                found.append(["ocf_minus_free_cash_flow",
                              flows["operatingCF"] - flows["freeCashFlow"],
                              f"press_releases/nvidia/cash-flows.json {fy_label}.{q_label}",
                              "difference", f"operatingCF {flows['operatingCF']:,}M minus "
                                            f"freeCashFlow {flows['freeCashFlow']:,}M",
                              "not_checked"])
        for metric, millions, where, derivation, how, check in found:
            if millions < 0:
                raise DataError(f"{where}: {millions} has the wrong sign for {metric}; "
                                "outflows are negative in this source")
            rows.append(_row(metric, start, end, millions * 1e6, public, "press_releases", url,
                             f"{where} (USD millions)", derivation, how, check))
    return rows


def _sec_rows(src: Path, company: dict, url: str, press: list[dict], release_on: dict,
              listed: date | None):
    """Quarters from the transcribed XBRL extract, which records only the latest filing of
    each figure. A year minus nine months is derived only from two figures of the same filing
    year (periods.quarters_from_ytd): a revised annual figure is never set against a
    nine-month figure from another year's filings."""
    ticker, fye = company["ticker"], company["fiscal_year_end"]
    extract = _read_csv(src / "sec_extract" / "companyfacts_extract.csv").drop_duplicates()
    extract = extract[(extract["ticker"] == ticker) & extract["item"].isin(_SEC_ITEMS)]
    own_filing: dict[date, tuple[date, str]] = {}  # period end -> its own 10-Q/10-K
    spans: dict[str, list[dict]] = {}
    for _, r in extract.iterrows():
        start, end, filed = _day(r["start"]), _day(r["end"]), _day(r["filed"])
        if filed - end <= timedelta(days=100):
            own_filing[end] = min(own_filing.get(end, (filed, r["form"])), (filed, r["form"]))
        spans.setdefault(_SEC_ITEMS[r["item"]], []).append(
            dict(start=start, end=end, value=float(r["val_usd"]), filed=filed, form=r["form"],
                 concept=r["concept"], label=r["period_label"],
                 vintage=_filing_year(filed, fye)))
    rows = []
    for metric, metric_spans in spans.items():
        good = [p for p in press if p["metric"] == metric and p["identity_check"] != "fails"]
        for s in metric_spans:
            s["public"] = _first_public(s, good, release_on, listed, fye)
        for q in periods.quarters_from_ytd(metric_spans):
            parts = q["parts"]
            latest = max(parts, key=lambda p: p["public"][0])
            words = "; ".join(p["public"][2] for p in parts)
            detail = " minus ".join(f"{p['concept']} {p['start']}..{p['end']} = "
                                    f"{p['value'] / 1e6:,.0f}M ({p['form']})" for p in parts)
            rows.append(_row(metric, q["start"], q["end"], q["value"],
                             (latest["public"][0], latest["public"][1], words), "sec_extract",
                             url, f"sec_extract/companyfacts_extract.csv: {detail}",
                             q["derivation"], detail if len(parts) > 1 else "",
                             filed=max(p["filed"] for p in parts)))
    return rows, own_filing


def _first_public(span: dict, press: list[dict], release_on: dict, listed: date | None,
                  fye: str) -> tuple[date, str, str]:
    """When an XBRL value became public, and why we say so: (date, basis, words).

    The extract records only the latest filing that reported a value (often the next year's
    comparative). If the releases give a different figure for the same span, the XBRL value
    is a revision: public from the first document that carried it, the release (and 10-Q or
    10-K) of the later period whose comparative it is. Otherwise it is taken as first
    published with the period's own release; with no release known, by the period's filing
    deadline if the company was listed by then, else on the filing the extract records.
    """
    covered = [p for p in press if span["start"] <= p["period_start_date"]
               and p["period_end_date"] <= span["end"]]
    n_quarters = round(((span["end"] - span["start"]).days + 1) / 91.3)
    if len(covered) == n_quarters and covered:
        press_value = sum(p["value_usd"] for p in covered)
        if abs(press_value - span["value"]) > ROUNDING_USD * n_quarters:
            said = (f"revised: the releases gave {press_value / 1e6:,.0f}M for "
                    f"{span['start']}..{span['end']}")
            reported = _last_quarter_end_before(span["filed"], fye)
            if n_quarters < 4 and reported in release_on \
                    and release_on[reported][0] <= span["filed"]:
                released = release_on[reported][0]
                fy, fq = periods.fiscal_period(reported, fye)
                return released, "release_comparative", (
                    f"{said}; the revised figure is first carried as the prior-year comparative "
                    f"of the FY{fy} Q{fq} release of {released} and its {span['form']}")
            return span["filed"], "filing", (
                f"{said}; public from the {span['form']} the extract records (for a year, an "
                "earlier 10-K may have carried it)")
    if span["end"] in release_on:
        released = release_on[span["end"]][0]
        return released, "release", (
            f"assumed first published with the period's release on {released}"
            + ("; the releases give the same figure" if covered else ""))
    if listed is not None and listed <= span["end"]:
        form = "10-K" if span["end"] - span["start"] > timedelta(days=300) else "10-Q"
        due = _deadline(span["end"], form)
        if due[0] < span["filed"]:
            return due
    return span["filed"], "filing", f"date of the {span['form']} the extract records"


def _recent_rows(src: Path, ticker: str, fye: str, release_on: dict,
                 own_filing: dict) -> list[dict]:
    """Revenue from recent_financials, only for quarters whose end date is exactly a fiscal
    quarter end (the file gives month ends even for 52-53 week calendars) and whose
    publication date is known."""
    path = src / "recent_financials" / f"{ticker}.json"
    if not path.exists():
        return []
    rows = []
    for q in _json(path)["quarterly"]:
        end = _day(q["period_end"])
        try:
            fy, fq = periods.fiscal_period(end, fye)
        except ValueError:
            continue  # not this company's quarter end: never relabel it
        if q.get("revenue") is None:
            continue
        if end in release_on:
            public = (release_on[end][0], "release", "date of the earnings release")
        elif end in own_filing:
            filed, form = own_filing[end]
            public = (filed, "filing", f"date the period's own {form} was filed (sec_extract)")
        else:
            continue  # no date known: cannot say when it was public
        rows.append(_row("revenue", periods.fiscal_quarter_bounds(fy, fq, fye)[0], end,
                         float(q["revenue"]), public, "recent_financials",
                         "https://github.com/gbrakel/stock-intelligence-app",
                         f"recent_financials/{ticker}.json quarterly "
                         f"period_end={q['period_end']} revenue"))
    return rows


_UNITS = {"million": 1e6, "billion": 1e9}


def _added_rows(ticker: str, fye: str, release_on: dict, listed: date | None) -> list[dict]:
    """Figures the raw files lack, from additions/financials.csv: each quotes the sentence of
    its page that states it, and the build checks the figure against the quote. Public from
    the period's release where known, else from the date the page gives."""
    path = ADDITIONS / "financials.csv"
    rows = []
    for a in _read_csv(path).to_dict("records"):
        if a["ticker"] != ticker:
            continue
        where = (f"additions/financials.csv, the row for {ticker} FY{a['fiscal_year']} "
                 f"Q{a['fiscal_quarter']} {a['metric']}")  # fields span lines: name the row
        text, quote = " ".join(a["text"].split()), " ".join(a["quote"].split())
        if quote not in text:
            raise DataError(f"{where}, column quote: not in the row's text; quote it exactly")
        if a["value"] not in quote:
            raise DataError(f"{where}, column value: {a['value']} is not in the quote "
                            f"{quote!r}")
        fy, fq = int(a["fiscal_year"]), int(a["fiscal_quarter"])
        start, end = periods.fiscal_quarter_bounds(fy, fq, fye)
        if a["published_date"]:  # the page shows it only later than the period's release
            public = (_day(a["published_date"]), "stated", a["published_note"])
        elif (known := _published(end, fq, release_on, listed)) is not None:
            public = known[0]
        else:
            raise DataError(f"{where}: no release date known for FY{fy} Q{fq}; give "
                            "published_date and published_note")
        decimals = len(a["value"].partition(".")[2])
        unit = _UNITS[a["unit"]]
        rows.append(_row(a["metric"], start, end, float(a["value"]) * unit, public,
                         "additions", a["source_url"],
                         f"additions/financials.csv: \"{quote}\" "
                         f"({a['source_type']})", precision=unit * 10 ** -decimals / 2))
    return rows


def _calendar_rows(src: Path, ticker: str, fye: str, release_on: dict,
                   listed: date | None) -> list[dict]:
    """Capex by calendar quarter (bridgewater). Used only for companies whose fiscal quarters
    are calendar quarters' months; a missing Q4 is the year minus the three quarters."""
    raw = _read_csv(src / "sec_extract" / "capex_calendar_quarters.csv")
    raw = raw[raw["ticker"] == _EARNINGS_DATES_ALIAS.get(ticker, ticker)]
    if raw.empty:
        return []
    concept = ("PaymentsToAcquireProductiveAssets" if ticker == "AMZN"
               else "PaymentsToAcquirePropertyPlantAndEquipment")
    url = "https://github.com/danyu1/bridgewater_forecasting"
    values = {(int(r["year"]), int(r["quarter"])): float(r["payments_usd"])
              for r in raw.to_dict("records") if int(r["year"]) >= FIRST_YEAR}
    rows = []
    for (year, q), value in sorted(values.items()):
        quarters = [values.get((year, i)) for i in (1, 2, 3)]
        if q == 0 and (year, 4) not in values and None not in quarters:
            value, q = value - sum(quarters), 4
            how = (f"{concept} CY{year} {values[(year, 0)] / 1e6:,.0f}M minus Q1..Q3 "
                   + " + ".join(f"{v / 1e6:,.0f}M" for v in quarters))
        elif q == 0:
            continue
        else:
            how = ""
        start, end = periods.fiscal_quarter_bounds(year, q, "12-31")  # calendar quarter
        fiscal_q = periods.fiscal_period(end, fye)[1]
        known = _published(end, fiscal_q, release_on, listed)
        if known is None:
            continue
        (public, basis, words), _ = known
        rows.append(_row("purchases_of_property_and_equipment", start, end, value,
                         (public, basis, words + " (the source has no filing dates)"),
                         "sec_calendar", url,
                         f"sec_extract/capex_calendar_quarters.csv {ticker} {year} Q{q} "
                         f"({concept})", "ytd_difference" if how else "reported", how))
    return rows


def facts_rows(doc: dict, company: dict, url: str,
               source_id: str = "sec_companyfacts") -> list[dict]:
    """Quarterly rows from one SEC companyfacts document, one per value *version*.

    companyfacts lists every filing that reported a value (10-Q, 10-K, S-1, amendments),
    with its `filed` date, so the first publication and every later revision are known
    exactly. Spans that do not end on one of the company's fiscal quarter ends are skipped.
    Year-to-date values give single quarters only where the spans line up and both come
    from the same filing year (periods.quarters_from_ytd). On each day a filing changed one
    of its parts, a quarter gets the value of the parts then current, and a version is kept
    when that value differs from the one before by more than rounding. `source_id` names
    where the document came from (a live refresh, or a copy in additions/companyfacts/).
    """
    gaap = doc.get("facts", {}).get("us-gaap", {})
    fye = company["fiscal_year_end"]
    rows = []
    for metric, concepts in _FACT_CONCEPTS.items():
        if metric == "purchases_of_property_and_equipment" and company.get("capex_concept"):
            concepts = (company["capex_concept"],)
        chosen: dict[tuple[date, date], str] = {}  # span -> the preferred concept giving it
        versions: dict[tuple[date, date, int], list[dict]] = {}  # by span and filing year
        for concept in concepts:
            for f in gaap.get(concept, {}).get("units", {}).get("USD", []):
                if "start" not in f:
                    continue  # an instant (balance), not a flow over a period
                start, end, filed = _day(f["start"]), _day(f["end"]), _day(f["filed"])
                if not _is_fiscal_end(end, fye):
                    continue  # e.g. a pre-IPO or transition period off the fiscal calendar
                if chosen.setdefault((start, end), concept) != concept:
                    continue  # the preferred concept already gives this span
                versions.setdefault((start, end, _filing_year(filed, fye)), []).append(
                    dict(value=float(f["val"]), filed=filed, form=f["form"], accn=f["accn"],
                         concept=concept))
        geometry = [dict(start=a, end=b, vintage=v, value=0.0) for a, b, v in versions]
        found: dict[tuple[date, date], list[tuple]] = {}
        for q in periods.quarters_from_ytd(geometry, same_vintage="all"):
            parts = [versions[(p["start"], p["end"], p["vintage"])] for p in q["parts"]]
            for day in sorted({v["filed"] for vs in parts for v in vs}):
                current = [max((v for v in vs if v["filed"] <= day), default=None,
                               key=lambda v: (v["filed"], v["accn"])) for vs in parts]
                if None not in current:
                    value = current[0]["value"] - sum(v["value"] for v in current[1:])
                    found.setdefault((q["start"], q["end"]), []).append(
                        (day, value, current, q["parts"], q["derivation"]))
        for (start, end), candidates in found.items():
            last = None
            for day, value, current, spans, derivation in sorted(candidates, key=lambda c: c[0]):
                if last is not None and abs(value - last) <= ROUNDING_USD:
                    continue  # the same figure, restated or repeated
                first = last is None
                last = value
                filings = ", ".join(f"{v['form']} {v['accn']} filed {v['filed']}"
                                    for v in current)
                detail = " minus ".join(f"{v['concept']} {p['start']}..{p['end']} = "
                                        f"{v['value'] / 1e6:,.0f}M" for v, p in zip(current, spans))
                rows.append(_row(
                    metric, start, end, value,
                    (day, "filing", ("first filed" if first else "revised") + f" in {filings}"),
                    source_id, url, f"companyfacts: {detail}", derivation,
                    detail if len(current) > 1 else "", filed=day))
    return rows


def _is_fiscal_end(day: date, fye: str) -> bool:
    try:
        periods.fiscal_period(day, fye)
    except ValueError:
        return False
    return True


def _sums(rows: list[dict]) -> list[dict]:
    """The comparable measure, purchases + finance-lease principal, one row per version.

    At each date on which either input changed, the sum of the then-current inputs is emitted,
    so `as_of` selection over the sums equals the sum of the `as_of` selections. A quarter
    missing either input has no sum: never a partial one.
    """
    (total, parts), = SUMS.items()
    by_end: dict[date, dict[str, list[dict]]] = {}
    for r in rows:
        if r["metric"] in parts:
            by_end.setdefault(r["period_end_date"], {}).setdefault(r["metric"], []).append(r)
    out = []
    for end, found in sorted(by_end.items()):
        if len(found) < 2:
            continue
        last = None
        for day in sorted({r["published_date"] for rs in found.values() for r in rs}):
            current = [_current_row(found[m], day) for m in parts]
            if None in current or current == last:
                continue
            last = current
            a, b = current
            later = max(current, key=lambda r: r["published_date"])  # it made the sum public
            out.append(_row(
                total, a["period_start_date"], end, a["value_usd"] + b["value_usd"],
                (day, later["published_basis"],
                 f"{later['metric']}, the later input: {later['published_date_basis']}"),
                "derived",
                a["source_url"], f"{a['source_detail']} | {b['source_detail']}", "sum",
                f"{a['metric']} {a['value_usd'] / 1e6:,.0f}M ({a['source_id']}) + "
                f"{b['metric']} {b['value_usd'] / 1e6:,.0f}M ({b['source_id']})",
                filed=max((r["source_filed_date"] for r in (a, b) if r["source_filed_date"]),
                          default=None),
                precision=max((r["precision_usd"] for r in (a, b) if r["precision_usd"]),
                              default=None)))
    return out


def _current_row(rows: list[dict], day: date) -> dict | None:
    """The row that was current on `day`: latest published; on the same day one that does
    not fail its identity check, then by source priority (metrics.as_of_rows, for frames)."""
    known = [r for r in rows if r["published_date"] <= day]
    if not known:
        return None
    return max(known, key=lambda r: (r["published_date"], r["identity_check"] != "fails",
                                     -SOURCE_PRIORITY.index(r["source_id"])))


# --- prices --------------------------------------------------------------------------------

SEAM_TOLERANCE = 1e-4  # relative: the two files' levels agree to rounding once rescaled


def _prices(src: Path, ticker: str, log=print) -> pd.DataFrame:
    """Daily adjusted closes: prices/ and, after the last day it agrees with them,
    prices_recent/ rescaled onto prices/ by the ratio of the two over the days both cover
    (the newer file is adjusted for later dividends). A day prices/ gives differently (an
    intraday snapshot) is taken from the newer file; rows with no close are dropped."""
    old = _price_file(src / "prices" / f"{ticker}.csv", "Date", "Adj Close", log)
    out = pd.DataFrame({"ticker": ticker, "price_date": list(old), "adj_close_usd": list(
        old.values()), "source_id": "prices", "scale_factor": None})
    path = src / "prices_recent" / f"{ticker}.csv"
    if not path.is_file():
        return out
    new = _price_file(path, "date", "adj_close", log)
    common = sorted(set(old) & set(new))
    if not common:
        raise DataError(f"{path}: shares no day with prices/{ticker}.csv, so the two cannot be "
                        "joined without a jump")
    ratios = pd.Series([old[d] / new[d] for d in common], index=common)
    factor = float(ratios.median())
    agree = ((ratios / factor - 1).abs() <= SEAM_TOLERANCE)
    if agree.mean() < 0.9:
        raise DataError(f"{path}: its adjusted closes do not follow prices/{ticker}.csv by one "
                        f"factor over the {len(common)} days both cover; check both files")
    seam = max(d for d in common if agree[d])
    for day in (d for d in common if not agree[d]):
        log(f"note: prices/{ticker}.csv {day} differs from prices_recent by "
            f"{(ratios[day] / factor - 1) * 100:+.2f} %; the newer file's close is used")
    keep = out[(out["price_date"] <= seam)
               & ~out["price_date"].isin([d for d in common if not agree[d]])]
    later = sorted(d for d in new if d > seam or (d in common and not agree[d]))
    added = pd.DataFrame({"ticker": ticker, "price_date": later,
                          "adj_close_usd": [new[d] * factor for d in later],
                          "source_id": "prices_recent", "scale_factor": factor})
    return pd.concat([keep, added]).sort_values("price_date").reset_index(drop=True)


def _price_file(path: Path, date_column: str, close_column: str, log) -> dict[date, float]:
    """{day: adjusted close} of one price file; a row whose close is `nan` is dropped with a
    note (prices_recent/ ends with such a row)."""
    raw = _read_csv(path)
    for column in (date_column, close_column):
        if column not in raw:
            raise DataError(f"{path}: missing column {column}; a prices file needs "
                            f"{date_column}, {close_column}")
    closes = {}
    for line, (day, close) in enumerate(zip(raw[date_column], raw[close_column]), start=2):
        try:
            when = _day(day)
        except ValueError:
            raise DataError(f"{path}, line {line}, column {date_column}: {day!r} is not a date "
                            "(YYYY-MM-DD)") from None
        try:
            value = float(close)
        except ValueError:
            raise DataError(f"{path}, line {line}, column {close_column}: {close!r} is not a "
                            "number") from None
        if math.isnan(value):
            log(f"note: {path.parent.name}/{path.name} line {line} ({day}) has no close; "
                "dropped")
            continue
        if not math.isfinite(value) or value <= 0:
            raise DataError(f"{path}, line {line}, column {close_column}: {close!r} is not a "
                            "price (a positive finite number)")
        closes[when] = value
    return closes


# --- statements and guidance ---------------------------------------------------------------

_STATEMENT_FIELDS = ["ticker", "event_date", "event_date_source", "fiscal_period", "kind",
                     "speaker", "source_type", "source_title", "source_url", "text", "text_en",
                     "note"]
_GUIDANCE_FIELDS = ["guidance_low_usd_bn", "guidance_high_usd_bn", "guidance_usd_bn",
                    "prior_low_usd_bn", "prior_high_usd_bn", "prior_usd_bn"]


def _statements(src: Path, tickers: list[str], corrections: pd.DataFrame,
                log) -> pd.DataFrame:
    doc = _json(src / "statements.json")
    items = [dict(item, source_url=item.get("url"), source_id="statements",
                  note="; ".join(x for x in (item.get("note"), item.get("check")) if x))
             for item in doc["items"]]
    for _, fix in corrections[corrections["source_id"] == "statements"].iterrows():
        hits = [i for i in items if i["source_url"] == fix["key"]]
        if len(hits) != 1:
            raise DataError(f"additions/corrections.csv: {fix['key']} matches "
                            f"{len(hits)} statements; it must match exactly one")
        hits[0][fix["field"]] = fix["value"]
        hits[0]["event_date_source"] = f"corrected by the kit: {fix['note']} ({fix['source_url']})"
    added = _read_csv(ADDITIONS / "statements.csv").to_dict("records")
    _check_seed_quotes(src, added)
    items += [dict(a, source_id="additions") for a in added]
    rows = []
    for item in items:
        if item["ticker"] not in tickers:
            continue
        row = {f: item.get(f) or None for f in _STATEMENT_FIELDS}
        row["source_id"] = item["source_id"]
        row["event_date"] = _day(row["event_date"]) if row["event_date"] else None
        for f in _GUIDANCE_FIELDS:
            row["_" + f] = float(item[f]) if item.get(f) not in (None, "") else None
        rows.append(row)
    df = pd.DataFrame(rows)
    order = df["event_date"].map(lambda d: d.isoformat() if d else "undated")
    df["statement_id"] = (df["ticker"] + "-" + order + "-"
                          + (df.groupby([df["ticker"], order]).cumcount() + 1)
                          .map("{:02d}".format))
    undated = df[df["event_date"].isna()]
    for _, r in undated.iterrows():
        log(f"note: statement {r['statement_id']} has no date and is shown only undated")
    return df


def _check_seed_quotes(src: Path, added: list[dict]) -> None:
    """Rows citing the seed article must quote it exactly."""
    seed_dir = src.parent / "seed"
    if not seed_dir.is_dir():
        return
    text = " ".join(" ".join(p.read_text().split()) for p in seed_dir.glob("*.txt"))
    for i, row in enumerate(added, start=2):
        if row["source_title"] and " ".join(row["text"].split()) not in text:
            raise DataError(f"additions/statements.csv, line {i}, column text: not found in "
                            f"the article in {seed_dir}; quote it exactly")


LEVEL_KINDS = ("range", "point", "about")  # outlooks that state the year's total


def _guidance(statements: pd.DataFrame, companies: pd.DataFrame) -> pd.DataFrame:
    """Capex outlooks: from the numeric fields of statements.json, and from
    additions/guidance.csv, whose rows name the statement (by URL) and quote the words that
    carry the figure; the build checks the quote against the statement's text and the
    figures against any the statement already has. One statement may carry several outlooks
    (for several years). Each outlook's basis is its row's, else the company's
    `guidance_basis`."""
    extra: dict[str, list[tuple[int, dict]]] = {}
    for i, r in enumerate(_read_csv(ADDITIONS / "guidance.csv").to_dict("records"), start=2):
        extra.setdefault(r["source_url"], []).append((i, r))
    basis = dict(zip(companies["ticker"], companies["guidance_basis"]))
    rows = []
    for s in statements.to_dict("records"):
        bn = {f: None if pd.isna(s["_" + f]) else s["_" + f] for f in _GUIDANCE_FIELDS}
        low, high = bn["guidance_low_usd_bn"], bn["guidance_high_usd_bn"]
        kind = "range"
        if low is None and bn["guidance_usd_bn"] is not None:
            low = high = bn["guidance_usd_bn"]
            kind = "point"
        year = int(s["kind"][-4:]) if str(s["kind"])[-4:].isdigit() else None
        prior_low, prior_high = bn["prior_low_usd_bn"], bn["prior_high_usd_bn"]
        if prior_low is None:
            prior_low = prior_high = bn["prior_usd_bn"]
        own = dict(fiscal_year=year, fiscal_quarter=None, per="year", guidance_kind=kind,
                   low=low, high=high, basis=basis.get(s["ticker"]) or "unstated")
        outlooks = [own] if low is not None and year is not None else []
        for line, add in extra.pop(s["source_url"], []):
            where = f"additions/guidance.csv, line {line}"
            if " ".join(add["quote"].split()) not in " ".join(str(s["text"]).split()):
                raise DataError(f"{where}, column quote: not found in the text of the statement "
                                "at that URL; quote it exactly")
            new = dict(fiscal_year=int(add["fiscal_year"]),
                       fiscal_quarter=int(add["fiscal_quarter"]) if add["fiscal_quarter"]
                       else None, per=add["per"], guidance_kind=add["guidance_kind"],
                       low=float(add["low_usd_bn"]) if add["low_usd_bn"] else None,
                       high=float(add["high_usd_bn"]) if add["high_usd_bn"] else None,
                       basis=add["basis"] or own["basis"])
            same = [o for o in outlooks if o is own and o["fiscal_year"] == new["fiscal_year"]]
            if same and (new["low"], new["high"] if add["high_usd_bn"] else own["high"]) \
                    != (own["low"], own["high"]):
                raise DataError(f"{where}: {new['low']}, {new['high']} disagrees with the "
                                f"statement's own figures ({own['low']}, {own['high']})")
            outlooks = [o for o in outlooks if not same or o is not own] + [new]
        if pd.isna(s["event_date"]):
            continue  # shown with the statements as undated; the tracker needs a date
        for o in outlooks:
            prior = (prior_low, prior_high) if o is own or o["fiscal_year"] == year \
                else (None, None)
            rows.append(dict(
                ticker=s["ticker"], fiscal_year=o["fiscal_year"],
                fiscal_quarter=o["fiscal_quarter"], per=o["per"],
                guidance_kind=o["guidance_kind"], basis=o["basis"], low_usd=_usd(o["low"]),
                high_usd=_usd(o["high"]),
                given_date=s["event_date"],
                prior_low_usd=_usd(prior[0]), prior_high_usd=_usd(prior[1]),
                source_id=s["source_id"], source_type=s["source_type"],
                source_url=s["source_url"]))
    if extra:
        url, [(line, _), *_] = next(iter(extra.items()))
        raise DataError(f"additions/guidance.csv, line {line}, column source_url: {url} is not "
                        "the URL of any statement")
    return pd.DataFrame(rows)


def _usd(billions: float | None) -> float | None:
    return None if billions is None or pd.isna(billions) else billions * 1e9
