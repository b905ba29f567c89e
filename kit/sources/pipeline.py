"""Build data/ from the raw public files in the sources folder, reproducibly, and replace it
in one step; report what changed.

Every output row names its source (`source_id` + URL) and how it was derived. Nothing is typed
in here: figures come from the raw files (one adapter module per source in this package);
the kit's own sourced rows and corrections live in `additions/` as data. Companies added
from SEC with `kit data add` live only in the data folder and are kept by every rebuild.
"""

from __future__ import annotations

import errno
import shutil
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from kit import atomic, data, paths, periods
from kit.errors import OutputError
from kit.schema import (
    BENCHMARK,
    ROUNDING_USD,
    SOURCE_PRIORITY,
    SUMS,
    TABLES,
    DataError,
    data_dictionary,
    to_csv_frame,
)
from kit.sources import additions, earnings_dates, press, submissions
from kit.sources.calendar import calendar_rows
from kit.sources.common import (
    FIRST_YEAR,
    SOURCES,
    accession_in,
    fact_row,
    listed,
    parse_day,
    read_json,
    sec_filing_url,
)
from kit.sources.companyfacts import facts_rows
from kit.sources.prices import prices
from kit.sources.recent import recent_rows
from kit.sources.sec_extract import sec_rows
from kit.sources.statements import guidance, statements, translations


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
    with atomic.writing(out, log):  # the companies added to `out` are read under the lock
        return write(merge(tables, added_tables(out, exclude=set(tables["companies"]["ticker"]))),
                     out, log)


def write(tables: dict[str, pd.DataFrame], out: Path, log=print) -> Path:
    """Replace the data folder `out` with `tables` in one step, after logging what changes
    in `financials` against what is there. On any error `out` is left untouched."""
    if (out / "financials.csv").is_file():
        try:
            before = data.load_table("financials", out)
        except DataError:
            before = None  # written by an older kit: nothing to compare with
        if before is not None:
            for line in changes(before, data.validate_frame(tables["financials"], "financials")):
                log(line)
    as_of = max(pd.Timestamp(tables[name][column].max()) for name, column in  # typed or not
                (("financials", "published_date"), ("prices", "price_date")))
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
        atomic.mark(tmp, [TABLES[name].filename for name in tables] + ["README.md"])
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


def read_tables(folder: Path) -> dict[str, pd.DataFrame] | None:
    """Every table of a data folder as loaded, or None when it has none (or an older kit's)."""
    try:
        return {name: data.load_table(name, folder) for name in TABLES}
    except DataError:
        return None


def added(companies: pd.DataFrame) -> set[str]:
    """The tickers of a `companies` table that were added from SEC (`kit data add`)."""
    return set(companies.loc[companies["added_from"].notna(), "ticker"])


def without(tables: dict[str, pd.DataFrame], tickers) -> dict[str, pd.DataFrame]:
    """`tables` without any row of `tickers`."""
    return {name: df[~df["ticker"].isin(tickers)] if "ticker" in df else df
            for name, df in tables.items()}


def added_tables(folder: Path, exclude: set[str] = frozenset()) -> dict[str, pd.DataFrame]:
    """The rows of `folder` that belong to companies added from SEC (`added_from`), except
    those in `exclude`: a rebuild keeps them, since no sources folder has them. The other
    tables are read only when there are some."""
    try:
        keep = added(data.load_table("companies", folder)) - exclude
    except DataError:
        return {}  # no data yet, or written by an older kit
    tables = read_tables(folder) if keep else None
    if tables is None:
        return {}
    return {name: df[df["ticker"].isin(keep)] for name, df in tables.items() if "ticker" in df}


def merge(tables: dict[str, pd.DataFrame], more: dict[str, pd.DataFrame]) -> dict:
    """`tables` with the rows of `more` appended, both typed as `load_table` reads them."""
    out = dict(tables)
    for name, df in more.items():
        if len(df):
            out[name] = pd.concat([data.validate_frame(out[name], name),
                                   data.validate_frame(df, name)], ignore_index=True)
    return out


