"""prices/ and prices_recent/: daily adjusted closes, joined where they agree."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pandas as pd

from kit.schema import DataError
from kit.sources.common import parse_day, read_csv

SEAM_TOLERANCE = 1e-4  # relative: the two files' levels agree to rounding once rescaled


def prices(src: Path, ticker: str, log=print) -> pd.DataFrame:
    """Daily adjusted closes: prices/ and, after the last day it agrees with them,
    prices_recent/ rescaled onto prices/ (see `joined`); rows with no close are dropped."""
    path = src / "prices_recent" / f"{ticker}.csv"
    if not (src / "prices" / f"{ticker}.csv").is_file():  # only the newer file has it
        return from_file(path, ticker, "prices_recent", log)
    old = price_file(src / "prices" / f"{ticker}.csv", "Date", "Adj Close", log)
    out = pd.DataFrame({"ticker": ticker, "price_date": list(old), "adj_close_usd": list(
        old.values()), "source_id": "prices", "scale_factor": None})
    if not path.is_file():
        return out
    return joined(out, price_file(path, "date", "adj_close", log), "prices_recent", str(path),
                  log)


def joined(old: pd.DataFrame, new: dict[date, float], source_id: str, where: str,
           log=print) -> pd.DataFrame:
    """The `prices` rows `old` of one ticker and, after the last day they agree, the closes
    `new` (from `source_id`, named `where` in messages) rescaled onto them by the median
    ratio of the two over the days both cover (a newer series is adjusted for later
    dividends), so the series has no jump; `scale_factor` records the ratio. A day `old`
    gives differently (an intraday snapshot) is taken from `new`."""
    ticker = old["ticker"].iloc[0]
    before = dict(zip(pd.to_datetime(old["price_date"]).dt.date, old["adj_close_usd"]))
    common = sorted(set(before) & set(new))
    if not common:
        raise DataError(f"{where}: shares no day with the {ticker} prices it extends, so the "
                        "two cannot be joined without a jump")
    ratios = pd.Series([before[d] / new[d] for d in common], index=common)
    factor = float(ratios.median())
    agree = ((ratios / factor - 1).abs() <= SEAM_TOLERANCE)
    if agree.mean() < 0.9:
        raise DataError(f"{where}: its adjusted closes do not follow the {ticker} prices it "
                        f"extends by one factor over the {len(common)} days both cover; check "
                        "both")
    seam = max(d for d in common if agree[d])
    for day in (d for d in common if not agree[d]):
        log(f"note: {ticker} {day} differs from {source_id} by "
            f"{(ratios[day] / factor - 1) * 100:+.2f} %; the newer close is used")
    days = pd.to_datetime(old["price_date"]).dt.date
    keep = old[(days <= seam) & ~days.isin([d for d in common if not agree[d]])]
    later = sorted(d for d in new if d > seam or (d in common and not agree[d]))
    added = pd.DataFrame({"ticker": ticker, "price_date": later,
                          "adj_close_usd": [new[d] * factor for d in later],
                          "source_id": source_id, "scale_factor": factor})
    return pd.concat([keep, added]).sort_values("price_date").reset_index(drop=True)


FORMATS = {"Adj Close": "Date", "adj_close": "date"}  # prices/ and prices_recent/


def from_file(path: Path, ticker: str, source_id: str = "prices_file",
              log=print) -> pd.DataFrame:
    """Daily adjusted closes of one file in either format (prices/: Date,Adj Close;
    prices_recent/: date,open,high,low,close,adj_close,volume), as `prices` rows."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such prices file; give a CSV with columns Date,Adj Close "
                        "or date,...,adj_close")
    with path.open(encoding="utf-8-sig") as f:
        header = f.readline().strip().split(",")
    close = next((c for c in FORMATS if c in header), None)
    if close is None:
        raise DataError(f"{path}: no 'Adj Close' or 'adj_close' column; give a CSV with "
                        "columns Date,Adj Close or date,...,adj_close")
    closes = price_file(path, FORMATS[close], close, log)
    return pd.DataFrame({"ticker": ticker, "price_date": list(closes),
                         "adj_close_usd": list(closes.values()), "source_id": source_id,
                         "scale_factor": None})


def price_file(path: Path, date_column: str, close_column: str, log) -> dict[date, float]:
    """{day: adjusted close} of one price file; a row whose close is `nan` is dropped with a
    note (prices_recent/ ends with such a row)."""
    raw = read_csv(path)
    for column in (date_column, close_column):
        if column not in raw:
            raise DataError(f"{path}: missing column {column}; a prices file needs "
                            f"{date_column}, {close_column}")
    closes = {}
    for line, (day, close) in enumerate(zip(raw[date_column], raw[close_column]), start=2):
        try:
            when = parse_day(day)
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
