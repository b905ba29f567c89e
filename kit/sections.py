"""The briefing's text sections as HTML: `<section>_html(briefing) -> IPython HTML`.

Every piece of text that comes from data is escaped here; links are made only from http(s)
URLs. Every figure is shown with the source it came from and the basis it is on.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from html import escape

import pandas as pd
from IPython.display import HTML

from kit import data, metrics, periods
from kit.metrics import COMPARABLE_DEFINITION, METRIC_NAMES, Briefing, outlook_text
from kit.schema import COMPARABLE, SUMS

SUMMARY_MIME = "application/vnd.kit.summary+json"  # a briefing's headline figures (footer)
MISSING = '<span class="missing">not in the sources</span>'
BASIS_NAMES = {  # what an outlook measures, in words
    **{m: METRIC_NAMES[m].lower() for m in METRIC_NAMES},
    COMPARABLE: "capex including principal payments on finance leases (the comparable "
                "measure)",
    "capex_incl_finance_lease_additions": "capex including finance leases (assets acquired "
                                          "under them)",
    "net_cash_capex": "cash capex net of proceeds from sales and incentives",
    "accrual_capex": "accrual-basis capex",
    "unstated": "a measure the outlook does not state",
}


def _e(value) -> str:
    """Escaped text of a scalar; empty for a missing value."""
    return "" if value is None or pd.isna(value) else escape(str(value))


def link(url, text=None) -> str:
    """An anchor for http(s) URLs; anything else is shown as escaped text."""
    if isinstance(url, str) and url.startswith(("https://", "http://")):
        return f'<a href="{escape(url, quote=True)}">{_e(text or url)}</a>'
    return _e(text or url)


def usd_bn(value, missing: str = MISSING) -> str:
    """Dollars as billions to two decimals, rounding half up as company releases do."""
    if pd.isna(value):
        return missing
    bn_ = (Decimal(round(value)) / 10**9).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"${bn_:,} billion"


def pct(value, signed=True, missing: str = MISSING) -> str:
    return missing if pd.isna(value) else f"{value:{'+' if signed else ''}.1f} %"


def _missing(text: str) -> str:
    return f'<span class="missing">{_e(text)}</span>'


def _date(value) -> str:
    return "" if pd.isna(value) else f"{pd.Timestamp(value):%Y-%m-%d}"


def _table(head: list[str], rows: list[list[str]], cls: str = "") -> str:
    th = "".join(f"<th>{h}</th>" for h in head)
    body = "".join("<tr>" + "".join(c if c.startswith("<td") else f"<td>{c}</td>" for c in r)
                   + "</tr>" for r in rows)
    return f'<table class="{cls}"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


def _figure_source(q: pd.Series, metric: str) -> str:
    """Source cell for one quarter's metric: the row's source, its inputs' links for a sum."""
    text = q.get(f"{metric}_source")
    if text is None or pd.isna(text):
        return MISSING
    cell = _e(text)
    if metric in SUMS:
        cell += "<br>" + "; ".join(link(q.get(f"{m}_url"), METRIC_NAMES[m]) for m in SUMS[metric])
    else:
        cell += "<br>" + link(q.get(f"{metric}_url"))
    return cell


def _comparable(q: pd.Series, column: str = "comparable_usd", fmt=usd_bn) -> str:
    """A comparable figure, or which component is missing."""
    if pd.notna(q.get(column)):
        return fmt(q[column])
    missing = q.get("comparable_missing")
    if missing:
        return _missing("missing: " + missing)
    return fmt(float("nan"))


def _brief_source(q: pd.Series, metric: str) -> str:
    """A figure's source in a few words and the document that made it public, linked (the
    table of quarters has the full detail)."""
    text = q.get(f"{metric}_brief")
    if text is None or pd.isna(text):
        return MISSING
    urls = [q.get(f"{m}_url") for m in SUMS.get(metric, (metric,))]
    return _e(text) + "<br>" + "; ".join(link(u, "source") for u in dict.fromkeys(urls)
                                         if isinstance(u, str))


