"""Outlooks: full-year steps and how each moved, other outlooks, the current one, and verdicts
against actuals on the same basis only. Frames in, frames out."""

from __future__ import annotations

import math

import pandas as pd

from kit import periods
from kit.i18n import N_, _, usd_bn, usd_bn_range, usd_bn_short
from kit.i18n import date as _date
from kit.metrics.measures import annual, metric_name
from kit.schema import LEVEL_KINDS, METRICS

YEAR_KINDS = (*LEVEL_KINDS, "at_least", "at_most", "raise_by")  # full-year outlooks: steps


BASIS_REASONS = {  # why no verdict: the outlook's basis has no actual in the kit
    "net_cash_capex": N_("the outlook is cash capex net of proceeds from sales and incentives; "
                         "the kit has gross purchases, not the net figure"),
    "accrual_capex": N_("the outlook is accrual-basis capex; the kit has cash figures only"),
    "unstated": N_("the outlook does not say which capex measure it is, so no actual in the "
                   "kit is known to be on its basis"),
}


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
