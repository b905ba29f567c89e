"""The briefing's text sections as HTML: `<section>_html(briefing) -> IPython HTML`.

Every piece of text that comes from data is escaped here; links are made only from http(s)
URLs. Every figure is shown with the source it came from.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from html import escape

import pandas as pd
from IPython.display import HTML

from kit import data
from kit.metrics import Briefing
from kit.schema import SUMS

MISSING = '<span class="missing">not in the sources</span>'
METRIC_NAMES = {
    "capex_incl_finance_leases": "Capex including finance leases",
    "purchases_of_property_and_equipment": "Purchases of property and equipment",
    "finance_lease_principal_payments": "Principal payments on finance leases",
    "ocf_minus_free_cash_flow": "Operating cash flow minus free cash flow",
    "revenue": "Revenue",
}


def _e(value) -> str:
    """Escaped text of a scalar; empty for a missing value."""
    return "" if value is None or pd.isna(value) else escape(str(value))


def link(url, text=None) -> str:
    """An anchor for http(s) URLs; anything else is shown as escaped text."""
    if isinstance(url, str) and url.startswith(("https://", "http://")):
        return f'<a href="{escape(url, quote=True)}">{_e(text or url)}</a>'
    return _e(text or url)


def usd_bn(value) -> str:
    """Dollars as billions to two decimals, rounding half up as company releases do."""
    if pd.isna(value):
        return MISSING
    bn = (Decimal(round(value)) / 10**9).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"${bn:,} billion"


def pct(value, signed=True) -> str:
    return MISSING if pd.isna(value) else f"{value:{'+' if signed else ''}.1f} %"


def _date(value) -> str:
    return "" if pd.isna(value) else f"{pd.Timestamp(value):%Y-%m-%d}"


def _table(head: list[str], rows: list[list[str]], cls: str = "") -> str:
    th = "".join(f"<th>{h}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f'<table class="{cls}"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


def _figure_source(q: pd.Series, metric: str) -> str:
    """Source cell for one quarter's metric: the row's source, its inputs' links for a sum."""
    text = q.get(f"{metric}_source")
    if pd.isna(text):
        return MISSING
    cell = _e(text)
    if metric in SUMS:
        cell += "<br>" + "; ".join(link(q.get(f"{m}_url"), METRIC_NAMES[m]) for m in SUMS[metric])
    else:
        cell += "<br>" + link(q.get(f"{metric}_url"))
    return cell


def title_html(b: Briefing) -> HTML:
    return HTML(
        f'<header class="briefing-title"><h1>{_e(b.company_name)} ({_e(b.ticker)}): '
        f"AI-infrastructure spending</h1>"
        f'<p class="as-of">As of {b.as_of:%Y-%m-%d}: only releases, filings, guidance and '
        f"prices public by that date are used.</p>"
        f"<p><b>Capex here means:</b> {_e(b.capex_definition)}.</p></header>")


def headline_html(b: Briefing) -> HTML:
    """Latest quarter, a year earlier, growth, trailing four quarters, intensity, guidance."""
    q = b.quarters.dropna(subset=["capex_usd"])
    if q.empty:
        return HTML(f"<p>{MISSING}: no quarterly capex for {_e(b.ticker)} as of "
                    f"{b.as_of:%Y-%m-%d}.</p>")
    last = q.iloc[-1]
    earlier = b.quarters[b.quarters["period_end_date"]
                         == last["period_end_date"] - pd.DateOffset(years=1)]
    m = b.capex_metric
    rows = [[f"Capex, latest quarter ({_e(METRIC_NAMES.get(m, m))})", usd_bn(last["capex_usd"]),
             _e(last["quarter_label"]), _figure_source(last, m)]]
    if earlier.empty:
        rows.append(["Capex, a year earlier", MISSING, "", ""])
    else:
        e = earlier.iloc[0]
        rows.append(["Capex, a year earlier", usd_bn(e["capex_usd"]), _e(e["quarter_label"]),
                     _figure_source(e, m)])
    rows += [
        ["Change, year over year", pct(last["capex_yoy_pct"]), _e(last["quarter_label"]),
         "computed by the kit from the two rows above"],
        ["Capex, trailing four quarters", usd_bn(last["capex_ttm_usd"]),
         f"four quarters to {_e(last['quarter_label'])}",
         "computed by the kit: sum of the four quarters in the table below"],
        ["Capex as a share of revenue", pct(last["capex_to_revenue_pct"], signed=False),
         _e(last["quarter_label"]),
         "computed by the kit; revenue: " + _figure_source(last, "revenue")],
    ]
    if not b.guidance.empty:
        g = b.guidance.iloc[-1]
        moved = _e(g["change"])
        prev = b.guidance[(b.guidance["fiscal_year"] == g["fiscal_year"])
                          & (b.guidance.index < b.guidance.index[-1])]
        if not prev.empty:
            p = prev.iloc[-1]
            moved += (f" from ${p['low_usd'] / 1e9:g}–{p['high_usd'] / 1e9:g} billion "
                      f"(given {_date(p['given_date'])})")
        rows.append([f"Full-year FY{int(g['fiscal_year'])} capex outlook", _level(g),
                     f"given {_date(g['given_date'])}; {moved}", _sources_cell(g["sources"])])
    if not b.reactions.empty:
        r = b.reactions.iloc[-1]
        rows.append(["Stock move, first session after the latest release", pct(r["move_pct"]),
                     f"{_date(r['base_date'])} close to {_date(r['session_date'])} close "
                     f"(QQQ {pct(r['benchmark_move_pct'])})",
                     "computed by the kit from daily adjusted closes (source: prices); "
                     f"release date: {_release_link(r)}"])
    return HTML(_table(["Figure", "Value", "Period", "Source"], rows, "headline"))


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
    metrics = [m for m in METRIC_NAMES if f"{m}_usd" in b.quarters]
    rows = []
    for _, q in b.quarters.iloc[::-1].iterrows():
        cells = [_e(q["quarter_label"]), _date(q["period_end_date"])]
        cells += [usd_bn(q[f"{m}_usd"]) for m in metrics]
        cells += [pct(q["capex_yoy_pct"]), pct(q["capex_to_revenue_pct"], signed=False),
                  "<br>".join(f"<b>{_e(METRIC_NAMES[m])}:</b> {_figure_source(q, m)}"
                              for m in metrics if not pd.isna(q[f"{m}_usd"]))]
        rows.append(cells)
    head = ["Quarter", "Period end", *[_e(METRIC_NAMES[m]) for m in metrics],
            "Capex YoY", "Capex / revenue", "Sources"]
    return HTML('<details><summary>All quarters with sources</summary>'
                + _table(head, rows, "quarters") + "</details>")


