"""What a briefing says, computed from the tables as of a date: capex by quarter on two bases
(as the company reports it, and comparable across companies), growth, trailing sums,
intensity, guidance steps and verdicts, stock reactions, data-quality findings.

The functions that compute (`measures`, `guidance_steps`, `verdicts`, ...) take frames and
return frames; the ones named after a company load the tables and call them.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

import pandas as pd

from kit import data, i18n, periods
from kit.errors import NoDataYet, RequestError
from kit.i18n import N_, _, usd_bn, usd_bn_range, usd_bn_short, usd_m
from kit.i18n import date as _date
from kit.schema import (
    BENCHMARK,
    COMPARABLE,
    LEVEL_KINDS,
    METRICS,
    ROUNDING_USD,
    SOURCE_PRIORITY,
    SUMS,
)

YEAR_KINDS = (*LEVEL_KINDS, "at_least", "at_most", "raise_by")  # full-year outlooks: steps
# The words for a metric, shared by sections, charts, the explorer and `kit data check`.
METRIC_NAMES = {
    COMPARABLE: N_("Capex including principal payments on finance leases"),
    "purchases_of_property_and_equipment": N_("Purchases of property and equipment"),
    "finance_lease_principal_payments": N_("Principal payments on finance leases"),
    "capex_incl_finance_lease_additions": N_("Capex including finance leases"),
    "ocf_minus_free_cash_flow": N_("Operating cash flow minus free cash flow"),
    "revenue": N_("Revenue"),
}
COMPARABLE_DEFINITION = N_("purchases of property and equipment plus principal payments on "
                           "finance leases")
BASIS_REASONS = {  # why no verdict: the outlook's basis has no actual in the kit
    "net_cash_capex": N_("the outlook is cash capex net of proceeds from sales and incentives; "
                         "the kit has gross purchases, not the net figure"),
    "accrual_capex": N_("the outlook is accrual-basis capex; the kit has cash figures only"),
    "unstated": N_("the outlook does not say which capex measure it is, so no actual in the "
                   "kit is known to be on its basis"),
}
_PUBLISHED_WORDS = {
    "release": N_("the earnings release"),
    "release_comparative": N_("a later release's comparative"),
    "filing": N_("the filing"), "filing_deadline": N_("the filing deadline; no release date known"),
    "stated": N_("the date its page gives"),
}
DERIVATIONS = {"reported": N_("reported"), "ytd_difference": N_("year-to-date difference"),
               "identity": N_("cash-flow identity"), "sum": N_("sum")}


def metric_name(metric: str, in_sentence: bool = False) -> str:
    """A metric in words, in the current language; `in_sentence`: as it reads inside a
    sentence (lowercase in English, German nouns keep their capital)."""
    name = _(METRIC_NAMES[metric]) if metric in METRIC_NAMES else metric
    return i18n.in_sentence(name) if in_sentence else name


@dataclass
class Briefing:
    ticker: str
    company_name: str
    cik: str
    as_of: pd.Timestamp
    capex_metric: str
    capex_definition: str
    guidance_basis: str
    quarters: pd.DataFrame
    guidance: pd.DataFrame
    other_guidance: pd.DataFrame
    verdicts: pd.DataFrame
    current_outlook: dict | None
    peers: pd.DataFrame
    reactions: pd.DataFrame
    statements: pd.DataFrame
    sources: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    quality: pd.DataFrame = field(default_factory=pd.DataFrame)
    reactions_note: str = ""  # why there are no reactions, or how their timing is known
    horizon_note: str = ""  # the release that was due and is not in the data, if one is
    latest_release: dict | None = None  # see latest_release()

    @property
    def actuals(self) -> pd.DataFrame:
        """Closed years whose actual is on the outlook's basis (for the guidance chart)."""
        v = self.verdicts
        return v[v["per"].eq("year") & v["actual_usd"].notna()] if not v.empty else v