def _measure_names(b: Briefing) -> tuple[str, str]:
    same = b.capex_metric == COMPARABLE
    return (f"As reported ({_e(METRIC_NAMES[b.capex_metric])})",
            "Comparable (purchases + finance-lease principal)" + (" — the same here" if same
                                                                   else ""))


def title_html(b: Briefing) -> HTML:
    return HTML(
        f'<header class="briefing-title"><h1>{_e(b.company_name)} ({_e(b.ticker)}): '
        f"AI-infrastructure spending</h1>"
        f'<p class="as-of">As of {b.as_of:%Y-%m-%d}: only releases, filings, guidance and '
        f"prices public by that date are used.</p>"
        f"<p><b>Capex as reported</b> means what {_e(b.company_name)} calls capex: "
        f"{_e(b.capex_definition)}.</p>"
        f"<p><b>Comparable capex</b> is the same for every company: "
        f"{_e(COMPARABLE_DEFINITION)}. It is left empty, with the missing "
        "part named, where a component is not in the sources — never a partial sum.</p>"
        "</header>")


def headline_html(b: Briefing) -> HTML:
    """Latest quarter, a year earlier, growth, trailing four quarters, intensity, on both
    measures; the current outlook with its basis; the latest reaction."""
    q = b.quarters.dropna(subset=["capex_usd"])
    if q.empty:
        return HTML(f"<p>{MISSING}: no quarterly capex for {_e(b.ticker)} as of "
                    f"{b.as_of:%Y-%m-%d}.</p>")
    last = q.iloc[-1]
    key = b.quarters["fiscal_year"] * 4 + b.quarters["fiscal_quarter"]
    earlier = b.quarters[key == last["fiscal_year"] * 4 + last["fiscal_quarter"] - 4]
    m = b.capex_metric

    def both(q):
        return _brief_source(q, m) + ("" if m == COMPARABLE else "<br><b>Comparable:</b> "
                                      + _brief_source(q, COMPARABLE))

    rows = [["Capex, latest quarter", usd_bn(last["capex_usd"]), _comparable(last),
             _e(last["quarter_label"]), both(last)]]
    rows += [_later_quarter(r, m) for _, r in b.quarters[key > key[last.name]].iterrows()]
    if earlier.empty:
        rows.append(["Capex, a year earlier", MISSING, MISSING, "", ""])
    else:
        e = earlier.iloc[0]
        rows.append(["Capex, a year earlier", usd_bn(e["capex_usd"]), _comparable(e),
                     _e(e["quarter_label"]), both(e)])
    note = f" ({_e(last['yoy_note'])})" if last["yoy_note"] else ""
    rows += [
        ["Change, year over year", pct(last["capex_yoy_pct"]),
         _comparable(last, "comparable_yoy_pct", pct), _e(last["quarter_label"]) + note,
         "computed by the kit from the two rows above"],
        ["Capex, trailing four quarters", usd_bn(last["capex_ttm_usd"]),
         _comparable(last, "comparable_ttm_usd"), f"four quarters to {_e(last['quarter_label'])}",
         "computed by the kit: sum of the four quarters in the table below"],
        ["Capex as a share of revenue", pct(last["capex_to_revenue_pct"], signed=False),
         _comparable(last, "comparable_to_revenue_pct", lambda v: pct(v, signed=False)),
         _e(last["quarter_label"]), "computed by the kit; revenue: "
         + _brief_source(last, "revenue")],
    ]
    g = b.current_outlook
    if g is not None:
        moved = _e(g["change"])
        if g["previous"] is not None:
            p = g["previous"]
            moved += f" from {_e(outlook_text(p))} (given {_date(p['given_date'])})"
        how = f"; {_e(g['level_note'])}" if g["level_note"] else ""
        rows.append([f"Full-year FY{int(g['fiscal_year'])} capex outlook",
                     f'<td colspan="2">{_e(g["text"])}<br><span class="meta">basis: '
                     f"{_e(BASIS_NAMES[g['basis']])}</span></td>",
                     f"given {_date(g['given_date'])}; {moved}{how}", _sources_cell(g["sources"])])
    elif not b.guidance.empty:
        rows.append(["Full-year capex outlook",
                     f'<td colspan="2">{_missing("no outlook for a fiscal year not yet closed")}'
                     "</td>", f"the latest, for FY{int(b.guidance['fiscal_year'].max())}, is in "
                     "the guidance section", ""])
    if not b.reactions.empty:
        r = b.reactions.iloc[-1]
        rows.append(["Stock move, first session after the latest release",
                     f'<td colspan="2">{pct(r["move_pct"])}</td>',
                     f"{_date(r['base_date'])} close to {_date(r['session_date'])} close "
                     f"(QQQ {pct(r['benchmark_move_pct'])})",
                     "computed by the kit from daily adjusted closes (source: prices); "
                     f"release date: {_release_link(r)}"])
    reported, comparable = _measure_names(b)
    return HTML(_table(["Figure", reported, comparable, "Period", "Source"], rows, "headline"))


