"""Property-based tests (hypothesis) of the period logic: calendar alignment, fiscal
calendars, year-to-date differencing, as-of selection."""

from datetime import date, timedelta

import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from kit import periods
from kit.metrics import as_of_rows
from kit.schema import SOURCE_PRIORITY

pytestmark = pytest.mark.robustness

DAYS = st.dates(min_value=date(1990, 1, 1), max_value=date(2060, 12, 31))
MONTH_END = st.sampled_from(["01-31", "02-28", "03-31", "04-30", "05-31", "06-30", "07-31",
                             "08-31", "09-30", "10-31", "11-30", "12-31"])
WEEKS = st.builds(lambda d, m, q: f"last-{d}-{m:02d}/Q{q}",
                  st.sampled_from(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]),
                  st.integers(1, 12), st.integers(1, 4))
NEAREST = st.builds(lambda d, m, q: f"nearest-{d}-{m:02d}/Q{q}",
                    st.sampled_from(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]),
                    st.integers(1, 12), st.integers(1, 4))
CALENDARS = st.one_of(MONTH_END, WEEKS, NEAREST)


def _quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


@given(DAYS, st.integers(min_value=1, max_value=120))
def test_calendar_quarter_holds_the_middle_day(start, length):
    end = start + timedelta(days=length - 1)
    middle = start + timedelta(days=(length - 1) // 2)
    counts = {}
    for i in range(length):
        q = _quarter_of(start + timedelta(days=i))
        counts[q] = counts.get(q, 0) + 1
    top = sorted(counts.values(), reverse=True)
    assume(len(top) == 1 or top[0] > top[1])
    # Without a tie, the quarter holding most days is the one holding the middle day.
    assert periods.calendar_quarter(start, end) == _quarter_of(middle)


@given(CALENDARS, st.integers(min_value=1995, max_value=2055))
def test_fiscal_quarters_tile_the_fiscal_year(fye, year):
    bounds = [periods.fiscal_quarter_bounds(year, q, fye) for q in (1, 2, 3, 4)]
    assert bounds[0][0] == periods.fiscal_year_end_date(year - 1, fye) + timedelta(days=1)
    assert bounds[-1][1] == periods.fiscal_year_end_date(year, fye)
    for (_, e1), (s2, _) in zip(bounds, bounds[1:]):
        assert s2 == e1 + timedelta(days=1)
    for q, (start, end) in enumerate(bounds, start=1):
        assert periods.is_quarter(start, end)
        assert periods.fiscal_period(end, fye) == (year, q)
    if not fye[0].isdigit():  # 52-53 weeks
        lengths = [(e - s).days + 1 for s, e in bounds]
        assert sorted(lengths)[:3] == [91, 91, 91] and lengths[int(fye[-1]) - 1] in (91, 98)


@given(MONTH_END, st.integers(2000, 2050),
       st.lists(st.integers(0, 10**11), min_size=4, max_size=4),
       st.sets(st.sampled_from(["Q1", "H1", "9M", "FY"]), min_size=1))
def test_ytd_differencing_recovers_quarters_only_where_bounds_line_up(fye, year, values, have):
    q = [periods.fiscal_quarter_bounds(year, n, fye) for n in (1, 2, 3, 4)]
    start = q[0][0]
    cumulative = {"Q1": (q[0][1], values[0]), "H1": (q[1][1], sum(values[:2])),
                  "9M": (q[2][1], sum(values[:3])), "FY": (q[3][1], sum(values))}
    spans = [dict(start=start, end=cumulative[k][0], value=cumulative[k][1]) for k in have]
    got = {(r["start"], r["end"]): r["value"] for r in periods.quarters_from_ytd(spans)}
    expected = {}
    order = ["Q1", "H1", "9M", "FY"]
    for i, key in enumerate(order):
        if key not in have:
            continue
        if i == 0:
            expected[q[0]] = values[0]
        elif order[i - 1] in have:
            expected[q[i]] = values[i]
    assert got == expected


@given(MONTH_END, st.integers(2000, 2050), st.integers(1, 40), st.integers(1, 200))
def test_a_span_that_does_not_line_up_is_never_differenced(fye, year, shift, value):
    q1_start, q1_end = periods.fiscal_quarter_bounds(year, 1, fye)
    h1_end = periods.fiscal_quarter_bounds(year, 2, fye)[1]
    spans = [dict(start=q1_start, end=q1_end + timedelta(days=shift), value=value),
             dict(start=q1_start, end=h1_end, value=3 * value)]
    derived = [r for r in periods.quarters_from_ytd(spans) if r["derivation"] != "reported"]
    assert all(r["start"] == r["parts"][1]["end"] + timedelta(days=1) for r in derived)
    assert all(periods.is_quarter(r["start"], r["end"]) for r in derived)


VERSIONS = st.lists(st.tuples(st.integers(0, 400), st.sampled_from(SOURCE_PRIORITY[:-1]),
                              st.integers(1, 10**9)), min_size=1, max_size=8,
                    unique_by=lambda v: (v[0], v[1]))


@settings(deadline=None)
@given(VERSIONS, st.integers(-10, 420))
def test_as_of_picks_the_latest_published_then_source_priority(versions, day):
    base = pd.Timestamp("2024-01-01")
    fin = pd.DataFrame([dict(metric="revenue", period_end_date=pd.Timestamp("2023-12-31"),
                             published_date=base + pd.Timedelta(days=d), source_id=src,
                             value_usd=float(v)) for d, src, v in versions])
    as_of = base + pd.Timedelta(days=day)
    got = as_of_rows(fin, as_of)
    public = [v for v in versions if v[0] <= day]
    if not public:
        assert got.empty
        return
    latest = max(v[0] for v in public)
    best = min((v for v in public if v[0] == latest),
               key=lambda v: SOURCE_PRIORITY.index(v[1]))
    assert len(got) == 1
    assert got["value_usd"].iloc[0] == best[2]
    assert (got["published_date"] <= as_of).all()


@given(CALENDARS, st.integers(1995, 2040))
def test_a_calendar_is_inferred_back_from_twelve_years_of_its_periods(fye, first):
    """Quarters and full years as a filer reports them give back the calendar: its kind
    (month end, last weekday, nearest weekday), month and the quarter with the 53rd week."""
    spans = []
    for year in range(first, first + 12):  # twelve years hold a 53-week one
        bounds = [periods.fiscal_quarter_bounds(year, q, fye) for q in (1, 2, 3, 4)]
        spans += bounds + [(bounds[0][0], bounds[3][1])]
    assert periods.infer_fiscal_year_end(spans) == fye
