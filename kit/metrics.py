"""What a briefing says, computed from the tables as of a date: capex by quarter, growth,
trailing sums, intensity, guidance moves, stock reactions, source disagreements."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from kit import data
from kit.sources import BENCHMARK, ROUNDING_USD, SOURCE_PRIORITY


class RequestError(ValueError):
    """A briefing was asked for a company or date the data does not cover."""


@dataclass
class Briefing:
    ticker: str
    company_name: str
    as_of: pd.Timestamp
    capex_metric: str
    capex_definition: str
    quarters: pd.DataFrame
    guidance: pd.DataFrame
    reactions: pd.DataFrame
    statements: pd.DataFrame
    disagreements: pd.DataFrame
    sources: pd.DataFrame
    notes: list[str] = field(default_factory=list)


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
    try:
        when = pd.Timestamp(str(as_of).strip())
    except ValueError:
        raise RequestError(f"as_of {as_of!r} is not a date; use YYYY-MM-DD, "
                           f"between {first:%Y-%m-%d} and {last:%Y-%m-%d}") from None
    if when < first:
        raise RequestError(f"as_of {when:%Y-%m-%d} is before the first {clean} data "
                           f"({first:%Y-%m-%d}); use a date between {first:%Y-%m-%d} and "
                           f"{last:%Y-%m-%d}")
    return clean, when.normalize()


def current_financials(ticker: str, as_of: pd.Timestamp) -> pd.DataFrame:
    """One row per metric x quarter: the value that was public on `as_of`."""
    fin = data.load_financials()
    fin = fin[(fin["ticker"] == ticker) & (fin["published_date"] <= as_of)].copy()
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

    Columns: period_end_date, quarter_label, <metric>_usd, <metric>_source and <metric>_url
    for each metric,
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
    out["quarter_label"] = [quarter_label(*labels.loc[d, ["fiscal_year", "fiscal_quarter",
                                                          "calendar_year", "calendar_quarter"]])
                            for d in out.index]
    out = out.sort_index()
    capex = out.get(f"{capex_metric}_usd", pd.Series(float("nan"), index=out.index))
    out["capex_usd"] = capex
    ends = pd.Series(out.index, index=out.index)
    year_ago = capex.reindex(ends - pd.DateOffset(years=1)).to_numpy()
    out["capex_yoy_pct"] = (capex.to_numpy() / year_ago - 1) * 100
    ttm = []
    for end in out.index:
        window = capex[(capex.index > end - pd.DateOffset(years=1)) & (capex.index <= end)]
        ttm.append(window.sum() if len(window) == 4 and window.notna().all() else float("nan"))
    out["capex_ttm_usd"] = ttm
    revenue = out.get("revenue_usd", pd.Series(float("nan"), index=out.index))
    out["capex_to_revenue_pct"] = capex / revenue * 100
    return out.reset_index()


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
    g = g[(g["ticker"] == ticker) & (g["given_date"] <= as_of)]
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


def _bn(usd: float) -> str:
    return f"${usd / 1e9:g}B"


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
    """Close-to-close move from the release day to the first session after it.

    The sources do not say whether a release came before the open or after the close; the
    move measured here is the one that includes an after-close release. `excess_pct` is the
    move minus QQQ's over the same two closes.
    """
    rel = data.load_earnings_releases()
    rel = rel[(rel["ticker"] == ticker) & (rel["release_date"] <= as_of)]
    prices = data.load_prices()
    stock = _closes(prices, ticker)
    bench = _closes(prices, BENCHMARK)
    rows = []
    for r in rel.itertuples():
        before = stock[stock.index <= r.release_date]
        after = stock[(stock.index > r.release_date) & (stock.index <= as_of)]
        if before.empty or after.empty:
            continue
        d0, d1 = before.index[-1], after.index[0]
        move = (after.iloc[0] / before.iloc[-1] - 1) * 100
        bench_move = (bench.get(d1) / bench.get(d0) - 1) * 100
        rows.append(dict(fiscal_year=r.fiscal_year, fiscal_quarter=r.fiscal_quarter,
                         release_date=r.release_date, base_date=d0, session_date=d1,
                         base_close_usd=before.iloc[-1], session_close_usd=after.iloc[0],
                         move_pct=move, benchmark_move_pct=bench_move,
                         excess_pct=move - bench_move, source_url=r.source_url))
    return pd.DataFrame(rows)


def _closes(prices: pd.DataFrame, ticker: str) -> pd.Series:
    p = prices[prices["ticker"] == ticker]
    return p.set_index("price_date")["adj_close_usd"].sort_index()


def disagreements(ticker: str, as_of: pd.Timestamp) -> pd.DataFrame:
    """Quarters where published figures for the same metric differ beyond rounding."""
    fin = data.load_financials()
    fin = fin[(fin["ticker"] == ticker) & (fin["published_date"] <= as_of)
              & (fin["derivation"] != "sum")]
    rows = []
    for (metric, end), grp in fin.groupby(["metric", "period_end_date"]):
        if grp["value_usd"].max() - grp["value_usd"].min() > 2 * ROUNDING_USD:
            for r in grp.sort_values("published_date").itertuples():
                rows.append(dict(metric=metric, period_end_date=end, value_usd=r.value_usd,
                                 published_date=r.published_date, source_id=r.source_id,
                                 basis=r.published_date_basis))
    return pd.DataFrame(rows, columns=["metric", "period_end_date", "value_usd",
                                       "published_date", "source_id", "basis"])


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
    if not latest.empty and pd.isna(latest["revenue_usd"].iloc[0]):
        notes.append(f"{latest['quarter_label'].iloc[0]}: revenue is not in the sources.")
    return Briefing(
        ticker=ticker, company_name=company["company_name"], as_of=as_of,
        capex_metric=company["capex_metric"], capex_definition=company["capex_definition"],
        quarters=quarters, guidance=guidance_history(ticker, as_of),
        reactions=reactions(ticker, as_of),
        statements=statements.sort_values("event_date").reset_index(drop=True),
        disagreements=disagreements(ticker, as_of), sources=data.load_sources(), notes=notes)
