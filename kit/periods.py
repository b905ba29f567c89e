"""Fiscal and calendar periods, and single quarters from year-to-date figures."""

from __future__ import annotations

from datetime import date, timedelta

QUARTER_DAYS = range(84, 98)  # 13 weeks +- a week: what a reported quarter can span


def calendar_quarter(start: date, end: date) -> tuple[int, int]:
    """(year, quarter) of the calendar quarter holding most of the period's days.

    This is the rule SEC uses for its `frame` values (e.g. a quarter ending 2025-01-31
    is CY2024Q4).
    """
    counts: dict[tuple[int, int], int] = {}
    day = start
    while day <= end:
        q = (day.year, (day.month - 1) // 3 + 1)
        counts[q] = counts.get(q, 0) + 1
        day += timedelta(days=1)
    return max(counts, key=lambda q: (counts[q], q))


def fiscal_quarter_end(fiscal_year: int, quarter: int, fiscal_year_end: str) -> date:
    """Last day of a fiscal quarter for a company whose year ends on `fiscal_year_end` (MM-DD).

    Only month-end fiscal calendars are supported here; the fiscal year is named after the
    calendar year in which it ends.
    """
    month = int(fiscal_year_end[:2])
    end_month = (month - 3 * (4 - quarter) - 1) % 12 + 1
    year = fiscal_year if end_month <= month else fiscal_year - 1
    return _month_end(year, end_month)


def quarter_start(end: date) -> date:
    """First day of the three-month quarter ending on month-end `end`."""
    month = (end.month - 4) % 12 + 1
    year = end.year if end.month > 3 else end.year - 1
    return _month_end(year, month) + timedelta(days=1)


def _month_end(year: int, month: int) -> date:
    first_next = date(year + (month == 12), month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def is_quarter(start: date, end: date) -> bool:
    return (end - start).days + 1 in QUARTER_DAYS


def quarters_from_ytd(spans: list[dict]) -> list[dict]:
    """Derive single quarters from cumulative (year-to-date) spans.

    `spans` are dicts with at least `start`, `end` (dates) and `value`. A span that is itself
    a quarter is returned as reported. A longer span sharing its start with a shorter one yields
    the quarter between them -- but only when the shorter span ends the day before that quarter
    begins and the difference is a quarter long. Nothing else is derived: a quarter whose
    bounds do not line up is absent, never filled in. Each result carries `derivation`
    ('reported' or 'ytd_difference') and `parts` (the spans used, later minus earlier).
    """
    out = []
    for s in spans:
        if is_quarter(s["start"], s["end"]):
            out.append({**s, "derivation": "reported", "parts": [s]})
    for longer in spans:
        if is_quarter(longer["start"], longer["end"]):
            continue
        earlier = [
            s for s in spans
            if s["start"] == longer["start"] and s["end"] < longer["end"]
            and is_quarter(s["end"] + timedelta(days=1), longer["end"])
        ]
        for shorter in earlier:
            out.append({
                **longer,
                "start": shorter["end"] + timedelta(days=1),
                "value": longer["value"] - shorter["value"],
                "derivation": "ytd_difference",
                "parts": [longer, shorter],
            })
    return out


def fiscal_period(end: date, fiscal_year_end: str) -> tuple[int, int]:
    """(fiscal_year, fiscal_quarter) of the quarter ending on month-end `end`."""
    fye_month = int(fiscal_year_end[:2])
    months_after_fye = (end.month - fye_month) % 12  # 3, 6, 9 or 0 for a quarter end
    quarter = (months_after_fye // 3) or 4
    year = end.year if end.month <= fye_month else end.year + 1
    return year, quarter
