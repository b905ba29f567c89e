"""sec_extract/capex_calendar_quarters.csv: capex by calendar quarter from SEC companyfacts
(bridgewater); the concept is the company's `capex_concept`."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from kit import periods
from kit.sources.common import FIRST_YEAR, fact_row, published, read_csv


def calendar_rows(src: Path, company: dict, release_on: dict,
                  listed: date | None) -> list[dict]:
    """Capex by calendar quarter (bridgewater). Used only for companies whose fiscal quarters
    are calendar quarters' months; a missing Q4 is the year minus the three quarters."""
    raw = read_csv(src / "sec_extract" / "capex_calendar_quarters.csv")
    ticker, fye = company["ticker"], company["fiscal_year_end"]
    raw = raw[raw["ticker"] == (company.get("source_ticker") or ticker)]
    if raw.empty:
        return []
    concept = company.get("capex_concept") or "PaymentsToAcquirePropertyPlantAndEquipment"
    url = "https://github.com/danyu1/bridgewater_forecasting"
    values = {(int(r["year"]), int(r["quarter"])): float(r["payments_usd"])
              for r in raw.to_dict("records") if int(r["year"]) >= FIRST_YEAR}
    rows = []
    for (year, q), value in sorted(values.items()):
        quarters = [values.get((year, i)) for i in (1, 2, 3)]
        if q == 0 and (year, 4) not in values and None not in quarters:
            value, q = value - sum(quarters), 4
            how = (f"{concept} CY{year} {values[(year, 0)] / 1e6:,.0f}M minus Q1..Q3 "
                   + " + ".join(f"{v / 1e6:,.0f}M" for v in quarters))
        elif q == 0:
            continue
        else:
            how = ""
        start, end = periods.fiscal_quarter_bounds(year, q, "12-31")  # calendar quarter
        fiscal_q = periods.fiscal_period(end, fye)[1]
        known = published(end, fiscal_q, release_on, listed)
        if known is None:
            continue
        (public, basis, words), _ = known
        rows.append(fact_row("purchases_of_property_and_equipment", start, end, value,
                         (public, basis, words + " (the source has no filing dates)"),
                         "sec_calendar", url,
                         f"sec_extract/capex_calendar_quarters.csv {ticker} {year} Q{q} "
                         f"({concept})", "ytd_difference" if how else "reported", how))
    return rows
