"""What a briefing says, computed from the tables as of a date: capex by quarter, growth,
trailing sums, intensity, guidance moves, stock reactions, data-quality findings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from kit import data
from kit.errors import RequestError
from kit.sources import BENCHMARK, LEVEL_KINDS, ROUNDING_USD, SOURCE_PRIORITY


@dataclass
class Briefing:
    ticker: str
    company_name: str
    as_of: pd.Timestamp
    capex_metric: str
    capex_definition: str
    quarters: pd.DataFrame
    guidance: pd.DataFrame
    other_guidance: pd.DataFrame
    actuals: pd.DataFrame
    peers: pd.DataFrame
    reactions: pd.DataFrame
    statements: pd.DataFrame
    sources: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    quality: pd.DataFrame = field(default_factory=pd.DataFrame)


def data_range(ticker: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last dates on which the data has something for `ticker`."""
    fin = data.load_financials()
    fin = fin[fin["ticker"] == ticker]
    prices = data.load_prices()
    last_price = prices.loc[prices["ticker"] == ticker, "price_date"].max()
    return fin["published_date"].min(), max(fin["published_date"].max(), last_price)


def check_request(ticker: str, as_of=None) -> tuple[str, pd.Timestamp]:
    """Normalise (ticker, as_of) or raise RequestError saying what is valid.

    `as_of` defaults to the latest date in the data for the company.
    """
    tickers = sorted(data.load_companies()["ticker"])
    clean = str(ticker).strip().upper()
    if clean not in tickers:
        raise RequestError(f"unknown ticker {ticker!r}; valid tickers: {', '.join(tickers)}")
    first, last = data_range(clean)
    if as_of is None or str(as_of).strip() == "":
        return clean, last
    valid = f"use a date between {first:%Y-%m-%d} and {last:%Y-%m-%d} (YYYY-MM-DD)"
    when = _date_or_none(as_of)
    if when is None:
        raise RequestError(f"as_of {as_of!r} is not a date; {valid}")
    if when < first:
        raise RequestError(f"as_of {when:%Y-%m-%d} is before the first {clean} data "
                           f"({first:%Y-%m-%d}); {valid}")
    if when > pd.Timestamp.today().normalize():
        raise RequestError(f"as_of {when:%Y-%m-%d} is in the future; {valid}, or leave it "
                           "out for the latest data")
    return clean, when


def _date_or_none(value) -> pd.Timestamp | None:
    """A calendar date from a date object or a YYYY-MM-DD string; None for anything else."""
    if isinstance(value, (date, pd.Timestamp)):
        return pd.Timestamp(value).normalize()
    text = str(value).strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return pd.Timestamp(date.fromisoformat(text))
    except ValueError:
        return None


def current_financials(ticker: str, as_of: pd.Timestamp) -> pd.DataFrame:
    """One row per metric x quarter: the value that was public on `as_of`."""
    fin = data.load_financials()
    return as_of_rows(fin[fin["ticker"] == ticker], as_of)


