"""The briefing's text sections as HTML: `<section>_html(briefing) -> IPython HTML`.

Every piece of text that comes from data is escaped here; links are made only from http(s)
URLs. Every figure is shown with the source it came from and the basis it is on.
"""

from __future__ import annotations

import re
from html import escape, unescape

import pandas as pd
from IPython.display import HTML

from kit import data, i18n, metrics, periods
from kit.i18n import N_, _
from kit.metrics import (
    COMPARABLE_DEFINITION,
    METRIC_NAMES,
    Briefing,
    fiscal_year_label,
    metric_name,
    outlook_text,
)
from kit.schema import COMPARABLE, SUMS
from kit.sources.common import accession_in, sec_filing_url

SUMMARY_MIME = "application/vnd.kit.summary+json"  # a briefing's headline figures (footer)
BASIS_NAMES = {  # what an outlook measures, in words
    COMPARABLE: N_("capex including principal payments on finance leases (the comparable "
                   "measure)"),
    "capex_incl_finance_lease_additions": N_("capex including finance leases (assets acquired "
                                             "under them)"),
    "net_cash_capex": N_("cash capex net of proceeds from sales and incentives"),
    "accrual_capex": N_("accrual-basis capex"),
    "unstated": N_("a measure the outlook does not state"),
}
TIMINGS = {"after_close": N_("after the close"), "before_open": N_("before the open"),
           "not_stated": N_("not stated")}
GUIDANCE_KINDS = {"range": N_("range"), "point": N_("point"), "about": N_("about"),
                  "at_least": N_("at least"), "at_most": N_("up to"),
                  "quarterly_run_rate": N_("quarterly run rate"), "raise_by": N_("raise")}


def basis_name(basis: str) -> str:
    """What an outlook measures, in words of the current language."""
    if basis in BASIS_NAMES:
        return _(BASIS_NAMES[basis])
    return metric_name(basis, in_sentence=True) if basis in METRIC_NAMES else basis


def _missing_text() -> str:
    return _missing(_("not in the sources"))


def english(text: str) -> str:
    """Escaped text quoted in English (a source's own words or labels), marked as English in
    a page of another language."""
    text = _e(text)
    return text if i18n.current() == i18n.SOURCE or not text else \
        f'<span lang="en">{text}</span>'


def _quoting(text: str) -> str:
    """Escaped text of the kit's own wording, with what it quotes from an English source
    ("…" in a translation keeps the source's words) marked as English."""
    text = _e(text)
    if i18n.current() == i18n.SOURCE:
        return text
    return re.sub(r"&quot;(.+?)&quot;", r'&quot;<span lang="en">\1</span>&quot;', text)


def _e(value) -> str:
    """Escaped text of a scalar; empty for a missing value."""
    return "" if value is None or pd.isna(value) else escape(str(value))


def link(url, text=None, cik=None) -> str:
    """An anchor for http(s) URLs; anything else is shown as escaped text. With the
    company's `cik`, a copy of an SEC filing (a URL that embeds its accession number) gets
    the filing on sec.gov beside it."""
    if not (isinstance(url, str) and url.startswith(("https://", "http://"))):
        return _e(text or url)
    anchor = f'<a href="{escape(url, quote=True)}">{_e(text or url)}</a>'
    accession = accession_in(url) if cik is not None else None
    if accession and not url.startswith("https://www.sec.gov/"):
        anchor += " (" + link(sec_filing_url(cik, accession), _("the filing on sec.gov")) + ")"
    return anchor


def usd_bn(value, missing: str | None = None) -> str:
    """Dollars as billions to two decimals, rounding half up as company releases do, in the
    current language ("$6.72 billion", "6,72 Mrd. $")."""
    if pd.isna(value):
        return _missing_text() if missing is None else missing
    return _e(i18n.usd_bn(value))


def pct(value, signed=True, missing: str | None = None) -> str:
    if pd.isna(value):
        return _missing_text() if missing is None else missing
    return _e(i18n.pct(value, signed))


def _missing(text: str) -> str:
    return f'<span class="missing">{_e(text)}</span>'


def _date(value) -> str:
    return "" if pd.isna(value) else i18n.date(value)


# a cell that is one figure ("$6.72 billion", "-10.6 %", "6,72 Mrd. $"): kept on one line
NUMBER = re.compile(r"[−+-]?\$?\s?[\d.,]+(–[\d.,]+)?(\s?(billion|Mrd\.(\s?(USD|\$))?|%))?"
                    r"|\d{4}-\d{2}-\d{2}")


