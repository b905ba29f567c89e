"""The briefing's text sections as HTML: `<section>_html(briefing) -> IPython HTML`.

Every piece of text that comes from data is escaped here; links are made only from http(s)
URLs. Every figure is shown with the source it came from.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from html import escape

import pandas as pd
from IPython.display import HTML

from kit.metrics import Briefing

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
    if str(text).startswith("sum:"):
        parts = ["purchases_of_property_and_equipment", "finance_lease_principal_payments"]
        cell += "<br>" + "; ".join(link(q.get(f"{m}_url"), METRIC_NAMES[m]) for m in parts)
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
    return HTML(_table(["Given", "For", "Outlook", "Move", "Note", "Source"], rows))


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


def sources_html(b: Briefing) -> HTML:
    rows = [[_e(s["source_id"]), _e(s["title"]), link(s["origin_url"]),
             _e(s["origin_commit"]), _e(s["known_issues"])] for _, s in b.sources.iterrows()]
    return HTML(_table(["Source id", "What", "From", "Version", "Known issues"], rows,
                       "sources"))