def _later_quarter(q: pd.Series, metric: str) -> list[str]:
    """A quarter after the headline's, which the sources have only in part: what is missing
    of the headline measure, and the parts they do have (no sum of parts is made)."""
    parts = SUMS.get(metric, (metric,))
    have = [p for p in parts if pd.notna(q.get(f"{p}_usd"))]
    lacking = ", ".join(METRIC_NAMES[p].lower() for p in parts if p not in have)
    shown = "; ".join(f"{_e(METRIC_NAMES[p])} alone: {usd_bn(q[f'{p}_usd'])}" for p in have)
    return [f"Capex, {_e(q['quarter_label'])}",
            _missing(f"missing: {lacking or 'not in the sources'}") + (f"<br>{shown}" if shown
                                                                       else ""),
            _comparable(q), _e(q["quarter_label"]),
            "; ".join(_brief_source(q, p) for p in have) or MISSING]


def _release_link(r) -> str:
    if r["source_id"] == "press_releases":
        return link(r["source_url"], "earnings release (8-K)")
    if r["source_id"] == "earnings_dates":
        return link(r["source_url"], r["source_id"]) + " (SEC 8-K Item 2.02 dates)"
    return link(r["source_url"], r["source_url"]) + f" ({_e(r['source_id'])})"


def _sources_cell(sources) -> str:
    return "<br>".join(f"{link(url, url)} ({_e(kind)})" for kind, url in sources)


def quarters_html(b: Briefing) -> HTML:
    """Every quarter's figures as of the date, each with its source."""
    metrics = [m for m in METRIC_NAMES if b.quarters[f"{m}_usd"].notna().any()
               or m == COMPARABLE]
    rows = []
    for _, q in b.quarters.iloc[::-1].iterrows():
        cells = [_e(q["quarter_label"]), _date(q["period_end_date"])]
        cells += [_comparable(q, f"{m}_usd") if m == COMPARABLE else usd_bn(q[f"{m}_usd"])
                  for m in metrics]
        yoy = pct(q["capex_yoy_pct"]) + (f'<br><span class="meta">{_e(q["yoy_note"])}</span>'
                                         if q["yoy_note"] else "")
        cells += [yoy, pct(q["comparable_yoy_pct"]),
                  pct(q["capex_to_revenue_pct"], signed=False),
                  "<br>".join(f"<b>{_e(_column(m))}:</b> "
                              f"{_figure_source(q, m)}"
                              for m in metrics if not pd.isna(q[f"{m}_usd"]))]
        rows.append(cells)
    head = ["Quarter", "Period end",
            *[_e(_column(m)) for m in metrics],
            "YoY, as reported", "YoY, comparable", "As reported / revenue", "Sources"]
    return HTML('<details><summary>All quarters with sources (as reported: '
                f'{_e(METRIC_NAMES[b.capex_metric])})</summary>'
                + _table(head, rows, "quarters") + "</details>")