def data_range(ticker: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last dates on which the data has something for `ticker`."""
    fin = data.load_financials()
    fin = fin[fin["ticker"] == ticker]
    prices = data.load_prices()
    last_price = prices.loc[prices["ticker"] == ticker, "price_date"].max()
    return fin["published_date"].min(), max(fin["published_date"].max(), last_price)


def check_date(as_of=None) -> pd.Timestamp:
    """A briefing date, or RequestError saying what is valid. The default is the data's date
    (the latest date anything in it was published or traded), the same for every company,
    so that briefings made together compare alike."""
    last = data.as_of_date()
    if as_of is None or str(as_of).strip() == "":
        return last
    when = _date_or_none(as_of)
    if when is None:
        raise RequestError(f"as_of {as_of!r} is not a date; use a date up to {last:%Y-%m-%d} "
                           "(YYYY-MM-DD)")
    if when > pd.Timestamp.today().normalize():
        raise RequestError(f"as_of {when:%Y-%m-%d} is in the future; use a date up to "
                           f"{last:%Y-%m-%d}, or leave it out for the latest data")
    return when


def check_request(ticker: str, as_of=None) -> tuple[str, pd.Timestamp]:
    """Normalise (ticker, as_of) or raise RequestError saying what is valid (NoDataYet when
    nothing of the company was public by then). `as_of` defaults as in check_date."""
    tickers = sorted(data.load_companies()["ticker"])
    clean = str(ticker).strip().upper()
    if clean not in tickers:
        raise RequestError(f"unknown ticker {ticker!r}; valid tickers: {', '.join(tickers)}")
    when = check_date(as_of)
    first = data_range(clean)[0]
    if when < first:
        raise NoDataYet(f"as_of {when:%Y-%m-%d} is before the first {clean} data "
                        f"({first:%Y-%m-%d}); use a date between {first:%Y-%m-%d} and "
                        f"{data.as_of_date():%Y-%m-%d} (YYYY-MM-DD)")
    return clean, when


def _date_or_none(value) -> pd.Timestamp | None:
    """A calendar date from a date object or a YYYY-MM-DD string; None for anything else."""
    if isinstance(value, (date, pd.Timestamp)):
        return pd.Timestamp(value).normalize()
    text = str(value).strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return pd.Timestamp(date.fromisoformat(text))
    except ValueError:
        return None


# --- quarters -------------------------------------------------------------------------------

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


def current_financials(ticker: str, as_of: pd.Timestamp) -> pd.DataFrame:
    """One row per metric x quarter: the value that was public on `as_of`."""
    fin = data.load_financials()
    return as_of_rows(fin[fin["ticker"] == ticker], as_of)


def quarter_label(fiscal_year, fiscal_quarter, calendar_year, calendar_quarter) -> str:
    label = periods.label(fiscal_year, fiscal_quarter)
    if (fiscal_year, fiscal_quarter) != (calendar_year, calendar_quarter):
        label += f" ({periods.label(calendar_year, calendar_quarter, 'CY')})"  # GJ25 Q2 (KJ24 Q4)
    return label


def quarterly(ticker: str, as_of: pd.Timestamp, capex_metric: str) -> pd.DataFrame:
    """Quarters of one company as of `as_of` (see `measures`)."""
    fin = data.load_financials()
    fin = fin[fin["ticker"] == ticker]
    return measures(as_of_rows(fin, as_of), capex_metric, as_of, pending(fin, as_of))


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
    cur["brief"] = [_("{source}, {derivation}; public from {date} ({how})").format(
        source=r["source_id"], derivation=_(DERIVATIONS.get(r["derivation"], r["derivation"])),
        date=_date(r["published_date"]), how=_(_PUBLISHED_WORDS[r["published_basis"]]))
        for r in cur.to_dict("records")]
    out = cur.pivot(index="period_end_date", columns="metric", values="value_usd").add_suffix(
        "_usd")
    for column in ("source", "brief", "url", "origin", "how", "published"):
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
        for suffix in ("_usd", "_source", "_brief", "_url", "_origin", "_how", "_published"):
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
    by_index = pd.Series(values.to_numpy(), index=index.to_numpy())
    out[f"{name}_yoy_pct"] = (values.to_numpy() / by_index.reindex(index - 4).to_numpy()
                              - 1) * 100
    if len(index):  # a window with a missing quarter has fewer than 4 values: NaN
        every = by_index.reindex(range(index.min(), index.max() + 1))
        out[f"{name}_ttm_usd"] = every.rolling(4, min_periods=4).sum().reindex(index).to_numpy()
    else:
        out[f"{name}_ttm_usd"] = float("nan")
    out[f"{name}_to_revenue_pct"] = values / out["revenue_usd"] * 100


def _source_parts(row: dict, as_of: pd.Timestamp) -> tuple[str, str, str]:
    """Where a figure comes from, naming no document dated after `as_of`: how it was
    derived (words), where in its source (the source's own identifiers and notation, as
    the source writes them), and which document made it public (words)."""
    if row["derivation"] == "sum":
        how, where = _("sum"), row["derivation_detail"]
    else:
        word = {"ytd_difference": N_("derived"),
                "identity": N_("from the release's own cash-flow identity")}.get(
            row["derivation"])
        how, where = "", f"{row['source_id']}: {row['source_detail']}"
        if word and row["derivation_detail"] not in row["source_detail"]:
            how, where = _(word), f"{where} ({row['derivation_detail']})"
    when = []
    filed = row.get("source_filed_date")
    if filed is not None and not pd.isna(filed) and filed <= as_of:
        when.append(_("copied from the filing of {date}").format(date=_date(filed)))
    when.append(_("public from {date} ({how})").format(
        date=_date(row["published_date"]), how=_(_PUBLISHED_WORDS[row["published_basis"]])))
    return how, where, "; ".join(when)


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


def peers(as_of: pd.Timestamp, since_year: int = 2020) -> pd.DataFrame:
    """Every company by calendar quarter on both measures as of a date (see _peers). Kept
    per date while the data files are unchanged: a warm kernel renders several briefings of
    one date, and each shows the same peers."""
    files = tuple((f.stat().st_mtime_ns, f.stat().st_size)
                  for f in (data.data_dir() / "financials.csv", data.data_dir() / "companies.csv"))
    return _peers(pd.Timestamp(as_of), since_year, str(data.data_dir()), files,
                  i18n.current()).copy()


@cache
def _peers(as_of: pd.Timestamp, since_year: int, directory: str, files: tuple,
           lang: str) -> pd.DataFrame:
    """_peers_of, kept in the kit's cache for the kernels of a batch: the briefings of one
    date share it, and `kit render` computes it while the kernels start (kit.render)."""
    content = hashlib.sha256()  # by content, not path: a Dask worker's copy shares it
    for name in ("financials.csv", "companies.csv"):
        content.update((Path(directory) / name).read_bytes())
    key = hashlib.sha256(repr((as_of, since_year, content.hexdigest(), data.code_digest(), lang))
                         .encode()).hexdigest()[:24]
    return data.kept(data.cache_dir() / "peers" / f"{key}.pkl",
                     lambda: _peers_of(as_of, since_year, directory, files))


def _peers_of(as_of: pd.Timestamp, since_year: int, directory: str, files: tuple
              ) -> pd.DataFrame:
    """Every company by *calendar* quarter, on both measures, as public on `as_of`.

    Columns: ticker, company_name, calendar_label ("CY24 Q4"), calendar_year,
    calendar_quarter, quarter_label (the company's own), capex_metric, and for each measure
    (capex = as reported, comparable) _usd, _yoy_pct, _to_revenue_pct, _source (in brief);
    comparable_missing; is_public (False: a quarter the data has but that was not public
    on `as_of`; its figures are empty).
    """
    fin = data.load_financials()
    unseen = later_quarters(fin, as_of)
    frames = []
    for c in data.load_companies().itertuples():
        mine = fin[fin["ticker"] == c.ticker]
        q = _public_quarters(mine, c.ticker, c.capex_metric, as_of, since_year,
                             (directory, files))
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


# --- guidance -------------------------------------------------------------------------------

def guidance_steps(g: pd.DataFrame) -> pd.DataFrame:
    """Each distinct full-year outlook, in order, with how it moved.

    `g` holds one company's capex_guidance rows. A "raise by" outlook becomes a level where
    the level it raises is in the data (the last outlook for the same year and basis given
    before it): `level_note` shows the arithmetic; otherwise it stays a raise. Outlooks of
    the same year, date and level are one step with several sources. `change` compares a
    step with the previous one for the same year (raised, cut, held, narrowed, widened);
    `prior_note` flags a source whose stated prior differs from the step before.
    """
    g = g[(g["per"] == "year") & g["guidance_kind"].isin(YEAR_KINDS)]
    cols = ["fiscal_year", "given_date", "guidance_kind", "basis", "low_usd", "high_usd",
            "level_note", "sources", "stated_prior", "change", "prior_note"]
    if g.empty:
        return pd.DataFrame(columns=cols)
    levels: list[dict] = []
    for r in g.sort_values(["fiscal_year", "given_date", "guidance_kind"]).to_dict("records"):
        step = dict(r, level_note="")
        if r["guidance_kind"] == "raise_by":
            before = [s for s in levels if s["fiscal_year"] == r["fiscal_year"]
                      and s["basis"] == r["basis"] and s["given_date"] < r["given_date"]
                      and s["guidance_kind"] in LEVEL_KINDS]
            raise_ = r["low_usd"]
            if before:
                prev = before[-1]
                step.update(guidance_kind=prev["guidance_kind"],
                            low_usd=prev["low_usd"] + raise_, high_usd=prev["high_usd"] + raise_,
                            level_note=_("{outlook} (given {date}) + the {amount} raise").format(
                                outlook=outlook_text(prev), date=_date(prev["given_date"]),
                                amount=usd_bn_short(raise_)))
            else:
                step["level_note"] = _("a raise of {amount}; the level it raises is not in the "
                                       "data").format(amount=usd_bn_short(raise_))
        levels.append(step)
    steps = []
    key = ["fiscal_year", "given_date", "guidance_kind", "low_usd", "high_usd"]
    frame = pd.DataFrame(levels)
    for k, grp in frame.groupby(key, sort=True, dropna=False):
        prior = grp.dropna(subset=["prior_low_usd"])
        notes = [n for n in grp["level_note"] if n]
        steps.append(dict(zip(key, k), basis=grp["basis"].iloc[0],
                          level_note="; ".join(notes) + (
                              "; " + _("also stated as a level") if notes and len(notes) < len(grp)
                              else ""),
                          sources=list(zip(grp["source_type"], grp["source_url"])),
                          stated_prior=(prior[["prior_low_usd", "prior_high_usd"]].iloc[0]
                                        .tolist() if len(prior) else None)))
    out = pd.DataFrame(steps).sort_values(["fiscal_year", "given_date"]).reset_index(drop=True)
    changes, notes = [], []
    for i, r in out.iterrows():
        before = out[(out["fiscal_year"] == r["fiscal_year"]) & (out.index < i)]
        prev = None if before.empty else before.iloc[-1]
        changes.append(_change(None if prev is None else (prev["low_usd"], prev["high_usd"]),
                               (r["low_usd"], r["high_usd"])))
        stated = r["stated_prior"]
        said = None if stated is None else _("source states the prior outlook as {amount}") \
            .format(amount=_amount(*stated))
        if said and prev is not None and not _same(tuple(stated),
                                                   (prev["low_usd"], prev["high_usd"])):
            notes.append(said + "; " + _("that step is not in the data"))
        elif said and prev is None:
            notes.append(said)
        else:
            notes.append("")
    out["change"] = changes
    out["prior_note"] = notes
    return out[cols]


def _same(a: tuple, b: tuple) -> bool:
    return all((pd.isna(x) and pd.isna(y)) or x == y for x, y in zip(a, b))


def _change(prev, new) -> str:
    """How an outlook moved: a range inside the last one narrowed (one end may stay: Meta's
    "$130-145 billion, narrowed from $125-145 billion"), around it widened, else raised or cut.
    An open end ("up to", "at least") is unbounded where the other outlook has that end, and
    else the outlook's one figure (at least $20B then at least $25B is raised)."""
    if prev is None:
        return N_("first given")  # words of the data, translated where shown
    if _same(prev, new):
        return N_("held")
    (pl, ph), (nl, nh) = prev, new
    if (pd.isna(pl), pd.isna(ph)) != (pd.isna(nl), pd.isna(nh)):  # an open end came or went
        pl, nl = (-math.inf if pd.isna(x) else x for x in (pl, nl))
        ph, nh = (math.inf if pd.isna(x) else x for x in (ph, nh))
    pl, nl = (ph if pd.isna(pl) else pl), (nh if pd.isna(nl) else nl)
    ph, nh = (pl if pd.isna(ph) else ph), (nl if pd.isna(nh) else nh)
    if (pl, ph) == (nl, nh):
        return N_("held")
    if nl >= pl and nh <= ph:
        return N_("narrowed")
    if nl <= pl and nh >= ph:
        return N_("widened")
    return N_("raised") if nl > pl else N_("cut")  # both ends moved the same way


def guidance_history(ticker: str, as_of: pd.Timestamp) -> pd.DataFrame:
    """The full-year outlook steps of one company given by `as_of` (see guidance_steps)."""
    return guidance_steps(_guidance_rows(ticker, as_of))


def _guidance_rows(ticker: str, as_of: pd.Timestamp) -> pd.DataFrame:
    g = data.load_capex_guidance()
    return g[(g["ticker"] == ticker) & (g["given_date"] <= as_of)]


def other_outlooks(g: pd.DataFrame) -> pd.DataFrame:
    """Outlooks that are not full-year steps: a quarter's figure, a figure for each quarter,
    a quarterly run rate. `outlook` describes each in words."""
    g = g[~((g["per"] == "year") & g["guidance_kind"].isin(YEAR_KINDS))]
    g = g.sort_values("given_date").reset_index(drop=True)
    g["outlook"] = [outlook_text(r, with_period=True) for r in g.to_dict("records")]
    return g


def outlook_text(g: dict, with_period: bool = False) -> str:
    """An outlook in words: "$35–40 billion", "about $50 billion", "at least $12 billion",
    "up to $95 billion", "about $26.3 billion a quarter"; ranges as ranges, points as
    points."""
    kind, low, high = g["guidance_kind"], g["low_usd"], g["high_usd"]
    amount = _amount(low, high)
    words = {"about": N_("about {amount}"), "at_least": N_("at least {amount}"),
             "at_most": N_("up to {amount}"), "raise_by": N_("raised by {amount}"),
             "quarterly_run_rate": N_("about {amount} a quarter")}
    text = _(words.get(kind, "{amount}")).format(
        amount=usd_bn_short(low) if kind in ("at_least", "raise_by")
        else usd_bn_short(high) if kind == "at_most" else amount)
    if not with_period:
        return text
    period = fiscal_year_label(g["fiscal_year"])
    if not pd.isna(g.get("fiscal_quarter")):
        period += f" Q{int(g['fiscal_quarter'])}"
    elif g["per"] == "quarter" and kind != "quarterly_run_rate":
        text = _("{outlook} each quarter").format(outlook=text)
    return _("{outlook} for {period}").format(outlook=text, period=period)


def fiscal_year_label(year) -> str:
    """"FY2024", "GJ2024"."""
    # L10N: a fiscal year, e.g. FY2024 (German: GJ2024)
    return _("FY{year}").format(year=int(year))


def _amount(low, high) -> str:
    if pd.isna(high) or pd.isna(low) or low == high:
        return usd_bn_short(low if not pd.isna(low) else high)
    return usd_bn_range(low, high)


def current_outlook(steps: pd.DataFrame, as_of: pd.Timestamp, fye: str) -> dict | None:
    """The latest step for the current fiscal year: the earliest year with an outlook that
    has not closed by `as_of` (levels and raises applied). None when there is none."""
    open_years = [fy for fy in sorted(set(steps["fiscal_year"]))
                  if pd.Timestamp(periods.fiscal_year_end_date(int(fy), fye)) >= as_of]
    if not open_years:
        return None
    mine = steps[steps["fiscal_year"] == open_years[0]]
    last = mine.iloc[-1].to_dict()
    prev = mine.iloc[-2].to_dict() if len(mine) > 1 else None
    return dict(last, previous=prev, text=outlook_text(last))


def verdicts(steps: pd.DataFrame, others: pd.DataFrame, quarters: pd.DataFrame, fye: str,
             as_of: pd.Timestamp) -> pd.DataFrame:
    """Guided against actual, only on the same basis.

    For each fiscal year that closed by `as_of`, the last full-year outlook given by its
    end; for each quarter outlook, the quarters it covers that ended after it was given.
    The actual is the outlook's basis metric from `quarters` (a year: all four quarters).
    Where the basis is one the kit has no actual for, or the actual is not known, `status`
    is not_comparable or not_known and `reason` says why; otherwise within, above or below.
    """
    rows = []
    for fy, grp in steps.groupby("fiscal_year"):
        end = pd.Timestamp(periods.fiscal_year_end_date(int(fy), fye))
        if end >= as_of:
            continue
        given = grp[grp["given_date"] <= end]
        if given.empty:
            continue
        g = given.iloc[-1].to_dict()
        actual, reason = _actual(quarters, g["basis"], fy, None)
        rows.append(dict(_verdict(g, "year", fy, None, actual, reason), period_end_date=end))
    latest: dict[tuple[int, int], dict] = {}  # each quarter: the last outlook before it ended
    for g in others.sort_values("given_date").to_dict("records"):
        fq = g.get("fiscal_quarter")
        for q in [int(fq)] if not pd.isna(fq) else (1, 2, 3, 4):
            end = pd.Timestamp(periods.fiscal_quarter_end(int(g["fiscal_year"]), q, fye))
            if g["given_date"] < end < as_of:
                latest[(int(g["fiscal_year"]), q)] = dict(g, end=end)
    for (fy, q), g in sorted(latest.items()):
        actual, reason = _actual(quarters, g["basis"], fy, q)
        rows.append(dict(_verdict(g, "quarter", fy, q, actual, reason),
                         period_end_date=g["end"]))
    cols = ["per", "fiscal_year", "fiscal_quarter", "period_end_date", "outlook", "given_date",
            "basis",
            "actual_usd", "status", "verdict", "reason", "sources"]
    return pd.DataFrame(rows, columns=cols)


def _actual(quarters: pd.DataFrame, basis: str, fy: int, q: int | None):
    """(actual, None) on the basis, or (None, why not)."""
    if basis not in METRICS:
        return None, _(BASIS_REASONS[basis])
    column = f"{basis}_usd"
    mine = quarters[quarters["fiscal_year"] == fy]
    if q is not None:
        value = mine.loc[mine["fiscal_quarter"] == q, column] if column in mine else []
        if len(value) and pd.notna(value.iloc[0]):
            return value.iloc[0], None
        return None, _("{metric}, the outlook's basis, is not known for {period}").format(
            metric=metric_name(basis, in_sentence=True), period=periods.label(fy, q))
    year = annual(quarters, basis)
    year = year[year["fiscal_year"] == fy]
    if len(year):
        return year["actual_usd"].iloc[0], None
    return None, _("{metric}, the outlook's basis, is not known for all four quarters of "
                   "{year}").format(metric=metric_name(basis, in_sentence=True),
                                    year=fiscal_year_label(fy))


def _verdict(g: dict, per: str, fy, q, actual, reason) -> dict:
    text = outlook_text(g)
    row = dict(per=per, fiscal_year=int(fy), fiscal_quarter=q, outlook=text,
               given_date=g["given_date"], basis=g["basis"], actual_usd=actual,
               reason=reason or "", sources=g.get("sources") or [
                   (g.get("source_type"), g.get("source_url"))])
    if g["guidance_kind"] == "raise_by":
        actual, reason = None, _("the last outlook is a raise whose level is not in the data")
    if actual is None:
        status = "not_comparable" if g["basis"] not in METRICS else "not_known"
        return dict(row, actual_usd=float("nan"), status=status,
                    verdict=_("not comparable: {reason}").format(reason=reason)
                    if status == "not_comparable"
                    else _("no verdict yet: {reason}").format(reason=reason))
    low, high, kind = g["low_usd"], g["high_usd"], g["guidance_kind"]
    floor = low if kind == "at_least" else -float("inf") if kind == "at_most" else low
    cap = high if kind in ("at_most", "range", "point", "about", "quarterly_run_rate") \
        else float("inf")
    status = "above" if actual > cap else "below" if actual < floor else "within"
    if status == "within":
        verdict = _({"at_least": N_("at or above the outlook's floor"),
                     "at_most": N_("within the outlook's cap")}.get(
            kind, N_("equal to the outlook") if low == high else N_("within the outlook")))
    else:
        gap = actual - cap if status == "above" else floor - actual
        verdict = (_("{amount} above the outlook") if status == "above"
                   else _("{amount} below the outlook")).format(amount=usd_bn(gap))
    return dict(row, status=status, verdict=verdict)


# --- stock reactions ------------------------------------------------------------------------

def releases(ticker: str, as_of: pd.Timestamp) -> pd.DataFrame:
    """The company's earnings releases made by `as_of`."""
    rel = data.load_earnings_releases()
    return rel[(rel["ticker"] == ticker) & (rel["release_date"] <= as_of)]


def reactions(ticker: str, as_of: pd.Timestamp) -> pd.DataFrame:
    """The move on the first full session after each release, raw and in excess of QQQ.

    After the close: release-day close to the next session's close. Before the open: previous
    close to the release day's close. Where no source gives the time of day (`timing` "not
    stated"), it is measured as if after the close. `excess_pct` is the move minus QQQ's over
    the same two closes.
    """
    rel = releases(ticker, as_of)
    prices = data.load_prices()
    stock = _closes(prices, ticker)
    bench = _closes(prices, BENCHMARK)
    rows = []
    for r in rel.sort_values("release_date").itertuples():
        before_open = not pd.isna(r.timing) and r.timing == "before_open"
        base = stock[stock.index < r.release_date] if before_open \
            else stock[stock.index <= r.release_date]
        after = stock[(stock.index >= r.release_date) if before_open
                      else (stock.index > r.release_date)]
        after = after[after.index <= as_of]
        if base.empty or after.empty:
            continue
        d0, d1 = base.index[-1], after.index[0]
        move = (after.iloc[0] / base.iloc[-1] - 1) * 100
        bench_move = (bench.get(d1) / bench.get(d0) - 1) * 100
        rows.append(dict(fiscal_year=r.fiscal_year, fiscal_quarter=r.fiscal_quarter,
                         release_date=r.release_date,
                         timing=r.timing if not pd.isna(r.timing) else "not_stated",
                         base_date=d0, session_date=d1,
                         base_close_usd=base.iloc[-1], session_close_usd=after.iloc[0],
                         move_pct=move, benchmark_move_pct=bench_move,
                         excess_pct=move - bench_move, source_id=r.source_id,
                         source_url=r.source_url, accession_number=r.accession_number,
                         exhibit_url=r.exhibit_url))
    return pd.DataFrame(rows)


def _closes(prices: pd.DataFrame, ticker: str) -> pd.Series:
    p = prices[prices["ticker"] == ticker]
    return p.set_index("price_date")["adj_close_usd"].sort_index()


# --- horizon: how far the data reaches ---------------------------------------------------------

DUE_SLACK_DAYS = 7


def latest_release(ticker: str, as_of: pd.Timestamp, rows: pd.DataFrame,
                   reacted: pd.DataFrame) -> dict | None:
    """The latest release public by `as_of` and what the briefing has of it: `outlook`, an
    outlook given that day or the next (the call) among the guidance `rows`; `reaction`,
    whether `reacted` (reactions()) measures it; `prices_end`, the ticker's last price in the
    data (None: no prices)."""
    rel = releases(ticker, as_of).sort_values("release_date")
    if rel.empty:
        return None
    r = rel.iloc[-1]
    day = r["release_date"]
    given = rows[(rows["given_date"] >= day) & (rows["given_date"] <= day + pd.Timedelta(days=1))]
    closes = _closes(data.load_prices(), ticker)
    return dict(release_date=day,
                quarter=periods.label(int(r["fiscal_year"]), int(r["fiscal_quarter"])),
                outlook=not given.empty,
                reaction=not reacted.empty and (reacted["release_date"] == day).any(),
                prices_end=closes.index.max() if not closes.empty else None)


def horizon(rel: pd.DataFrame, fye: str, as_of: pd.Timestamp) -> dict | None:
    """How far a company's releases (`rel`: its earnings_releases rows) reach as seen on
    `as_of`: the latest release public by then; the next quarter; the day its release is due
    by (that quarter's end plus the longest lag, period end to release, of the latest four
    releases, plus DUE_SLACK_DAYS); and `missing`: that day has passed and the data has no
    release for that quarter at all (one still to come after `as_of` is not missing). None
    without a release by `as_of`."""
    seen = rel[rel["release_date"] <= as_of].sort_values("release_date")
    if seen.empty:
        return None
    last = seen.iloc[-1]
    fy, q = (last["fiscal_year"], last["fiscal_quarter"] + 1) if last["fiscal_quarter"] < 4 \
        else (last["fiscal_year"] + 1, 1)
    end = pd.Timestamp(periods.fiscal_quarter_end(int(fy), int(q), fye))
    lag = (seen["release_date"] - seen["period_end_date"]).tail(4).max()
    due = end + lag + pd.Timedelta(days=DUE_SLACK_DAYS)
    have = ((rel["fiscal_year"] == fy) & (rel["fiscal_quarter"] == q)).any()
    return dict(last_release_date=last["release_date"],
                last_quarter=periods.label(int(last["fiscal_year"]), int(last["fiscal_quarter"])),
                next_quarter=periods.label(int(fy), int(q)), due_date=due,
                missing=bool(as_of > due and not have))


def horizon_note(company_name: str, h: dict | None) -> str:
    """One line for the top of a briefing whose data stops before a release that was due."""
    if h is None or not h["missing"]:
        return ""
    return _("Data for {company} ends with the release of {date}; the release for {quarter}, "
             "due by {due}, is not in the data — `kit data refresh`.").format(
        company=company_name, date=_date(h["last_release_date"]), quarter=h["next_quarter"],
        due=_date(h["due_date"]))


AI_WRITTEN = re.compile(r"\bAI[- ](?:generated|written|transcript)", re.I)


def ai_written() -> pd.DataFrame:
    """Every statement and outlook that rests on a page its source type labels as written by
    an AI (a summary of a call or a release): the last resort, to be replaced by a
    first-hand source where one can be found."""
    st, g = data.load_statements(), data.load_capex_guidance()
    ai_st = st["source_type"].str.contains(AI_WRITTEN)
    ai_g = g["source_type"].str.contains(AI_WRITTEN)
    # a row that another, first-hand source also gives (same statement or outlook) does not
    # rest on the AI-written page alone
    said = set(st.loc[~ai_st, ["ticker", "event_date", "kind"]].itertuples(index=False))
    step = ["ticker", "fiscal_year", "fiscal_quarter", "given_date", "low_usd", "high_usd"]
    given = {tuple(map(str, k)) for k in g.loc[~ai_g, step].itertuples(index=False)}
    rows = [dict(table="statements", ticker=r.ticker, date=r.event_date, what=r.kind,
                 source_type=r.source_type, source_url=r.source_url)
            for r in st[ai_st].itertuples() if (r.ticker, r.event_date, r.kind) not in said]
    rows += [dict(table="capex_guidance", ticker=r["ticker"], date=r["given_date"],
                  what=f"FY{r['fiscal_year']} outlook", source_type=r["source_type"],
                  source_url=r["source_url"]) for _i, r in g[ai_g].iterrows()
             if tuple(map(str, r[step])) not in given]
    fin = data.load_financials()
    fin = fin[fin["source_detail"].str.contains(AI_WRITTEN, na=False)]
    rows += [dict(table="financials", ticker=r.ticker, date=r.published_date,
                  what=f"{periods.label(r.fiscal_year, r.fiscal_quarter)} {r.metric}",
                  source_type=r.source_detail.rpartition('" (')[2][:-1],
                  source_url=r.source_url) for r in fin.itertuples()]
    return pd.DataFrame(rows, columns=["table", "ticker", "date", "what", "source_type",
                                       "source_url"])


# --- data quality ---------------------------------------------------------------------------

def quality(ticker: str, as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """What a reader should know about the figures behind a company's briefing.

    One row per finding (`quoted`: the source's own figures it rests on, as the source
    writes them): `kind` is conflict (sources give different figures for the same
    quarter, beyond rounding), identity (a source's figure fails its own cash-flow identity
    and is not used), revision (a later filing changed a figure), gap (a quarter missing
    between the first and last one the sources cover, or a component of the comparable
    measure missing), derived (figures computed from others), date (figures dated by the
    filing deadline, corrected release dates) or statement (undated or contradicted
    statements). `kit data check` prints these for every company.
    """
    as_of = pd.Timestamp.max if as_of is None else as_of
    company = data.load_companies().set_index("ticker").loc[ticker]
    fin = data.load_financials()
    fin = fin[(fin["ticker"] == ticker) & (fin["published_date"] <= as_of)]
    rows = []

    def add(kind, period, detail, quoted=""):
        rows.append(dict(ticker=ticker, kind=kind, period=period, detail=detail, quoted=quoted))

    label = {e: periods.label(y, q) for e, y, q in
             zip(fin["period_end_date"], fin["fiscal_year"], fin["fiscal_quarter"])}
    failing = fin[fin["identity_check"] == "fails"]
    for r in failing.itertuples():
        fixed = fin[(fin["metric"] == r.metric) & (fin["period_end_date"] == r.period_end_date)
                    & (fin["derivation"] == "identity")]
        add("identity", label[r.period_end_date],
            _("{metric} ({source}) {amount} fails the release's own cash-flow identity").format(
                metric=metric_name(r.metric), source=r.source_id, amount=usd_m(r.value_usd))
            + ("; " + _("{amount} from the identity is used").format(
                amount=usd_m(fixed["value_usd"].iloc[0])) if len(fixed) else ""),
            fixed["derivation_detail"].iloc[0] if len(fixed) else "")
    reported = fin[(fin["derivation"] != "sum") & (fin["identity_check"] != "fails")]
    for (metric, end), grp in reported.groupby(["metric", "period_end_date"]):
        latest = grp.sort_values("published_date").groupby("source_id").tail(1)
        slack = 2 * ROUNDING_USD + latest["precision_usd"].fillna(0).max()
        if latest["value_usd"].max() - latest["value_usd"].min() > slack:
            versions = "; ".join(f"{r.source_id} {usd_m(r.value_usd)}"
                                 for r in latest.sort_values("source_id").itertuples())
            add("conflict", label[end], f"{metric_name(metric)}: {versions}")
        for src, versions in grp.groupby("source_id"):
            if versions["value_usd"].nunique() > 1:
                v = versions.sort_values("published_date")
                add("revision", label[end], f"{metric_name(metric)} ({src}): " + _(" then ")
                    .join(f"{usd_m(r.value_usd)} ({_date(r.published_date)})"
                          for r in v.itertuples()))
    for r in fin[(fin["source_id"] == "sec_exhibit") & fin["metric"].isin(list(SUMS))].itertuples():
        exact = fin[(fin["metric"] == r.metric) & (fin["period_end_date"] == r.period_end_date)
                    & (fin["derivation"] == "sum")].sort_values("published_date")
        if len(exact) and abs(exact["value_usd"].iloc[-1] - r.value_usd) > \
                ROUNDING_USD + (r.precision_usd if pd.notna(r.precision_usd) else 0):
            add("conflict", label[r.period_end_date], _(
                "{metric}: the release says {quoted}, its parts from the filings add up to "
                "{amount}").format(metric=metric_name(r.metric), quoted=usd_m(r.value_usd),
                                   amount=usd_m(exact["value_usd"].iloc[-1])),
                r.source_detail)
    for metric in (company["capex_metric"], "revenue"):
        have = fin[fin["metric"] == metric]
        if have.empty:
            add("gap", _("all"), _("{metric}: not in the sources").format(
                metric=metric_name(metric)))
            continue
        missing = _missing_quarters(have)
        if missing:
            add("gap", ", ".join(missing), _(
                "{metric}: missing between the first and the last quarter the sources cover "
                "(not in any source, or not derivable because year-to-date periods do not line "
                "up); not estimated").format(metric=metric_name(metric)))
    cur = as_of_rows(fin, as_of)
    capex = cur[cur["metric"] == company["capex_metric"]]["period_end_date"]
    for part in SUMS[COMPARABLE]:
        have = set(cur.loc[cur["metric"] == part, "period_end_date"])
        lacking = [label[e] for e in sorted(capex) if e not in have]
        if lacking:
            add("gap", _span(lacking), _(
                "comparable measure: {metric} not in the sources for {missing} of {quarters} "
                "quarters; comparable capex is left empty there, never a partial sum").format(
                metric=metric_name(part, in_sentence=True), missing=len(lacking),
                quarters=len(capex)))
    for how, grp in cur[~cur["derivation"].isin(["reported"])].groupby("derivation"):
        add("derived", _("{count} quarters").format(count=len(grp)),
            f"{_(DERIVATIONS.get(how, how))}: "
            + ", ".join(sorted({metric_name(m) for m in grp["metric"]})))
    for r in cur[cur["published_basis"] == "filing_deadline"].itertuples():
        add("date", label[r.period_end_date],
            _("{metric}: no release date in the sources; taken as public from {date}, the day "
              "its 10-Q/10-K was due at the latest").format(metric=metric_name(r.metric),
                                                            date=_date(r.published_date)))
    rel = releases(ticker, as_of)
    if rel.empty:
        add("date", _("all"), _("no earnings release dates in the sources: stock reactions are "
                                "not computed"))
    for r in rel[rel["date_check"] == "corrected"].itertuples():
        add("date", periods.label(r.fiscal_year, r.fiscal_quarter), _(r.note))
    for r in rel[rel["date_check"] == "differs"].itertuples():
        add("date", periods.label(r.fiscal_year, r.fiscal_quarter), _(
            "sources disagree on the release date: {date} ({source}, used); {others}").format(
            date=_date(r.release_date), source=r.source_id, others=r.other_dates))
    unread = data.load_release_sentences()
    for r in unread[(unread["ticker"] == ticker) & (unread["release_date"] <= as_of)].itertuples():
        add("statement", _date(r.release_date), _(
            "a sentence of the release on capital expenditures not read ({reason}); not "
            "guessed: {url}").format(reason=_(r.reason), url=r.source_url), r.sentence)
    st = data.load_statements()
    st = st[st["ticker"] == ticker]
    for r in st[st["event_date"].isna()].itertuples():
        add("statement", _("undated"), _("{statement}: no date on the page; not in the "
                                         "guidance tracker ({url})").format(
            statement=r.statement_id, url=r.source_url))
    for r in st[st["conflict"].notna()].itertuples():
        if not (pd.isna(r.event_date) or r.event_date <= as_of):
            continue
        if pd.isna(r.conflict_settled):
            add("conflict", r.fiscal_period or "", f"{r.statement_id}: {_(r.conflict)}")
        else:  # a first-hand source settles it: a note on the statement, not an open conflict
            add("statement", r.fiscal_period or "", _("{statement}: {conflict}; settled: "
                                                      "{settled}").format(
                statement=r.statement_id, conflict=_(r.conflict), settled=_(r.conflict_settled)))
    return pd.DataFrame(rows, columns=["ticker", "kind", "period", "detail", "quoted"])


def _missing_quarters(have: pd.DataFrame) -> list[str]:
    keys = sorted(set(have["fiscal_year"] * 4 + have["fiscal_quarter"] - 1))
    return [periods.label(k // 4, k % 4 + 1) for k in range(keys[0], keys[-1])
            if k not in keys]


def _span(labels: list[str]) -> str:
    return labels[0] if len(labels) == 1 else _("{first} to {last}").format(
        first=labels[0], last=labels[-1])


# --- the briefing and its summaries ---------------------------------------------------------

def load_briefing(ticker: str, as_of=None) -> Briefing:
    """Everything one briefing shows, as of a date (default: the data's date)."""
    ticker, as_of = check_request(ticker, as_of)
    company = data.load_companies().set_index("ticker").loc[ticker]
    quarters = quarterly(ticker, as_of, company["capex_metric"])
    statements = data.load_statements()
    statements = with_translations(statements[(statements["ticker"] == ticker)
                                              & (statements["event_date"] <= as_of)])
    rows = _guidance_rows(ticker, as_of)
    steps, others = guidance_steps(rows), other_outlooks(rows)
    notes = []
    latest = quarters.dropna(subset=["capex_usd"]).tail(1)
    missing = quarters[quarters["capex_usd"].isna()]
    if not missing.empty:
        notes.append(_("{quarters}: {metric} is not in the sources as of {date}; shown as "
                       "missing, not estimated.").format(
            quarters=", ".join(missing["quarter_label"]),
            metric=metric_name(company["capex_metric"]), date=_date(as_of)))
    if not latest.empty and pd.isna(latest["revenue_usd"].iloc[0]):
        notes.append(_("{quarter}: revenue is not in the sources.").format(
            quarter=latest["quarter_label"].iloc[0]))
    fye = company["fiscal_year_end"]
    reacted = reactions(ticker, as_of)
    return Briefing(
        ticker=ticker, company_name=company["company_name"], cik=company["cik"], as_of=as_of,
        capex_metric=company["capex_metric"], capex_definition=company["capex_definition"],
        guidance_basis=company["guidance_basis"] if pd.notna(company["guidance_basis"])
        else "", quarters=quarters, guidance=steps, other_guidance=others,
        verdicts=verdicts(steps, others, quarters, fye, as_of),
        current_outlook=current_outlook(steps, as_of, fye) if not steps.empty else None,
        quality=quality(ticker, as_of), peers=peers(as_of), reactions=reacted,
        statements=statements.sort_values("event_date").reset_index(drop=True),
        sources=data.load_sources(), notes=notes,
        reactions_note=reactions_note(ticker, as_of, pd.notna(company["added_from"])),
        horizon_note=horizon_note(company["company_name"], horizon(
            releases(ticker, pd.Timestamp.max), fye, as_of)),
        latest_release=latest_release(ticker, as_of, rows, reacted))


def with_translations(statements: pd.DataFrame) -> pd.DataFrame:
    """Statements with `translation`: the kit's translation into the current language (the
    `text_en` column for English, else statement_translations), empty where there is none
    or the statement is in that language already."""
    lang = i18n.current()
    if lang == i18n.SOURCE:
        found = statements["text_en"]
    else:
        t = data.load_statement_translations()
        found = statements["statement_id"].map(
            t[t["lang"] == lang].set_index("statement_id")["text"])
    return statements.assign(translation=found.where(statements["text_lang"] != lang))


def reactions_note(ticker: str, as_of: pd.Timestamp, added: bool) -> str:
    """One line for the reaction section: why it is empty (no release dates, no prices), or
    where the releases' timing comes from when SEC filing times give it. `added`: the
    company was added from SEC (`kit data add`)."""
    rel = releases(ticker, as_of)
    if rel.empty:
        return (_("No earnings release dates for {ticker} in the sources (SEC has no "
                  "submissions document for it): its figures are dated by their 10-Q/10-K "
                  "filings; no reactions are computed.") if added else
                _("No earnings release dates for {ticker} in the sources; no reactions are "
                  "computed.")).format(ticker=ticker)
    notes = []
    if _closes(data.load_prices(), ticker).empty:
        notes.append((_("No price source for {ticker}; no reactions are computed (add prices "
                        "with `kit data add {ticker} --prices FILE`).") if added else
                      _("No price source for {ticker}; no reactions are computed.")).format(
            ticker=ticker))
    if (rel["timing_basis"] == "filing_time").any():
        notes.append(_("Timing comes from the time SEC accepted the 8-K, where the company's "
                       "SEC filing record shows in which time zone it is written; where no "
                       "source establishes the time, it is not stated and the move is measured "
                       "as if the release came after the close."))
    return " ".join(notes)


def summary(ticker: str, as_of=None) -> dict:
    """The headline figures of a briefing, for the index pages (see summary_of)."""
    return summary_of(load_briefing(ticker, as_of))


def summary_of(b: Briefing) -> dict:
    """The headline figures of a briefing as plain JSON values: latest quarter on both
    measures, growth, trailing four quarters, current outlook, latest reaction. The
    briefing's footer carries it (sections.footer_html), so an index is made from the
    rendered files without computing them again."""
    q = b.quarters.dropna(subset=["capex_usd"])
    last = q.iloc[-1] if not q.empty else pd.Series(dtype=object)
    g, r = b.current_outlook, b.reactions
    out = dict(
        ticker=b.ticker, company_name=b.company_name, as_of=f"{b.as_of:%Y-%m-%d}",
        capex_metric=b.capex_metric, quarter_label=last.get("quarter_label"),
        capex_usd=last.get("capex_usd"), capex_yoy_pct=last.get("capex_yoy_pct"),
        capex_ttm_usd=last.get("capex_ttm_usd"), comparable_usd=last.get("comparable_usd"),
        comparable_missing=last.get("comparable_missing"),
        capex_to_revenue_pct=last.get("capex_to_revenue_pct"),
        guidance=None if g is None else dict(
            fiscal_year=int(g["fiscal_year"]), text=g["text"], basis=g["basis"],
            change=g["change"], given_date=f"{g['given_date']:%Y-%m-%d}"),
        reaction_pct=None if r.empty else r.iloc[-1]["move_pct"],
        reaction_excess_pct=None if r.empty else r.iloc[-1]["excess_pct"],
        reaction_release_date=None if r.empty else f"{r.iloc[-1]['release_date']:%Y-%m-%d}",
        horizon_note=b.horizon_note or None)
    return {k: _plain(v) for k, v in out.items()}


def _plain(value):
    """A JSON value: NaN and NA as None, numpy numbers as Python's."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def trust_summary(as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """One row per company: how much of a briefing stands on solid ground as of a date.

    Quarters with each capex measure and with revenue, outlooks, verdicts given and
    withheld (with the reasons), releases, reactions, figures dated by the filing-deadline
    fallback."""
    as_of = data.as_of_date() if as_of is None else as_of
    rows = []
    for c in data.load_companies().itertuples():
        b = load_briefing(c.ticker, as_of) if data_range(c.ticker)[0] <= as_of else None
        if b is None:
            continue
        q = b.quarters
        v = b.verdicts
        withheld = v[~v["status"].isin(["within", "above", "below"])]
        fin = current_financials(c.ticker, as_of)
        rel = data.load_earnings_releases()
        rows.append(dict(
            ticker=c.ticker, as_reported_quarters=int(q["capex_usd"].notna().sum()),
            comparable_quarters=int(q["comparable_usd"].notna().sum()),
            revenue_quarters=int(q["revenue_usd"].notna().sum()),
            last_quarter=q.dropna(subset=["capex_usd"])["quarter_label"].iloc[-1]
            if q["capex_usd"].notna().any() else "",
            outlooks=len(b.guidance) + len(b.other_guidance),
            verdicts_given=len(v) - len(withheld), verdicts_withheld=len(withheld),
            withheld_because="; ".join(
                ", ".join(f"FY{r.fiscal_year}" + (f" Q{int(r.fiscal_quarter)}"
                                                  if not pd.isna(r.fiscal_quarter) else "")
                          for r in grp.itertuples()) + f": {reason}"
                for reason, grp in withheld.groupby("reason", sort=False)),
            releases=int(((rel["ticker"] == c.ticker) & (rel["release_date"] <= as_of)).sum()),
            reactions=len(b.reactions),
            dated_by_deadline=int((fin["published_basis"] == "filing_deadline").sum())))
    return pd.DataFrame(rows)
