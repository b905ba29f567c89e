"""A company's quarters on both capex measures: every metric's value and source by quarter,
growth, trailing sums, intensity and full years; the words for metrics and derivations.
Frames in, frames out."""

from __future__ import annotations

import re

import pandas as pd

from kit import i18n, periods
from kit.i18n import N_, _
from kit.i18n import date as _date
from kit.schema import COMPARABLE, METRICS, SUMS

# The words for a metric, shared by sections, charts, the explorer and `kit data check`.
METRIC_NAMES = {
    COMPARABLE: N_("Capex including principal payments on finance leases"),
    "purchases_of_property_and_equipment": N_("Purchases of property and equipment"),
    "finance_lease_principal_payments": N_("Principal payments on finance leases"),
    "capex_incl_finance_lease_additions": N_("Capex including finance leases"),
    "ocf_minus_free_cash_flow": N_("Operating cash flow minus free cash flow"),
    "revenue": N_("Revenue"),
    "operating_cash_flow": N_("Operating cash flow"),
    "depreciation_and_amortization": N_("Depreciation and amortization"),
    "free_cash_flow": N_("Free cash flow, as the company states it"),
    "remaining_performance_obligations": N_("Remaining performance obligations"),
}


COMPARABLE_DEFINITION = N_("purchases of property and equipment plus principal payments on "
                           "finance leases")


_PUBLISHED_WORDS = {
    "release": N_("the earnings release"),
    "release_comparative": N_("a later release's comparative"),
    "filing": N_("the filing"), "filing_deadline": N_("the filing deadline; no release date known"),
    "stated": N_("the date its page gives"),
}


DERIVATIONS = {"reported": N_("reported"), "ytd_difference": N_("year-to-date difference"),
               "identity": N_("cash-flow identity"), "sum": N_("sum"),
               "difference": N_("difference of two stated figures")}
# The document that made a figure public, in a few words with its date (a figure's brief).
_DOCUMENTS = {
    "release": N_("the earnings release of {date}"),
    "release_comparative": N_("a later earnings release, of {date}"),
    "filing": N_("the 10-Q/10-K filed {date}"),
    "filing_deadline": N_("the 10-Q/10-K due {date} (no release date known)"),
    "stated": N_("the page dated {date}"),
}


def metric_name(metric: str, in_sentence: bool = False) -> str:
    """A metric in words, in the current language; `in_sentence`: as it reads inside a
    sentence (lowercase in English, German nouns keep their capital)."""
    name = _(METRIC_NAMES[metric]) if metric in METRIC_NAMES else metric
    return i18n.in_sentence(name) if in_sentence else name


def quarter_label(fiscal_year, fiscal_quarter, calendar_year, calendar_quarter) -> str:
    label = periods.label(fiscal_year, fiscal_quarter)
    if (fiscal_year, fiscal_quarter) != (calendar_year, calendar_quarter):
        label += f" ({periods.label(calendar_year, calendar_quarter, 'CY')})"  # GJ25 Q2 (KJ24 Q4)
    return label


