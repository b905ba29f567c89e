"""Every company by calendar quarter on both measures, as public on a date (the peers
section). Frames in, frames out; kit.metrics.briefing keeps the result per date."""

from __future__ import annotations

import pandas as pd

from kit import i18n, periods
from kit.metrics.asof import as_of_rows, later_quarters, pending
from kit.metrics.measures import measures, quarter_label
from kit.schema import COMPARABLE


def peer_quarters(fin: pd.DataFrame, companies: pd.DataFrame, as_of: pd.Timestamp,
                  since_year: int, files: tuple) -> pd.DataFrame:
    """Every company of `companies` by *calendar* quarter, on both measures, as public on
    `as_of`, from the financials `fin`. `files` identifies the tables' versions: one
    company's quarters are kept per version (see _public_quarters).

    Columns: ticker, company_name, calendar_label ("CY24 Q4"), calendar_year,
    calendar_quarter, quarter_label (the company's own), capex_metric, and for each measure
    (capex = as reported, comparable) _usd, _yoy_pct, _to_revenue_pct, _source (in brief);
    comparable_missing; is_public (False: a quarter the data has but that was not public
    on `as_of`; its figures are empty).
    """
    unseen = later_quarters(fin, as_of)
    frames = []
    for c in companies.itertuples():
        mine = fin[fin["ticker"] == c.ticker]
        q = _public_quarters(mine, c.ticker, c.capex_metric, as_of, since_year, files)
        later = unseen[(unseen["ticker"] == c.ticker) & (unseen["calendar_year"] >= since_year)]
        if not later.empty:
            q = pd.concat([q, later.assign(
                is_public=False, quarter_label=[quarter_label(*r) for r in later[
                    ["fiscal_year", "fiscal_quarter", "calendar_year", "calendar_quarter"]
                ].itertuples(index=False)])[["period_end_date", "fiscal_year",
                                             "fiscal_quarter", "calendar_year",
                                             "calendar_quarter", "quarter_label",
                                             "is_public"]]])
        if q.empty:
            continue
        frames.append(q.assign(
            ticker=c.ticker, company_name=c.company_name, capex_metric=c.capex_metric,
            calendar_label=[periods.label(y, n, "CY") for y, n in
                            zip(q["calendar_year"], q["calendar_quarter"])]))
    cols = ["ticker", "company_name", "calendar_label", "calendar_year", "calendar_quarter",
            "quarter_label", "capex_metric", "is_public", "comparable_missing"]
    cols += [f"{m}{s}" for m in ("capex", "comparable")
             for s in ("_usd", "_yoy_pct", "_to_revenue_pct", "_source")]
    if not frames:  # nothing public since `since_year` yet
        return pd.DataFrame(columns=cols)
    out = pd.concat(frames, ignore_index=True).reindex(columns=cols)
    out["is_public"] = out["is_public"].astype(bool)
    return out.sort_values(["calendar_year", "calendar_quarter", "ticker"]).reset_index(drop=True)


_PUBLIC_QUARTERS: dict[tuple, pd.DataFrame] = {}


def _public_quarters(mine: pd.DataFrame, ticker: str, capex_metric: str, as_of: pd.Timestamp,
                     since_year: int, files: tuple) -> pd.DataFrame:
    """One company's public quarters for the peers. They change only when a figure of that
    company is published, so they are kept by the number of its rows public by `as_of`: an
    archive of many dates computes each company's quarters once per release, not once per
    briefing (the date itself matters only where a component is pending)."""
    public = mine["published_date"] <= as_of
    later = pending(mine, as_of)
    key = (ticker, capex_metric, since_year, int(public.sum()), frozenset(later),
           as_of if later else None, files, i18n.current())
    if key not in _PUBLIC_QUARTERS:
        q = measures(as_of_rows(mine, as_of), capex_metric, as_of, later, sources=False) \
            if public.any() else pd.DataFrame()
        if not q.empty:  # (the columns of the kept rows: a Series would re-index an empty q)
            q = q[q["calendar_year"] >= since_year]
            q = q.assign(is_public=True, capex_source=q[f"{capex_metric}_brief"],
                         comparable_source=q[f"{COMPARABLE}_brief"])
        _PUBLIC_QUARTERS[key] = q
    return _PUBLIC_QUARTERS[key].copy()
