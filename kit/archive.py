"""The archive: every company as of every earnings release, and what makes a render needed.

A briefing as of a date depends on the notebook, the kit's code, its parameters and the rows
of `data/` visible on that date: `fingerprint` hashes exactly these. `data_digests` hashes,
for each date, the rows public by then (by the table's date column; undated statements and
the companies and sources tables always) plus the keys of figures published later that a
briefing of that date names as "not public by <date>" (metrics.pending, later_quarters). A
quarter published in 2026 leaves a briefing as of 2023 as it was.

Every rendered page carries its fingerprint and headline figures in its head
(kit.html.document), so a batch skips what is up to date and builds its index from the files.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pandas as pd

from kit import data, i18n, metrics
from kit.errors import RequestError
from kit.i18n import _
from kit.schema import BENCHMARK, TABLES

# The date from which a row of each table is visible; a table not named is visible whole.
VISIBLE_FROM = {"financials": "published_date", "capex_guidance": "given_date",
                "company_notes": "public_date",
                "earnings_releases": "release_date", "prices": "price_date",
                "release_sentences": "release_date", "statements": "event_date"}
STAMP_BYTES = 64 * 1024  # the head of a page, where its fingerprint and figures are


def data_digests(dates) -> dict[pd.Timestamp, str]:
    """SHA-256 of the data visible on each date (see the module's docstring)."""
    tables = {name: getattr(data, f"load_{name}")() for name in TABLES}
    hashes = {name: pd.util.hash_pandas_object(df, index=False).to_numpy()
              for name, df in tables.items()}
    fin = tables["financials"]
    out = {}
    for day in sorted({pd.Timestamp(d) for d in dates}):
        digest = hashlib.sha256()
        for name, df in tables.items():
            column = VISIBLE_FROM.get(name)
            seen = slice(None) if column is None else \
                (df[column].isna() | (df[column] <= day)).to_numpy()
            digest.update(f"{name}\0{','.join(df.columns)}\0".encode())
            digest.update(hashes[name][seen].tobytes())
        pend = metrics.pending_rows(fin, day)[["ticker", "metric", "period_end_date"]]
        pend = sorted(set(map(tuple, pend.astype(str).to_numpy().tolist())))
        later = metrics.later_quarters(fin, day)[
            ["ticker", "period_end_date", "fiscal_year", "fiscal_quarter", "calendar_year",
             "calendar_quarter"]].astype(str).sort_values(["ticker", "period_end_date"])
        digest.update(json.dumps([pend, later.to_numpy().tolist()]).encode())
        out[day] = digest.hexdigest()
    return out


def data_digest(as_of) -> str:
    """SHA-256 of the data a briefing as of `as_of` can see (the footer shows it)."""
    return data_digests([as_of])[pd.Timestamp(as_of)]


def fingerprint(notebook: dict, parameters: dict, data_sha: str) -> str:
    """SHA-256 of a render's inputs: the notebook (its cells and metadata, without an
    earlier fingerprint), the kit's code, the parameters and the visible data."""
    nb = {"cells": [{k: c.get(k) for k in ("cell_type", "source", "metadata")}
                    for c in notebook["cells"]],
          "metadata": {k: v for k, v in notebook.get("metadata", {}).items() if k != "kit"}}
    return hashlib.sha256(json.dumps(
        {"notebook": nb, "code": data.code_digest(), "parameters": parameters, "data": data_sha},
        sort_keys=True, default=str).encode()).hexdigest()


_CONTENT = re.compile(r'<meta name="kit-content-sha256" content="([0-9a-f]{64})">')
NOTEBOOK_HASH = '"content_sha256": "{}"'  # in the executed notebook's metadata.kit
_NOTEBOOK_CONTENT = re.compile(NOTEBOOK_HASH.format("([0-9a-f]{64})"))


def seal_notebook(text: str) -> str:
    """The executed notebook's text with the SHA-256 of its own text (computed with that
    field empty) in its metadata.kit.content_sha256, so that `damaged` knows it."""
    empty = NOTEBOOK_HASH.format("")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return text.replace(empty, NOTEBOOK_HASH.format(digest), 1)


def damaged(path: Path) -> str | None:
    """Why the page (or executed notebook, `.ipynb`) at `path` is not whole and unchanged as
    the kit wrote it (missing, no content hash, or a text that no longer matches it: cut
    short or edited); None if it is."""
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except FileNotFoundError:
        return "missing"
    except (OSError, UnicodeDecodeError) as err:
        return f"unreadable ({err})"
    found = _NOTEBOOK_CONTENT.search(text) if Path(path).suffix == ".ipynb" else \
        _CONTENT.search(text[:STAMP_BYTES])
    if not found:
        return "it carries no content hash (cut short, or written by another program)"
    blank = text[:found.start(1)] + text[found.end(1):]
    if hashlib.sha256(blank.encode("utf-8")).hexdigest() != found[1]:
        return "its text does not match its content hash (cut short or edited)"
    return None


def read_stamp(path: Path) -> tuple[str | None, dict | None]:
    """The fingerprint and headline figures a rendered page carries in its head."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            head = f.read(STAMP_BYTES)
    except OSError:
        return None, None
    found = re.search(r'<meta name="kit-fingerprint" content="([0-9a-f]{64})">', head)
    figures = re.search(r'<script type="application/json" id="kit-summary">(.*?)</script>',
                        head, re.S)
    try:
        summary = json.loads(figures[1].replace("<\\/", "</")) if figures else None
    except ValueError:
        summary = None
    return (found[1] if found else None), summary


def _since(value) -> pd.Timestamp:
    """`--since` as a day, or RequestError naming --since: not a date, or after the data."""
    day, last = metrics.date_or_none(value), data.as_of_date()
    if day is None:
        raise RequestError(f"--since {value!r} is not a date; use YYYY-MM-DD (e.g. "
                           "2024-01-01), or leave --since out for every release")
    if day > last:
        raise RequestError(f"--since {day:%Y-%m-%d} is after the data's date "
                           f"({last:%Y-%m-%d}): no release is that late; use an earlier date")
    return day


def release_dates(tickers: list[str], since=None) -> tuple[list[tuple], dict[str, str]]:
    """For every earnings release of `tickers` (from `since` on), the briefing date: the
    first session after it, whose close the reaction measures (the release day itself when
    it came before the open). Sessions are the company's trading days in `prices`, else (none
    yet, or after its prices end) the benchmark's; before the first price the next weekday.
    Returns (ticker, briefing date, release date) in order, and the releases whose session
    is not in the data yet."""
    rel = data.load_earnings_releases()
    prices = data.load_prices()
    bench = set(prices.loc[prices["ticker"] == BENCHMARK, "price_date"])
    market = pd.DatetimeIndex(sorted(bench))
    since = None if since is None else _since(since)
    out, waiting = [], {}
    for ticker in tickers:
        mine = rel[rel["ticker"] == ticker].sort_values("release_date")
        if since is not None:
            mine = mine[mine["release_date"] >= since]
        days = sorted(set(prices.loc[prices["ticker"] == ticker, "price_date"]) or bench)
        sessions = pd.DatetimeIndex(days)
        for r in mine.itertuples():
            before_open = not pd.isna(r.timing) and r.timing == "before_open"
            i = sessions.searchsorted(r.release_date, side="left" if before_open else "right")
            if days and r.release_date < days[0]:
                day = r.release_date + pd.offsets.BDay(0 if before_open else 1)
            elif i < len(sessions):
                day = sessions[i]
            elif (j := market.searchsorted(r.release_date, side="left" if before_open
                                           else "right")) < len(market):
                day = market[j]  # its own prices end sooner: the page says so
            else:
                waiting[f"{ticker}-{r.release_date:%Y-%m-%d}"] = _(
                    "released {release}; the session after it is not in the price data yet "
                    "(its prices end {end})").format(release=i18n.date(r.release_date),
                                                     end=i18n.date(days[-1]))
                continue
            if not out or out[-1][:2] != (ticker, day):
                out.append((ticker, pd.Timestamp(day), r.release_date))
    return out, waiting
