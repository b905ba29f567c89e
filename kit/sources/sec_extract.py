"""sec_extract/companyfacts_extract.csv: SEC XBRL companyfacts rows, transcribed, which record
only the latest filing of each figure."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from kit import periods
from kit.schema import ROUNDING_USD
from kit.sources.common import (
    deadline,
    fact_row,
    filing_year,
    last_quarter_end_before,
    parse_day,
    read_csv,
)

_SEC_ITEMS = {"capex": "purchases_of_property_and_equipment", "revenue": "revenue"}


def sec_rows(src: Path, company: dict, url: str, press: list[dict], release_on: dict,
              listed: date | None):
    """Quarters from the transcribed XBRL extract, which records only the latest filing of
    each figure. A year minus nine months is derived only from two figures of the same filing
    year (periods.quarters_from_ytd): a revised annual figure is never set against a
    nine-month figure from another year's filings."""
    ticker, fye = company["ticker"], company["fiscal_year_end"]
    extract = read_csv(src / "sec_extract" / "companyfacts_extract.csv").drop_duplicates()
    extract = extract[(extract["ticker"] == ticker) & extract["item"].isin(_SEC_ITEMS)]
    own_filing: dict[date, tuple[date, str]] = {}  # period end -> its own 10-Q/10-K
    spans: dict[str, list[dict]] = {}
    for _, r in extract.iterrows():
        start, end, filed = parse_day(r["start"]), parse_day(r["end"]), parse_day(r["filed"])
        if filed - end <= timedelta(days=100):
            own_filing[end] = min(own_filing.get(end, (filed, r["form"])), (filed, r["form"]))
        spans.setdefault(_SEC_ITEMS[r["item"]], []).append(
            dict(start=start, end=end, value=float(r["val_usd"]), filed=filed, form=r["form"],
                 concept=r["concept"], label=r["period_label"],
                 vintage=filing_year(filed, fye)))
    rows = []
    for metric, metric_spans in spans.items():
        good = [p for p in press if p["metric"] == metric and p["identity_check"] != "fails"]
        for s in metric_spans:
            s["public"] = first_public(s, good, release_on, listed, fye)
        for q in periods.quarters_from_ytd(metric_spans):
            parts = q["parts"]
            latest = max(parts, key=lambda p: p["public"][0])
            words = "; ".join(p["public"][2] for p in parts)
            detail = " minus ".join(f"{p['concept']} {p['start']}..{p['end']} = "
                                    f"{p['value'] / 1e6:,.0f}M ({p['form']})" for p in parts)
            rows.append(fact_row(metric, q["start"], q["end"], q["value"],
                             (latest["public"][0], latest["public"][1], words), "sec_extract",
                             url, f"sec_extract/companyfacts_extract.csv: {detail}",
                             q["derivation"], detail if len(parts) > 1 else "",
                             filed=max(p["filed"] for p in parts)))
    return rows, own_filing


def first_public(span: dict, press: list[dict], release_on: dict, listed: date | None,
                  fye: str) -> tuple[date, str, str]:
    """When an XBRL value became public, and why we say so: (date, basis, words).

    The extract records only the latest filing that reported a value (often the next year's
    comparative). If the releases give a different figure for the same span, the XBRL value
    is a revision: public from the first document that carried it, the release (and 10-Q or
    10-K) of the later period whose comparative it is. Otherwise it is taken as first
    published with the period's own release; with no release known, by the period's filing
    deadline if the company was listed by then, else on the filing the extract records.
    """
    covered = [p for p in press if span["start"] <= p["period_start_date"]
               and p["period_end_date"] <= span["end"]]
    n_quarters = round(((span["end"] - span["start"]).days + 1) / 91.3)
    if len(covered) == n_quarters and covered:
        press_value = sum(p["value_usd"] for p in covered)
        if abs(press_value - span["value"]) > ROUNDING_USD * n_quarters:
            said = (f"revised: the releases gave {press_value / 1e6:,.0f}M for "
                    f"{span['start']}..{span['end']}")
            reported = last_quarter_end_before(span["filed"], fye)
            if n_quarters < 4 and reported in release_on \
                    and release_on[reported][0] <= span["filed"]:
                released = release_on[reported][0]
                fy, fq = periods.fiscal_period(reported, fye)
                return released, "release_comparative", (
                    f"{said}; the revised figure is first carried as the prior-year comparative "
                    f"of the FY{fy} Q{fq} release of {released} and its {span['form']}")
            return span["filed"], "filing", (
                f"{said}; public from the {span['form']} the extract records (for a year, an "
                "earlier 10-K may have carried it)")
    if span["end"] in release_on:
        released = release_on[span["end"]][0]
        return released, "release", (
            f"assumed first published with the period's release on {released}"
            + ("; the releases give the same figure" if covered else ""))
    if listed is not None and listed <= span["end"]:
        form = "10-K" if span["end"] - span["start"] > timedelta(days=300) else "10-Q"
        due = deadline(span["end"], form)
        if due[0] < span["filed"]:
            return due
    return span["filed"], "filing", f"date of the {span['form']} the extract records"
