"""Earnings releases themselves (the EX-99.1 exhibit of the 8-K, on sec.gov, fetched by
`kit data refresh`): the sentences in which a release states its capex, its capex outlook
and its chief executive's words.

Only sentences of known shapes are taken; a sentence about capital expenditures that is not
of one of them is returned as unsure, with the reason, and `kit data check` lists it: the
kit does not guess.

- **Capex figure**: "Capital expenditures, including principal payments on finance leases,
  were $6.72 billion." The measure must be worded (here Meta's: purchases plus finance-lease
  principal); "for the fourth quarter and full year …, respectively" takes the quarter's.
- **Outlook**: a sentence that expects or anticipates the year's capital expenditures at a
  range or a figure. The current outlook is what comes before "from our prior …"; the
  prior range after it. A sentence that also states another measure's range is unsure.
- **Chief executive's words**: "“…,” said <name>, <title with CEO or chief executive>" and
  any quoted sentences that follow it in the paragraph.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup

from kit.i18n import N_
from kit.sources.common import fact_row

MEASURES = {  # how a release words what its capital expenditures include
    "including principal payments on finance leases": "capex_incl_finance_leases",
}
_AMOUNT = r"\$\s?(\d[\d,]*(?:\.\d+)?)"
_UNIT = r"\s?(billion|million)"
_UNITS = {"billion": 1e9, "million": 1e6}
_RANGE = re.compile(_AMOUNT + r"(?:" + _UNIT + r")?\s?(?:-|–|to|and)\s?" + _AMOUNT.replace(
    "\\$", "\\$?") + _UNIT)
_POINT = re.compile(_AMOUNT + _UNIT)
_PRIOR = re.compile(r"\b(?:from|compared with|compared to|versus|vs\.?)\s+(?:our|its|the)\s+"
                    r"(?:prior|previous|earlier)\b", re.I)
_EXPECT = re.compile(r"\b(?:anticipate|expect|outlook|forecast|guid)", re.I)
_CAPEX = re.compile(r"capital expenditure", re.I)
_OTHER = re.compile(r"\b(?:total expenses|revenue|operating expenses|costs and expenses|"
                    r"free cash flow|tax rate|depreciation)\b", re.I)
_LABEL = re.compile(r"^[A-Z][\w ,&]{0,40}\s[–—:]\s(?=[A-Z])")
_YEAR = re.compile(r"\b(20\d\d)\b")
_SAID = re.compile(r"[”\"],?\s+said\s+(?P<speaker>[^.]*?(?:\bCEO\b|[Cc]hief [Ee]xecutive)[^.]*)\.")


def paragraphs(html: str) -> list[str]:
    """The release's text, one string per block (paragraph, table cell, list item), spaces
    normalised."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style"]):
        tag.decompose()
    blocks = []
    for tag in soup.find_all(["p", "li", "td", "div"]):
        if tag.find(["p", "li", "td", "div"]):
            continue  # its inner blocks are read on their own
        text = " ".join(tag.get_text(" ").replace("\xa0", " ").split())
        if text:
            blocks.append(text)
    return blocks


def sentences(paragraph: str) -> list[str]:
    """A paragraph cut into sentences (at ". " before a capital or a quote mark, never
    inside a number like $6.72), without a bullet's label ("Capital expenditures – …")."""
    return [_LABEL.sub("", s) for s in
            re.split(r"(?:(?<=[.!?])|(?<=[.!?][”\"]))\s+(?=[A-Z“\"])", paragraph) if s]


def extract(html: str) -> dict[str, list[dict]]:
    """{"figures": [...], "outlooks": [...], "quotes": [...], "unsure": [...]} of one
    release, each with the `sentence` it came from."""
    out = {"figures": [], "outlooks": [], "quotes": [], "unsure": []}
    for paragraph in paragraphs(html):
        if (quote := chief_executive(paragraph)) is not None:
            out["quotes"].append(quote)
        for sentence in sentences(paragraph):
            if not _CAPEX.search(sentence) or "$" not in sentence:
                continue
            kind, found = (("outlooks", outlook(sentence)) if _EXPECT.search(sentence)
                           else ("figures", figure(sentence)))
            out[kind if "reason" not in found else "unsure"].append(found)
    return out


def figure(sentence: str) -> dict:
    """The capex a sentence reports for the quarter, with its measure and rounding; or the
    reason it is unsure."""
    measure = _measure(sentence)
    m = re.search(r"(?:were|was)\s+" + _AMOUNT + _UNIT + r"(?:\s+and\s+" + _AMOUNT + _UNIT
                  + r"\s+for the (?:fourth|third|second|first) quarter and full year[^,]*,"
                  r" respectively)?[.,;]", sentence)
    if measure is None:
        return dict(sentence=sentence, reason=N_("the sentence does not word what its "
                                                 "capital expenditures include"))
    if m is None or len(_POINT.findall(sentence)) != (2 if m.group(3) else 1):
        return dict(sentence=sentence, reason=N_("not one figure for the quarter"))
    value, precision = _usd(m.group(1), m.group(2))
    return dict(sentence=sentence, metric=measure, value_usd=value, precision_usd=precision)