def guidance_html(b: Briefing) -> HTML:
    if b.guidance.empty and b.other_guidance.empty:
        return HTML(f"<p>No capex outlook in the sources as of {b.as_of:%Y-%m-%d}.</p>")
    rows = [[_date(g["given_date"]), f"FY{int(g['fiscal_year'])}",
             _level(g), _e(g["change"]), _e(g["prior_note"]), _sources_cell(g["sources"])]
            for _, g in b.guidance.iterrows()]
    rows += [[_date(g["given_date"]), f"FY{int(g['fiscal_year'])}", _e(g["outlook"]),
              "", _e(g["guidance_kind"].replace("_", " ")),
              _sources_cell([(g["source_type"], g["source_url"])])]
             for _, g in b.other_guidance.iterrows()]
    for a in b.actuals[b.actuals["fiscal_year"].isin(b.guidance.get("fiscal_year", []))
                       ].itertuples():
        last = b.guidance[b.guidance["fiscal_year"] == a.fiscal_year].iloc[-1]
        rows.append([f"year ended {_date(a.year_end_date)}", f"FY{a.fiscal_year}",
                     f"<b>actual {usd_bn(a.actual_usd)}</b>", _vs_outlook(a.actual_usd, last),
                     "", "computed by the kit: sum of the four quarters in the table of quarters"])
    return HTML(_table(["Given", "For", "Outlook", "Move", "Note", "Source"], rows))


def _vs_outlook(actual: float, g) -> str:
    """Where an actual year landed against the last outlook for it."""
    low, high = g["low_usd"], g["high_usd"]
    if low <= actual <= high:
        return "within the last outlook"
    gap = actual - high if actual > high else low - actual
    side = "above" if actual > high else "below"
    return f"{usd_bn(gap)} {side} the last outlook"


def _level(g) -> str:
    low, high = g["low_usd"] / 1e9, g["high_usd"] / 1e9
    text = f"${low:g} billion" if low == high else f"${low:g}–{high:g} billion"
    return ("about " if g["guidance_kind"] == "about" else "") + text


def reactions_html(b: Briefing) -> HTML:
    if b.reactions.empty:
        return HTML("<p>No earnings release with a following session in the data.</p>")
    rows = [[f"FY{int(r['fiscal_year']) % 100:02d} Q{int(r['fiscal_quarter'])}",
             _date(r["release_date"]), f"{_date(r['base_date'])} → {_date(r['session_date'])}",
             _e(r["timing"].replace("_", " ")),
             pct(r["move_pct"]), pct(r["benchmark_move_pct"]), pct(r["excess_pct"]),
             _release_link(r)]
            for _, r in b.reactions.iloc[::-1].iterrows()]
    return HTML(_table(["Results for", "Released", "Closes compared", "Timing", "Stock", "QQQ",
                        "In excess of QQQ", "Source"], rows))


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


QUALITY_KINDS = {"conflict": "Sources disagree", "revision": "Revised by a later filing",
                 "gap": "Missing quarters", "derived": "Computed from other figures",
                 "date": "Dates", "statement": "Statements"}


def peers_html(b: Briefing, quarters: int = 6) -> HTML:
    """The latest calendar quarters for every company, each with its own fiscal label."""
    p = b.peers
    if p.empty:
        return HTML("<p>No peer figures in the sources as of this date.</p>")
    cal = p.drop_duplicates("calendar_label").sort_values(["calendar_year", "calendar_quarter"])
    labels = list(cal["calendar_label"])[-quarters:]
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
            own = "" if r["quarter_label"].startswith(label.replace("CY", "FY")) else \
                f'<br><span class="meta">{_e(r["quarter_label"])}</span>'
            cells.append(f'{usd_bn(r["capex_usd"])}<br>{pct(r["capex_yoy_pct"])} YoY{own}')
        rows.append(cells)
    return HTML(_table(["Company", *labels], rows, "peers"))