def _column(metric: str) -> str:
    return "Comparable capex" if metric == COMPARABLE else METRIC_NAMES[metric]


def guidance_html(b: Briefing) -> HTML:
    """Every outlook as given, each with its basis and sources; raises turned into levels
    where the level they raise is known; for closed periods, the actual on the outlook's
    basis and a verdict, or why there is none."""
    if b.guidance.empty and b.other_guidance.empty:
        return HTML(f"<p>No capex outlook in the sources as of {b.as_of:%Y-%m-%d}.</p>")
    rows = [[_date(g["given_date"]), f"FY{int(g['fiscal_year'])}",
             _e(outlook_text(g)) + (f'<br><span class="meta">= {_e(g["level_note"])}</span>'
                                    if g["level_note"] else ""),
             _e(BASIS_NAMES[g["basis"]]), _e(g["change"]), _e(g["prior_note"]),
             _sources_cell(g["sources"])]
            for _, g in b.guidance.iterrows()]
    rows += [[_date(g["given_date"]), f"FY{int(g['fiscal_year'])}", _e(g["outlook"]),
              _e(BASIS_NAMES[g["basis"]]), "", _e(g["guidance_kind"].replace("_", " ")),
              _sources_cell([(g["source_type"], g["source_url"])])]
             for _, g in b.other_guidance.iterrows()]
    for v in b.verdicts.itertuples():
        period = f"FY{v.fiscal_year}" + (f" Q{int(v.fiscal_quarter)}"
                                         if not pd.isna(v.fiscal_quarter) else "")
        actual = f"<b>actual {usd_bn(v.actual_usd)}</b>" if pd.notna(v.actual_usd) else \
            "actual: —"
        rows.append([f"{period} closed", period, actual, _e(BASIS_NAMES[v.basis]),
                     f"<b>{_e(v.verdict)}</b>",
                     f"against {_e(v.outlook)} given {_date(v.given_date)}",
                     "computed by the kit from the table of quarters" if pd.notna(v.actual_usd)
                     else ""])
    return HTML(_table(["Given", "For", "Outlook", "Basis", "Move / verdict", "Note", "Source"],
                       rows, "guidance"))


def reactions_html(b: Briefing) -> HTML:
    note = f"<p>{_e(b.reactions_note)}</p>" if b.reactions_note else ""
    if b.reactions.empty:
        return HTML(note or "<p>No earnings release with a following session in the data.</p>")
    rows = [[periods.label(r['fiscal_year'], r['fiscal_quarter']),
             _date(r["release_date"]), f"{_date(r['base_date'])} → {_date(r['session_date'])}",
             _e(r["timing"].replace("_", " ")),
             pct(r["move_pct"]), pct(r["benchmark_move_pct"]), pct(r["excess_pct"]),
             _release_link(r)]
            for _, r in b.reactions.iloc[::-1].iterrows()]
    return HTML(note + _table(["Results for", "Released", "Closes compared", "Timing", "Stock",
                               "QQQ", "In excess of QQQ", "Source"], rows))


def statements_html(b: Briefing) -> HTML:
    if b.statements.empty:
        return HTML("<p>No statements in the sources up to this date.</p>")
    items = []
    for _, s in b.statements.iloc[::-1].iterrows():
        who = _e(s["speaker"]) or "reported"
        source = link(s["source_url"], s["source_url"]) if not pd.isna(s["source_url"]) \
            else f"«{_e(s['source_title'])}»"
        translation = "" if pd.isna(s["text_en"]) else \
            f'<p class="translation">Kit translation: {_e(s["text_en"])}</p>'
        note = "" if pd.isna(s["note"]) else f'<p class="note">Note: {_e(s["note"])}</p>'
        items.append(
            f'<li class="statement"><blockquote>{_e(s["text"])}</blockquote>{translation}'
            f'<p class="meta">{who} · {_date(s["event_date"])} · {_e(s["kind"])} · '
            f"<b>{_e(s['source_type'])}</b> · {source}</p>{note}</li>")
    return HTML('<ul class="statements">' + "".join(items) + "</ul>")


