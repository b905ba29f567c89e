"""Point in time: which rows of the financials were public on a date, and which figures the
data has that were not public yet. Frames in, frames out."""

from __future__ import annotations

import pandas as pd

from kit.schema import SOURCE_PRIORITY


def as_of_rows(fin: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """The rows public on `as_of`: for each metric and quarter, the latest published by then;
    on the same day, one that does not fail its identity check, then the source listed first
    in SOURCE_PRIORITY."""
    fin = fin[fin["published_date"] <= as_of].copy()
    fin["_rank"] = fin["source_id"].map(SOURCE_PRIORITY.index)
    fin["_ok"] = fin.get("identity_check", pd.Series("", index=fin.index)) != "fails"
    fin = fin.sort_values(["published_date", "_ok", "_rank"], ascending=[True, True, False])
    return (fin.groupby(["metric", "period_end_date"]).tail(1)
            .drop(columns=["_rank", "_ok"]).sort_values(["metric", "period_end_date"])
            .reset_index(drop=True))


def pending(fin: pd.DataFrame, as_of: pd.Timestamp) -> set[tuple[str, pd.Timestamp]]:
    """(metric, period end) of figures the data has but that were not yet public on
    `as_of`, for quarters that have some figure public by then: a reader then sees "not
    public by <date>", not "not in the sources" (see pending_rows)."""
    later = pending_rows(fin, as_of)
    return set(zip(later["metric"], later["period_end_date"]))


def pending_rows(fin: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """The rows behind `pending`, for one company or several. Nothing about later quarters
    is in them: a briefing depends only on what archive.data_digests covers."""
    seen = (fin["published_date"] <= as_of).to_numpy()
    quarter = pd.MultiIndex.from_frame(fin[["ticker", "period_end_date"]])
    figure = pd.MultiIndex.from_frame(fin[["ticker", "metric", "period_end_date"]])
    return fin[~seen & quarter.isin(quarter[seen]) & ~figure.isin(figure[seen])]


def later_quarters(fin: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Quarters the data has but that no figure of was public on `as_of`, up to the latest
    calendar quarter any company had published by then: the peers show them as "not public
    by <date>". One row per ticker and period end."""
    seen = fin["published_date"] <= as_of
    if not seen.any():
        return fin.iloc[:0]
    latest = (fin.loc[seen, "calendar_year"] * 4 + fin.loc[seen, "calendar_quarter"]).max()
    key = ["ticker", "period_end_date"]
    later = fin[~seen & (fin["calendar_year"] * 4 + fin["calendar_quarter"] <= latest)]
    later = later[~pd.MultiIndex.from_frame(later[key]).isin(
        pd.MultiIndex.from_frame(fin.loc[seen, key]))]
    return later.drop_duplicates(["ticker", "period_end_date"])