def methodology_html(b: Briefing) -> HTML:
    """How the figures are defined, aligned, derived and dated."""
    companies = data.load_companies()
    defs = "".join(f"<li><b>{_e(c.ticker)}</b> ({_e(c.fiscal_year_end)}): "
                   f"{_e(c.capex_definition)}</li>" for c in companies.itertuples())
    return HTML(
        "<ul>"
        "<li><b>Capex</b> is a cash outflow stored as a positive number in US dollars, as each "
        "company defines it (below). Year-over-year growth compares the same fiscal quarter a "
        "year earlier; the trailing figure sums four consecutive fiscal quarters; intensity "
        "is capex divided by the same quarter's revenue.</li>"
        "<li><b>Periods.</b> Companies keep their fiscal calendars. A quarter's calendar "
        "quarter is the one holding most of its days (the rule SEC uses for its frame "
        "values); labels show both where they differ, e.g. FY25 Q2 (CY24 Q4). Peers are "
        "compared on calendar quarters.</li>"
        "<li><b>Derived quarters.</b> A single quarter comes from year-to-date figures (six "
        "months minus three, a year minus nine months) only where the period bounds line up "
        "exactly; otherwise it is missing, never estimated.</li>"
        f"<li><b>As of {b.as_of:%Y-%m-%d}.</b> Each figure is used from the day it was "
        "published: the earnings release, or the filing that revised it. Where no release "
        "date is known, the filing deadline of a listed company bounds it.</li>"
        "<li><b>Stock reaction.</b> Adjusted closes; the first full session after the release "
        "(release-day close to next close after the close, previous close to release-day "
        "close before the open), and the same less QQQ's move.</li>"
        "<li><b>Guidance</b> is shown as management gave it, with its kind (range, point, "
        "about, at least, quarterly run rate, raise) and the source type of the page that "
        "reported it; most are news reports.</li>"
        f"</ul><p>Capex definitions and fiscal years:</p><ul>{defs}</ul>")


def footer_html(b: Briefing) -> HTML:
    """Parameters, kit version, data date and data hash: enough to reproduce the document."""
    from kit import __version__

    return HTML(
        '<footer class="meta"><p>Parameters: ticker = ' + _e(b.ticker) + ", as_of = "
        f"{b.as_of:%Y-%m-%d} · kit {_e(__version__)} · data as of "
        f"{data.as_of_date():%Y-%m-%d} · data SHA-256 {data.fingerprint()}</p></footer>")


def sources_html(b: Briefing) -> HTML:
    rows = [[_e(s["source_id"]), _e(s["title"]), link(s["origin_url"]),
             _e(s["origin_commit"]), _e(s["known_issues"])] for _, s in b.sources.iterrows()]
    return HTML(_table(["Source id", "What", "From", "Version", "Known issues"], rows,
                       "sources"))


def index_html(entries: list[dict], title: str) -> str:
    """The body of the index page: one row per company with its headline figures and a link
    to its briefing, or the error that stopped it. `entries` are metrics.summary() dicts with
    `file` (the briefing's file name) or `error`."""
    rows = []
    for e in entries:
        if e.get("error"):
            rows.append([_e(e["ticker"]), _e(e.get("company_name")),
                         f'<span class="missing">failed: {_e(e["error"])}</span>',
                         "", "", "", "", "", ""])
            continue
        g = e.get("guidance")
        outlook = "" if not g else f"FY{int(g['fiscal_year'])}: {_level(g)}"
        rows.append([
            link_local(e["file"], e["ticker"]), _e(e["company_name"]),
            f"{e['as_of']:%Y-%m-%d}", _e(e["quarter_label"]), usd_bn(e["capex_usd"]),
            pct(e["capex_yoy_pct"]), usd_bn(e["capex_ttm_usd"]), outlook,
            "" if e["reaction_pct"] is None else
            f"{pct(e['reaction_pct'])} ({pct(e['reaction_excess_pct'])} vs QQQ)"])
    head = ["Briefing", "Company", "As of", "Latest quarter", "Capex", "YoY",
            "Trailing 4 quarters", "Current outlook", "Latest reaction"]
    from kit import __version__

    return (f"<h1>{_e(title)}</h1><p class=\"as-of\">Capex as each company defines it; "
            "each briefing states its definition and sources.</p>"
            + _table(head, rows, "index")
            + f'<footer class="meta"><p>kit {_e(__version__)} · data as of '
            f"{data.as_of_date():%Y-%m-%d} · data SHA-256 {data.fingerprint()}</p></footer>")


def link_local(name: str, text: str) -> str:
    """A link to an HTML file beside the page: a plain file name, nothing else."""
    if isinstance(name, str) and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*\.html", name):
        return f'<a href="{escape(name, quote=True)}">{_e(text)}</a>'
    return _e(text)
