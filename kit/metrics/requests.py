"""Request checks: a ticker the data knows and a briefing date, or RequestError saying what
is valid."""

from __future__ import annotations

import re
from datetime import date

import pandas as pd

from kit import data
from kit.errors import NoDataYet, RequestError


def data_range(ticker: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last dates on which the data has something for `ticker`."""
    fin = data.load_financials()
    fin = fin[fin["ticker"] == ticker]
    prices = data.load_prices()
    last_price = prices.loc[prices["ticker"] == ticker, "price_date"].max()
    return fin["published_date"].min(), max(fin["published_date"].max(), last_price)


def check_date(as_of=None) -> pd.Timestamp:
    """A briefing date, or RequestError saying what is valid. The default is the data's date
    (the latest date anything in it was published or traded), the same for every company,
    so that briefings made together compare alike."""
    last = data.as_of_date()
    if as_of is None or str(as_of).strip() == "":
        return last
    when = date_or_none(as_of)
    if when is None:
        raise RequestError(f"as_of {as_of!r} is not a date; use a date up to {last:%Y-%m-%d} "
                           "(YYYY-MM-DD)")
    if when > pd.Timestamp.today().normalize():
        raise RequestError(f"as_of {when:%Y-%m-%d} is in the future; use a date up to "
                           f"{last:%Y-%m-%d}, or leave it out for the latest data")
    return when


def check_request(ticker: str, as_of=None) -> tuple[str, pd.Timestamp]:
    """Normalise (ticker, as_of) or raise RequestError saying what is valid (NoDataYet when
    nothing of the company was public by then). `as_of` defaults as in check_date."""
    tickers = sorted(data.load_companies()["ticker"])
    clean = str(ticker).strip().upper()
    if clean not in tickers:
        raise RequestError(f"unknown ticker {ticker!r}; valid tickers: {', '.join(tickers)}")
    when = check_date(as_of)
    first = data_range(clean)[0]
    if when < first:
        raise NoDataYet(f"as_of {when:%Y-%m-%d} is before the first {clean} data "
                        f"({first:%Y-%m-%d}); use a date between {first:%Y-%m-%d} and "
                        f"{data.as_of_date():%Y-%m-%d} (YYYY-MM-DD)")
    return clean, when


def date_or_none(value) -> pd.Timestamp | None:
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