def measures(cur: pd.DataFrame, capex_metric: str, as_of: pd.Timestamp,
             later: set | frozenset = frozenset(), sources: bool = True) -> pd.DataFrame:
    """Every metric's value and source by quarter, and the two capex measures with their
    growth, trailing sums and intensity.

    `cur` holds one company's rows public on `as_of` (as_of_rows). Columns:
    period_end_date, fiscal/calendar year and quarter, quarter_label, weeks,
    <metric>_usd, _source, _brief (source and date in a few words), _url for each metric;
    for the measure
    `capex` (as the company reports it: `capex_metric`) and `comparable` (COMPARABLE):
    <measure>_usd, _yoy_pct, _ttm_usd, _to_revenue_pct; `comparable_missing` names the
    components missing for a quarter without the comparable figure, and whether they are
    not public yet (`later`: metric and quarter pairs published after `as_of`);
    `yoy_note` flags growth across quarters of different length. A figure that cannot be
    computed is NaN, never a partial sum. `sources=False` leaves out the full source texts
    (the briefs are kept), for the peers of every company.
    """
    cur = cur.copy()
    parts = [_source_parts(r, as_of) for r in cur.to_dict("records")] if sources else []
    cur[["how", "origin", "published"]] = parts or None  # origin: the source's own words
    cur["source"] = [_joined(*p) for p in parts] or None
    cur["brief"] = [_("{derivation}: {document}").format(
        derivation=_(DERIVATIONS.get(r["derivation"], r["derivation"])),
        document=_(_DOCUMENTS[r["published_basis"]]).format(date=_date(r["published_date"])))
        for r in cur.to_dict("records")]
    out = cur.pivot(index="period_end_date", columns="metric", values="value_usd").add_suffix(
        "_usd")
    for column in ("source", "brief", "url", "origin", "how", "published", "derivation"):
        out = out.join(cur.pivot(index="period_end_date", columns="metric",
                                 values=f"source_{column}" if column == "url" else column)
                       .add_suffix(f"_{column}"))
    labels = cur.drop_duplicates("period_end_date").set_index("period_end_date")
    cols = ["fiscal_year", "fiscal_quarter", "calendar_year", "calendar_quarter"]
    out = out.join(labels[cols].astype(int)).sort_index()
    out["quarter_label"] = [quarter_label(*row) for row in out[cols].itertuples(index=False)]
    days = (out.index.to_series() - labels["period_start_date"].reindex(out.index)).dt.days + 1
    out["weeks"] = (days / 7).round().astype(int)
    for metric in METRICS:
        for suffix in ("_usd", "_source", "_brief", "_url", "_origin", "_how", "_published",
                       "_derivation"):
            if metric + suffix not in out:
                out[metric + suffix] = float("nan") if suffix == "_usd" else None
    index = out["fiscal_year"] * 4 + out["fiscal_quarter"]
    weeks_before = pd.Series(out["weeks"].to_numpy(), index=index.to_numpy()).reindex(index - 4)
    out["yoy_note"] = [_("{weeks} weeks against {before} a year earlier").format(
        weeks=w, before=f"{b:.0f}") if pd.notna(b) and w != b else ""
        for w, b in zip(out["weeks"], weeks_before.to_numpy())]
    for name, metric in (("capex", capex_metric), ("comparable", COMPARABLE)):
        _growth(out, name, out[f"{metric}_usd"], index)
    parts = SUMS[COMPARABLE]
    out["comparable_missing"] = [
        "" if pd.notna(row[f"{COMPARABLE}_usd"]) else ", ".join(
            metric_name(m, in_sentence=True) + (" (" + _("not public by {date}").format(
                date=_date(as_of)) + ")" if (m, end) in later else "")
            for m in parts if pd.isna(row[f"{m}_usd"]))
        for end, row in out.iterrows()]
    return out.reset_index()


def _growth(out: pd.DataFrame, name: str, values: pd.Series, index: pd.Series) -> None:
    """<name>_usd, _yoy_pct (same fiscal quarter a year earlier), _ttm_usd (four consecutive
    fiscal quarters, none missing) and _to_revenue_pct, added to `out`."""
    out[f"{name}_usd"] = values
    out[f"{name}_yoy_pct"] = yoy(values, index)
    out[f"{name}_ttm_usd"] = ttm(values, index)
    out[f"{name}_to_revenue_pct"] = values / out["revenue_usd"] * 100


def yoy(values: pd.Series, index: pd.Series):
    """Growth in percent against the same fiscal quarter a year earlier (`index`: fiscal
    year * 4 + quarter of each value); NaN where either is missing."""
    by_index = pd.Series(values.to_numpy(), index=index.to_numpy())
    return (values.to_numpy() / by_index.reindex(index - 4).to_numpy() - 1) * 100