def as_of_rows(fin: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """The rows public on `as_of`: for each metric and quarter, the latest published by then;
    on the same day, the source listed first in SOURCE_PRIORITY."""
    fin = fin[fin["published_date"] <= as_of].copy()
    fin["_rank"] = fin["source_id"].map(SOURCE_PRIORITY.index)
    fin = fin.sort_values(["published_date", "_rank"], ascending=[True, False])
    return (fin.groupby(["metric", "period_end_date"]).tail(1)
            .drop(columns="_rank").sort_values(["metric", "period_end_date"])
            .reset_index(drop=True))


def quarter_label(fiscal_year, fiscal_quarter, calendar_year, calendar_quarter) -> str:
    label = f"FY{int(fiscal_year) % 100:02d} Q{int(fiscal_quarter)}"
    if (fiscal_year, fiscal_quarter) != (calendar_year, calendar_quarter):
        label += f" (CY{int(calendar_year) % 100:02d} Q{int(calendar_quarter)})"
    return label


def quarterly(ticker: str, as_of: pd.Timestamp, capex_metric: str) -> pd.DataFrame:
    """Quarters as of `as_of`: every metric's value and source, plus growth, TTM, intensity.

    Columns: period_end_date, fiscal_year, fiscal_quarter, calendar_year, calendar_quarter,
    quarter_label, <metric>_usd, <metric>_source and <metric>_url for each metric,
    capex_usd (the company's headline metric), capex_yoy_pct, capex_ttm_usd,
    capex_to_revenue_pct. A figure that cannot be computed (a quarter missing) is NaN.
    """
    cur = current_financials(ticker, as_of)
    cur["source"] = cur.apply(_source_text, axis=1)
    wide = cur.pivot(index="period_end_date", columns="metric", values="value_usd")
    src = cur.pivot(index="period_end_date", columns="metric", values="source")
    url = cur.pivot(index="period_end_date", columns="metric", values="source_url")
    out = wide.add_suffix("_usd").join(src.add_suffix("_source")).join(url.add_suffix("_url"))
    labels = cur.drop_duplicates("period_end_date").set_index("period_end_date")
    periods = ["fiscal_year", "fiscal_quarter", "calendar_year", "calendar_quarter"]
    out = out.join(labels[periods].astype(int))
    out["quarter_label"] = [quarter_label(*row) for row in out[periods].itertuples(index=False)]
    out = out.sort_index()
    capex = out.get(f"{capex_metric}_usd", pd.Series(float("nan"), index=out.index))
    out["capex_usd"] = capex
    # Growth and trailing sums go by fiscal quarter, not by date: 52-53 week years shift.
    index = out["fiscal_year"] * 4 + out["fiscal_quarter"]
    by_index = pd.Series(capex.to_numpy(), index=index.to_numpy())
    out["capex_yoy_pct"] = (capex.to_numpy() / by_index.reindex(index - 4).to_numpy() - 1) * 100
    if len(index):  # a window with a missing quarter has fewer than 4 values: NaN
        every = by_index.reindex(range(index.min(), index.max() + 1))
        out["capex_ttm_usd"] = every.rolling(4, min_periods=4).sum().reindex(index).to_numpy()
    else:
        out["capex_ttm_usd"] = float("nan")
    revenue = out.get("revenue_usd", pd.Series(float("nan"), index=out.index))
    out["capex_to_revenue_pct"] = capex / revenue * 100
    return out.reset_index()


def annual_actuals(quarters: pd.DataFrame) -> pd.DataFrame:
    """Full fiscal years of headline capex: the sum of four quarters, where all four are known.

    Columns: fiscal_year, actual_usd, year_end_date (the last quarter's period end).
    """
    q = quarters.dropna(subset=["capex_usd"])
    rows = [dict(fiscal_year=fy, actual_usd=g["capex_usd"].sum(),
                 year_end_date=g["period_end_date"].max())
            for fy, g in q.groupby("fiscal_year") if sorted(g["fiscal_quarter"]) == [1, 2, 3, 4]]
    return pd.DataFrame(rows, columns=["fiscal_year", "actual_usd", "year_end_date"])


def peers(as_of: pd.Timestamp, since_year: int = 2020) -> pd.DataFrame:
    """Every company's headline capex, growth and intensity by *calendar* quarter, as public
    on `as_of`, so companies with different fiscal years line up.

    Columns: ticker, company_name, calendar_label ("CY24 Q4"), calendar_year,
    calendar_quarter, quarter_label (the company's own), capex_usd, capex_yoy_pct,
    capex_to_revenue_pct, capex_metric, source.
    """
    frames = []
    for c in data.load_companies().itertuples():
        q = quarterly(c.ticker, as_of, c.capex_metric).dropna(subset=["capex_usd"])
        q = q[q["calendar_year"] >= since_year]
        frames.append(q.assign(
            ticker=c.ticker, company_name=c.company_name, capex_metric=c.capex_metric,
            source=q.get(f"{c.capex_metric}_source"),
            calendar_label=[f"CY{y % 100:02d} Q{n}" for y, n in
                            zip(q["calendar_year"], q["calendar_quarter"])]))
    cols = ["ticker", "company_name", "calendar_label", "calendar_year", "calendar_quarter",
            "quarter_label", "capex_usd", "capex_yoy_pct", "capex_to_revenue_pct",
            "capex_metric", "source"]
    out = pd.concat(frames)[cols]
    return out.sort_values(["calendar_year", "calendar_quarter", "ticker"]).reset_index(drop=True)


def _source_text(row) -> str:
    if row["derivation"] == "sum":
        return f"sum: {row['derivation_detail']}"
    how = "derived: " + row["derivation_detail"] if row["derivation"] == "ytd_difference" else ""
    return f"{row['source_id']}: {row['source_detail']}" + (f" ({how})" if how else "")


def guidance_history(ticker: str, as_of: pd.Timestamp) -> pd.DataFrame:
    """Each distinct outlook given by `as_of`, with its sources and how it moved.

    `change` compares a range with the previous one for the same fiscal year: raised, cut,
    held, narrowed or widened; `prior_note` flags a source whose stated prior range differs
    from the previous range in the data (a step the data does not have).
    """
    g = data.load_capex_guidance()
    g = g[(g["ticker"] == ticker) & (g["given_date"] <= as_of)
          & g["guidance_kind"].isin(LEVEL_KINDS) & (g["per"] == "year")]
    if g.empty:
        return g.assign(change=pd.Series(dtype="string"), sources=[], prior_note=[])
    keys = ["fiscal_year", "given_date", "low_usd", "high_usd"]
    rows = []
    for key, grp in g.sort_values(keys).groupby(keys, sort=True):
        prior = grp.dropna(subset=["prior_low_usd"])
        rows.append(dict(zip(keys, key), guidance_kind=grp["guidance_kind"].iloc[0],
                         sources=list(zip(grp["source_type"], grp["source_url"])),
                         stated_prior=(prior[["prior_low_usd", "prior_high_usd"]].iloc[0]
                                       .tolist() if len(prior) else None)))
    out = pd.DataFrame(rows)
    changes, notes = [], []
    for i, r in out.iterrows():
        before = out[(out["fiscal_year"] == r["fiscal_year"]) & (out.index < i)]
        prev = None if before.empty else (before["low_usd"].iloc[-1], before["high_usd"].iloc[-1])
        changes.append(_change(prev, (r["low_usd"], r["high_usd"])))
        stated = r["stated_prior"]
        if stated is not None and prev is not None and tuple(stated) != prev:
            notes.append(f"source states the prior range as {_bn(stated[0])}-{_bn(stated[1])}; "
                         "that step is not in the data")
        elif stated is not None and prev is None:
            notes.append(f"source states the prior range as {_bn(stated[0])}-{_bn(stated[1])}")
        else:
            notes.append("")
    out["change"] = changes
    out["prior_note"] = notes
    return out


def other_guidance(ticker: str, as_of: pd.Timestamp) -> pd.DataFrame:
    """Outlooks that are not a full-year level: at least, per-quarter run rates, a quarter's
    figure, an increase over the earlier outlook. `outlook` describes each in words."""
    g = data.load_capex_guidance()
    g = g[(g["ticker"] == ticker) & (g["given_date"] <= as_of)
          & ~(g["guidance_kind"].isin(LEVEL_KINDS) & (g["per"] == "year"))]
    g = g.sort_values("given_date").reset_index(drop=True)
    g["outlook"] = [_describe(r) for r in g.to_dict("records")]
    return g


def _describe(g: dict) -> str:
    period = f"FY{g['fiscal_year']}"
    if not pd.isna(g["fiscal_quarter"]):
        period += f" Q{g['fiscal_quarter']}"
    elif g["per"] == "quarter":
        period = f"each quarter of {period}"
    low, high = g["low_usd"], g["high_usd"]
    amount = _bn(low) if pd.isna(high) or low == high else f"{_bn(low)}-{_bn(high)}"
    return {"at_least": f"at least {amount} for {period}",
            "quarterly_run_rate": f"about {amount} a quarter ({period})",
            "raise_by": f"{period} outlook raised by {amount}",
            "about": f"about {amount} for {period}",
            "point": f"{amount} for {period}"}.get(g["guidance_kind"], f"{amount} for {period}")


def _bn(usd: float) -> str:
    return f"${round(usd / 1e9, 3):g}B"


def _change(prev, new) -> str:
    if prev is None:
        return "first given"
    (pl, ph), (nl, nh) = prev, new
    if (nl, nh) == (pl, ph):
        return "held"
    if nl >= pl and nh >= ph:
        return "raised"
    if nl <= pl and nh <= ph:
        return "cut"
    return "narrowed" if nl >= pl and nh <= ph else "widened"


def reactions(ticker: str, as_of: pd.Timestamp) -> pd.DataFrame:
    """The move on the first full session after each release, raw and in excess of QQQ.

    After the close: release-day close to the next session's close. Before the open: previous
    close to the release day's close. Where no source gives the time of day (`timing` "not
    stated"), it is measured as if after the close. `excess_pct` is the move minus QQQ's over
    the same two closes.
    """
    rel = data.load_earnings_releases()
    rel = rel[(rel["ticker"] == ticker) & (rel["release_date"] <= as_of)]
    prices = data.load_prices()
    stock = _closes(prices, ticker)
    bench = _closes(prices, BENCHMARK)
    rows = []
    for r in rel.sort_values("release_date").itertuples():
        before_open = not pd.isna(r.timing) and r.timing == "before_open"
        base = stock[stock.index < r.release_date] if before_open \
            else stock[stock.index <= r.release_date]
        after = stock[(stock.index >= r.release_date) if before_open
                      else (stock.index > r.release_date)]
        after = after[after.index <= as_of]
        if base.empty or after.empty:
            continue
        d0, d1 = base.index[-1], after.index[0]
        move = (after.iloc[0] / base.iloc[-1] - 1) * 100
        bench_move = (bench.get(d1) / bench.get(d0) - 1) * 100
        rows.append(dict(fiscal_year=r.fiscal_year, fiscal_quarter=r.fiscal_quarter,
                         release_date=r.release_date,
                         timing=r.timing if not pd.isna(r.timing) else "not stated",
                         base_date=d0, session_date=d1,
                         base_close_usd=base.iloc[-1], session_close_usd=after.iloc[0],
                         move_pct=move, benchmark_move_pct=bench_move,
                         excess_pct=move - bench_move, source_id=r.source_id,
                         source_url=r.source_url))
    return pd.DataFrame(rows)


def _closes(prices: pd.DataFrame, ticker: str) -> pd.Series:
    p = prices[prices["ticker"] == ticker]
    return p.set_index("price_date")["adj_close_usd"].sort_index()


def quality(ticker: str, as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """What a reader should know about the figures behind a company's briefing.

    One row per finding: `kind` is conflict (sources give different figures for the same
    quarter, beyond rounding), revision (a later filing changed a figure), gap (a quarter
    missing between the first and last one the sources cover), derived (figures computed
    from others), date (publication dates that are upper bounds, corrected or rejected
    release dates) or statement (undated or contradicted statements). `kit data check`
    prints these for every company.
    """
    as_of = pd.Timestamp.max if as_of is None else as_of
    company = data.load_companies().set_index("ticker").loc[ticker]
    fin = data.load_financials()
    fin = fin[(fin["ticker"] == ticker) & (fin["published_date"] <= as_of)]
    rows = []

    def add(kind, period, detail):
        rows.append(dict(ticker=ticker, kind=kind, period=period, detail=detail))

    label = {e: f"FY{y % 100:02d} Q{q}" for e, y, q in
             zip(fin["period_end_date"], fin["fiscal_year"], fin["fiscal_quarter"])}
    reported = fin[fin["derivation"] != "sum"]
    for (metric, end), grp in reported.groupby(["metric", "period_end_date"]):
        latest = grp.sort_values("published_date").groupby("source_id").tail(1)
        if latest["value_usd"].max() - latest["value_usd"].min() > 2 * ROUNDING_USD:
            versions = "; ".join(f"{r.source_id} {r.value_usd / 1e6:,.0f}M"
                                 for r in latest.sort_values("source_id").itertuples())
            add("conflict", label[end], f"{metric}: {versions}")
        for src, versions in grp.groupby("source_id"):
            if versions["value_usd"].nunique() > 1:
                v = versions.sort_values("published_date")
                add("revision", label[end], f"{metric} ({src}): " + " then ".join(
                    f"{r.value_usd / 1e6:,.0f}M ({r.published_date:%Y-%m-%d})"
                    for r in v.itertuples()))
    for metric in (company["capex_metric"], "revenue"):
        have = fin[fin["metric"] == metric]
        if have.empty:
            add("gap", "all", f"{metric}: not in the sources")
            continue
        keys = sorted(set(have["fiscal_year"] * 4 + have["fiscal_quarter"] - 1))
        missing = [f"FY{k // 4 % 100:02d} Q{k % 4 + 1}" for k in range(keys[0], keys[-1])
                   if k not in keys]
        if missing:
            add("gap", ", ".join(missing), f"{metric}: missing between the first and the last "
                                           "quarter the sources cover (not in any source, or "
                                           "not derivable because year-to-date periods do not "
                                           "line up); not estimated")
    cur = current_financials(ticker, as_of)
    for how, grp in cur[cur["derivation"] != "reported"].groupby("derivation"):
        add("derived", f"{len(grp)} quarters",
            f"{how}: " + ", ".join(sorted({m for m in grp["metric"]})))
    bound = cur[cur["published_date_basis"].str.startswith("release date not in the sources")]
    if not bound.empty:
        add("date", f"{bound['period_end_date'].nunique()} quarters",
            "no release date in the sources: the figure is taken as public from the day its "
            "10-Q/10-K was due at the latest")
    rel = data.load_earnings_releases()
    rel = rel[(rel["ticker"] == ticker) & (rel["release_date"] <= as_of)]
    if rel.empty:
        add("date", "all", "no earnings release dates in the sources: stock reactions are not "
                           "computed")
    for r in rel[rel["note"].fillna("").str.contains("corrected|timing")].itertuples():
        add("date", f"FY{r.fiscal_year % 100:02d} Q{r.fiscal_quarter}", r.note)
    st = data.load_statements()
    st = st[st["ticker"] == ticker]
    for r in st[st["event_date"].isna()].itertuples():
        add("statement", "undated", f"{r.statement_id}: no date on the page; not in the "
                                    f"guidance tracker ({r.source_url})")
    for r in st[st["note"].fillna("").str.contains("disagree")].itertuples():
        if pd.isna(r.event_date) or r.event_date <= as_of:
            add("conflict", r.fiscal_period or "", f"{r.statement_id}: {r.note}")
    return pd.DataFrame(rows, columns=["ticker", "kind", "period", "detail"])


def load_briefing(ticker: str, as_of=None) -> Briefing:
    """Everything one briefing shows, as of a date (default: the latest data)."""
    ticker, as_of = check_request(ticker, as_of)
    company = data.load_companies().set_index("ticker").loc[ticker]
    quarters = quarterly(ticker, as_of, company["capex_metric"])
    statements = data.load_statements()
    statements = statements[(statements["ticker"] == ticker)
                            & (statements["event_date"] <= as_of)]
    notes = []
    latest = quarters.dropna(subset=["capex_usd"]).tail(1)
    missing = quarters[quarters["capex_usd"].isna()]
    if not missing.empty:
        notes.append(f"{', '.join(missing['quarter_label'])}: {company['capex_metric']} is not "
                     f"in the sources as of {as_of:%Y-%m-%d}; shown as missing, not estimated.")
    if not latest.empty and pd.isna(latest.get("revenue_usd", pd.Series([None])).iloc[0]):
        notes.append(f"{latest['quarter_label'].iloc[0]}: revenue is not in the sources.")
    return Briefing(
        ticker=ticker, company_name=company["company_name"], as_of=as_of,
        capex_metric=company["capex_metric"], capex_definition=company["capex_definition"],
        quarters=quarters, guidance=guidance_history(ticker, as_of),
        other_guidance=other_guidance(ticker, as_of), quality=quality(ticker, as_of),
        actuals=annual_actuals(quarters), peers=peers(as_of),
        reactions=reactions(ticker, as_of),
        statements=statements.sort_values("event_date").reset_index(drop=True),
        sources=data.load_sources(), notes=notes)


def summary(ticker: str, as_of=None) -> dict:
    """The headline figures of a briefing, for the index page: latest quarter, its capex,
    growth, trailing four quarters, intensity, current outlook, latest reaction."""
    ticker, as_of = check_request(ticker, as_of)
    company = data.load_companies().set_index("ticker").loc[ticker]
    q = quarterly(ticker, as_of, company["capex_metric"]).dropna(subset=["capex_usd"])
    last = q.iloc[-1] if not q.empty else pd.Series(dtype=object)
    g = guidance_history(ticker, as_of)
    r = reactions(ticker, as_of)
    return dict(
        ticker=ticker, company_name=company["company_name"], as_of=as_of,
        capex_metric=company["capex_metric"], quarter_label=last.get("quarter_label"),
        capex_usd=last.get("capex_usd"), capex_yoy_pct=last.get("capex_yoy_pct"),
        capex_ttm_usd=last.get("capex_ttm_usd"),
        capex_to_revenue_pct=last.get("capex_to_revenue_pct"),
        guidance=None if g.empty else g.iloc[-1].to_dict(),
        reaction_pct=None if r.empty else r.iloc[-1]["move_pct"],
        reaction_excess_pct=None if r.empty else r.iloc[-1]["excess_pct"])
