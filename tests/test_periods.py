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


def test_quarter_bounds_of_month_end_calendars():
    assert periods.fiscal_quarter_bounds(2024, 1, "12-31") == (date(2024, 1, 1),
                                                               date(2024, 3, 31))
    assert periods.fiscal_quarter_bounds(2025, 4, "01-31") == (date(2024, 11, 1),
                                                               date(2025, 1, 31))


def test_52_53_week_calendars_put_the_extra_week_where_the_company_does():
    # Apple FY2023 had 53 weeks, the first quarter 14 (ended 2022-12-31).
    assert periods.fiscal_quarter_bounds(2023, 1, "last-Sat-09/Q1") == (date(2022, 9, 25),
                                                                         date(2022, 12, 31))
    assert periods.fiscal_quarter_end(2024, 1, "last-Sat-09/Q1") == date(2023, 12, 30)
    # Nvidia FY2021 had 53 weeks, the fourth quarter 14 (ended 2021-01-31).
    assert periods.fiscal_quarter_bounds(2021, 4, "last-Sun-01/Q4") == (date(2020, 10, 26),
                                                                        date(2021, 1, 31))
    assert periods.fiscal_quarter_end(2026, 3, "last-Sun-01/Q4") == date(2025, 10, 26)
    for fye in ("last-Sat-09/Q1", "last-Sun-01/Q4"):
        for fy in range(2019, 2028):
            for q in (1, 2, 3, 4):
                start, end = periods.fiscal_quarter_bounds(fy, q, fye)
                assert periods.fiscal_period(end, fye) == (fy, q)
                assert (end - start).days + 1 in (91, 98)
                assert end.weekday() == (5 if fye.startswith("last-Sat") else 6)


def test_apple_quarter_ends_match_the_dates_in_its_release_file_names(sources_dir):
    # press_releases/apple/quarterly-links.json names each EX-99.1 after its period end,
    # e.g. a8-kex991q1202312312022.htm: fiscal Q1 2023 ended 12/31/2022.
    import json
    links = json.loads((sources_dir / "press_releases/apple/quarterly-links.json").read_text())
    for link in links:
        mmddyyyy = link["file"][-12:-4]
        stated = date(int(mmddyyyy[4:]), int(mmddyyyy[:2]), int(mmddyyyy[2:4]))
        assert periods.fiscal_quarter_end(int(link["fy"][2:]), int(link["q"][1:]),
                                          "last-Sat-09/Q1") == stated, link["file"]


def test_a_date_that_is_not_a_quarter_end_is_refused():
    import pytest
    with pytest.raises(ValueError, match="not the end of a fiscal quarter"):
        periods.fiscal_period(date(2026, 6, 30), "last-Sat-09/Q1")
    with pytest.raises(ValueError, match="is not MM-DD"):
        periods.check_fiscal_year_end("06-15")


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


def _ytd(start, end, value, vintage):
    return dict(start=date.fromisoformat(start), end=date.fromisoformat(end), value=value,
                vintage=vintage)


def test_a_year_minus_nine_months_needs_both_figures_from_the_same_filing_year():
    # Meta 2022: the nine months as restated in the 2023 filings, the year as repeated in
    # the 2024 10-K. Set against each other they would put a restatement into Q4.
    mixed = [_ytd("2022-01-01", "2022-09-30", 22_388, 2023),
             _ytd("2022-01-01", "2022-12-31", 31_186, 2024)]
    assert periods.quarters_from_ytd(mixed) == []
    same = [_ytd("2025-01-01", "2025-09-30", 48_308, 2025),
            _ytd("2025-01-01", "2025-12-31", 69_691, 2025)]
    (q4,) = periods.quarters_from_ytd(same)
    assert (q4["start"], q4["value"]) == (date(2025, 10, 1), 69_691 - 48_308)


def test_six_months_minus_three_may_span_filing_years_unless_all_must_match():
    spans = [_ytd("2025-06-01", "2025-08-31", 8_502, 2027),
             _ytd("2025-06-01", "2025-11-30", 20_535, 2026)]
    assert [q["value"] for q in periods.quarters_from_ytd(spans)
            if q["derivation"] == "ytd_difference"] == [20_535 - 8_502]
    assert [q for q in periods.quarters_from_ytd(spans, same_vintage="all")
            if q["derivation"] == "ytd_difference"] == []