def _table(head: list[str], rows: list[list[str]], cls: str = "") -> str:
    """A table in a box of its own that scrolls sideways where the screen is narrower (a
    phone), cells holding one figure kept on one line."""
    th = "".join(f"<th>{h}</th>" for h in head)
    body = "".join("<tr>" + "".join(c if c.startswith("<td") else _cell(c) for c in r)
                   + "</tr>" for r in rows)
    return (f'<div class="scroll"><table class="{cls}"><thead><tr>{th}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


def _cell(content: str) -> str:
    text = unescape(re.sub(r"<[^>]+>", "", content)).replace("\u00a0", " ").strip()
    return f'<td class="num">{content}</td>' if text and NUMBER.fullmatch(text) \
        else f"<td>{content}</td>"


def _figure_source(q: pd.Series, metric: str, cik: str) -> str:
    """Source cell for one quarter's metric: the row's source, its inputs' links for a sum."""
    text = q.get(f"{metric}_source")
    if text is None or pd.isna(text):
        return _missing_text()
    how = q.get(f"{metric}_how")
    cell = (_e(how) + ": " if isinstance(how, str) and how else "") + english(
        q.get(f"{metric}_origin")) + "; " + _e(q.get(f"{metric}_published"))
    if metric in SUMS:
        cell += "<br>" + "; ".join(link(q.get(f"{m}_url"), metric_name(m), cik)
                                   for m in SUMS[metric])
    else:
        cell += "<br>" + link(q.get(f"{metric}_url"), cik=cik)
    return cell


def _comparable(q: pd.Series, column: str = "comparable_usd", fmt=usd_bn) -> str:
    """A comparable figure, or which component is missing."""
    if pd.notna(q.get(column)):
        return fmt(q[column])
    missing = q.get("comparable_missing")
    if missing:
        return _missing(_("missing: {parts}").format(parts=missing))
    return fmt(float("nan"))


def _brief_source(q: pd.Series, metric: str, cik: str) -> str:
    """A figure's source in a few words and the document that made it public, linked (the
    table of quarters has the full detail)."""
    text = q.get(f"{metric}_brief")
    if text is None or pd.isna(text):
        return _missing_text()
    urls = [q.get(f"{m}_url") for m in SUMS.get(metric, (metric,))]
    return _e(text) + "<br>" + "; ".join(link(u, _("source"), cik) for u in dict.fromkeys(urls)
                                         if isinstance(u, str))


def _measure_names(b: Briefing) -> tuple[str, str]:
    same = b.capex_metric == COMPARABLE
    return (_e(_("As reported ({metric})").format(metric=metric_name(b.capex_metric))),
            _e(_("Comparable (purchases + finance-lease principal)"))
            + (_e(_(" — the same here")) if same else ""))


def title_html(b: Briefing) -> HTML:
    """The title, the date's rule, and the story in two or three sentences (story_html)."""
    return HTML(
        '<header class="briefing-title"><h1>'
        + _e(_("{company} ({ticker}): AI-infrastructure spending").format(
            company=b.company_name, ticker=b.ticker)) + "</h1>"
        + (f'<p class="behind" role="status">{_e(b.horizon_note)}</p>' if b.horizon_note
           else "")
        + '<p class="as-of">' + _e(_("As of {date}: only releases, filings, guidance and prices "
                                   "public by that date are used.").format(
            date=_date(b.as_of))) + "</p>" + story_html(b) + "</header>")


def _to(row: str, text: str) -> str:
    """A figure of the story, linked to its row of the headline table."""
    return f'<a class="figure" href="#headline-{row}">{text}</a>'


def story_html(b: Briefing) -> str:
    """Two or three sentences from the briefing's own figures, each linked to its row of the
    headline table: the latest quarter on both measures and its growth, the current outlook
    and how it moved, the stock's move after the latest release."""
    q = b.quarters.dropna(subset=["capex_usd"])
    if q.empty:
        return ""
    last = q.iloc[-1]
    sentences = [_("In {quarter}, {company} spent {capex} on capex as it reports it").format(
        quarter=_e(last["quarter_label"]), company=_e(b.company_name),
        capex=_to("latest", usd_bn(last["capex_usd"])))
        + (" " + _("({change} on the same quarter a year earlier)").format(
            change=_to("change", pct(last["capex_yoy_pct"])))
           if pd.notna(last["capex_yoy_pct"]) else "")
        + ("" if b.capex_metric == COMPARABLE else "; " + (
            _("on the comparable measure, {capex}").format(
                capex=_to("latest", usd_bn(last["comparable_usd"])))
            if pd.notna(last["comparable_usd"]) else _e(_(
                "the comparable measure lacks {parts}").format(
                parts=last["comparable_missing"] or _("a part")))))
        + "."]
    g = b.current_outlook
    if g is not None:
        moved = _e(_(g["change"]))
        if g["previous"] is not None:
            moved += " " + _e(_("from {outlook}").format(outlook=outlook_text(g["previous"])))
        sentences.append(_("Its outlook for {year} is {outlook}, on {basis}, {moved} on "
                           "{date}.").format(
            year=_e(fiscal_year_label(g["fiscal_year"])), outlook=_to("outlook", _e(g["text"])),
            basis=_e(basis_name(g["basis"])), moved=moved, date=_date(g["given_date"])))
    if not b.reactions.empty:
        r = b.reactions.iloc[-1]
        sentences.append(_("The stock moved {move} on the first session after the release of "
                           "{date}{excess}.").format(
            move=_to("reaction", pct(r["move_pct"])), date=_date(r["release_date"]),
            excess=" " + _("({excess} against QQQ)").format(excess=_to(
                "reaction", pct(r["excess_pct"]))) if pd.notna(r["excess_pct"]) else ""))
    return '<p class="story">' + " ".join(sentences) + "</p>"


def _bases_html(b: Briefing) -> str:
    """What the two capex measures mean for this company (below the headline table)."""
    return ("<p>" + _("<b>Capex as reported</b> means what {company} calls capex: "
                      "{definition}.").format(company=_e(b.company_name),
                                              definition=_quoting(_(b.capex_definition)))
            + "</p><p>" + _("<b>Comparable capex</b> is the same for every company: "
                            "{definition}. It is left empty, with the missing part named, where "
                            "a component is not in the sources — never a partial sum.").format(
                definition=_e(_(COMPARABLE_DEFINITION))) + "</p>")


def headline_html(b: Briefing) -> HTML:
    """Latest quarter, a year earlier, growth, trailing four quarters, intensity, on both
    measures; the current outlook with its basis; the latest reaction."""
    q = b.quarters.dropna(subset=["capex_usd"])
    if q.empty:
        return HTML("<p>" + _missing_text() + ": " + _e(_(
            "no quarterly capex for {ticker} as of {date}.").format(
            ticker=b.ticker, date=_date(b.as_of))) + "</p>")
    last = q.iloc[-1]
    key = b.quarters["fiscal_year"] * 4 + b.quarters["fiscal_quarter"]
    earlier = b.quarters[key == last["fiscal_year"] * 4 + last["fiscal_quarter"] - 4]
    m = b.capex_metric

    def both(q):
        return _brief_source(q, m, b.cik) + ("" if m == COMPARABLE else
                                      "<br><b>" + _e(_("Comparable:")) + "</b> "
                                      + _brief_source(q, COMPARABLE, b.cik))

    rows = [[_anchor("latest") + _e(_("Capex, latest quarter")), usd_bn(last["capex_usd"]),
             _comparable(last),
             _e(last["quarter_label"]), both(last)]]
    rows += [_later_quarter(r, m, b.cik) for _i, r in b.quarters[key > key[last.name]].iterrows()]
    if earlier.empty:
        rows.append([_e(_("Capex, a year earlier")), _missing_text(), _missing_text(), "", ""])
    else:
        e = earlier.iloc[0]
        rows.append([_e(_("Capex, a year earlier")), usd_bn(e["capex_usd"]), _comparable(e),
                     _e(e["quarter_label"]), both(e)])
    note = f" ({_e(last['yoy_note'])})" if last["yoy_note"] else ""
    rows += [
        [_anchor("change") + _e(_("Change, year over year")), pct(last["capex_yoy_pct"]),
         _comparable(last, "comparable_yoy_pct", pct), _e(last["quarter_label"]) + note,
         _e(_("computed by the kit from the two rows above"))],
        [_e(_("Capex, trailing four quarters")), usd_bn(last["capex_ttm_usd"]),
         _comparable(last, "comparable_ttm_usd"),
         _e(_("four quarters to {quarter}").format(quarter=last["quarter_label"])),
         _e(_("computed by the kit: sum of the four quarters in the table below"))],
        [_e(_("Capex as a share of revenue")), pct(last["capex_to_revenue_pct"], signed=False),
         _comparable(last, "comparable_to_revenue_pct", lambda v: pct(v, signed=False)),
         _e(last["quarter_label"]), _e(_("computed by the kit; revenue:")) + " "
         + _brief_source(last, "revenue", b.cik)],
    ]
    g = b.current_outlook
    if g is not None:
        moved = _e(_(g["change"]))
        if g["previous"] is not None:
            p = g["previous"]
            moved += " " + _e(_("from {outlook} (given {date})").format(
                outlook=outlook_text(p), date=_date(p["given_date"])))
        how = f"; {_e(g['level_note'])}" if g["level_note"] else ""
        rows.append([_anchor("outlook") + _e(_("Full-year {year} capex outlook").format(
                         year=fiscal_year_label(g["fiscal_year"]))),
                     f'<td colspan="2">{_e(g["text"])}<br><span class="meta">'
                     + _e(_("basis: {basis}").format(basis=basis_name(g["basis"])))
                     + "</span></td>",
                     _e(_("given {date};").format(date=_date(g["given_date"]))) + f" {moved}{how}",
                     _sources_cell(g["sources"], b.cik)])
    elif not b.guidance.empty:
        rows.append([_e(_("Full-year capex outlook")),
                     '<td colspan="2">'
                     + _missing(_("no outlook for a fiscal year not yet closed")) + "</td>",
                     _e(_("the latest, for {year}, is in the guidance section").format(
                         year=fiscal_year_label(b.guidance["fiscal_year"].max()))), ""])
    rows += _latest_release_rows(b)
    if not b.reactions.empty:
        r = b.reactions.iloc[-1]
        latest = b.latest_release is None or b.latest_release["reaction"]
        rows.append([_anchor("reaction") + _e(
            _("Stock move, first session after the latest release") if latest
            else _("Stock move, first session after the latest release with prices")),
                     f'<td colspan="2">{pct(r["move_pct"])}</td>',
                     _e(_("{base} close to {session} close (QQQ {benchmark})").format(
                         base=_date(r["base_date"]), session=_date(r["session_date"]),
                         benchmark=i18n.pct(r["benchmark_move_pct"])
                         if pd.notna(r["benchmark_move_pct"]) else _("not in the sources"))),
                     _e(_("computed by the kit from daily adjusted closes (source: prices); "
                          "release date:")) + " " + _release_link(r, b.cik)])
    reported, comparable = _measure_names(b)
    return HTML(_table([_e(_("Figure")), reported, comparable, _e(_("Period")),
                        _e(_("Source"))], rows, "headline") + _bases_html(b))


def _anchor(row: str) -> str:
    """The target of the story's link to a row of the headline table."""
    return f'<span id="headline-{row}"></span>'


def _latest_release_rows(b: Briefing) -> list[list[str]]:
    """What the latest release brought that the rows above do not show: no outlook with it in
    the sources, or no price for its first session (prices end before it, or the session is
    after the briefing's date)."""
    r = b.latest_release
    if r is None:
        return []
    rows, day = [], _date(r["release_date"])
    if not r["outlook"]:
        rows.append([_e(_("Capex outlook with the latest release")),
                     '<td colspan="2">' + _missing(_("no outlook given in the sources")) + "</td>",
                     _e(_("release of {date} ({quarter})").format(date=day,
                                                                 quarter=r["quarter"])), ""])
    if not r["reaction"]:
        end = r["prices_end"]
        why = (_("no prices for {ticker} in the data").format(ticker=b.ticker) if end is None
               else _("the price is not in the data: prices for {ticker} end {date}").format(
                   ticker=b.ticker, date=_date(end)) if end <= r["release_date"]
               else _("the first session after it is later than {date}").format(
                   date=_date(b.as_of)))
        rows.append([_e(_("Stock move, first session after the latest release")),
                     '<td colspan="2">' + _missing(why) + "</td>",
                     _e(_("release of {date} ({quarter})").format(date=day,
                                                                 quarter=r["quarter"])), ""])
    return rows


def _later_quarter(q: pd.Series, metric: str, cik: str) -> list[str]:
    """A quarter after the headline's, which the sources have only in part: what is missing
    of the headline measure, and the parts they do have (no sum of parts is made)."""
    parts = SUMS.get(metric, (metric,))
    have = [p for p in parts if pd.notna(q.get(f"{p}_usd"))]
    lacking = ", ".join(metric_name(p, in_sentence=True) for p in parts if p not in have)
    shown = "; ".join(_e(_("{metric} alone:").format(metric=metric_name(p))) + " "
                      + usd_bn(q[f"{p}_usd"]) for p in have)
    return [_e(_("Capex, {quarter}").format(quarter=q["quarter_label"])),
            _missing(_("missing: {parts}").format(parts=lacking or _("not in the sources")))
            + (f"<br>{shown}" if shown else ""),
            _comparable(q), _e(q["quarter_label"]),
            "; ".join(_brief_source(q, p, cik) for p in have) or _missing_text()]


def _release_link(r, cik: str) -> str:
    """The release's 8-K on sec.gov where its accession number is known, with the release
    itself (exhibit 99.1) where a source links it; else the page that dates it."""
    if isinstance(r.get("accession_number"), str) and r["accession_number"]:
        out = link(r["source_url"], _("8-K on sec.gov"))
        if isinstance(r.get("exhibit_url"), str) and r["exhibit_url"]:
            out += "; " + link(r["exhibit_url"], _("the release (exhibit 99.1)"))
        return out
    if r["source_id"] == "earnings_dates":
        return link(r["source_url"], r["source_id"]) + " " + _e(_("(SEC 8-K Item 2.02 dates)"))
    return link(r["source_url"], r["source_url"], cik) + f" ({_e(r['source_id'])})"


def _sources_cell(sources, cik: str) -> str:
    return "<br>".join(f"{link(url, url, cik)} ({_e(_(kind))})" for kind, url in sources)


def quarters_html(b: Briefing) -> HTML:
    """Every quarter's figures as of the date, each with its source."""
    metrics = [m for m in METRIC_NAMES if (b.quarters[f"{m}_usd"].notna().any()
               or m == COMPARABLE) and m not in FUNDED]  # those: the funding section
    rows = []
    for _i, q in b.quarters.iloc[::-1].iterrows():
        cells = [_e(q["quarter_label"]), _date(q["period_end_date"])]
        cells += [_comparable(q, f"{m}_usd") if m == COMPARABLE else usd_bn(q[f"{m}_usd"])
                  for m in metrics]
        yoy = pct(q["capex_yoy_pct"]) + (f'<br><span class="meta">{_e(q["yoy_note"])}</span>'
                                         if q["yoy_note"] else "")
        cells += [yoy, pct(q["comparable_yoy_pct"]),
                  pct(q["capex_to_revenue_pct"], signed=False),
                  "<br>".join(f"<b>{_e(_column(m))}:</b> "
                              f"{_figure_source(q, m, b.cik)}"
                              for m in metrics if not pd.isna(q[f"{m}_usd"]))]
        rows.append(cells)
    head = [_e(_("Quarter")), _e(_("Period end")),
            *[_e(_column(m)) for m in metrics],
            *[_e(_(h)) for h in (N_("YoY, as reported"), N_("YoY, comparable"),
                                  N_("As reported / revenue"), N_("Sources"))]]
    return HTML("<details><summary>" + _e(_("All quarters with sources (as reported: {metric})")
                                          .format(metric=metric_name(b.capex_metric)))
                + "</summary>" + _table(head, rows, "quarters") + "</details>")


def _column(metric: str) -> str:
    return _("Comparable capex") if metric == COMPARABLE else metric_name(metric)


FUNDED = {"operating_cash_flow": "ocf", "depreciation_and_amortization": "da",
          "remaining_performance_obligations": "rpo", "free_cash_flow": "stated_fcf"}
FCF_STATUS = {"holds": N_("equals its definition"), "differs": N_("differs from its definition"),
              "missing": N_("not checkable: a part is not in the sources"),
              "circular": N_("not checkable: a part was derived from this figure")}


def funding_html(b: Briefing, quarters: int = 8) -> HTML:
    """Cash flow, free cash flow after capex on both measures, depreciation and the backlog
    for the latest quarters the sources have any of them for, each figure with its source;
    the company's own free cash flow beside the kit's, each on its named basis, and which
    measures and quarters the sources lack."""
    have = [m for m in FUNDED if b.quarters[f"{m}_usd"].notna().any()]
    known = b.funding[[f"{FUNDED[m]}_usd" for m in have]].notna().any(axis=1) if have \
        else pd.Series(False, index=b.funding.index)
    f = b.funding[known].iloc[::-1].head(quarters)
    later = b.funding.loc[known[::-1].cummax()[::-1] == 0, "quarter_label"] if known.any() \
        else pd.Series(dtype=object)
    by_end = b.quarters.set_index("period_end_date")
    checks = (b.fcf_identity.set_index("period_end_date") if not b.fcf_identity.empty
              else pd.DataFrame())
    lines = [_e(_("Free cash flow after capex is the kit's: operating cash flow minus capex as "
                  "reported ({metric}), and minus comparable capex ({comparable}). A share of "
                  "operating cash flow over 100 % means capex took more than operations "
                  "brought in; — marks a figure that cannot be computed because one it needs "
                  "is missing.").format(metric=metric_name(b.capex_metric, in_sentence=True),
                                        comparable=_(COMPARABLE_DEFINITION)))]
    d = b.fcf_definition
    if d is not None:
        lines.append(_e(_("{company} states its own free cash flow, on its own definition, "
                          "which the table shows in its own column and checks; it is not "
                          "compared with the kit's:").format(company=b.company_name))
                     + f" <q>{_e(d['company_words'])}</q> ({_e(_(d['stated_in']))}; "
                     + link(d["source_url"], _(d["source_type"]), b.cik) + ", "
                     + _date(d["public_date"]) + ")"
                     + (f' <span class="meta">{_e(_(d["note"]))}</span>' if d["note"] else ""))
    elif "free_cash_flow" in have:
        lines.append(_e(_("{company} states a free cash flow, shown in its own column; the "
                          "sources quote its definition only from a document after {date}, so "
                          "the figures are not checked against it here.").format(
            company=b.company_name, date=_date(b.as_of))))
    else:
        lines.append(_e(_("No free cash flow that {company} states is in the sources as of "
                          "{date}.").format(company=b.company_name, date=_date(b.as_of))))
    absent = [m for m in FUNDED if m not in have and m != "free_cash_flow"]
    if absent:
        lines.append(_e(_("Not in the sources as of {date}: {measures}; `kit data refresh` "
                          "reads them from the company's SEC filings where it reports them."
                          ).format(date=_date(b.as_of), measures=", ".join(
                              metric_name(m, in_sentence=True) for m in absent))))
    if len(later) and len(f):
        lines.append(_e(_("The sources have none of these figures for {quarters} yet (capex "
                          "is in the table of quarters).").format(quarters=", ".join(later))))
    if f.empty:
        return HTML("".join(f"<p>{line}</p>" for line in lines))
    columns = [(N_("Operating cash flow"), lambda r: usd_bn(r.ocf_usd)),
               (N_("Free cash flow after capex: as reported / comparable"),
                lambda r: _dash(r.fcf_capex_usd) + "<br>" + _comparable_fcf(r)),
               (N_("Capex / operating cash flow: as reported / comparable"),
                lambda r: _dash(r.capex_to_ocf_pct, _share) + "<br>"
                + _dash(r.comparable_to_ocf_pct, _share)),
               (N_("Trailing four quarters: operating cash flow / free cash flow after capex "
                   "as reported / comparable"),
                lambda r: "<br>".join(_dash(v) for v in (
                    r.ocf_ttm_usd, r.fcf_capex_ttm_usd, r.fcf_comparable_ttm_usd)))]
    if "depreciation_and_amortization" in have:
        columns.append((N_("Depreciation and amortization"), _da_cell))
    if "remaining_performance_obligations" in have:
        columns.append((N_("Backlog: remaining performance obligations at the quarter's end"),
                        lambda r: usd_bn(r.rpo_usd)))
    if "free_cash_flow" in have:
        columns.append((N_("Free cash flow as the company states it (its definition)"),
                        lambda r: _stated_fcf(r, checks)))
    rows = [[_e(r.quarter_label), *[cell(r) for _h, cell in columns],
             "<br>".join(f"<b>{_e(metric_name(m))}:</b> "
                         f"{_brief_source(by_end.loc[r.period_end_date], m, b.cik)}"
                         for m in have if pd.notna(getattr(r, f"{FUNDED[m]}_usd")))]
            for r in f.itertuples()]
    head = [_e(_("Quarter")), *[_e(_(h)) for h, _cell in columns], _e(_("Sources"))]
    return HTML("".join(f"<p>{line}</p>" for line in lines) + _table(head, rows, "funding"))


def _dash(value, fmt=usd_bn) -> str:
    """A computed figure, or a dash where one it needs is missing (the section says so)."""
    return "—" if pd.isna(value) else fmt(value)


def _share(value) -> str:
    return pct(value, signed=False)


def _stated_fcf(r, checks: pd.DataFrame) -> str:
    """The company's stated free cash flow and how it stands against its own definition."""
    cell = usd_bn(r.stated_fcf_usd)
    if pd.isna(r.stated_fcf_usd) or r.period_end_date not in checks.index:
        return cell
    check = checks.loc[r.period_end_date]
    note = _(FCF_STATUS[check["status"]])
    if check["status"] == "differs":
        note += " " + _("({amount} by it)").format(amount=i18n.usd_bn(check["by_definition_usd"]))
    if check["review"]:
        note += ": " + _(check["review"])
    return cell + f'<br><span class="meta">{_e(note)}</span>'


def _da_cell(r) -> str:
    """Depreciation and amortization, its share of capex as reported and its growth."""
    notes = [_("{pct} of capex").format(pct=i18n.pct(r.da_to_capex_pct, False))
             if pd.notna(r.da_to_capex_pct) else "",
             _("{pct} year over year").format(pct=i18n.pct(r.da_yoy_pct))
             if pd.notna(r.da_yoy_pct) else ""]
    notes = "; ".join(n for n in notes if n)
    return usd_bn(r.da_usd) + (f'<br><span class="meta">{_e(notes)}</span>' if notes else "")


def _comparable_fcf(r) -> str:
    """Free cash flow after comparable capex, or why there is none."""
    if pd.notna(r.fcf_comparable_usd):
        return usd_bn(r.fcf_comparable_usd)
    return _missing(_("comparable capex missing")) if pd.notna(r.ocf_usd) else "—"


def guidance_html(b: Briefing) -> HTML:
    """Every outlook as given, each with its basis and sources; raises turned into levels
    where the level they raise is known; for closed periods, the actual on the outlook's
    basis and a verdict, or why there is none."""
    if b.guidance.empty and b.other_guidance.empty:
        return HTML("<p>" + _e(_("No capex outlook in the sources as of {date}.").format(
            date=_date(b.as_of))) + "</p>")
    rows = [[_date(g["given_date"]), _e(fiscal_year_label(g["fiscal_year"])),
             _e(outlook_text(g)) + (f'<br><span class="meta">= {_e(g["level_note"])}</span>'
                                    if g["level_note"] else ""),
             _e(basis_name(g["basis"])), _e(_(g["change"])), _e(g["prior_note"]),
             _sources_cell(g["sources"], b.cik)]
            for _i, g in b.guidance.iterrows()]
    rows += [[_date(g["given_date"]), _e(fiscal_year_label(g["fiscal_year"])), _e(g["outlook"]),
              _e(basis_name(g["basis"])), "",
              _e(_(GUIDANCE_KINDS.get(g["guidance_kind"], g["guidance_kind"]))),
              _sources_cell([(g["source_type"], g["source_url"])], b.cik)]
             for _i, g in b.other_guidance.iterrows()]
    for v in b.verdicts.itertuples():
        period = fiscal_year_label(v.fiscal_year) + (f" Q{int(v.fiscal_quarter)}"
                                                     if not pd.isna(v.fiscal_quarter) else "")
        actual = ("<b>" + _e(_("actual")) + f" {usd_bn(v.actual_usd)}</b>"
                  if pd.notna(v.actual_usd) else _e(_("actual: —")))
        rows.append([_e(_("{period} closed").format(period=period)), _e(period), actual,
                     _e(basis_name(v.basis)), f"<b>{_e(v.verdict)}</b>",
                     _e(_("against {outlook} given {date}").format(
                         outlook=v.outlook, date=_date(v.given_date))),
                     _e(_("computed by the kit from the table of quarters"))
                     if pd.notna(v.actual_usd) else ""])
    head = [N_("Given"), N_("For"), N_("Outlook"), N_("Basis"), N_("Move / verdict"),
            N_("Note"), N_("Source")]
    return HTML(_table([_e(_(h)) for h in head], rows, "guidance"))


def reactions_html(b: Briefing) -> HTML:
    note = f"<p>{_e(b.reactions_note)}</p>" if b.reactions_note else ""
    if b.reactions.empty:
        return HTML((note or "<p>" + _e(_("No earnings release with a following session in the "
                                          "data.")) + "</p>") + news_html(b))
    rows = [[periods.label(r['fiscal_year'], r['fiscal_quarter']),
             _date(r["release_date"]), f"{_date(r['base_date'])} → {_date(r['session_date'])}",
             _e(_(TIMINGS.get(r["timing"], r["timing"]))),
             pct(r["move_pct"]), pct(r["benchmark_move_pct"]), pct(r["excess_pct"]),
             _release_link(r, b.cik)]
            for _i, r in b.reactions.iloc[::-1].iterrows()]
    head = [N_("Results for"), N_("Released"), N_("Closes compared"), N_("Timing"), N_("Stock"),
            N_("QQQ"), N_("In excess of QQQ"), N_("Source")]
    return HTML(note + _table([_e(_(h)) for h in head], rows) + news_html(b))


NEWS_KINDS = ("news_report", "transcript_pointer")  # what news said, not management


def said_by_management(statements: pd.DataFrame) -> pd.Series:
    """Which statements are management's own words: an officer's, with the speaker named
    (quoted directly or in a report that quotes them), or the company's own release."""
    own = statements["source_type"].str.contains("press.release", case=False, na=False)
    return (statements["speaker"].notna() | own) & ~statements["kind"].isin(NEWS_KINDS)


def statements_html(b: Briefing) -> HTML:
    """Management's own words (said_by_management), each in its own language; where the
    briefing's language differs, the kit's translation (reviewed data rows, never made at
    render time) or a note that there is none. A quote carries what the source says of its
    wording; the maintainers' notes stay in the data. News reports that paraphrase without
    quoting are not here: they are the sources of the figures and outlooks they support, and
    what news said of the stock's move is under the reaction."""
    said = b.statements[said_by_management(b.statements)] if not b.statements.empty \
        else b.statements
    # neither here nor under the reaction (news_html): sources of figures and outlooks only
    others = len(b.statements) - len(said) - len(_news(b))
    rest = ("<p class=\"meta\">" + _e(_(
        "{count} news reports that paraphrase without quoting management are not shown here; "
        "each is the source of the figure or outlook it supports, in the tables above.").format(
        count=others)) + "</p>") if others else ""
    if said.empty:
        return HTML("<p>" + _e(_("No statements in the sources up to this date.")) + "</p>"
                    + rest)
    return HTML('<ul class="statements">' + "".join(
        _statement(s, b.cik) for _i, s in said.iloc[::-1].iterrows()) + "</ul>" + rest)


def _statement(s: pd.Series, cik: str) -> str:
    who = _e(s["speaker"]) or _e(_("the company"))
    source = link(s["source_url"], s["source_url"], cik) if not pd.isna(s["source_url"]) \
        else f"«{_e(s['source_title'])}»"
    original = s["text_lang"]
    translation = s.get("translation")
    if original == i18n.current():
        translated = ""
    elif isinstance(translation, str) and translation:
        translated = ('<p class="translation">' + _e(_("Kit translation:"))
                      + f" {_e(translation)}</p>")
    else:
        translated = ('<p class="translation">'
                      + _missing(_("no translation of this statement in the kit")) + "</p>")
    wording = not pd.isna(s["note"]) and str(s["kind"]).startswith("quote")
    note = ('<p class="note">' + _e(_("Note:")) + f' {_quoting(_(s["note"]))}</p>') \
        if wording else ""
    return (f'<li class="statement"><blockquote lang="{_e(original)}">{_e(s["text"])}'
            f"</blockquote>{translated}"
            f'<p class="meta">{who} · {_date(s["event_date"])} · {_e(_(s["kind"]))} · '
            f"<b>{_e(_(s['source_type']))}</b> · {source}</p>{note}</li>")


def _news(b: Briefing) -> pd.DataFrame:
    return b.statements[b.statements["kind"] == "news_report"] if not b.statements.empty \
        else b.statements


def news_html(b: Briefing) -> str:
    """What news reported around the releases (the stock's move, the outlook), each with its
    source: not management's words, shown beside the move the kit computes."""
    news = _news(b)
    if news.empty:
        return ""
    return ("<p>" + _e(_("What news reported around the release (not management's words; the "
                         "kit's own close-to-close move is above):")) + "</p>"
            + '<ul class="statements">' + "".join(
                _statement(s, b.cik) for _i, s in news.iloc[::-1].iterrows()) + "</ul>")


def quality_html(b: Briefing) -> HTML:
    """Conflicts, revisions, gaps, derived values and date caveats behind the figures."""
    parts = [f"<li>{_e(n)}</li>" for n in b.notes]
    for kind, grp in b.quality.groupby("kind", sort=False):
        items = "".join(f"<li>{_e(r.period)}: {_e(r.detail)}"
                        + (f" ({english(r.quoted)})" if r.quoted else "") + "</li>"
                        for r in grp.itertuples())
        parts.append(f"<li><b>{_e(_(QUALITY_KINDS.get(kind, kind)))}</b> ({len(grp)})"
                     f"<ul>{items}</ul></li>")
    if not parts:
        parts = ["<li>" + _e(_("No gaps or disagreements for the figures shown.")) + "</li>"]
    return HTML('<ul class="quality">' + "".join(parts) + "</ul>")


QUALITY_KINDS = {"conflict": N_("Sources disagree"),
                 "identity": N_("Fails its source's own cash-flow identity (not used)"),
                 "revision": N_("Revised by a later filing"),
                 "gap": N_("Missing quarters"), "derived": N_("Computed from other figures"),
                 "date": N_("Dates"), "statement": N_("Statements")}


def peers_html(b: Briefing, quarters: int = 6) -> HTML:
    """The latest calendar quarters for every company, each with its own fiscal label: one
    table on the comparable measure (shown first) and one as each company reports; a
    control in the page switches between them. Every cell names its basis."""
    p = b.peers
    if p.empty:
        return HTML("<p>" + _e(_("No peer figures public by this date (the peers start with "
                                 "calendar 2020).")) + "</p>")
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
                    cells.append(_missing_text())
                    continue
                r = by.loc[label]
                if not r["is_public"]:
                    cells.append(_missing(_("not public by {date}").format(date=_date(b.as_of))))
                    continue
                same = periods.label(r["calendar_year"], r["calendar_quarter"])
                own = "" if r["quarter_label"].startswith(same) else \
                    f'<br><span class="meta">{_e(r["quarter_label"])}</span>'
                basis = _("comparable") if measure == "comparable" else \
                    _("as reported: {metric}").format(
                        metric=metric_name(r["capex_metric"], in_sentence=True))
                value = _comparable(r) if measure == "comparable" else usd_bn(r["capex_usd"])
                growth = r[f"{measure}_yoy_pct"]
                yoy = "" if pd.isna(growth) else _e(_("{growth} YoY").format(
                    growth=i18n.pct(growth)))
                cells.append(f"{value}<br>{yoy}{own}"
                             f'<br><span class="basis">{_e(basis)}</span>')
            rows.append(cells)
        tables[measure] = _table([_e(_("Company")), *map(_e, labels)], rows, f"peers {measure}")
    return HTML(
        '<div class="basis-switch">'
        '<input type="radio" name="peer-basis" id="peer-comparable" checked>'
        '<label for="peer-comparable">'
        + _e(_("Comparable capex (purchases + finance-lease principal)")) + "</label>"
        '<input type="radio" name="peer-basis" id="peer-reported">'
        '<label for="peer-reported">' + _e(_("As each company reports it")) + "</label>"
        f'<div class="basis comparable">{tables["comparable"]}</div>'
        f'<div class="basis reported">{tables["capex"]}</div></div>')


def methodology_html(b: Briefing) -> HTML:
    """How the figures are defined, aligned, derived, checked and dated."""
    companies = data.load_companies()
    notes = data.load_company_notes()
    notes = notes[notes["public_date"] <= b.as_of]  # a note citing later facts waits for them
    defs = "".join(
        f"<li><b>{_e(c.ticker)}</b> ({_e(c.fiscal_year_end)}): {_quoting(_(c.capex_definition))}. "
        + _e(_("Outlooks: {basis}").format(basis=basis_name(c.guidance_basis)
                                           if pd.notna(c.guidance_basis) and c.guidance_basis
                                           else _("none in the sources")))
        + (f" ({_quoting(_(c.guidance_basis_note))})" if pd.notna(c.guidance_basis_note) else "")
        + "".join(f". {_quoting(_(n.note))} ({link(n.source_url, _date(n.public_date), c.cik)})"
                  for n in notes[notes["ticker"] == c.ticker].itertuples())
        + "</li>" for c in companies.itertuples())
    items = [
        _("<b>Two capex measures.</b> <i>As reported</i> is each company's own headline figure, "
          "defined below; companies define it differently (cash purchases only, purchases plus "
          "finance-lease principal, gross or net of proceeds), so these are not compared with "
          "each other. <i>Comparable</i> is one definition for every company: purchases of "
          "property and equipment (the company's gross cash concept) plus principal payments "
          "on finance leases. A quarter missing either part has no comparable figure, and the "
          "missing part is named. Peers are compared on the comparable measure by default."),
        _("<b>Growth and ratios.</b> Capex is a cash outflow stored as a positive number in US "
          "dollars. Year-over-year growth compares the same fiscal quarter a year earlier (a "
          "14-week quarter against a 13-week one is flagged); the trailing figure sums four "
          "consecutive fiscal quarters; intensity is capex divided by the same quarter's "
          "revenue."),
        _("<b>Periods.</b> Companies keep their fiscal calendars. A quarter's calendar quarter "
          "is the one holding most of its days (the rule SEC uses for its frame values); labels "
          "show both where they differ, e.g. FY25 Q2 (CY24 Q4). Peers are compared on calendar "
          "quarters."),
        _("<b>Derived and checked figures.</b> A single quarter comes from year-to-date figures "
          "(six months minus three, a year minus nine months) only where the period bounds line "
          "up exactly, and a year minus nine months only from figures of the same filing year; "
          "otherwise it is missing, never estimated. A release's capex is checked against its "
          "own cash-flow identity (operating cash flow minus free cash flow, and minus "
          "finance-lease principal where the company's free cash flow subtracts it); a figure "
          "that fails is listed under data quality and the reconciling one is used."),
        _("<b>As of {date}.</b> Each figure is used from the day it was published: the earnings "
          "release, or the release and filing that first carried a revised figure. Where no "
          "release date is known, the filing deadline of a listed company bounds it. No "
          "document dated after the briefing date is cited.").format(date=_e(_date(b.as_of))),
        _("<b>Stock reaction.</b> Adjusted closes; the first full session after the release "
          "(release-day close to next close after the close, previous close to release-day "
          "close before the open), and the same less QQQ's move."),
        _("<b>Guidance</b> is shown as management gave it, with its kind (range, point, about, "
          "at least, up to, quarterly run rate, raise), its basis (what it measures) and the "
          "source type of the page that reported it; most are news reports. A raise becomes a "
          "level only where the level it raises is in the data, with the arithmetic shown. A "
          "guided-versus-actual verdict is given only when the actual on the outlook's own "
          "basis is known; otherwise the briefing says why not."),
    ]
    return HTML("<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul><p>"
                + _e(_("Capex definitions, outlook bases and fiscal years:"))
                + f"</p><ul>{defs}</ul>")


def footer_html(b: Briefing) -> Footer:
    """Parameters, kit version and the digest of the data visible on the briefing's date:
    enough to reproduce the document. It also carries the briefing's headline figures
    (metrics.summary_of) for the index pages, as JSON the export puts in the page's head."""
    from kit import __version__, archive

    text = _("Parameters: ticker = {ticker}, as_of = {as_of}, lang = {lang} · kit {version} · "
             "data visible on {date}: SHA-256 {digest}").format(
        ticker=b.ticker, as_of=f"{b.as_of:%Y-%m-%d}", lang=i18n.current(),
        version=__version__, date=_date(b.as_of), digest=archive.data_digest(b.as_of))
    return Footer(f'<footer class="meta"><p>{_e(text)}</p></footer>', metrics.summary_of(b))


class Footer:
    """HTML for the page, JSON figures for the kit's export (an unknown type, not shown)."""

    def __init__(self, html: str, figures: dict):
        self.html, self.figures = html, figures

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/html": self.html, SUMMARY_MIME: self.figures}


_SOURCE_IDS = {"derived": N_("derived")}  # an id that is a word: the kit's own rows


def sources_html(b: Briefing) -> HTML:
    rows = [[_e(_(_SOURCE_IDS[s["source_id"]]) if s["source_id"] in _SOURCE_IDS
                else s["source_id"]), _e(_(s["title"])),
             link(s["origin_url"], _(s["origin_url"])), _e(s["origin_commit"]),
             _e(_(s["known_issues"]))]
            for _i, s in b.sources.iterrows()]
    head = [N_("Source id"), N_("What"), N_("From"), N_("Version"), N_("Known issues")]
    return HTML(_table([_e(_(h)) for h in head], rows, "sources"))


def _other_language(name: str | None) -> str:
    """Links to the same briefing in the other languages, where its file is beside it."""
    return "" if not name else " " + " ".join(
        f'<span class="meta">({link_local(file, lang.upper())})</span>' for lang, file in name)


def index_html(entries: list[dict], title: str, as_of: pd.Timestamp, overview: str = "") -> str:
    """The body of the index page: the sector `overview` (overview_html), then every
    briefing as of one date, one row per company with its headline figures and a link to its
    briefing, the error that stopped it, or a note that it had no data by then; a click on a
    column's head sorts the rows by it (html.SORT). `entries` are metrics.summary() dicts with
    `file` (the briefing's file name) and `others` ((language, file) of the same briefing in
    other languages), or dicts with `ticker` and `error`, `damaged` or `no_data`. Every empty
    cell says why."""
    rows = []
    for e in entries:
        problem = e.get("error") or e.get("damaged") or e.get("no_data")
        if problem:
            word = _("failed:") + " " if e.get("error") else \
                _("damaged:") + " " if e.get("damaged") else ""
            rows.append([_e(e["ticker"]), _e(e.get("company_name")),
                         f'<td colspan="10"><span class="missing">{_e(word)}{_e(problem)}'
                         "</span></td>"])
            continue
        g = e.get("guidance")
        outlook = _missing(_("no current outlook in the sources")) if not g else \
            f"{_e(fiscal_year_label(g['fiscal_year']))}: {_e(g['text'])} " \
            f'<span class="meta">({_e(basis_name(g["basis"]))})</span>'
        behind = e.get("horizon_note")
        rows.append([
            _sort_cell(link_local(e["file"], e["ticker"]) + _other_language(e.get("others")),
                       e["ticker"]),
            _sort_cell(_e(e["company_name"]) + (
                f'<br><span class="missing behind">{_e(behind)}</span>' if behind else ""),
                e["company_name"]),
            _sort_cell(_e(e["quarter_label"]), e.get("quarter_label")),
            _sort_cell(usd_bn(e["capex_usd"]), e["capex_usd"]),
            _sort_cell(_entry_comparable(e), e["comparable_usd"]),
            _sort_cell(pct(e["capex_yoy_pct"]), e["capex_yoy_pct"]),
            _sort_cell(usd_bn(e["capex_ttm_usd"]), e["capex_ttm_usd"]),
            _sort_cell(pct(e.get("capex_to_revenue_pct"), signed=False),
                       e.get("capex_to_revenue_pct")),
            _sort_cell(_entry_fcf(e), e.get("fcf_capex_ttm_usd")),
            _sort_cell(outlook, g["high_usd"] if g and g.get("high_usd") is not None
                       else g["low_usd"] if g else None),
            _sort_cell(_release(e), e.get("latest_release_date")),
            _sort_cell(_due(e), e.get("next_due"))])
    head = [N_("Briefing"), N_("Company"), N_("Latest quarter"), N_("Capex as reported"),
            N_("Comparable capex"), N_("YoY (as reported)"),
            N_("Trailing 4 quarters (as reported)"), N_("Capex / revenue (as reported)"),
            N_("Free cash flow after capex, trailing 4 quarters (as reported)"),
            N_("Current outlook"), N_("Latest release and reaction"), N_("Next release due")]
    return (f"<h1>{_e(title)}</h1><p class=\"as-of\">"
            + _e(_("Every briefing as of {date}: only what was public by then; each company's "
                   "data reaches only as far as its latest release in the data (its latest "
                   "quarter below), and a release that was due and is missing is marked. Capex "
                   "as reported is each company's own definition (each briefing states it); "
                   "comparable capex is purchases of property and equipment plus principal "
                   "payments on finance leases for every company.").format(date=_date(as_of)))
            + "</p>" + overview + "<p class=\"meta\">" + _e(_(
                "Click a column's head to sort the table by it; click again to reverse."))
            + "</p>" + _table([_e(_(h)) for h in head], rows, "index sortable")
            + _index_footer())


def _sort_cell(content: str, key) -> str:
    """A cell with the value the table sorts it by (html.SORT): a number or a text."""
    cell = _cell(content)
    if key is None or (not isinstance(key, str) and pd.isna(key)):
        return cell.replace("<td", '<td data-sort=""', 1)
    return cell.replace("<td", f'<td data-sort="{escape(str(key), quote=True)}"', 1)


def _release(e: dict) -> str:
    """The latest release's date and the stock's move after it, or after the latest release
    prices reach (named), or why there is none."""
    if not e.get("latest_release_date"):
        return _missing(_("no release in the data"))
    day = _date(e["latest_release_date"])
    if e.get("reaction_release_date") == e["latest_release_date"]:
        return f"{day}: " + _reaction(e)
    cell = day + '<br><span class="meta">' + _e(_("no price yet for its next session")) \
        + "</span>"
    if e["reaction_pct"] is None:
        return cell
    return cell + "<br>" + _e(_("after {date}:").format(
        date=_date(e["reaction_release_date"]))) + " " + _reaction(e)


def _due(e: dict) -> str:
    """When the company's next release is due, or why that is not known."""
    if not e.get("next_due"):
        return _missing(_("not known: no release in the data"))
    return _e(_("{quarter}, by {date}").format(quarter=e.get("next_quarter") or "",
                                                date=_date(e["next_due"])))


def overview_html(chart: str, totals: pd.DataFrame, entries: list[dict]) -> str:
    """The sector at a glance, above the index's table: the chart of every company's capex
    by calendar quarter (its HTML, `chart`), the group's latest totals on each measure (a
    quarter all the companies with figures had reported) and the sum of the current
    full-year outlooks that are alike."""
    lines = []
    for name, label in (("comparable", N_("comparable capex")),
                        ("capex", N_("capex as each company reports it (bases differ)"))):
        t = totals[totals["measure"] == name]
        if t.empty:
            continue
        n = t["companies"].str.count(",") + 1
        full = t[n == n.max()].iloc[-1]  # the latest quarter the most companies reported
        lines.append(_e(_("{measure}: {total} in {quarter} ({companies}); {ttm} over the four "
                          "quarters to it ({ttm_companies}).").format(
            measure=_(label)[:1].upper() + _(label)[1:],
            total=i18n.usd_bn(full["total_usd"]), quarter=full["calendar_label"],
            companies=full["companies"], ttm=i18n.usd_bn(full["ttm_usd"])
            if pd.notna(full["ttm_usd"]) else _("not computable"),
            ttm_companies=full["ttm_companies"] or _("no company with all four"))))
    lines.append(outlook_sum_html(entries))
    return (chart + "".join(f"<p>{line}</p>" for line in lines if line))


def outlook_sum_html(entries: list[dict]) -> str:
    """The sum of the current full-year outlooks that are on the same measure, for fiscal
    years that end in the same calendar quarter, and given as amounts (a range or a point);
    each other outlook named with why it is not in the sum."""
    outlooks = [(e["ticker"], e["guidance"]) for e in entries if e.get("guidance")]
    if not outlooks:
        return _e(_("No current full-year outlook in the sources."))

    def quarter(g):
        end = pd.Timestamp(g["year_end"])
        return periods.label(end.year, (end.month - 1) // 3 + 1, "CY")

    amounts = [(t, g) for t, g in outlooks if g.get("low_usd") is not None
               and g.get("high_usd") is not None and g.get("kind") in ("range", "point", "about")]
    groups: dict[tuple, list] = {}
    for t, g in amounts:
        groups.setdefault((g["basis"], quarter(g)), []).append((t, g))
    best = max(groups.items(), key=lambda kv: (len(kv[1]), -len(kv[0][0])), default=None)
    members = best[1] if best and len(best[1]) > 1 else []
    text = ""
    if members:
        low = sum(g["low_usd"] for _t, g in members)
        high = sum(g["high_usd"] for _t, g in members)
        text = _e(_("Current full-year outlooks on {basis}, for fiscal years ending in {quarter}, "
                    "add up to {amount} ({companies}).").format(
            basis=basis_name(best[0][0]), quarter=best[0][1],
            amount=i18n.usd_bn_range(low, high) if low != high else i18n.usd_bn(low),
            companies=", ".join(t for t, _g in members)))
    left = []
    for t, g in outlooks:
        if any(t == m for m, _g in members):
            continue
        why = (_("given as an open end") if (t, g) not in amounts
               else _("on another measure: {basis}").format(basis=basis_name(g["basis"]))
               if members and g["basis"] != best[0][0]
               else _("its fiscal year ends in {quarter}").format(quarter=quarter(g))
               if members else _("no other outlook alike to add it to"))
        left.append(_e(f"{t}: {fiscal_year_label(g['fiscal_year'])} {g['text']} — {why}"))
    return text + ("<br>" + _e(_("Not in the sum:")) + " " + "; ".join(left) if left else "")


def _entry_fcf(e: dict) -> str:
    """An index row's free cash flow after capex over four quarters, the quarter it ends
    with where that is not the latest, or why there is none."""
    value = e.get("fcf_capex_ttm_usd")
    if value is None:
        return _missing(_("not computable: operating cash flow for four consecutive quarters "
                          "is not in the sources"))
    quarter = e.get("fcf_quarter_label")
    if quarter == e.get("quarter_label"):
        return usd_bn(value)
    to = _("to {quarter}").format(quarter=quarter)
    return usd_bn(value) + f'<br><span class="meta">{_e(to)}</span>'


def _entry_comparable(e: dict) -> str:
    """An index row's comparable capex, or which part is missing."""
    return usd_bn(e["comparable_usd"], missing=_missing(_("missing: {parts}").format(
        parts=e.get("comparable_missing") or _("not in the sources"))))


def _reaction(e: dict) -> str:
    if e["reaction_pct"] is None:
        return _missing(_("no reaction: no release with prices for its next session"))
    return pct(e["reaction_pct"]) + " " + _e(_("({excess} vs QQQ)").format(
        excess=i18n.pct(e["reaction_excess_pct"]) if e["reaction_excess_pct"] is not None
        else _("not in the sources")))


def _index_footer() -> str:
    from kit import __version__

    return '<footer class="meta"><p>' + _e(_(
        "kit {version} · data as of {date} · data SHA-256 {digest}").format(
        version=__version__, date=_date(data.as_of_date()), digest=data.fingerprint())) \
        + "</p></footer>"


def archive_html(timelines: dict[str, list[dict]], title: str,
                 every_release: bool = True, overview: str = "") -> str:
    """The body of the archive's index: for each company a time line, one row per earnings
    release, linking the briefing as of the first session after it, with its headline
    figures and how they moved since the previous release's briefing: the latest quarter's
    capex against the previous release's latest quarter (as reported, the company's one
    definition), and the outlook against the previous one, compared only on the same basis.
    `entries` are as for index_html, with `release_date`. Not `every_release`: the folder
    also holds briefings as of other dates, each under the latest release before it. The
    sector `overview` (overview_html, as of the latest briefing) comes first."""
    nav, parts = [], []
    for ticker, entries in timelines.items():
        name = next((e["company_name"] for e in entries if e.get("company_name")), ticker)
        nav.append(f'<a href="#{_e(ticker)}">{_e(ticker)}</a>')
        rows, before = [], None
        for e in entries:
            problem = e.get("error") or e.get("damaged") or e.get("no_data")
            day = _date(e["stem"][len(ticker) + 1:len(ticker) + 11])
            if problem:
                word = _("failed:") if e.get("error") else _("damaged:") if e.get("damaged") \
                    else _("not rendered:")
                rows.append([_date(e["release_date"]), day,
                             f'<td colspan="6"><span class="missing">{_e(word)} {_e(problem)}'
                             "</span></td>"])
                continue
            rows.append([_date(e["release_date"]),
                         link_local(e["file"], day) + _other_language(e.get("others")),
                         _e(e["quarter_label"] or ""), usd_bn(e["capex_usd"]),
                         _moved(before, e),
                         _entry_comparable(e),
                         _outlook_moved(before, e), _reaction(e)])
            before = e
        head = [N_("Release"), N_("Briefing as of"), N_("Latest quarter"),
                N_("Capex as reported"), N_("Since the previous release"),
                N_("Comparable capex"), N_("Full-year outlook"), N_("Reaction")]
        parts.append(f'<section class="timeline" id="{_e(ticker)}"><h2>{_e(name)} '
                     f"({_e(ticker)})</h2>" + _table([_e(_(h)) for h in head], rows, "timeline")
                     + "</section>")
    return (f"<h1>{_e(title)}</h1><p class=\"as-of\">"
            + _e(_("One briefing per earnings release, each as of the first session after it "
                   "(so the stock's reaction is in it), using only what was public by then. "
                   "Capex as reported is each company's own definition (each briefing states "
                   "it); comparable capex is purchases of property and equipment plus "
                   "principal payments on finance leases for every company.") if every_release
                 else _("Every briefing in this folder, by company and date, each using only "
                        "what was public by its date and listed under the latest release it "
                        "includes. Capex as reported is each company's own definition (each "
                        "briefing states it); comparable capex is purchases of property and "
                        "equipment plus principal payments on finance leases for every "
                        "company."))
            + "</p>" + overview
            + f'<p class="meta">{" · ".join(nav)}</p>' + "".join(parts) + _index_footer())


def _moved(before: dict | None, e: dict) -> str:
    """The latest quarter's capex against the previous release's latest quarter."""
    if before is None or pd.isna(e["capex_usd"]) or pd.isna(before["capex_usd"]):
        return ""
    if before["quarter_label"] == e["quarter_label"]:
        return "" if before["capex_usd"] == e["capex_usd"] else \
            _e(_("revised from {amount}").format(amount=i18n.usd_bn(before["capex_usd"])))
    change = (e["capex_usd"] / before["capex_usd"] - 1) * 100
    return _e(_("{change} against {quarter}").format(change=i18n.pct(change),
                                                     quarter=before["quarter_label"]))


def _outlook_moved(before: dict | None, e: dict) -> str:
    """The current outlook and, where it changed since the previous release's briefing,
    what it was; a different basis is named, not compared."""
    g = e.get("guidance")
    if not g:
        return ""
    text = f"{_e(fiscal_year_label(g['fiscal_year']))}: {_e(g['text'])}"
    g0 = (before or {}).get("guidance")
    if not g0 or g0["fiscal_year"] != g["fiscal_year"] or g0["text"] == g["text"]:
        return text + ("" if g0 and g0 == g else f' <span class="meta">({_e(_(g["change"]))}, '
                       f'{_date(g["given_date"])})</span>')
    if g0["basis"] != g["basis"]:
        return (f'{text} <span class="meta">(' + _e(_(
            "before: {outlook} as {basis}; another basis, not compared").format(
            outlook=g0["text"], basis=basis_name(g0["basis"]))) + ")</span>")
    return f'{text} <span class="meta">(' + _e(_("{change} from {outlook}").format(
        change=_(g["change"]), outlook=g0["text"])) + ")</span>"


def link_local(name: str, text: str) -> str:
    """A link to an HTML file beside the page: a plain file name, nothing else."""
    if isinstance(name, str) and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*\.html", name):
        return f'<a href="{escape(name, quote=True)}">{_e(text)}</a>'
    return _e(text)