def ttm(values: pd.Series, index: pd.Series):
    """The sum of four consecutive fiscal quarters ending with each; NaN where one of them
    is missing (never a partial sum). For flows only: a balance is not summed."""
    if not len(index):
        return float("nan")
    by_index = pd.Series(values.to_numpy(), index=index.to_numpy())
    every = by_index.reindex(range(index.min(), index.max() + 1))
    return every.rolling(4, min_periods=4).sum().reindex(index).to_numpy()


def _source_parts(row: dict, as_of: pd.Timestamp) -> tuple[str, str, str]:
    """Where a figure comes from, naming no document dated after `as_of`: how it was
    derived (words), where in its source (the source's own identifiers as the source writes
    them, the kit's notation in the reader's language: readable), and which document made it
    public (words)."""
    if row["derivation"] == "sum":
        how, where = _("sum"), readable(row["derivation_detail"])
    else:
        word = {"ytd_difference": N_("derived"),
                "identity": N_("from the release's own cash-flow identity")}.get(
            row["derivation"])
        how, where = "", f"{row['source_id']}: {readable(row['source_detail'])}"
        if word and row["derivation_detail"] not in row["source_detail"]:
            how, where = _(word), f"{where} ({readable(row['derivation_detail'])})"
    when = []
    filed = row.get("source_filed_date")
    if filed is not None and not pd.isna(filed) and filed <= as_of:
        when.append(_("copied from the filing of {date}").format(date=_date(filed)))
    when.append(_("public from {date} ({how})").format(
        date=_date(row["published_date"]), how=_(_PUBLISHED_WORDS[row["published_basis"]])))
    return how, where, "; ".join(when)


_FIELD = re.compile(r"\b([a-z]+(?:_[a-z]+)+)(?= -?\d)")  # a metric's field name before its figure
_MILLIONS = re.compile(r"(?<![$\d.,])(-?\d[\d,]*)M\b")  # the kit's "6,400M"
_KIND = re.compile(r"^ \((.+)\)$")  # the kind of document after a quote: ' (news)'


def readable(detail: str) -> str:
    """Where in its source a figure is, in the reader's language: the source's own
    identifiers (file, field, XBRL concept) and quoted words stay as they are; the kit's own
    notation is translated: a metric's field name becomes its name, millions are written as
    the language writes them ("4.303 Mio. $"), and so are a file's unit and the kind of
    document."""
    parts = detail.split('"')
    for i in range(0, len(parts), 2):  # outside quotes
        text = _FIELD.sub(lambda m: metric_name(m[1], in_sentence=True)
                          if m[1] in METRICS else m[1], parts[i])
        text = _MILLIONS.sub(lambda m: i18n.usd_m(int(m[1].replace(",", "")) * 1e6), text)
        text = text.replace("(USD millions)", "(" + _("USD millions") + ")").replace(
            " minus ", " " + _("minus") + " ")
        if i and i == len(parts) - 1:
            text = _KIND.sub(lambda m: f" ({_(m[1])})", text)
        parts[i] = text
    return '"'.join(parts)


def _joined(how: str, where: str, when: str) -> str:
    return (f"{how}: " if how else "") + f"{where}; {when}"


def annual(quarters: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Full fiscal years of one metric: the sum of four quarters, where all four are known.

    Columns: fiscal_year, actual_usd, year_end_date (the last quarter's period end).
    """
    column = f"{metric}_usd"
    q = quarters.dropna(subset=[column]) if column in quarters else quarters.iloc[0:0]
    rows = [dict(fiscal_year=fy, actual_usd=g[column].sum(),
                 year_end_date=g["period_end_date"].max())
            for fy, g in q.groupby("fiscal_year") if sorted(g["fiscal_quarter"]) == [1, 2, 3, 4]]
    return pd.DataFrame(rows, columns=["fiscal_year", "actual_usd", "year_end_date"])
