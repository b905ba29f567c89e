"""Daily prices from Yahoo Finance through yfinance, the optional extra `prices`
(`pip install 'ai-capex-kit[prices]'`), for `kit data refresh`.

yfinance's frame has a column per (price, ticker); the adjusted close of each ticker is
checked before it is used: real days, positive finite closes, and no hole longer than a week
between trading days. Without yfinance, or without a network (yfinance then returns an empty
frame), the refresh says so and keeps the prices it has.
"""

from __future__ import annotations

import math
from datetime import date

import pandas as pd

from kit.errors import FetchError

MAX_GAP_DAYS = 7  # calendar days between two trading days (a long weekend and a holiday: 4)


def download(tickers: list[str], start: date, fetch=None) -> pd.DataFrame:
    """yfinance's daily frame for `tickers` from `start` (`fetch`: yfinance.download, or a
    stand-in with its signature); FetchError saying why there is none."""
    if fetch is None:
        try:
            import yfinance
        except ImportError:
            raise FetchError("prices not refreshed: yfinance is not installed (pip install "
                             "'ai-capex-kit[prices]'); the prices in the data are kept") from None
        fetch = yfinance.download
    try:
        frame = fetch(list(tickers), start=f"{start:%Y-%m-%d}", auto_adjust=False,
                      actions=False, progress=False, threads=False)
    except Exception as err:  # yfinance raises what its HTTP library raises
        raise FetchError(f"prices not refreshed: Yahoo Finance could not be reached "
                         f"({type(err).__name__}: {err}); the prices in the data are kept"
                         ) from None
    if frame is None or frame.empty:
        raise FetchError("prices not refreshed: Yahoo Finance returned no prices (no network, "
                         "or no such tickers); the prices in the data are kept")
    return frame


def closes(frame: pd.DataFrame, ticker: str) -> dict[date, float]:
    """{day: adjusted close} of one ticker in yfinance's frame, checked; FetchError naming
    the ticker and the day for an empty series, a close that is not a positive finite
    number, or a hole of more than MAX_GAP_DAYS."""
    column = ("Adj Close", ticker) if isinstance(frame.columns, pd.MultiIndex) else "Adj Close"
    if column not in frame.columns:
        raise FetchError(f"prices of {ticker}: Yahoo Finance gave no adjusted close; kept")
    series = frame[column]
    valid = series.dropna()
    if valid.empty:
        raise FetchError(f"prices of {ticker}: Yahoo Finance gave no closes; kept")
    series = series.loc[valid.index[0]:valid.index[-1]]  # before listing: no close, no fault
    out = {}
    for day, value in series.items():
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
            raise FetchError(f"prices of {ticker}: the close of {pd.Timestamp(day):%Y-%m-%d} "
                             f"is {value!r}, not a price; none of them used")
        out[pd.Timestamp(day).date()] = float(value)
    days = sorted(out)
    for a, b in zip(days, days[1:]):
        if (b - a).days > MAX_GAP_DAYS:
            raise FetchError(f"prices of {ticker}: no close from {a} to {b} ({(b - a).days} "
                             "days); none of them used")
    return out