def remove(tickers: list[str], data_dir=None, log=print) -> Path:
    """Take companies added with `kit data add` out of the data folder again, in one step."""
    out = atomic.check_data_folder(Path(data_dir or paths.output_data_dir()))
    with atomic.writing(out, log):
        return _remove(tickers, out, log)


def _remove(tickers: list[str], out: Path, log) -> Path:
    tables = read_tables(out)
    if tables is None:
        raise DataError(f"{out}: not a kit data folder with tables; nothing to remove")
    companies = tables["companies"]
    wanted = [t.strip().upper() for t in tickers]
    unknown = [t for t in wanted if t not in set(companies["ticker"])]
    if unknown:
        raise DataError(f"unknown ticker(s) {', '.join(unknown)} in {out}; added companies: "
                        + (", ".join(sorted(added(companies))) or "none"))
    shipped = [t for t in wanted if t not in added(companies)]
    if shipped:
        raise DataError(f"{', '.join(shipped)}: a row of additions/companies.csv, not added "
                        "with `kit data add`; remove the row there and run `kit data build`")
    for t in wanted:
        log(f"removing {t}")
    return write(without(tables, wanted), out, log)


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
                 facts: dict[str, dict] | None = None, kept: pd.DataFrame | None = None,
                 submitted: dict[str, dict] | None = None,
                 kept_releases: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Every table, from the raw files in `src` (plus `facts`: companyfacts documents by
    ticker, from `kit data refresh`, and `kept`: financials rows of an earlier refresh to
    keep). `companies` defaults to additions/companies.csv."""
    companies = additions.companies() if companies is None else companies
    tickers = list(companies["ticker"])
    corrections = additions.corrections()
    dates = earnings_dates.earnings_dates(src, corrections)
    found = statements(src, tickers, corrections, log)
    rel, fin = [], []
    for c in companies.fillna("").to_dict("records"):  # an empty setting: not used
        before = kept_release_rows(kept_releases, c["ticker"])  # from an earlier refresh
        doc = (submitted or {}).get(c["ticker"]) or (
            None if before else sec_document(src / "sec_submissions", c["cik"]))
        rel.append(releases(src, c, dates, corrections, doc, src / "sec_submissions", before))
        earlier = kept_rows(kept, c["ticker"])  # an earlier refresh supersedes the folder's
        facts_doc = (facts or {}).get(c["ticker"]) or (
            None if earlier else sec_document(src / "sec_companyfacts", c["cik"]))
        fin.append(financials(src, c, rel[-1], facts_doc, earlier))
    return {
        "sources": pd.DataFrame(SOURCES),
        "companies": companies,
        "company_notes": additions.company_notes(),
        "free_cash_flow_definitions": additions.free_cash_flow("free_cash_flow_definitions"),
        "free_cash_flow_reviews": additions.free_cash_flow("free_cash_flow_reviews"),
        "financials": pd.concat(fin),
        "capex_guidance": guidance(found, companies),
        "earnings_releases": pd.concat(rel),
        "prices": pd.concat([prices(src, t, log) for t in [*tickers, BENCHMARK]
                             if (src / "prices" / f"{t}.csv").is_file()
                             or (src / "prices_recent" / f"{t}.csv").is_file()]),
        "statements": found.drop(columns=[c for c in found if c.startswith("_")]),
        "statement_translations": translations(found),
        "release_sentences": pd.DataFrame(columns=TABLES["release_sentences"].column_names),
    }


def sec_document(folder: Path, cik: str) -> dict | None:
    """A whole SEC document (companyfacts or submissions) for `cik` in a sources folder."""
    path = folder / f"CIK{int(cik):010d}.json"
    return read_json(path) if path.is_file() else None


RELEASE_COLUMNS = ["ticker", "fiscal_year", "fiscal_quarter", "period_end_date", "release_date",
                   "timing", "timing_basis", "source_id", "source_url", "accession_number",
                   "exhibit_url", "date_check", "other_dates", "note"]
# Which source dates a quarter's release when several have it: the 8-K itself first.
RELEASE_SOURCES = ("sec_submissions", "press_releases", "earnings_dates", "additions")


def releases(src: Path | None, company: dict, dates: pd.DataFrame | None,
             corrections: pd.DataFrame, submitted: dict | None = None,
             folder: Path | None = None, earlier: list[dict] = ()) -> pd.DataFrame:
    """One row per quarter with a known release, from every source that has one: the SEC
    submissions document (its filings.files in `folder`), the 8-K links of press_releases,
    earnings_dates.csv (as corrected) and additions/releases.csv. The first of
    RELEASE_SOURCES dates it; the others' dates are kept in `other_dates` (`date_check`
    differs where one disagrees, a `kit data check` finding). The time of day comes from the
    filing where it is established, else from a source that states it. `earlier`: the rows
    an earlier refresh took from SEC submissions, used where `submitted` is None. A release
    whose 8-K
    accession number is known (from SEC, the 8-K links, or a copy's URL) links its filing
    on sec.gov; the page that stated it stays in `note` as corroboration."""
    ticker, fye, cik = company["ticker"], company["fiscal_year_end"], company["cik"]
    found = submissions.release_rows(submitted, company, folder) if submitted else list(earlier)
    found += press.release_links(src, company) if src else []
    found += earnings_dates.release_rows(dates, company) if dates is not None else []
    found += additions.release_rows(ticker)
    by_quarter: dict[tuple[int, int], list[dict]] = {}
    for r in sorted(found, key=lambda r: RELEASE_SOURCES.index(r["source_id"])):
        if r["fiscal_year"] < FIRST_YEAR - 1:
            continue  # before the span of earnings_dates.csv, the widest release source
        by_quarter.setdefault((r["fiscal_year"], r["fiscal_quarter"]), []).append(r)
    rows = [_release(quarter, cik) for _q, quarter in sorted(by_quarter.items())]
    if not rows:
        return pd.DataFrame(columns=RELEASE_COLUMNS)
    out = pd.DataFrame(rows)
    out["ticker"] = ticker
    out["period_end_date"] = [periods.fiscal_quarter_end(fy, q, fye)
                              for fy, q in zip(out["fiscal_year"], out["fiscal_quarter"])]
    for fix in corrections[corrections["source_id"] == "earnings_releases"].to_dict("records"):
        who, day = fix["key"].split()
        hit = (out["ticker"] == who) & (out["release_date"] == parse_day(day))
        if who == ticker and not hit.any():
            raise DataError(f"additions/corrections.csv: key {fix['key']!r} matches no release")
        out.loc[hit, fix["field"]] = fix["value"]
        if fix["field"] == "release_date":
            out.loc[hit, "date_check"] = "corrected"
        if fix["field"] == "timing":
            out.loc[hit, "timing_basis"] = "stated"
        out.loc[hit, "note"] += (f"; {fix['field']} {fix['value']}: {fix['note']} "
                                 f"({fix['source_url']})")
    return out[RELEASE_COLUMNS]


def _release(found: list[dict], cik: str) -> dict:
    """One quarter's release from its sources' rows, best source first (see releases)."""
    row, others = dict(found[0]), found[1:]
    day = row["release_date"]
    row["other_dates"] = "; ".join(f"{o['source_id']} {o['release_date']}" for o in others)
    if row.get("date_check") != "corrected":
        row["date_check"] = ("single_source" if not others else "agrees"
                             if all(o["release_date"] == day for o in others) else "differs")
    same_day = [o for o in others if o["release_date"] == day]
    if row["timing_basis"] != "filing_time":
        stated = next((o for o in same_day if o["timing"]), None)
        if stated is not None:
            row.update(timing=stated["timing"], timing_basis="stated")
            said = (f"; timing {stated['timing']} as {stated['source_id']} states it: "
                    f"{stated['note']} ({stated['source_url']})")
            row["note"] += said if said not in row["note"] else ""  # a kept row has it
    if not row["accession_number"]:
        for o in [row, *same_day]:
            if accession := o["accession_number"] or accession_in(o["source_url"]):
                row["accession_number"] = accession
                break
    if row["accession_number"] and not row["exhibit_url"]:  # the release itself, if linked
        row["exhibit_url"] = next((o["exhibit_url"] for o in same_day if o["exhibit_url"]
                                   and accession_in(o["exhibit_url"]) == row["accession_number"]),
                                  "")
    if row["accession_number"]:
        page = row["source_url"]
        row["source_url"] = sec_filing_url(cik, row["accession_number"])
        if page != row["source_url"] and not page.startswith("https://www.sec.gov/"):
            row["note"] += f"; corroborated by {page}"
    return row


def financials(src: Path | None, company: dict, releases: pd.DataFrame,
               facts: dict | None, kept: list[dict] = ()) -> pd.DataFrame:
    """Every quarterly figure of one company, from every source that has it. `src` None: from
    the companyfacts document `facts` alone (a company added from SEC)."""
    ticker, fye = company["ticker"], company["fiscal_year_end"]
    rel = releases[releases["ticker"] == ticker]
    release_on = dict(zip(rel["period_end_date"], zip(  # the release itself where linked
        rel["release_date"], rel["exhibit_url"].where(rel["exhibit_url"] != "",
                                                      rel["source_url"]))))
    facts_url = f"https://data.sec.gov/api/xbrl/companyfacts/CIK{int(company['cik']):010d}.json"
    rows = []
    if src is not None:
        since = listed(src, ticker)
        rows += press.press_rows(src, company, release_on, since)
        sec, own_filing = sec_rows(src, company, facts_url, rows, release_on, since)
        rows += sec + calendar_rows(src, company, release_on, since)
        rows += recent_rows(src, ticker, fye, release_on, own_filing)
        rows += additions.financial_rows(ticker, fye, release_on, since)
        copy = paths.additions_dir() / "companyfacts" / f"{ticker}.json"
        if copy.is_file():
            doc = read_json(copy)
            origin = doc["origin"]
            rows += [r for r in facts_rows(doc, company, f"{origin['repository']}/blob/"
                                                         f"{origin['commit']}/{origin['path']}",
                                           "sec_companyfacts_copy")
                     if r["period_end_date"].year >= FIRST_YEAR]  # the other sources' span
    if facts is not None:
        found = [r for r in facts_rows(facts, company, facts_url)
                 if r["period_end_date"].year >= FIRST_YEAR]  # the other sources' span
        if company.get("added_from"):
            found = dated_by_release(found, release_on)
        rows += found
    rows += kept
    rows = ytd_quarters(rows, ticker)
    rows += sums(rows)
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


def dated_by_release(rows: list[dict], release_on: dict) -> list[dict]:
    """A figure's first version dated by its period's earnings release (8-K Item 2.02) where
    that came before the period's own 10-Q/10-K (filed within 100 days), as for the
    transcribed extract: assumed first published with the release. A figure first filed
    later (as a comparative), and every revision, keeps the date of its filing."""
    out, seen = [], set()
    for r in sorted(rows, key=lambda r: r["published_date"]):
        key = (r["metric"], r["period_end_date"])
        if key not in seen and r["period_end_date"] in release_on:
            released, url = release_on[r["period_end_date"]]
            if released <= r["published_date"] <= r["period_end_date"] + timedelta(days=100):
                r = dict(r, published_date=released, published_basis="release",
                         published_date_basis=f"assumed first published with the period's "
                                              f"earnings release ({url}); "
                                              f"{r['published_date_basis']}")
        seen.add(key)
        out.append(r)
    return out


def company_tables(company: dict, facts: dict, submitted: dict | None,
                   price_rows: pd.DataFrame | None) -> dict[str, pd.DataFrame]:
    """The rows of one company added from SEC: its companies row, releases from its
    submissions (none without), figures from its companyfacts, prices from a file."""
    rel = releases(None, company, None, additions.corrections(), submitted)
    return {"companies": pd.DataFrame([company]),
            "financials": financials(None, company, rel, facts),
            "earnings_releases": rel,
            "prices": price_rows if price_rows is not None else pd.DataFrame(
                columns=TABLES["prices"].column_names)}


def kept_release_rows(kept: pd.DataFrame | None, ticker: str) -> list[dict]:
    """Releases of an earlier refresh (earnings_releases as loaded) as candidate rows."""
    if kept is None:
        return []
    rows = kept[kept["ticker"] == ticker].astype(object).where(kept.notna(), "")
    return [dict(r, release_date=r["release_date"].date(), fiscal_year=int(r["fiscal_year"]),
                 fiscal_quarter=int(r["fiscal_quarter"]), date_check="single_source")
            for r in rows.drop(columns=["ticker", "period_end_date", "other_dates"])
            .to_dict("records")]


def kept_rows(kept: pd.DataFrame | None, ticker: str) -> list[dict]:
    """Rows of an earlier refresh (financials as loaded) back in the build's row form."""
    if kept is None:
        return []

    def day(value):
        return None if pd.isna(value) else value.date()

    return [fact_row(r["metric"], day(r["period_start_date"]), day(r["period_end_date"]),
                 r["value_usd"], (day(r["published_date"]), r["published_basis"],
                                  r["published_date_basis"]),
                 r["source_id"], r["source_url"], r["source_detail"], r["derivation"],
                 "" if pd.isna(r["derivation_detail"]) else r["derivation_detail"],
                 r["identity_check"], filed=day(r["source_filed_date"]),
                 precision=None if pd.isna(r["precision_usd"]) else r["precision_usd"])
            for r in kept[kept["ticker"] == ticker].to_dict("records")]


def sums(rows: list[dict]) -> list[dict]:
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
            current = [current_row(found[m], day) for m in parts]
            if None in current or current == last:
                continue
            last = current
            a, b = current
            later = max(current, key=lambda r: r["published_date"])  # it made the sum public
            out.append(fact_row(
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


def ytd_quarters(rows: list[dict], ticker: str) -> list[dict]:
    """Each year-to-date figure (additions with `months` over 3) made a quarter: minus the
    year's earlier quarters of the same metric as they stood on the day it was published,
    from whichever source had them (current_row). Where one of them is in no source, the
    quarter cannot be made: an error that names it."""
    whole, ytd = [], []
    for r in rows:
        (whole if periods.is_quarter(r["period_start_date"], r["period_end_date"]) else
         ytd).append(r)
    out = list(whole)
    for r in ytd:
        day = r["published_date"]
        earlier = [q for q in whole if q["metric"] == r["metric"]
                   and r["period_start_date"] <= q["period_start_date"]
                   and q["period_end_date"] < r["period_end_date"]]
        ends = sorted({q["period_end_date"] for q in earlier})
        current = [current_row([q for q in earlier if q["period_end_date"] == e], day)
                   for e in ends]
        starts = [r["period_start_date"]] + [e + timedelta(days=1) for e in ends]
        if None in current or not ends or any(  # the quarters must tile the span but one
                c["period_start_date"] != s for c, s in zip(current, starts)) \
                or not periods.is_quarter(starts[-1], r["period_end_date"]):
            raise DataError(
                f"additions/financials.csv, {ticker} {r['metric']} "
                f"{r['period_start_date']}..{r['period_end_date']}: a year-to-date figure needs "
                f"the year's earlier quarters as published by {day}, and a source lacks one; "
                "add them, or give the quarter itself")
        value = r["value_usd"] - sum(c["value_usd"] for c in current)
        out.append(dict(r, period_start_date=ends[-1] + timedelta(days=1), value_usd=value,
                        derivation="ytd_difference", derivation_detail=" minus ".join(
                            [f"{r['period_start_date']}..{r['period_end_date']} "
                             f"{r['value_usd'] / 1e6:,.0f}M (additions)"]
                            + [f"{c['period_start_date']}..{c['period_end_date']} "
                               f"{c['value_usd'] / 1e6:,.0f}M ({c['source_id']})"
                               for c in current])))
    return out


def current_row(rows: list[dict], day: date) -> dict | None:
    """The row that was current on `day`: latest published; on the same day one that does
    not fail its identity check, then by source priority (metrics.as_of_rows, for frames)."""
    known = [r for r in rows if r["published_date"] <= day]
    if not known:
        return None
    return max(known, key=lambda r: (r["published_date"], r["identity_check"] != "fails",
                                     -SOURCE_PRIORITY.index(r["source_id"])))
