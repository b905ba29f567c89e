from datetime import date

from kit import periods


def test_calendar_quarter_is_the_one_holding_most_days():
    # Snowflake's fiscal Q4 ends 2025-01-31: SEC frames it CY2024Q4.
    assert periods.calendar_quarter(date(2024, 11, 1), date(2025, 1, 31)) == (2024, 4)
    # Microsoft's fiscal Q2 is a calendar Q4.
    assert periods.calendar_quarter(date(2024, 10, 1), date(2024, 12, 31)) == (2024, 4)
    # A quarter ending late April is mostly Feb-Apr: CY Q1.
    assert periods.calendar_quarter(date(2025, 2, 1), date(2025, 4, 30)) == (2025, 1)


def test_fiscal_period_and_quarter_end_round_trip():
    for fye in ("12-31", "06-30", "05-31", "01-31", "09-30"):
        for fy in (2023, 2024):
            for q in (1, 2, 3, 4):
                end = periods.fiscal_quarter_end(fy, q, fye)
                assert periods.fiscal_period(end, fye) == (fy, q)
    assert periods.fiscal_quarter_end(2025, 1, "06-30") == date(2024, 9, 30)


def test_quarter_start_is_three_months_before_the_end():
    assert periods.quarter_start(date(2024, 3, 31)) == date(2024, 1, 1)
    assert periods.quarter_start(date(2025, 1, 31)) == date(2024, 11, 1)


def _span(start, end, value):
    return {"start": date.fromisoformat(start), "end": date.fromisoformat(end), "value": value}


def test_quarters_from_ytd_derive_only_where_bounds_line_up():
    spans = [_span("2024-01-01", "2024-03-31", 10), _span("2024-01-01", "2024-06-30", 25),
             _span("2024-01-01", "2024-12-31", 70), _span("2024-01-01", "2024-09-30", 45)]
    got = {(q["start"], q["end"]): (q["value"], q["derivation"])
           for q in periods.quarters_from_ytd(spans)}
    assert got == {
        (date(2024, 1, 1), date(2024, 3, 31)): (10, "reported"),
        (date(2024, 4, 1), date(2024, 6, 30)): (15, "ytd_difference"),
        (date(2024, 7, 1), date(2024, 9, 30)): (20, "ytd_difference"),
        (date(2024, 10, 1), date(2024, 12, 31)): (25, "ytd_difference"),
    }


def test_quarters_from_ytd_leaves_a_gap_rather_than_relabel():
    # Six months and a full year but no nine months: Q3 and Q4 are not derivable.
    spans = [_span("2024-01-01", "2024-06-30", 25), _span("2024-01-01", "2024-12-31", 70)]
    assert periods.quarters_from_ytd(spans) == []
