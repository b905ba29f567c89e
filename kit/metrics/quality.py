"""What a reader should know about the figures behind a briefing: conflicts, identities,
revisions, gaps, derivations, dates, statements; and what rests on AI-written pages. These
read the tables themselves."""

from __future__ import annotations

import re

import pandas as pd

from kit import data, periods
from kit.i18n import _, usd_m
from kit.i18n import date as _date
from kit.metrics.asof import as_of_rows
from kit.metrics.measures import DERIVATIONS, metric_name
from kit.metrics.reactions import releases
from kit.schema import COMPARABLE, ROUNDING_USD, SUMS

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
