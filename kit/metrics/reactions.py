"""Stock reactions to earnings releases, and how far a company's releases reach (the
horizon). These read the releases and prices tables themselves."""

from __future__ import annotations

import pandas as pd

from kit import data, periods
from kit.i18n import _
from kit.i18n import date as _date
from kit.schema import BENCHMARK


def releases(ticker: str, as_of: pd.Timestamp) -> pd.DataFrame:
    """The company's earnings releases made by `as_of`."""
    rel = data.load_earnings_releases()
    return rel[(rel["ticker"] == ticker) & (rel["release_date"] <= as_of)]


def reactions(ticker: str, as_of: pd.Timestamp) -> pd.DataFrame:
    """The move on the first full session after each release, raw and in excess of QQQ.

    After the close: release-day close to the next session's close. Before the open: previous
    close to the release day's close. Where no source gives the time of day (`timing` "not
    stated"), it is measured as if after the close. `excess_pct` is the move minus QQQ's over
    the same two closes.
    """
    rel = releases(ticker, as_of)
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
                         timing=r.timing if not pd.isna(r.timing) else "not_stated",
                         base_date=d0, session_date=d1,
                         base_close_usd=base.iloc[-1], session_close_usd=after.iloc[0],
                         move_pct=move, benchmark_move_pct=bench_move,
                         excess_pct=move - bench_move, source_id=r.source_id,
                         source_url=r.source_url, accession_number=r.accession_number,
                         exhibit_url=r.exhibit_url))
    return pd.DataFrame(rows)


def _closes(prices: pd.DataFrame, ticker: str) -> pd.Series:
    p = prices[prices["ticker"] == ticker]
    return p.set_index("price_date")["adj_close_usd"].sort_index()


DUE_SLACK_DAYS = 7


def latest_release(ticker: str, as_of: pd.Timestamp, rows: pd.DataFrame,
                   reacted: pd.DataFrame) -> dict | None:
    """The latest release public by `as_of` and what the briefing has of it: `outlook`, an
    outlook given that day or the next (the call) among the guidance `rows`; `reaction`,
    whether `reacted` (reactions()) measures it; `prices_end`, the ticker's last price in the
    data (None: no prices)."""
    rel = releases(ticker, as_of).sort_values("release_date")
    if rel.empty:
        return None
    r = rel.iloc[-1]
    day = r["release_date"]
    given = rows[(rows["given_date"] >= day) & (rows["given_date"] <= day + pd.Timedelta(days=1))]
    closes = _closes(data.load_prices(), ticker)
    return dict(release_date=day,
                quarter=periods.label(int(r["fiscal_year"]), int(r["fiscal_quarter"])),
                outlook=not given.empty,
                reaction=not reacted.empty and (reacted["release_date"] == day).any(),
                prices_end=closes.index.max() if not closes.empty else None)


def horizon(rel: pd.DataFrame, fye: str, as_of: pd.Timestamp) -> dict | None:
    """How far a company's releases (`rel`: its earnings_releases rows) reach as seen on
    `as_of`: the latest release public by then; the next quarter; the day its release is due
    by (that quarter's end plus the longest lag, period end to release, of the latest four
    releases, plus DUE_SLACK_DAYS); and `missing`: that day has passed and the data has no
    release for that quarter at all (one still to come after `as_of` is not missing). None
    without a release by `as_of`."""
    seen = rel[rel["release_date"] <= as_of].sort_values("release_date")
    if seen.empty:
        return None
    last = seen.iloc[-1]
    fy, q = (last["fiscal_year"], last["fiscal_quarter"] + 1) if last["fiscal_quarter"] < 4 \
        else (last["fiscal_year"] + 1, 1)
    end = pd.Timestamp(periods.fiscal_quarter_end(int(fy), int(q), fye))
    lag = (seen["release_date"] - seen["period_end_date"]).tail(4).max()
    due = end + lag + pd.Timedelta(days=DUE_SLACK_DAYS)
    have = ((rel["fiscal_year"] == fy) & (rel["fiscal_quarter"] == q)).any()
    return dict(last_release_date=last["release_date"],
                last_quarter=periods.label(int(last["fiscal_year"]), int(last["fiscal_quarter"])),
                next_quarter=periods.label(int(fy), int(q)), due_date=due,
                missing=bool(as_of > due and not have))


def horizon_note(company_name: str, h: dict | None) -> str:
    """One line for the top of a briefing whose data stops before a release that was due."""
    if h is None or not h["missing"]:
        return ""
    return _("Data for {company} ends with the release of {date}; the release for {quarter}, "
             "due by {due}, is not in the data — `kit data refresh`.").format(
        company=company_name, date=_date(h["last_release_date"]), quarter=h["next_quarter"],
        due=_date(h["due_date"]))


def reactions_note(ticker: str, as_of: pd.Timestamp, added: bool) -> str:
    """One line for the reaction section: why it is empty (no release dates, no prices), or
    where the releases' timing comes from when SEC filing times give it. `added`: the
    company was added from SEC (`kit data add`)."""
    rel = releases(ticker, as_of)
    if rel.empty:
        return (_("No earnings release dates for {ticker} in the sources (SEC has no "
                  "submissions document for it): its figures are dated by their 10-Q/10-K "
                  "filings; no reactions are computed.") if added else
                _("No earnings release dates for {ticker} in the sources; no reactions are "
                  "computed.")).format(ticker=ticker)
    notes = []
    if _closes(data.load_prices(), ticker).empty:
        notes.append((_("No price source for {ticker}; no reactions are computed (add prices "
                        "with `kit data add {ticker} --prices FILE`).") if added else
                      _("No price source for {ticker}; no reactions are computed.")).format(
            ticker=ticker))
    if (rel["timing_basis"] == "filing_time").any():
        notes.append(_("Timing comes from the time SEC accepted the 8-K, where the company's "
                       "SEC filing record shows in which time zone it is written; where no "
                       "source establishes the time, it is not stated and the move is measured "
                       "as if the release came after the close."))
    return " ".join(notes)