def outlook(sentence: str) -> dict:
    """The outlook a sentence gives: year, low and high (equal for one figure), the prior
    range it states, and the measure as worded (None: not worded); or why it is unsure."""
    split = _PRIOR.search(sentence)
    now, before = (sentence[:split.start()], sentence[split.end():]) if split else (sentence,
                                                                                    "")
    ranges = _RANGE.findall(now)
    points = _POINT.findall(now)
    if _OTHER.search(now):
        return dict(sentence=sentence, reason=N_("it states another measure beside capital "
                                                 "expenditures"))
    years = set(_YEAR.findall(now))
    if len(years) != 1:
        return dict(sentence=sentence, reason=N_("no single year for the outlook"))
    if len(ranges) == 1:
        low, high = _range(ranges[0])
    elif not ranges and len(points) == 1:
        low = high = _usd(*points[0])[0]
    else:
        return dict(sentence=sentence, reason=N_("not one range or figure for the outlook"))
    prior = _RANGE.findall(before)
    prior_low, prior_high = _range(prior[0]) if len(prior) == 1 else (None, None)
    return dict(sentence=sentence, fiscal_year=int(years.pop()), low_usd=low, high_usd=high,
                prior_low_usd=prior_low, prior_high_usd=prior_high,
                basis=_measure(now))


def chief_executive(paragraph: str) -> dict | None:
    """The chief executive's quoted words in a paragraph that attributes them: the whole
    quote (before and after "said …"), and the speaker as the release names them."""
    m = _SAID.search(paragraph)
    if m is None or paragraph[0] not in "“\"":
        return None
    return dict(sentence=paragraph, speaker=m.group("speaker").strip(), text=paragraph)


def _measure(text: str) -> str | None:
    return next((metric for words, metric in MEASURES.items() if words in text), None)


def _usd(number: str, unit: str) -> tuple[float, float]:
    """Dollars, and half the last unit the figure is stated in (its rounding)."""
    scale = _UNITS[unit]
    decimals = len(number.partition(".")[2])
    return float(number.replace(",", "")) * scale, scale * 10 ** -decimals / 2


def _range(found: tuple) -> tuple[float, float]:
    low, low_unit, high, unit = found
    return _usd(low, low_unit or unit)[0], _usd(high, unit)[0]


SOURCE_TYPE = N_("press release (8-K exhibit 99.1)")
NOTE = N_("extracted from the release")


def exhibit_name(index: dict, primary: str = "") -> str | None:
    """The release among a filing's documents (SEC's index.json of the filing folder): the
    one HTML file named as exhibit 99.1 or a press release, else None."""
    names = [i.get("name", "") for i in index.get("directory", {}).get("item", [])]
    pages = [n for n in names if n.lower().endswith((".htm", ".html")) and "index" not in n
             and n != primary]
    for pattern in (r"ex[-_]?99[-_.]?1\D|exhibit ?99[-_.]?1\D|dex991", r"ex[-_]?99|exhibit ?99",
                    r"pr\.htm|press|earnings"):
        found = [n for n in pages if re.search(pattern, n.lower())]
        if len(found) == 1:
            return found[0]
    return None


def release_rows(found: dict[str, list[dict]], release: dict, url: str) -> dict[str, list]:
    """The rows one release's sentences give: `financials` (in the build's row form, public
    from the release), `capex_guidance`, `statements` and `release_sentences` (unsure).
    `release` is its earnings_releases row (ticker, release_date, period dates); the basis of
    an outlook whose sentence does not word it is the company's (`guidance_basis`)."""
    day, ticker = release["release_date"], release["ticker"]
    public = (day, "release", "date of the earnings release")
    financials = [fact_row(f["metric"], release["period_start_date"], release["period_end_date"],
                           f["value_usd"], public, "sec_exhibit", url,
                           f"{NOTE}: \"{f['sentence']}\"", precision=f["precision_usd"])
                  for f in found["figures"]]
    statement = dict(ticker=ticker, event_date=day, event_date_source="the release's 8-K",
                     fiscal_period=f"FY{release['fiscal_year']}Q{release['fiscal_quarter']}",
                     speaker=None, source_type=SOURCE_TYPE, source_title=None, source_url=url,
                     text_lang="en", text_en=None, note=NOTE, conflict=None,
                     conflict_settled=None,
                     source_id="sec_exhibit")
    statements, guidance = [], []
    for o in found["outlooks"]:
        statements.append(dict(statement, kind=f"guidance_capex_FY{o['fiscal_year']}",
                               text=o["sentence"]))
        guidance.append(dict(
            ticker=ticker, fiscal_year=o["fiscal_year"], fiscal_quarter=None, per="year",
            guidance_kind="range" if o["low_usd"] != o["high_usd"] else "point",
            basis=o["basis"] or release["guidance_basis"] or "unstated", low_usd=o["low_usd"],
            high_usd=o["high_usd"], given_date=day, prior_low_usd=o["prior_low_usd"],
            prior_high_usd=o["prior_high_usd"], source_id="sec_exhibit",
            source_type=SOURCE_TYPE, source_url=url))
    for q in found["quotes"]:
        statements.append(dict(statement, kind="quote", speaker=q["speaker"], text=q["text"]))
    for i, s in enumerate(statements, start=1):
        s["statement_id"] = f"{ticker}-{day:%Y-%m-%d}-R{i}"
    unsure = [dict(ticker=ticker, release_date=day, sentence=u["sentence"], reason=u["reason"],
                   source_url=url, source_id="sec_exhibit") for u in found["unsure"]]
    return dict(financials=financials, capex_guidance=guidance, statements=statements,
                release_sentences=unsure)
