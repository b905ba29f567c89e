"""The briefing: loads the tables for one company and date, calls each concern's functions,
and gives a Briefing and its headline figures (summary_of)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pandas as pd

from kit import data, i18n, periods
from kit.i18n import _
from kit.i18n import date as _date
from kit.metrics.asof import as_of_rows, pending
from kit.metrics.funding import funding, identity
from kit.metrics.guidance import current_outlook, guidance_steps, other_outlooks, verdicts
from kit.metrics.measures import measures, metric_name
from kit.metrics.peers import peer_quarters
from kit.metrics.quality import quality
from kit.metrics.reactions import (
    horizon,
    horizon_note,
    latest_release,
    reactions,
    reactions_note,
    releases,
)
from kit.metrics.requests import check_request, data_range


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
    horizon: dict | None = None  # how far its releases reach (reactions.horizon)
    fiscal_year_end: str = "12-31"
    latest_release: dict | None = None  # see latest_release()
    funding: pd.DataFrame = field(default_factory=pd.DataFrame)  # see funding.funding()
    # the company's own free-cash-flow definition as public on the date (None: it states
    # none in the sources), and its stated figures checked against it (funding.identity)
    fcf_definition: dict | None = None
    fcf_identity: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def actuals(self) -> pd.DataFrame:
        """Closed years whose actual is on the outlook's basis (for the guidance chart)."""
        v = self.verdicts
        return v[v["per"].eq("year") & v["actual_usd"].notna()] if not v.empty else v


def current_financials(ticker: str, as_of: pd.Timestamp) -> pd.DataFrame:
    """One row per metric x quarter: the value that was public on `as_of`."""
    fin = data.load_financials()
    return as_of_rows(fin[fin["ticker"] == ticker], as_of)


def quarterly(ticker: str, as_of: pd.Timestamp, capex_metric: str) -> pd.DataFrame:
    """Quarters of one company as of `as_of` (see `measures`)."""
    fin = data.load_financials()
    fin = fin[fin["ticker"] == ticker]
    return measures(as_of_rows(fin, as_of), capex_metric, as_of, pending(fin, as_of))


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
    """peer_quarters, kept in the kit's cache for the kernels of a batch: the briefings of one
    date share it, and `kit render` computes it while the kernels start (kit.render)."""
    content = hashlib.sha256()  # by content, not path: a Dask worker's copy shares it
    for name in ("financials.csv", "companies.csv"):
        content.update((Path(directory) / name).read_bytes())
    key = hashlib.sha256(repr((as_of, since_year, content.hexdigest(), data.code_digest(), lang))
                         .encode()).hexdigest()[:24]
    return data.kept(data.cache_dir() / "peers" / f"{key}.pkl",
                     lambda: peer_quarters(data.load_financials(), data.load_companies(),
                                           as_of, since_year, (directory, files)))


def guidance_history(ticker: str, as_of: pd.Timestamp) -> pd.DataFrame:
    """The full-year outlook steps of one company given by `as_of` (see guidance_steps)."""
    return guidance_steps(_guidance_rows(ticker, as_of))


def _guidance_rows(ticker: str, as_of: pd.Timestamp) -> pd.DataFrame:
    g = data.load_capex_guidance()
    return g[(g["ticker"] == ticker) & (g["given_date"] <= as_of)]


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
    reach = horizon(releases(ticker, pd.Timestamp.max), fye, as_of)
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
        horizon_note=horizon_note(company["company_name"], reach),
        horizon=reach, fiscal_year_end=fye,
        latest_release=latest_release(ticker, as_of, rows, reacted),
        funding=funding(quarters, company["capex_metric"]),
        **free_cash_flow(ticker, as_of, quarters))


def free_cash_flow(ticker: str, as_of: pd.Timestamp, quarters: pd.DataFrame) -> dict:
    """The company's own free-cash-flow definition public by `as_of` (None without one) and
    its stated figures against it (funding.identity), each differing quarter with the note
    of its review (free_cash_flow_reviews); empty where it has no definition by then."""
    defs = data.load_free_cash_flow_definitions()
    mine = defs[(defs["ticker"] == ticker) & (defs["public_date"] <= as_of)]
    if mine.empty:
        return dict(fcf_definition=None, fcf_identity=pd.DataFrame())
    definition = mine.iloc[-1].to_dict()
    checked = identity(quarters, definition["subtracts"].split(" + "))
    reviews = data.load_free_cash_flow_reviews()
    notes = reviews[reviews["ticker"] == ticker].set_index("period_end_date")["note"]
    checked["review"] = [notes.get(end, "") for end in checked["period_end_date"]]
    return dict(fcf_definition=definition, fcf_identity=checked)


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
            change=g["change"], given_date=f"{g['given_date']:%Y-%m-%d}",
            kind=g["guidance_kind"], low_usd=g["low_usd"], high_usd=g["high_usd"],
            year_end=str(periods.fiscal_year_end_date(int(g["fiscal_year"]),
                                                      b.fiscal_year_end))),
        reaction_pct=None if r.empty else r.iloc[-1]["move_pct"],
        reaction_excess_pct=None if r.empty else r.iloc[-1]["excess_pct"],
        reaction_release_date=None if r.empty else f"{r.iloc[-1]['release_date']:%Y-%m-%d}",
        horizon_note=b.horizon_note or None,
        latest_release_date=None if b.latest_release is None
        else f"{b.latest_release['release_date']:%Y-%m-%d}",
        next_due=None if b.horizon is None else f"{b.horizon['due_date']:%Y-%m-%d}",
        next_quarter=None if b.horizon is None else b.horizon["next_quarter"],
        **_latest_fcf(b.funding))
    return {k: _plain(v) for k, v in out.items()}


def _latest_fcf(funding: pd.DataFrame) -> dict:
    """The latest trailing four quarters of free cash flow after capex as reported, and the
    quarter they end with (None where no four quarters are complete)."""
    f = funding.dropna(subset=["fcf_capex_ttm_usd"]) if "fcf_capex_ttm_usd" in funding \
        else funding
    last = f.iloc[-1] if not f.empty else None
    return dict(fcf_capex_ttm_usd=None if last is None else last["fcf_capex_ttm_usd"],
                fcf_quarter_label=None if last is None else last["quarter_label"])


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
