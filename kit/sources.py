"""Build data/ from the raw public files in the sources folder, reproducibly.

Every output row names its source (`source_id` + URL) and how it was derived. Nothing is typed
in here: figures come from the raw files; the kit's own sourced rows and corrections live in
`additions/` as data, each with a URL or title and a note.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from kit import data, periods
from kit.schema import TABLES, DataError, data_dictionary, to_csv_frame

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SOURCES = REPO.parent / "shared" / "sources"
ADDITIONS = REPO / "additions"
BENCHMARK = "QQQ"

# Where each source keeps a company: folder names of press_releases/.
_PRESS_FOLDERS = {"META": "meta", "MSFT": "microsoft", "GOOGL": "alphabet", "AAPL": "apple",
                  "NVDA": "nvidia", "TSLA": "tesla"}
# Keys of press_releases/<co>/cash-flows.json and financials.json, per metric.
_PRESS_KEYS = {
    "purchases_of_property_and_equipment": ("cash-flows.json", "capitalExpenditures", -1),
    "finance_lease_principal_payments": ("cash-flows.json", "financeLeasePayments", -1),
    "revenue": ("financials.json", "revenue", 1),
}
_SEC_ITEMS = {"capex": "purchases_of_property_and_equipment", "revenue": "revenue"}
# When two sources publish the same quarter on the same date, the first listed wins.
SOURCE_PRIORITY = ("sec_extract", "press_releases", "recent_financials", "derived")
ROUNDING_USD = 0.5e6  # press releases and XBRL figures are in whole millions

SOURCES = [
    dict(source_id="press_releases",
         title="Quarterly figures extracted from 8-K EX-99.1 earnings releases (MIT)",
         origin_url="https://github.com/akiraak/ai-financial-analyst",
         origin_commit="a47d373a21546421acb40a16f655a75fc51448b2", path="press_releases/",
         known_issues="Meta capex missing for 2024 Q1-Q3 and 2020 Q1-Q3; extracted by a tool, "
                      "not audited; values in USD millions, outflows negative"),
    dict(source_id="sec_extract",
         title="SEC XBRL companyfacts rows, transcribed (data.sec.gov companyfacts)",
         origin_url="https://github.com/blakeweaver17-del/ai-infra-data",
         origin_commit="a42097d19533ec07ff7cc66c086df3fd7e50f3b7",
         path="sec_extract/companyfacts_extract.csv",
         known_issues="Year-to-date spans: quarters derived by difference only where dates line "
                      "up; fy/fp/filed describe the latest filing that reported the value, not "
                      "the period; some rows duplicated (dropped)"),
    dict(source_id="recent_financials",
         title="Last five to six quarters from yfinance/Finnhub (secondary)",
         origin_url="https://github.com/gbrakel/stock-intelligence-app",
         origin_commit="819645798c8f340843ce3f8d54167481614af8cd",
         path="recent_financials/", known_issues="Secondary source; used for revenue only"),
    dict(source_id="prices", title="Daily adjusted closes (values look like Yahoo Finance)",
         origin_url="https://github.com/kinryukii/us-tech-quant-v18",
         origin_commit="d9ce90398a7694bfacbb9740068810c89402d4d9", path="prices/",
         known_issues="No licence file; split/dividend adjusted"),
    dict(source_id="earnings_dates", title="Earnings release dates from SEC 8-K Item 2.02",
         origin_url="https://pypi.org/project/stocks-earnings-dates/", origin_commit="0.1.9",
         path="earnings_dates.csv",
         known_issues="TSLA dates are delivery reports; NVDA has an extra 2022-08-08; used "
                      "here only as a cross-check"),
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
          log=print) -> Path:
    """Build every table from `sources_dir` and replace `data_dir` with them in one step.

    Returns the data directory. On any error the existing data directory is left untouched.
    """
    src = Path(sources_dir or os.environ.get("KIT_SOURCES") or DEFAULT_SOURCES)
    out = Path(data_dir or REPO / "data")
    if not (src / "MANIFEST.md").is_file():
        raise DataError(f"{src}: not a sources folder (no MANIFEST.md); pass --sources DIR "
                        "pointing at shared/sources")
    tables = build_tables(src, log=log)
    as_of = max(tables["financials"]["published_date"].max(), tables["prices"]["price_date"].max())
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".data-", dir=out.parent))
    tmp.chmod(0o755)
    try:
        for name, df in tables.items():
            to_csv_frame(df, name).to_csv(tmp / TABLES[name].filename, index=False,
                                          lineterminator="\n")
        (tmp / "README.md").write_text(data_dictionary(as_of.strftime("%Y-%m-%d")) + "\n")
        for name in tables:  # validate what was written, exactly as users will load it
            data.load_table(name, tmp)
        old = out.with_name(out.name + ".old")
        if out.exists():
            os.replace(out, old)
        os.replace(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
        data._cached.cache_clear()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for name, df in tables.items():
        log(f"{name}: {len(df)} rows")
    return out


def build_tables(src: Path, log=print) -> dict[str, pd.DataFrame]:
    companies = _read_csv(ADDITIONS / "companies.csv")
    tickers = list(companies["ticker"])
    releases = pd.concat([_releases(src, c) for c in companies.to_dict("records")])
    statements = _statements(src, tickers, log)
    return {
        "sources": pd.DataFrame(SOURCES),
        "companies": companies,
        "financials": pd.concat(
            [_financials(src, c, releases) for c in companies.to_dict("records")]),
        "capex_guidance": _guidance(statements),
        "earnings_releases": releases,
        "prices": pd.concat([_prices(src, t) for t in [*tickers, BENCHMARK]]),
        "statements": statements.drop(columns=[c for c in statements if c.startswith("_")]),
    }


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _day(text: str) -> date:
    return date.fromisoformat(text)


# --- earnings releases ---------------------------------------------------------------------

def _releases(src: Path, company: dict) -> pd.DataFrame:
    ticker, fye = company["ticker"], company["fiscal_year_end"]
    links = json.loads((src / "press_releases" / _PRESS_FOLDERS[ticker] /
                        "quarterly-links.json").read_text())
    dates = _read_csv(src / "earnings_dates.csv")
    known = sorted({_day(d) for d in dates.loc[dates["ticker"] == ticker, "earnings_date"]})
    rows = []
    for link in links:
        fy, q = int(link["fy"][2:]), int(link["q"][1:])
        released = _day(link["date"])
        near = [d for d in known if abs((d - released).days) <= 7]
        if released in near:
            note = "earnings_dates.csv agrees"
        elif near:
            note = f"earnings_dates.csv says {near[0]}; the 8-K date is used"
        else:
            note = "not in earnings_dates.csv"
        rows.append(dict(ticker=ticker, fiscal_year=fy, fiscal_quarter=q,
                         period_end_date=periods.fiscal_quarter_end(fy, q, fye),
                         release_date=released, source_id="press_releases",
                         source_url=link["url"], note=note))
    return pd.DataFrame(rows)


# --- quarterly financials ------------------------------------------------------------------

def _financials(src: Path, company: dict, releases: pd.DataFrame) -> pd.DataFrame:
    ticker, fye = company["ticker"], company["fiscal_year_end"]
    rel = releases[releases["ticker"] == ticker]
    release_on = dict(zip(rel["period_end_date"], zip(rel["release_date"], rel["source_url"])))
    press = _press_rows(src, ticker, fye, release_on)
    facts_url = f"https://data.sec.gov/api/xbrl/companyfacts/CIK{company['cik']}.json"
    sec, own_filing = _sec_rows(src, ticker, facts_url, press, release_on)
    recent = _recent_rows(src, ticker, release_on, own_filing)
    rows = press + sec + recent
    rows += _sums(rows)
    df = pd.DataFrame(rows)
    df["ticker"] = ticker
    df["fiscal_year"], df["fiscal_quarter"] = zip(
        *[periods.fiscal_period(e, fye) for e in df["period_end_date"]])
    df["calendar_year"], df["calendar_quarter"] = zip(
        *[periods.calendar_quarter(s, e) for s, e in zip(df["period_start_date"],
                                                          df["period_end_date"])])
    return df


def _press_rows(src: Path, ticker: str, fye: str, release_on: dict) -> list[dict]:
    folder = src / "press_releases" / _PRESS_FOLDERS[ticker]
    rows = []
    for metric, (filename, key, sign) in _PRESS_KEYS.items():
        doc = json.loads((folder / filename).read_text())
        for fy_label, quarters in doc.items():
            for q_label, figures in quarters.items():
                if figures.get(key) is None:
                    continue
                value = sign * figures[key] * 1e6
                where = f"press_releases/{folder.name}/{filename} {fy_label}.{q_label}.{key}"
                if value < 0:
                    raise DataError(f"{where}: {figures[key]} has the wrong sign for {metric}; "
                                    "outflows are negative in this source")
                end = periods.fiscal_quarter_end(int(fy_label[2:]), int(q_label[1:]), fye)
                if end not in release_on:
                    continue  # no release date known: cannot say when it was public
                released, url = release_on[end]
                rows.append(dict(metric=metric, period_start_date=periods.quarter_start(end),
                                 period_end_date=end, value_usd=value, derivation="reported",
                                 derivation_detail="", published_date=released,
                                 published_date_basis="date of the earnings release (8-K)",
                                 source_id="press_releases", source_url=url,
                                 source_detail=f"{where} (USD millions)"))
    return rows


def _sec_rows(src: Path, ticker: str, url: str, press: list[dict], release_on: dict):
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
                 concept=r["concept"], label=r["period_label"]))
    rows = []
    for metric, metric_spans in spans.items():
        by_press = [p for p in press if p["metric"] == metric]
        for s in metric_spans:
            s["public"], s["basis"] = _first_public(s, by_press, release_on)
        for q in periods.quarters_from_ytd(metric_spans):
            parts = q["parts"]
            public = max(p["public"] for p in parts)
            basis = "; ".join(p["basis"] for p in parts)
            detail = " minus ".join(
                f"{p['concept']} {p['start']}..{p['end']} = {p['value'] / 1e6:,.0f}M "
                f"({p['form']} filed {p['filed']})" for p in parts)
            rows.append(dict(metric=metric, period_start_date=q["start"],
                             period_end_date=q["end"], value_usd=q["value"],
                             derivation=q["derivation"],
                             derivation_detail=detail if len(parts) > 1 else "",
                             published_date=public, published_date_basis=basis,
                             source_id="sec_extract", source_url=url,
                             source_detail=f"sec_extract/companyfacts_extract.csv: {detail}"))
    return rows, own_filing


def _first_public(span: dict, press: list[dict], release_on: dict) -> tuple[date, str]:
    """When an XBRL value became public, and why we say so.

    The extract records only the latest filing that reported a value (often the next year's
    comparative). If the press releases give a different figure for the same span, the XBRL
    value is a revision, public from that later filing. Otherwise it is taken as first
    published with the period's own release (or its own filing when no release is known).
    """
    covered = [p for p in press if span["start"] <= p["period_start_date"]
               and p["period_end_date"] <= span["end"]]
    n_quarters = round(((span["end"] - span["start"]).days + 1) / 91.3)
    filing = f"{span['form']} filed {span['filed']}"
    if len(covered) == n_quarters and covered:
        press_value = sum(p["value_usd"] for p in covered)
        if abs(press_value - span["value"]) > ROUNDING_USD * n_quarters:
            return span["filed"], (f"revised: the releases gave {press_value / 1e6:,.0f}M for "
                                   f"{span['start']}..{span['end']}; public from the {filing}")
    if span["end"] in release_on:
        released = release_on[span["end"]][0]
        return released, (f"assumed first published with the period's release on {released}; "
                          f"the extract records the latest filing repeating it ({filing})")
    return span["filed"], f"date of the {filing}"


def _recent_rows(src: Path, ticker: str, release_on: dict, own_filing: dict) -> list[dict]:
    path = src / "recent_financials" / f"{ticker}.json"
    if not path.exists():
        return []
    rows = []
    for q in json.loads(path.read_text())["quarterly"]:
        if q.get("revenue") is None:
            continue
        end = _day(q["period_end"])
        if end in release_on:
            public, basis = release_on[end][0], "date of the earnings release (8-K)"
        elif end in own_filing:
            filed, form = own_filing[end]
            public, basis = filed, f"date the period's own {form} was filed (sec_extract)"
        else:
            continue  # no date known: cannot say when it was public
        rows.append(dict(metric="revenue", period_start_date=periods.quarter_start(end),
                         period_end_date=end, value_usd=float(q["revenue"]),
                         derivation="reported", derivation_detail="", published_date=public,
                         published_date_basis=basis, source_id="recent_financials",
                         source_url="https://github.com/gbrakel/stock-intelligence-app",
                         source_detail=f"recent_financials/{ticker}.json quarterly "
                                       f"period_end={q['period_end']} revenue"))
    return rows


def _sums(rows: list[dict]) -> list[dict]:
    """capex_incl_finance_leases = purchases + finance-lease principal, one row per version.

    At each date on which either input changed, the sum of the then-current inputs is emitted,
    so `as_of` selection over the sums equals the sum of the `as_of` selections.
    """
    parts = ("purchases_of_property_and_equipment", "finance_lease_principal_payments")
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
            out.append(dict(
                metric="capex_incl_finance_leases", period_start_date=a["period_start_date"],
                period_end_date=end, value_usd=a["value_usd"] + b["value_usd"],
                derivation="sum",
                derivation_detail=(f"{a['metric']} {a['value_usd'] / 1e6:,.0f}M "
                                   f"({a['source_id']}) + {b['metric']} "
                                   f"{b['value_usd'] / 1e6:,.0f}M ({b['source_id']})"),
                published_date=day,
                published_date_basis="the later of its inputs' published dates",
                source_id="derived", source_url=a["source_url"],
                source_detail=f"{a['source_detail']} | {b['source_detail']}"))
    return out


def _current_row(rows: list[dict], day: date) -> dict | None:
    """The row that was current on `day`: latest published, then by source priority."""
    known = [r for r in rows if r["published_date"] <= day]
    if not known:
        return None
    return max(known, key=lambda r: (r["published_date"],
                                     -SOURCE_PRIORITY.index(r["source_id"])))


# --- prices --------------------------------------------------------------------------------

def _prices(src: Path, ticker: str) -> pd.DataFrame:
    path = src / "prices" / f"{ticker}.csv"
    raw = _read_csv(path)
    return pd.DataFrame({"ticker": ticker, "price_date": raw["Date"].map(_day),
                         "adj_close_usd": raw["Adj Close"].map(float),
                         "source_id": "prices"})


# --- statements and guidance ---------------------------------------------------------------

_STATEMENT_FIELDS = ["ticker", "event_date", "event_date_source", "fiscal_period", "kind",
                     "speaker", "source_type", "source_title", "source_url", "text", "text_en",
                     "note"]
_GUIDANCE_FIELDS = ["guidance_low_usd_bn", "guidance_high_usd_bn", "guidance_usd_bn",
                    "prior_low_usd_bn", "prior_high_usd_bn", "prior_usd_bn"]


def _statements(src: Path, tickers: list[str], log) -> pd.DataFrame:
    doc = json.loads((src / "statements.json").read_text())
    items = [dict(item, source_url=item.get("url"), source_id="statements",
                  note="; ".join(x for x in (item.get("note"), item.get("check")) if x))
             for item in doc["items"]]
    corrections = _read_csv(ADDITIONS / "corrections.csv")
    for _, fix in corrections[corrections["source_id"] == "statements"].iterrows():
        hits = [i for i in items if i["source_url"] == fix["source_url"]]
        if len(hits) != 1:
            raise DataError(f"additions/corrections.csv: {fix['source_url']} matches "
                            f"{len(hits)} statements; it must match exactly one")
        hits[0][fix["field"]] = fix["value"]
        hits[0]["event_date_source"] = f"corrected by the kit: {fix['note']}"
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


def _guidance(statements: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for s in statements.to_dict("records"):
        bn = {f: None if pd.isna(s["_" + f]) else s["_" + f] * 1e9 for f in _GUIDANCE_FIELDS}
        if not str(s["kind"]).startswith("guidance_capex_FY") or pd.isna(s["event_date"]):
            continue
        low, high, kind = bn["guidance_low_usd_bn"], bn["guidance_high_usd_bn"], "range"
        if low is None:
            low = high = bn["guidance_usd_bn"]
            kind = "point"
        if low is None:
            continue
        prior_low, prior_high = bn["prior_low_usd_bn"], bn["prior_high_usd_bn"]
        if prior_low is None:
            prior_low = prior_high = bn["prior_usd_bn"]
        rows.append(dict(
            ticker=s["ticker"], fiscal_year=int(s["kind"][-4:]), guidance_kind=kind,
            low_usd=low, high_usd=high, given_date=s["event_date"],
            prior_low_usd=prior_low, prior_high_usd=prior_high, source_id=s["source_id"],
            source_type=s["source_type"], source_url=s["source_url"]))
    return pd.DataFrame(rows)