def quality_html(b: Briefing) -> HTML:
    """Conflicts, revisions, gaps, derived values and date caveats behind the figures."""
    parts = [f"<li>{_e(n)}</li>" for n in b.notes]
    for kind, grp in b.quality.groupby("kind", sort=False):
        items = "".join(f"<li>{_e(r.period)}: {_e(r.detail)}</li>" for r in grp.itertuples())
        parts.append(f"<li><b>{_e(QUALITY_KINDS.get(kind, kind))}</b> ({len(grp)})"
                     f"<ul>{items}</ul></li>")
    if not parts:
        parts = ["<li>No gaps or disagreements for the figures shown.</li>"]
    return HTML('<ul class="quality">' + "".join(parts) + "</ul>")


QUALITY_KINDS = {"conflict": "Sources disagree",
                 "identity": "Fails its source's own cash-flow identity (not used)",
                 "revision": "Revised by a later filing",
                 "gap": "Missing quarters", "derived": "Computed from other figures",
                 "date": "Dates", "statement": "Statements"}


def peers_html(b: Briefing, quarters: int = 6) -> HTML:
    """The latest calendar quarters for every company, each with its own fiscal label: one
    table on the comparable measure (shown first) and one as each company reports; a
    control in the page switches between them. Every cell names its basis."""
    p = b.peers
    if p.empty:
        return HTML("<p>No peer figures public by this date (the peers start with calendar "
                    "2020).</p>")
    cal = p.drop_duplicates("calendar_label").sort_values(["calendar_year", "calendar_quarter"])
    labels = list(cal[cal["calendar_label"].isin(p.loc[p["is_public"], "calendar_label"])]
                  ["calendar_label"])[-quarters:]
    tables = {}
    for measure in ("comparable", "capex"):
        rows = []
        for ticker, grp in p[p["calendar_label"].isin(labels)].groupby("ticker", sort=True):
            by = grp.set_index("calendar_label")
            name = f"<b>{_e(ticker)}</b>" if ticker == b.ticker else _e(ticker)
            cells = [name]
            for label in labels:
                if label not in by.index:
                    cells.append(MISSING)
                    continue
                r = by.loc[label]
                if not r["is_public"]:
                    cells.append(_missing(f"not public by {b.as_of:%Y-%m-%d}"))
                    continue
                own = "" if r["quarter_label"].startswith(label.replace("CY", "FY")) else \
                    f'<br><span class="meta">{_e(r["quarter_label"])}</span>'
                basis = "comparable" if measure == "comparable" else \
                    "as reported: " + METRIC_NAMES[r["capex_metric"]].lower()
                value = _comparable(r) if measure == "comparable" else usd_bn(r["capex_usd"])
                growth = pct(r[f"{measure}_yoy_pct"], missing="")
                cells.append(f"{value}<br>{growth + ' YoY' if growth else ''}{own}"
                             f'<br><span class="basis">{_e(basis)}</span>')
            rows.append(cells)
        tables[measure] = _table(["Company", *labels], rows, f"peers {measure}")
    return HTML(
        '<div class="basis-switch">'
        '<input type="radio" name="peer-basis" id="peer-comparable" checked>'
        '<label for="peer-comparable">Comparable capex (purchases + finance-lease '
        "principal)</label>"
        '<input type="radio" name="peer-basis" id="peer-reported">'
        '<label for="peer-reported">As each company reports it</label>'
        f'<div class="basis comparable">{tables["comparable"]}</div>'
        f'<div class="basis reported">{tables["capex"]}</div></div>')


