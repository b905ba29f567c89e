"""Fiscal and calendar periods, and single quarters from year-to-date figures.

A company's fiscal calendar is written as `fiscal_year_end`:
- `MM-DD`: the year ends on the last day of month MM; quarters end on month ends
  (Meta `12-31`, Microsoft `06-30`, Oracle `05-31`).
- `last-<Day>-MM/Q<n>`: a 52-53 week year ending on the last <Day> of month MM; quarters are
  13 weeks, and in a 53-week year quarter n has 14 (Apple `last-Sat-09/Q1`,
  Nvidia `last-Sun-01/Q4`).
- `nearest-<Day>-MM/Q<n>`: a 52-53 week year ending on the <Day> nearest the last day of
  month MM, which may fall in the next month (Marvell `nearest-Sat-01/Q4`: 2024-02-03,
  2025-02-01, 2026-01-31).
The two week-based kinds are pandas' FY5253 offsets (variation "last" and "nearest"). A fiscal
year is named after the calendar year of the month-end its year end falls on or near.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import pandas as pd

from kit.i18n import N_, _

QUARTER_DAYS = range(84, 99)  # 13 weeks - a week .. 14 weeks: what a reported quarter spans
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def label(year, quarter, kind: str = "FY") -> str:
    """The one way the kit names a quarter: "FY25 Q2" (fiscal) or, with kind "CY", "CY24 Q4"
    (calendar)."""
    return f"{_(_KINDS[kind])}{int(year) % 100:02d} Q{int(quarter)}"


# L10N: "FY" fiscal year and "CY" calendar year, before a two-digit year (German: GJ, KJ)
_KINDS = {"FY": N_("FY"), "CY": N_("CY")}


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


def check_fiscal_year_end(fye: str) -> str:
    """Return `fye` if it is a calendar this module understands, else raise ValueError."""
    try:
        _parse(fye)
    except (ValueError, IndexError):
        raise ValueError(f"fiscal_year_end {fye!r} is not MM-DD (month end), "
                         "last-<Mon..Sun>-MM/Q<1-4> or nearest-<Mon..Sun>-MM/Q<1-4> (52-53 "
                         "week years)") from None
    return fye


def _parse(fye: str):
    kind, _sep, rest = fye.partition("-")
    if kind in ("last", "nearest"):
        day, rest = rest.split("-", 1)
        month, long_q = rest.split("/Q")
        weekday, month, long_q = _WEEKDAYS.index(day), int(month), int(long_q)
        if not (1 <= month <= 12 and 1 <= long_q <= 4):
            raise ValueError(fye)
        return (kind, month, weekday, long_q)
    month, day = (int(x) for x in fye.split("-"))
    if _month_end(2001, month).day != day:  # only month-end years are supported
        raise ValueError(fye)
    return ("months", month, None, None)


def infer_fiscal_year_end(spans: list[tuple[date, date]]) -> str:
    """The `fiscal_year_end` of a company from the (start, end) of periods it reported: the
    ends of its full years (350-380 days) in its latest six years give the calendar that
    fits most of them — a month's last day, the last of one weekday in a month, or the
    weekday nearest a month's end (52-53 weeks) — so that a stray full year (an acquired
    business's, a transition period) does not decide it, and a company that changed its
    calendar gets the one it uses now; a 14-week quarter among the others names the long
    quarter (else Q4). ValueError when no calendar fits at least three of those years (or
    all, if fewer)."""
    years = sorted({end for start, end in spans if 350 <= (end - start).days + 1 <= 380})
    if not years:
        raise ValueError("no full fiscal year among the reported periods")
    recent = [e for e in years if (years[-1] - e).days < 6 * 366]
    long = [(start, end) for start, end in spans if (end - start).days + 1 == 98]
    candidates = []
    for e in recent:
        day = _WEEKDAYS[e.weekday()]
        candidates.append(f"{e.month:02d}-{_month_end(2001, e.month).day:02d}")
        for kind, month in (("last", e.month), ("nearest", _nearest_month(e))):
            long_q = next((q for q in range(1, 5) if long and all(_is_quarter_of(
                start, end, f"{kind}-{day}-{month:02d}/Q{q}") for start, end in long)), 4)
            candidates.append(f"{kind}-{day}-{month:02d}/Q{long_q}")

    def fits(fye: str, ends: list[date]) -> int:
        return sum(e in {fiscal_year_end_date(y, fye) for y in (e.year - 1, e.year)}
                   for e in ends)

    # the most recent years it fits, then all years; the first of equals (month ends first)
    best = max(dict.fromkeys(candidates), key=lambda fye: (fits(fye, recent), fits(fye, years)))
    if fits(best, recent) < min(3, len(recent)):
        raise ValueError("full years end neither on one month's last day, nor on the last "
                         "weekday of one month, nor on the weekday nearest one month's end: "
                         + ", ".join(map(str, recent)))
    return best


def _nearest_month(end: date) -> int:
    """The month whose last day `end` is at most three days from."""
    before = _month_end(end.year, end.month) if end.day > 3 else end - timedelta(days=end.day)
    return before.month


def _is_quarter_of(start: date, end: date, fye: str) -> bool:
    try:
        return fiscal_quarter_bounds(*fiscal_period(end, fye), fye) == (start, end)
    except ValueError:
        return False


@cache  # every quarter of every row asks: pandas' offsets take tens of microseconds each
def fiscal_year_end_date(fiscal_year: int, fye: str) -> date:
    """The last day of a fiscal year: a month's last day, or pandas' FY5253 year end on or
    near it (the last <Day> of the month, or the <Day> nearest its last day)."""
    kind, month, weekday, _long = _parse(fye)
    last = _month_end(fiscal_year, month)
    if kind == "months":
        return last
    offset = pd.offsets.FY5253(weekday=weekday, startingMonth=month, variation=kind)
    return offset.rollforward(pd.Timestamp(last) - pd.Timedelta(days=6 if kind == "last" else 3)
                              ).date()


def fiscal_quarter_bounds(fiscal_year: int, quarter: int, fye: str) -> tuple[date, date]:
    """(first day, last day) of a fiscal quarter."""
    kind, month, _day, long_q = _parse(fye)
    if kind == "months":
        end_month = (month - 3 * (4 - quarter) - 1) % 12 + 1
        year = fiscal_year if end_month <= month else fiscal_year - 1
        end = _month_end(year, end_month)
        start_month = (end_month - 4) % 12 + 1
        start_year = year if end_month > 3 else year - 1
        return _month_end(start_year, start_month) + timedelta(days=1), end
    start = fiscal_year_end_date(fiscal_year - 1, fye) + timedelta(days=1)
    extra = (fiscal_year_end_date(fiscal_year, fye) - start).days + 1 - 364  # 0 or 7
    for q in range(1, 5):
        end = start + timedelta(days=91 + (extra if q == long_q else 0) - 1)
        if q == quarter:
            return start, end
        start = end + timedelta(days=1)
    raise ValueError(f"quarter {quarter} is not 1-4")


def fiscal_quarter_end(fiscal_year: int, quarter: int, fye: str) -> date:
    return fiscal_quarter_bounds(fiscal_year, quarter, fye)[1]


def fiscal_period(end: date, fye: str) -> tuple[int, int]:
    """(fiscal_year, fiscal_quarter) of the quarter ending on `end`.

    Raises ValueError when `end` is not the last day of a fiscal quarter of that calendar.
    """
    year = next(y for y in (end.year - 1, end.year, end.year + 1)
                if end <= fiscal_year_end_date(y, fye))
    for q in range(1, 5):
        if fiscal_quarter_end(year, q, fye) == end:
            return year, q
    raise ValueError(f"{end} is not the end of a fiscal quarter for fiscal_year_end {fye}")


def _month_end(year: int, month: int) -> date:
    first_next = date(year + (month == 12), month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def is_quarter(start: date, end: date) -> bool:
    return (end - start).days + 1 in QUARTER_DAYS


def quarters_from_ytd(spans: list[dict], same_vintage: str = "year") -> list[dict]:
    """Derive single quarters from cumulative (year-to-date) spans.

    `spans` are dicts with at least `start`, `end` (dates) and `value`, and optionally
    `vintage` (the filing year the figure comes from). A span that is itself a quarter is
    returned as reported. A longer span sharing its start with a shorter one yields the
    quarter between them -- but only when the shorter span ends the day before that quarter
    begins, the difference is a quarter long, and, where `same_vintage` requires it, both
    figures come from the same filing year: "year" for a year minus nine months (a revised
    annual figure is never set against a nine-month figure from another year's filings),
    "all" for every difference. Nothing else is derived: a quarter whose bounds do not line
    up is absent, never filled in; a quarter reported as such is not derived again. Each
    result carries `derivation` ('reported' or 'ytd_difference') and `parts` (the spans
    used, later minus earlier).
    """
    out = []
    for s in spans:
        if is_quarter(s["start"], s["end"]):
            out.append({**s, "derivation": "reported", "parts": [s]})
    reported = {(s["start"], s["end"]) for s in out}
    for longer in spans:
        if is_quarter(longer["start"], longer["end"]):
            continue
        whole_year = (longer["end"] - longer["start"]).days + 1 >= 360
        check = same_vintage == "all" or (same_vintage == "year" and whole_year)
        earlier = [
            s for s in spans
            if s["start"] == longer["start"] and s["end"] < longer["end"]
            and is_quarter(s["end"] + timedelta(days=1), longer["end"])
            and (not check or s.get("vintage") == longer.get("vintage"))
        ]
        for shorter in earlier:
            if (shorter["end"] + timedelta(days=1), longer["end"]) in reported:
                continue
            out.append({
                **longer,
                "start": shorter["end"] + timedelta(days=1),
                "value": longer["value"] - shorter["value"],
                "derivation": "ytd_difference",
                "parts": [longer, shorter],
            })
    return out
