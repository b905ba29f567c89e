"""Every table of data/, written once: columns, types, units, meaning, source.

`data/README.md` is generated from this module (`kit data build`), and `validate()` enforces it
on every load, so the dictionary, the files and the code cannot drift apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from kit.errors import DataError

DTYPES = ("string", "date", "float", "int")


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str  # one of DTYPES
    unit: str
    description: str
    source: str
    required: bool = True
    values: tuple[str, ...] = ()  # the allowed values of a category column, if it is one


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"


def _c(name, dtype, unit, description, source, required=True, values=()):
    return Column(name, dtype, unit, description, source, required, tuple(values))


# Category vocabularies, written once: the schema enforces them and the dictionary lists them.
METRICS = ("purchases_of_property_and_equipment", "finance_lease_principal_payments",
           "capex_incl_finance_leases", "capex_incl_finance_lease_additions",
           "ocf_minus_free_cash_flow", "revenue", "operating_cash_flow",
           "depreciation_and_amortization", "free_cash_flow",
           "remaining_performance_obligations")
DERIVATIONS = ("reported", "ytd_difference", "difference", "identity", "sum")
IDENTITY_CHECKS = ("holds", "fails", "not_checked")
PUBLISHED_BASES = ("release", "release_comparative", "filing", "filing_deadline", "stated")
GUIDANCE_KINDS = ("range", "point", "about", "at_least", "at_most", "quarterly_run_rate",
                  "raise_by")
# What an outlook measures: a `financials` metric, or a basis the kit has no actuals for.
GUIDANCE_BASES = ("capex_incl_finance_leases", "purchases_of_property_and_equipment",
                  "capex_incl_finance_lease_additions", "net_cash_capex", "accrual_capex",
                  "unstated")
TIMINGS = ("after_close", "before_open", "during_session")
LEVEL_KINDS = ("range", "point", "about")  # outlooks that state the year's total
# When two sources publish the same quarter on the same date, the first listed wins.
SOURCE_PRIORITY = ("sec_companyfacts", "sec_companyfacts_copy", "sec_extract",
                   "press_releases", "sec_calendar", "recent_financials", "additions", "derived",
                   "sec_exhibit")  # a release's rounded sentence after the exact figures
ROUNDING_USD = 0.5e6  # press releases and XBRL figures are in whole millions
BENCHMARK = "QQQ"  # the market benchmark whose prices every build includes
DATE_CHECKS = ("agrees", "differs", "corrected", "single_source")
TIMING_BASES = ("filing_time", "stated", "not_stated")
ADDED_FROM = ("sec",)


_TICKER = _c("ticker", "string", "", "Exchange ticker of the company (upper case)", "kit")
_SOURCE_ID = _c(
    "source_id", "string", "", "Which raw source the row came from; see `sources.csv`", "kit"
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "sources",
            "One row per raw source the kit reads: where it came from and what is known to be "
            "wrong with it.",
            ("source_id",),
            (
                _c("source_id", "string", "", "Short name used by `source_id` in every table",
                   "kit"),
                _c("title", "string", "", "What the source is", "MANIFEST.md"),
                _c("origin_url", "string", "", "Where the raw file was copied from",
                   "MANIFEST.md"),
                _c("origin_commit", "string", "", "Commit or version of the copied file",
                   "MANIFEST.md", required=False),
                _c("path", "string", "", "Path of the raw file(s) under the sources folder",
                   "kit", required=False),
                _c("known_issues", "string", "", "Problems the kit knows and how it handles them",
                   "MANIFEST.md", required=False),
            ),
        ),
        Table(
            "companies",
            "One row per company the kit covers.",
            ("ticker",),
            (
                _TICKER,
                _c("company_name", "string", "", "Registrant name", "SEC EDGAR (additions)"),
                _c("cik", "string", "", "SEC Central Index Key, 10 digits", "SEC EDGAR"),
                _c("fiscal_year_end", "string", "",
                   "MM-DD (year ends on that month's last day), last-<Day>-MM/Q<n> (52-53 "
                   "week year ending on the last <Day> of month MM, the 53rd week in quarter n) "
                   "or nearest-<Day>-MM/Q<n> (ending on the <Day> nearest month MM's last day)",
                   "10-K (additions)"),
                _c("capex_concept", "string", "",
                   "XBRL concept of purchases of property and equipment in its filings",
                   "SEC EDGAR (additions)", required=False),
                _c("capex_metric", "string", "",
                   "The `financials` metric the company quotes as its capex", "additions"),
                _c("capex_definition", "string", "", "What that metric is and why it is used",
                   "company releases (additions)"),
                _c("guidance_basis", "string", "",
                   "What the company's capex outlooks measure (see `capex_guidance.basis`), "
                   "unless an outlook's own row says otherwise; empty if it gives none",
                   "company statements (additions)", required=False, values=GUIDANCE_BASES),
                _c("guidance_basis_note", "string", "", "Why, in words", "additions",
                   required=False),
                _c("source_url", "string", "", "Page that backs the row", "additions"),
                _c("added_from", "string", "", "sec: added with `kit data add` from SEC EDGAR "
                   "(kept by rebuilds, removed with `kit data remove`); empty: a row of "
                   "additions/companies.csv", "kit", required=False, values=ADDED_FROM),
            ),
        ),
        Table(
            "company_notes",
            "Notes on a company's capex definition or outlook basis that cite facts public only "
            "from a date (an actual, an outlook, a filing): a briefing shows each from "
            "`public_date` on, after the company's own lines in `companies`, which cite nothing "
            "dated.",
            ("ticker", "public_date"),
            (
                _TICKER,
                _c("public_date", "date", "", "The day the latest fact the note cites was public",
                   "additions"),
                _c("note", "string", "", "The note, in the kit's words", "additions"),
                _c("source_url", "string", "", "Page that backs the note", "additions"),
                _SOURCE_ID,
            ),
        ),
        Table(
            "financials",
            "Quarterly facts, tidy: one row per company x quarter x metric x source x published "
            "version. Capex metrics are cash outflows, stored positive. A later filing that "
            "changed a figure adds a row; `as_of` selects what was public on a date.",
            ("ticker", "metric", "period_end_date", "source_id", "derivation", "published_date"),
            (
                _TICKER,
                _c("metric", "string", "",
                   "purchases_of_property_and_equipment | finance_lease_principal_payments | "
                   "capex_incl_finance_leases (the comparable measure: purchases plus "
                   "finance-lease principal) | capex_incl_finance_lease_additions (Microsoft's "
                   "quoted capex: additions to property and equipment plus assets acquired under "
                   "finance leases) | ocf_minus_free_cash_flow | revenue | operating_cash_flow | "
                   "depreciation_and_amortization (the concept the company uses, named in "
                   "source_detail) | free_cash_flow (as the company states it, by its own "
                   "definition: see free_cash_flow_definitions) | "
                   "remaining_performance_obligations (a balance at the period end, not a flow)",
                   "kit", values=METRICS),
                _c("fiscal_year", "int", "year", "Fiscal year the quarter belongs to",
                   "press_releases / kit"),
                _c("fiscal_quarter", "int", "quarter", "Fiscal quarter, 1-4",
                   "press_releases / kit"),
                _c("period_start_date", "date", "", "First day of the quarter",
                   "sec_extract / kit"),
                _c("period_end_date", "date", "", "Last day of the quarter", "sec_extract / kit"),
                _c("calendar_year", "int", "year",
                   "Calendar year of the calendar quarter holding most of the period's days",
                   "kit"),
                _c("calendar_quarter", "int", "quarter",
                   "Calendar quarter holding most of the period's days (SEC `frame` rule)", "kit"),
                _c("value_usd", "float", "USD", "The figure, in dollars", "as `source_id`"),
                _c("precision_usd", "float", "USD",
                   "Half the last unit the source states the figure in (50,000,000 for "
                   "\"$24.2 billion\"): a difference within it is rounding, not a conflict. "
                   "Empty: stated to the million or better", "kit", required=False),
                _c("derivation", "string", "",
                   "reported | ytd_difference (year-to-date minus the earlier year-to-date of the "
                   "same filing year, only where the periods line up) | difference (of two "
                   "reported figures) | identity (from the source's own cash-flow identity, "
                   "see `derivation_detail`) | sum (of the metrics named in "
                   "`derivation_detail`)", "kit", values=DERIVATIONS),
                _c("derivation_detail", "string", "", "The inputs of the derivation, with values",
                   "kit", required=False),
                _c("identity_check", "string", "",
                   "holds | fails | not_checked: whether the figure satisfies its source's own "
                   "cash-flow identity (operating cash flow minus free cash flow, and minus "
                   "finance-lease principal where the company's free cash flow subtracts it, "
                   "equals capex). A failing figure is kept and listed by `kit data check`, "
                   "but never used where a reconciling one exists", "kit",
                   values=IDENTITY_CHECKS),
                _c("published_date", "date", "",
                   "Date from which the value was public; `as_of` filters on it", "kit"),
                _c("published_basis", "string", "",
                   "release (the period's earnings release) | release_comparative (a revised "
                   "value, first carried as a prior-period comparative by the release and "
                   "filing of a later period) | filing (the date of the filing) | "
                   "filing_deadline (no release date known: the latest day the 10-Q/10-K was "
                   "due, an upper bound) | stated (the date the cited page gives); for a sum, "
                   "that of the later of its inputs", "kit",
                   values=PUBLISHED_BASES),
                _c("published_date_basis", "string", "", "Why `published_date` is that date, "
                   "in words", "kit"),
                _SOURCE_ID,
                _c("source_url", "string", "", "Filing or release the value comes from",
                   "as `source_id`"),
                _c("source_detail", "string", "", "File, key or XBRL concept",
                   "as `source_id`"),
                _c("source_filed_date", "date", "",
                   "Date of the filing the source copied the value from (the later one for a "
                   "derived value); after `published_date` where the source copied a later "
                   "filing's comparative, so a briefing names it only from that date",
                   "as `source_id`", required=False),
            ),
        ),
        Table(
            "capex_guidance",
            "Capital-expenditure outlooks as management gave them, one row per source that "
            "reported one on a date.",
            ("ticker", "fiscal_year", "fiscal_quarter", "per", "given_date", "source_url"),
            (
                _TICKER,
                _c("fiscal_year", "int", "year", "Fiscal year the outlook covers",
                   "statements / additions"),
                _c("fiscal_quarter", "int", "quarter",
                   "The one fiscal quarter it covers, if it covers a single quarter",
                   "additions", required=False),
                _c("per", "string", "", "year (a total for the year) | quarter (a figure per "
                   "quarter)", "additions", values=("year", "quarter")),
                _c("guidance_kind", "string", "",
                   "range | point | about | at_least | at_most (\"as much as\") | "
                   "quarterly_run_rate | raise_by (an increase over the earlier outlook)",
                   "statements / additions",
                   values=GUIDANCE_KINDS),
                _c("basis", "string", "",
                   "What the outlook measures: a `financials` metric (capex_incl_finance_leases, "
                   "purchases_of_property_and_equipment, capex_incl_finance_lease_additions), or "
                   "net_cash_capex (net of proceeds from sales and incentives), accrual_capex "
                   "(capex accrued, paid or not) or unstated. A verdict against the actual is "
                   "given only on the same basis", "additions (companies.csv guidance_basis, or "
                   "the outlook's own row)", values=GUIDANCE_BASES),
                _c("low_usd", "float", "USD", "Low end (the figure itself for point, about, "
                   "at_least, run rate; the increase for raise_by); empty for at_most",
                   "statements", required=False),
                _c("high_usd", "float", "USD", "High end (= low for a point; empty for "
                   "at_least)", "statements", required=False),
                _c("given_date", "date", "", "Date management gave the outlook", "statements"),
                _c("prior_low_usd", "float", "USD", "Previous low end, as the source states it",
                   "statements", required=False),
                _c("prior_high_usd", "float", "USD", "Previous high end, as the source states it",
                   "statements", required=False),
                _SOURCE_ID,
                _c("source_type", "string", "", "press_release_copy | transcript_copy | news ...",
                   "statements"),
                _c("source_url", "string", "", "Page that reported the outlook", "statements"),
            ),
        ),
        Table(
            "earnings_releases",
            "Quarterly earnings releases (the 8-K with Item 2.02 that reports the quarter's "
            "results), one row per quarter, from every source that has the quarter: SEC "
            "submissions first, then the 8-K links of press_releases, earnings_dates.csv (with "
            "the corrections in additions/corrections.csv) and additions/releases.csv.",
            ("ticker", "fiscal_year", "fiscal_quarter"),
            (
                _TICKER,
                _c("fiscal_year", "int", "year", "Fiscal year of the reported quarter",
                   "as `source_id`"),
                _c("fiscal_quarter", "int", "quarter", "Fiscal quarter of the reported quarter",
                   "as `source_id`"),
                _c("period_end_date", "date", "", "Last day of the reported quarter", "kit"),
                _c("release_date", "date", "", "Date the release was made public (US Eastern)",
                   "as `source_id`"),
                _c("timing", "string", "", "after_close | before_open | during_session; empty "
                   "when the time is not stated (see `timing_basis`)",
                   "sec_submissions / additions", required=False, values=TIMINGS),
                _c("timing_basis", "string", "",
                   "filing_time (the time SEC accepted the 8-K, in the zone its submissions "
                   "document was shown to use) | stated (a source states it; see `note`) | "
                   "not_stated (no source establishes it: a reaction is measured as if after "
                   "the close)", "kit", values=TIMING_BASES),
                _SOURCE_ID,
                _c("source_url", "string", "", "The 8-K's filing index on sec.gov where its "
                   "accession number is known, else the page that dates the release",
                   "as `source_id`"),
                _c("accession_number", "string", "", "SEC accession number of the 8-K",
                   "sec_submissions / press_releases / the URL of a copy", required=False),
                _c("exhibit_url", "string", "", "The release itself (exhibit 99.1) on sec.gov",
                   "press_releases", required=False),
                _c("date_check", "string", "",
                   "agrees (every other source gives the same day) | differs (another source "
                   "gives another day: see `other_dates`) | corrected (by "
                   "additions/corrections.csv) | single_source (no other source has the quarter)",
                   "kit", values=DATE_CHECKS),
                _c("other_dates", "string", "", "The day each other source gives for the quarter "
                   "(`source_id` date; ...)", "kit", required=False),
                _c("note", "string", "", "Which filing and why, how the time was established, "
                   "corrections and corroborating pages with their sources", "kit",
                   required=False),
            ),
        ),
        Table(
            "release_sentences",
            "Sentences of earnings releases (8-K exhibit 99.1, fetched by `kit data refresh`) "
            "that speak of capital expenditures but are not of a shape the kit reads: listed by "
            "`kit data check`, never guessed. Empty until a refresh has read a release.",
            ("ticker", "release_date", "sentence"),
            (
                _TICKER,
                _c("release_date", "date", "", "Date of the release", "sec_submissions"),
                _c("sentence", "string", "", "The sentence as the release writes it",
                   "sec_exhibit"),
                _c("reason", "string", "", "Why the kit did not read it", "kit"),
                _c("source_url", "string", "", "The release (exhibit 99.1) on sec.gov",
                   "sec_exhibit"),
                _SOURCE_ID,
            ),
        ),
        Table(
            "prices",
            "Daily split- and dividend-adjusted closing prices of the companies and of QQQ "
            "(the Nasdaq-100 fund used as the market benchmark).",
            ("ticker", "price_date"),
            (
                _TICKER,
                _c("price_date", "date", "", "Trading day", "prices"),
                _c("adj_close_usd", "float", "USD per share", "Adjusted close", "prices"),
                _c("scale_factor", "float", "",
                   "`adj_close_usd` is the source's adjusted close times this factor: it puts "
                   "the newer file's later adjustment on the older file's basis, measured over "
                   "the days both cover, so the series joins without a jump. Empty: as in the "
                   "file", "kit", required=False),
                _SOURCE_ID,
            ),
        ),
        Table(
            "statements",
            "Sentences as published about capex, guidance, AI, data centers and power; one row "
            "each, with the page it came from. Most are news paraphrases: keep `source_type` "
            "visible.",
            ("statement_id",),
            (
                _c("statement_id", "string", "", "Stable id: ticker, event date, number", "kit"),
                _TICKER,
                _c("event_date", "date", "", "Date of the call, release or post the text is "
                   "about (empty when the source gives none)", "statements", required=False),
                _c("event_date_source", "string", "", "Where `event_date` came from",
                   "statements", required=False),
                _c("fiscal_period", "string", "", "Period label as the source gives it",
                   "statements", required=False),
                _c("kind", "string", "",
                   "actual_capex | guidance_capex_FY#### | quote | quote_energy | news_report ...",
                   "statements"),
                _c("speaker", "string", "", "Who said it, when a person is quoted", "statements",
                   required=False),
                _c("source_type", "string", "", "press_release_copy | transcript_copy | news ...",
                   "statements"),
                _c("source_title", "string", "", "Title of the source when there is no URL",
                   "additions", required=False),
                _c("source_url", "string", "", "Page the text was taken from", "statements",
                   required=False),
                _c("text", "string", "", "The text exactly as the source shows it", "statements"),
                _c("text_lang", "string", "", "Language of `text` (ISO 639-1: en, de)",
                   "statements / additions"),
                _c("text_en", "string", "", "English translation by the kit, when `text` is not "
                   "English", "additions", required=False),
                _c("note", "string", "", "Caveats, and checks against filings", "statements",
                   required=False),
                _c("conflict", "string", "", "What another source says about the same event "
                   "where it disagrees (additions/corrections.csv)", "additions",
                   required=False),
                _c("conflict_settled", "string", "", "How a first-hand source settles that "
                   "disagreement, quoting it (additions/corrections.csv); empty: still open",
                   "additions", required=False),
                _SOURCE_ID,
            ),
        ),
        Table(
            "free_cash_flow_definitions",
            "How each company defines the free cash flow it states, in its own words, as the "
            "metrics it subtracts from operating cash flow: the basis on which the kit checks "
            "the stated figure (`kit data check`) and names it beside the kit's own free cash "
            "flow after capex. A company without a row states none.",
            ("ticker",),
            (
                _TICKER,
                _c("subtracts", "string", "", "The `financials` metrics the company subtracts "
                   "from operating cash flow, joined by ' + '", "additions"),
                _c("company_words", "string", "", "The definition as the company words it",
                   "company releases (additions)"),
                _c("stated_in", "string", "", "Where the company states its free cash flow",
                   "additions"),
                _c("public_date", "date", "", "Date of the document quoted", "additions"),
                _c("source_url", "string", "", "The document quoted (sec.gov where there is one)",
                   "additions"),
                _c("source_type", "string", "", "What that document is", "additions"),
                _c("note", "string", "", "What the definition subtracts that the kit has no "
                   "figure for, or other caveats", "additions", required=False),
                _SOURCE_ID,
            ),
        ),
        Table(
            "free_cash_flow_reviews",
            "Quarters whose stated free cash flow does not equal operating cash flow minus "
            "what the company's definition subtracts (within $1M), each reviewed: both "
            "figures are shown with why they differ, and no verdict is drawn.",
            ("ticker", "period_end_date"),
            (
                _TICKER,
                _c("period_end_date", "date", "", "The quarter's last day", "additions"),
                _c("note", "string", "", "Why the two differ, as far as the sources tell",
                   "additions"),
                _c("reviewed_date", "date", "", "When a maintainer checked it", "additions"),
                _SOURCE_ID,
            ),
        ),
        Table(
            "statement_translations",
            "The kit's translations of statements into the languages its briefings are written "
            "in (a German briefing shows an English statement with its German translation, "
            "marked as the kit's). Reviewed rows of additions/statement_translations.csv, never "
            "made at render time.",
            ("statement_id", "lang"),
            (
                _c("statement_id", "string", "", "The statement translated (`statements`)",
                   "additions"),
                _TICKER,
                _c("lang", "string", "", "Language of the translation (ISO 639-1)", "additions"),
                _c("text", "string", "", "The translation", "additions"),
                _c("reviewed_date", "date", "", "When a maintainer checked it against the "
                   "original", "additions"),
                _c("note", "string", "", "What the translation leaves out or renders freely",
                   "additions", required=False),
                _SOURCE_ID,
            ),
        ),
    )
}


def validate(df: pd.DataFrame, table: str, path: str) -> pd.DataFrame:
    """Return `df` with the schema's columns and dtypes, or raise DataError naming the place.

    `df` holds the raw strings of a CSV file (read with dtype=str); row numbers in messages are
    the file's line numbers (the header is line 1).
    """
    spec = TABLES[table]
    missing = [c for c in spec.column_names if c not in df.columns]
    if missing:
        raise DataError(
            f"{path}: missing column(s) {', '.join(missing)}; "
            f"a {table} file needs {', '.join(spec.column_names)}"
        )
    out = {}
    for col in spec.columns:
        raw = df[col.name]
        empty = raw.isna() | (raw.astype("string").str.strip() == "")
        if col.required and empty.any():
            line = int(empty.to_numpy().nonzero()[0][0]) + 2
            raise DataError(f"{path}, line {line}, column {col.name}: value is empty")
        out[col.name] = _convert(raw.where(~empty), col, path)
        if col.values:
            wrong = out[col.name].notna() & ~out[col.name].isin(col.values)
            if wrong.any():
                i = int(wrong.to_numpy().nonzero()[0][0])
                raise DataError(f"{path}, line {i + 2}, column {col.name}: "
                                f"{out[col.name].iloc[i]!r} is not one of "
                                f"{', '.join(col.values)}")
    result = pd.DataFrame(out, index=df.index)
    dup = result.duplicated(list(spec.key), keep=False)
    if dup.any():
        lines = [int(i) + 2 for i in dup.to_numpy().nonzero()[0][:2]]
        raise DataError(
            f"{path}, lines {lines[0]} and {lines[1]}: duplicate key "
            f"({', '.join(spec.key)}); each key may appear once"
        )
    checks = ROW_CHECKS.get(table, ())
    if "ticker" in result:  # tickers are matched exactly everywhere: one spelling
        checks = (("ticker", "a ticker is written in upper case (as SEC and the kit write it)",
                   lambda df: df["ticker"] != df["ticker"].str.upper()), *checks)
    for column, rule, bad in checks:
        wrong = bad(result).fillna(False).to_numpy()
        if wrong.any():
            i = int(wrong.nonzero()[0][0])
            value = df[column].iloc[i]  # as written in the file
            raise DataError(f"{path}, line {i + 2}, column {column}: {value!r} breaks the "
                            f"rule: {rule}")
    return result.reset_index(drop=True)


# Metrics the kit computes as the sum of others (derivation "sum"), and their parts.
SUMS = {"capex_incl_finance_leases": ("purchases_of_property_and_equipment",
                                      "finance_lease_principal_payments")}
CAPEX_METRICS = ("purchases_of_property_and_equipment", "finance_lease_principal_payments",
                 "capex_incl_finance_leases", "capex_incl_finance_lease_additions",
                 "ocf_minus_free_cash_flow")
# Figures that may be below zero (a quarter of cash outflow from operations; free cash flow
# after capex), and balances at a period's end: never differenced or summed over quarters.
SIGNED_METRICS = ("operating_cash_flow", "free_cash_flow")
BALANCES = ("remaining_performance_obligations",)
# The comparable measure: one definition for every company (see README, "Two capex measures").
COMPARABLE = "capex_incl_finance_leases"
# Rules a row must keep beyond its types: (column named in the error, rule, bad rows).
ROW_CHECKS = {
    "financials": (
        ("value_usd", "capex is a cash outflow stored as a positive number",
         lambda df: df["metric"].isin(CAPEX_METRICS) & (df["value_usd"] < 0)),
        ("value_usd", "a figure is under $100 trillion (no company reports more)",
         lambda df: ~(df["value_usd"].abs() < 1e14)),
        ("period_end_date", "a period ends on or after the day it starts",
         lambda df: df["period_end_date"] < df["period_start_date"]),
    ),
    "capex_guidance": (
        ("high_usd", "the high end of an outlook is not below its low end",
         lambda df: df["high_usd"] < df["low_usd"]),
    ),
    "prices": (
        ("adj_close_usd", "a price is positive", lambda df: ~(df["adj_close_usd"] > 0)),
    ),
}


def _convert(raw: pd.Series, col: Column, path: str) -> pd.Series:
    if col.dtype == "string":
        return raw.astype("string")
    if col.dtype == "date":
        parsed = pd.to_datetime(raw, format="%Y-%m-%d", errors="coerce")
        kind = "a date as YYYY-MM-DD"
    else:  # Python's float() rounds correctly; pandas' fast parser may not
        parsed = pd.Series([_number(v) for v in raw], index=raw.index, dtype="float64")
        kind = "a finite number"
    bad = parsed.isna() & raw.notna()
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise DataError(
            f"{path}, line {i + 2}, column {col.name}: {raw.iloc[i]!r} is not {kind}"
        )
    if col.dtype == "int":
        if (parsed.dropna() % 1 != 0).any():
            i = int(((parsed % 1 != 0) & parsed.notna()).to_numpy().nonzero()[0][0])
            raise DataError(f"{path}, line {i + 2}, column {col.name}: {raw.iloc[i]!r} is not "
                            "a whole number")
        return parsed.astype("Int64")
    if col.dtype == "float":
        return parsed.astype("float64")
    return parsed


def _number(text) -> float:
    """The number a cell holds; NaN (refused by the caller) for anything else, including
    infinities and a written "nan"."""
    try:
        value = float(text) if isinstance(text, str) else float("nan")
    except ValueError:
        return float("nan")
    return value if math.isfinite(value) else float("nan")


def to_csv_frame(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """Order columns as the schema says, dates as YYYY-MM-DD and floats as Python's shortest
    round-trip text, so the files are the same whichever pandas wrote them."""
    spec = TABLES[table]
    out = df[spec.column_names].copy()
    for col in spec.columns:
        if col.dtype == "date":
            out[col.name] = pd.to_datetime(out[col.name]).dt.strftime("%Y-%m-%d")
        elif col.dtype == "float":
            out[col.name] = [repr(float(v)) if pd.notna(v) else "" for v in out[col.name]]
    return out.sort_values(list(spec.key), kind="stable").reset_index(drop=True)


def data_dictionary(as_of: str) -> str:
    """The text of data/README.md: every table and column, generated from TABLES."""
    lines = [
        "# data/ — the kit's tidy tables",
        "",
        "Built by `kit data build` from the raw public files in `../shared/sources` (and the "
        "kit's own sourced rows in `additions/`). Do not edit by hand: change the sources or the "
        "kit and rebuild. Generated from `kit/schema.py`; a test keeps the two equal.",
        "",
        f"Data as of: {as_of} (the latest date on which any figure here was published).",
        "",
        "Conventions: money is US dollars (`_usd`), not millions; capex is a cash outflow stored "
        "as a positive number; dates are `YYYY-MM-DD`; an empty cell means the source does not "
        "give the value — nothing is filled in. Figures derived from other rows say how in "
        "`derivation`. Growth, trailing sums and ratios are computed by `kit`, not stored.",
        "",
    ]
    for t in TABLES.values():
        lines += [f"## {t.filename}", "", t.description, "", f"Key: {', '.join(t.key)}.", "",
                  "| column | type | unit | meaning | source |", "|---|---|---|---|---|"]
        for c in t.columns:
            req = "" if c.required else " (may be empty)"
            if c.values:
                req += " One of: " + ", ".join(f"`{v}`" for v in c.values) + "."
            lines.append(f"| {c.name} | {c.dtype} | {c.unit} | {c.description}{req} | {c.source} |")
        rules = [f"{column}: {rule}" for column, rule, _ in ROW_CHECKS.get(t.name, ())]
        if rules:
            lines += ["", "Rules checked on every load: " + "; ".join(rules) + "."]
        lines.append("")
    return "\n".join(lines)