def methodology_html(b: Briefing) -> HTML:
    """How the figures are defined, aligned, derived, checked and dated."""
    companies = data.load_companies()
    defs = "".join(f"<li><b>{_e(c.ticker)}</b> ({_e(c.fiscal_year_end)}): "
                   f"{_e(c.capex_definition)}. Outlooks: "
                   f"{_e(BASIS_NAMES.get(c.guidance_basis, 'none in the sources'))}"
                   + (f" ({_e(c.guidance_basis_note)})" if pd.notna(c.guidance_basis_note)
                      else "") + "</li>" for c in companies.itertuples())
    return HTML(
        "<ul>"
        "<li><b>Two capex measures.</b> <i>As reported</i> is each company's own headline "
        "figure, defined below; companies define it differently (cash purchases only, "
        "purchases plus finance-lease principal, gross or net of proceeds), so these are not "
        "compared with each other. <i>Comparable</i> is one definition for every company: "
        "purchases of property and equipment (the company's gross cash concept) plus "
        "principal payments on finance leases. A quarter missing either part has no "
        "comparable figure, and the missing part is named. Peers are compared on the "
        "comparable measure by default.</li>"
        "<li><b>Growth and ratios.</b> Capex is a cash outflow stored as a positive number in "
        "US dollars. Year-over-year growth compares the same fiscal quarter a year earlier "
        "(a 14-week quarter against a 13-week one is flagged); the trailing figure sums four "
        "consecutive fiscal quarters; intensity is capex divided by the same quarter's "
        "revenue.</li>"
        "<li><b>Periods.</b> Companies keep their fiscal calendars. A quarter's calendar "
        "quarter is the one holding most of its days (the rule SEC uses for its frame "
        "values); labels show both where they differ, e.g. FY25 Q2 (CY24 Q4). Peers are "
        "compared on calendar quarters.</li>"
        "<li><b>Derived and checked figures.</b> A single quarter comes from year-to-date "
        "figures (six months minus three, a year minus nine months) only where the period "
        "bounds line up exactly, and a year minus nine months only from figures of the same "
        "filing year; otherwise it is missing, never estimated. A release's capex is checked "
        "against its own cash-flow identity (operating cash flow minus free cash flow, and "
        "minus finance-lease principal where the company's free cash flow subtracts it); a "
        "figure that fails is listed under data quality and the reconciling one is used.</li>"
        f"<li><b>As of {b.as_of:%Y-%m-%d}.</b> Each figure is used from the day it was "
        "published: the earnings release, or the release and filing that first carried a "
        "revised figure. Where no release date is known, the filing deadline of a listed "
        "company bounds it. No document dated after the briefing date is cited.</li>"
        "<li><b>Stock reaction.</b> Adjusted closes; the first full session after the release "
        "(release-day close to next close after the close, previous close to release-day "
        "close before the open), and the same less QQQ's move.</li>"
        "<li><b>Guidance</b> is shown as management gave it, with its kind (range, point, "
        "about, at least, up to, quarterly run rate, raise), its basis (what it measures) and "
        "the source type of the page that reported it; most are news reports. A raise becomes "
        "a level only where the level it raises is in the data, with the arithmetic shown. "
        "A guided-versus-actual verdict is given only when the actual on the outlook's own "
        "basis is known; otherwise the briefing says why not.</li>"
        f"</ul><p>Capex definitions, outlook bases and fiscal years:</p><ul>{defs}</ul>")


def footer_html(b: Briefing) -> Footer:
    """Parameters, kit version and the digest of the data visible on the briefing's date:
    enough to reproduce the document. It also carries the briefing's headline figures
    (metrics.summary_of) for the index pages, as JSON the export puts in the page's head."""
    from kit import __version__, archive

    return Footer(
        '<footer class="meta"><p>Parameters: ticker = ' + _e(b.ticker) + ", as_of = "
        f"{b.as_of:%Y-%m-%d} · kit {_e(__version__)} · data visible on {b.as_of:%Y-%m-%d}: "
        f"SHA-256 {archive.data_digest(b.as_of)}</p></footer>", metrics.summary_of(b))


