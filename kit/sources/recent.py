"""recent_financials/: the last five to six quarters from yfinance/Finnhub (secondary):
revenue only."""

from __future__ import annotations

from pathlib import Path

from kit import periods
from kit.sources.common import fact_row, parse_day, read_json


def recent_rows(src: Path, ticker: str, fye: str, release_on: dict,
                 own_filing: dict) -> list[dict]:
    """Revenue from recent_financials, only for quarters whose end date is exactly a fiscal
    quarter end (the file gives month ends even for 52-53 week calendars) and whose
    publication date is known."""
    path = src / "recent_financials" / f"{ticker}.json"
    if not path.exists():
        return []
    rows = []
    for q in read_json(path)["quarterly"]:
        end = parse_day(q["period_end"])
        try:
            fy, fq = periods.fiscal_period(end, fye)
        except ValueError:
            continue  # not this company's quarter end: never relabel it
        if q.get("revenue") is None:
            continue
        if end in release_on:
            public = (release_on[end][0], "release", "date of the earnings release")
        elif end in own_filing:
            filed, form = own_filing[end]
            public = (filed, "filing", f"date the period's own {form} was filed (sec_extract)")
        else:
            continue  # no date known: cannot say when it was public
        rows.append(fact_row("revenue", periods.fiscal_quarter_bounds(fy, fq, fye)[0], end,
                         float(q["revenue"]), public, "recent_financials",
                         "https://github.com/gbrakel/stock-intelligence-app",
                         f"recent_financials/{ticker}.json quarterly "
                         f"period_end={q['period_end']} revenue"))
    return rows
