"""Prices from Yahoo Finance (kit.sources.yahoo): yfinance's frame, built from a recorded copy
of Yahoo's closes (prices_recent/, a public repository's copy), its failure modes, and a
refresh that joins new days without a jump."""

import shutil
import sys
from datetime import date

import pandas as pd
import pytest

from kit import sec
from kit.data import load_table
from kit.errors import FetchError
from kit.sources import yahoo

from .conftest import SOURCES


def _recorded(ticker: str, until: str | None = None, scale: float = 1.0) -> pd.DataFrame:
    """Yahoo's daily rows of `ticker` as the recorded file has them, in yfinance's shape:
    a column per (price, ticker), the days as the index."""
    raw = pd.read_csv(SOURCES / "prices_recent" / f"{ticker}.csv", parse_dates=["date"])
    if until:
        raw = raw[raw["date"] <= until]
    names = {"open": "Open", "high": "High", "low": "Low", "close": "Close",
             "adj_close": "Adj Close", "volume": "Volume"}
    frame = raw.set_index(pd.DatetimeIndex(raw["date"], name="Date"))[list(names)]
    frame = frame.rename(columns=names)
    frame["Adj Close"] *= scale
    frame.columns = pd.MultiIndex.from_product([frame.columns, [ticker]],
                                               names=["Price", "Ticker"])
    return frame


def _both(*tickers, **kw):
    return pd.concat([_recorded(t, **kw) for t in tickers], axis=1)


def test_the_adjusted_closes_of_each_ticker_are_read_from_yfinances_frame():
    frame = _both("QQQ", "META")
    raw = pd.read_csv(SOURCES / "prices_recent" / "QQQ.csv").dropna(subset=["adj_close"])
    found = yahoo.closes(frame, "QQQ")
    assert len(found) == len(raw)  # the recorded last row has no close: past the last close
    assert found[date(2026, 1, 2)] == raw["adj_close"].iloc[0]
    assert set(yahoo.closes(frame, "META")) == set(found)


@pytest.mark.robustness
@pytest.mark.parametrize("fault, message", [
    ("gap", "no close from 2026-03-02 to 2026-03-16"),
    ("negative", "the close of 2026-03-03 is -1.0, not a price"),
    ("infinite", "the close of 2026-03-03 is inf, not a price"),
    ("missing", "the close of 2026-03-03 is nan, not a price"),
    ("absent", "gave no adjusted close"),
])
def test_a_bad_series_is_refused_naming_the_ticker_and_the_day(fault, message):
    frame = _recorded("QQQ")
    col = ("Adj Close", "QQQ")
    if fault == "gap":
        frame = frame[(frame.index <= "2026-03-02") | (frame.index >= "2026-03-16")]
    elif fault == "absent":
        frame = frame.drop(columns=[col])
    else:
        frame.loc["2026-03-03", col] = {"negative": -1.0, "infinite": float("inf"),
                                        "missing": float("nan")}[fault]
    with pytest.raises(FetchError, match=f"prices of QQQ: .*{message}"):
        yahoo.closes(frame, "QQQ")


@pytest.mark.robustness
def test_no_network_no_data_and_no_yfinance_each_say_why(monkeypatch):
    def unreachable(*args, **kw):
        raise ConnectionError("Failed to resolve 'query2.finance.yahoo.com'")

    with pytest.raises(FetchError, match="could not be reached .*ConnectionError"):
        yahoo.download(["QQQ"], date(2026, 9, 1), unreachable)
    # yfinance answers an empty frame when it cannot connect
    with pytest.raises(FetchError, match="returned no prices"):
        yahoo.download(["QQQ"], date(2026, 9, 1), lambda *a, **kw: _recorded("QQQ").iloc[:0])
    monkeypatch.setitem(sys.modules, "yfinance", None)
    with pytest.raises(FetchError, match=r"yfinance is not installed .*ai-capex-kit\[prices\]"):
        yahoo.download(["QQQ"], date(2026, 9, 1))


def test_refresh_joins_yahoos_new_days_without_a_jump(tmp_path, monkeypatch):
    """The sources end on 2026-08-31 here; Yahoo's series (the recorded one, adjusted 1 %
    lower, as a later dividend would) goes to 2026-09-28. The refresh adds September,
    rescaled onto the data's prices: the closes are the recorded ones again."""
    sources = tmp_path / "sources"
    shutil.copytree(SOURCES, sources)
    for name in ("QQQ", "META"):
        path = sources / "prices_recent" / f"{name}.csv"
        path.chmod(0o644)
        raw = pd.read_csv(path, dtype=str)
        raw[raw["date"] <= "2026-08-31"].to_csv(path, index=False)
    asked = []

    def fetch(tickers, **kw):
        asked.append((tickers, kw["start"]))
        return _both("META", "QQQ", scale=0.99)

    client = sec.Client("Kit Tests kit-tests@example.com", base_url="http://127.0.0.1:9",
                        cache=tmp_path / "cache", retries=0, log=lambda m: None)
    lines = []
    with pytest.raises(FetchError):  # SEC is unreachable here: named, the rest goes on
        sec.refresh(["META"], client=client, sources_dir=sources,
                    data_dir=tmp_path / "data", log=lines.append, prices_fetch=fetch)
    assert asked == [(["META", "QQQ"], "2026-08-01")]
    prices = load_table("prices", tmp_path / "data")
    for ticker in ("META", "QQQ"):
        mine = prices[prices["ticker"] == ticker].set_index("price_date")
        sept = mine[mine.index > "2026-08-31"]
        assert len(sept) == 19 and set(sept["source_id"]) == {"yahoo"}
        before = mine[mine["source_id"] == "prices_recent"]["scale_factor"].iloc[-1]
        assert sept["scale_factor"].iloc[0] == pytest.approx(before / 0.99)
        # the recorded closes again, on both sides of the seam, times the one factor the
        # data's prices already carried: no jump
        recorded = pd.read_csv(SOURCES / "prices_recent" / f"{ticker}.csv",
                               parse_dates=["date"]).set_index("date")["adj_close"]
        ratio = (mine["adj_close_usd"] / recorded).dropna()
        ratio = ratio[ratio.index >= "2026-05-06"]
        assert len(ratio) > 90 and (ratio / before - 1).abs().max() < 1e-9
    assert any(line.startswith("QQQ: prices to 2026-09-28") for line in lines)