class Footer:
    """HTML for the page, JSON figures for the kit's export (an unknown type, not shown)."""

    def __init__(self, html: str, figures: dict):
        self.html, self.figures = html, figures

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/html": self.html, SUMMARY_MIME: self.figures}


def sources_html(b: Briefing) -> HTML:
    rows = [[_e(s["source_id"]), _e(s["title"]), link(s["origin_url"]),
             _e(s["origin_commit"]), _e(s["known_issues"])] for _, s in b.sources.iterrows()]
    return HTML(_table(["Source id", "What", "From", "Version", "Known issues"], rows,
                       "sources"))


def index_html(entries: list[dict], title: str, as_of: pd.Timestamp) -> str:
    """The body of the index page: every briefing as of one date, one row per company with
    its headline figures and a link to its briefing, the error that stopped it, or a note
    that it had no data by then. `entries` are metrics.summary() dicts with `file` (the
    briefing's file name), or dicts with `ticker` and `error` or `no_data`."""
    rows = []
    for e in entries:
        problem = e.get("error") or e.get("no_data")
        if problem:
            word = "failed: " if e.get("error") else ""
            rows.append([_e(e["ticker"]), _e(e.get("company_name")),
                         f'<td colspan="7"><span class="missing">{word}{_e(problem)}</span>'
                         "</td>"])
            continue
        g = e.get("guidance")
        outlook = "" if not g else f"FY{int(g['fiscal_year'])}: {_e(g['text'])} " \
                                   f'<span class="meta">({_e(BASIS_NAMES[g["basis"]])})</span>'
        comparable = usd_bn(e["comparable_usd"]) if pd.notna(e["comparable_usd"]) else \
            _missing("missing: " + (e.get("comparable_missing") or "not in the sources"))
        rows.append([
            link_local(e["file"], e["ticker"]), _e(e["company_name"]),
            _e(e["quarter_label"]), usd_bn(e["capex_usd"]), comparable,
            pct(e["capex_yoy_pct"]), usd_bn(e["capex_ttm_usd"]), outlook,
            "" if e["reaction_pct"] is None else
            f"{pct(e['reaction_pct'])} ({pct(e['reaction_excess_pct'])} vs QQQ)"])
    head = ["Briefing", "Company", "Latest quarter", "Capex as reported", "Comparable capex",
            "YoY (as reported)", "Trailing 4 quarters (as reported)", "Current outlook",
            "Latest reaction"]
    from kit import __version__

    return (f"<h1>{_e(title)}</h1><p class=\"as-of\">Every briefing as of {as_of:%Y-%m-%d}: "
            "only what was public by then. Capex as reported is each company's own definition "
            "(each briefing states it); comparable capex is purchases of property and "
            "equipment plus principal payments on finance leases for every company.</p>"
            + _table(head, rows, "index")
            + f'<footer class="meta"><p>kit {_e(__version__)} · data as of '
            f"{data.as_of_date():%Y-%m-%d} · data SHA-256 {data.fingerprint()}</p></footer>")


def archive_html(timelines: dict[str, list[dict]], title: str) -> str:
    """The body of the archive's index: for each company a time line, one row per earnings
    release, linking the briefing as of the first session after it, with its headline
    figures and how they moved since the previous release's briefing: the latest quarter's
    capex against the previous release's latest quarter (as reported, the company's one
    definition), and the outlook against the previous one, compared only on the same basis.
    `entries` are as for index_html, with `release_date`."""
    from kit import __version__

    nav, parts = [], []
    for ticker, entries in timelines.items():
        name = next((e["company_name"] for e in entries if e.get("company_name")), ticker)
        nav.append(f'<a href="#{_e(ticker)}">{_e(ticker)}</a>')
        rows, before = [], None
        for e in entries:
            problem = e.get("error") or e.get("no_data")
            if problem:
                word = "failed: " if e.get("error") else "not rendered: "
                rows.append([_e(e["release_date"]), _e(e["stem"][len(ticker) + 1:]),
                             f'<td colspan="6"><span class="missing">{word}{_e(problem)}'
                             "</span></td>"])
                continue
            rows.append([_e(e["release_date"]),
                         link_local(e["file"], e["stem"][len(ticker) + 1:]),
                         _e(e["quarter_label"] or ""), usd_bn(e["capex_usd"]),
                         _moved(before, e),
                         usd_bn(e["comparable_usd"], missing=_missing(
                             "missing: " + (e.get("comparable_missing") or "not in the sources"
                                            ))),
                         _outlook_moved(before, e),
                         "" if e["reaction_pct"] is None else
                         f"{pct(e['reaction_pct'])} ({pct(e['reaction_excess_pct'])} vs QQQ)"])
            before = e
        head = ["Release", "Briefing as of", "Latest quarter", "Capex as reported",
                "Since the previous release", "Comparable capex", "Full-year outlook",
                "Reaction"]
        parts.append(f'<section class="timeline" id="{_e(ticker)}"><h2>{_e(name)} '
                     f"({_e(ticker)})</h2>" + _table(head, rows, "timeline") + "</section>")
    return (f"<h1>{_e(title)}</h1><p class=\"as-of\">One briefing per earnings release, each "
            "as of the first session after it (so the stock's reaction is in it), using only "
            "what was public by then. Capex as reported is each company's own definition "
            "(each briefing states it); comparable capex is purchases of property and "
            "equipment plus principal payments on finance leases for every company.</p>"
            f'<p class="meta">{" · ".join(nav)}</p>' + "".join(parts)
            + f'<footer class="meta"><p>kit {_e(__version__)} · data as of '
            f"{data.as_of_date():%Y-%m-%d} · data SHA-256 {data.fingerprint()}</p></footer>")


def _moved(before: dict | None, e: dict) -> str:
    """The latest quarter's capex against the previous release's latest quarter."""
    if before is None or pd.isna(e["capex_usd"]) or pd.isna(before["capex_usd"]):
        return ""
    if before["quarter_label"] == e["quarter_label"]:
        return "" if before["capex_usd"] == e["capex_usd"] else \
            f"revised from {usd_bn(before['capex_usd'])}"
    change = (e["capex_usd"] / before["capex_usd"] - 1) * 100
    return f"{pct(change)} against {_e(before['quarter_label'])}"


def _outlook_moved(before: dict | None, e: dict) -> str:
    """The current outlook and, where it changed since the previous release's briefing,
    what it was; a different basis is named, not compared."""
    g = e.get("guidance")
    if not g:
        return ""
    text = f"FY{g['fiscal_year']}: {_e(g['text'])}"
    g0 = (before or {}).get("guidance")
    if not g0 or g0["fiscal_year"] != g["fiscal_year"] or g0["text"] == g["text"]:
        return text + ("" if g0 and g0 == g else f' <span class="meta">({_e(g["change"])}, '
                       f'{_e(g["given_date"])})</span>')
    if g0["basis"] != g["basis"]:
        return (f'{text} <span class="meta">(before: {_e(g0["text"])} as '
                f'{_e(BASIS_NAMES[g0["basis"]])}; another basis, not compared)</span>')
    return f'{text} <span class="meta">({_e(g["change"])} from {_e(g0["text"])})</span>'


def link_local(name: str, text: str) -> str:
    """A link to an HTML file beside the page: a plain file name, nothing else."""
    if isinstance(name, str) and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*\.html", name):
        return f'<a href="{escape(name, quote=True)}">{_e(text)}</a>'
    return _e(text)
