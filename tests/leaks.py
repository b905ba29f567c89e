"""A scanner for pages that name something public only after their date.

The strings it looks for are generated from the data rows, each formatted as the pages format
it, with the first date any row made it public: figures (whole millions, as the data-quality
box and notes write them), outlooks (as the guidance section writes them), dates of
releases, outlooks, filings and statements, and the amounts quoted in statements (as their
source writes them). An outlook *for* a later year given before the page's date is allowed:
its strings are public from the day it was given.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
from bs4 import BeautifulSoup

from kit import data, i18n

AMOUNT = re.compile(r"\$\s?\d[\d,]*(?:\.\d+)?\s?(?:billion|million|bn)\b"  # as sources write
                    r"|(?<![\d,.])\d{1,3}(?:,\d{3})+M\b")  # as the kit writes millions
STAMP = re.compile(r'name="kit-parameters" content="([^"]*)"')


def forbidden(directory=None, lang: str = "en") -> dict[str, pd.Timestamp]:
    """{string as a page writes it: the first day a data row made it public}."""
    first: dict[str, pd.Timestamp] = {}

    def add(text: str, day) -> None:
        if pd.notna(day) and (text not in first or day < first[text]):
            first[text] = pd.Timestamp(day)

    tables = []  # figures as the tables write them, with the day their row was public
    with i18n.language(lang):
        fin = data.load_financials(directory)
        for value, day, detail in zip(fin["value_usd"], fin["published_date"],
                                      fin["source_detail"] + " " + fin["derivation_detail"]
                                      .fillna("")):
            if value >= 1e9:  # shorter ones ("92M") are too common to be evidence
                add(i18n.usd_m(value), day)
                tables.append((i18n.usd_bn(value), day))
            add(i18n.date(day), day)
            for amount in AMOUNT.findall(detail):  # a quote, or the inputs of a derivation
                add(amount, day)
        g = data.load_capex_guidance(directory)
        for r in g.itertuples():
            for value in (r.low_usd, r.high_usd):
                if pd.notna(value):
                    add(i18n.usd_bn_short(value), r.given_date)
            if pd.notna(r.low_usd) and pd.notna(r.high_usd) and r.low_usd != r.high_usd:
                add(i18n.usd_bn_range(r.low_usd, r.high_usd), r.given_date)
            add(i18n.date(r.given_date), r.given_date)
        for day in data.load_earnings_releases(directory)["release_date"]:
            add(i18n.date(day), day)
        st = data.load_statements(directory)
        for text, english, day in zip(st["text"], st["text_en"], st["event_date"]):
            if pd.notna(day):
                add(i18n.date(day), day)
            for amount in AMOUNT.findall(f"{text} {english}"):  # as shown, and translated
                add(amount, day)
    # A statement's amount may read as a figure a table showed earlier ("$19.37 billion" is
    # a later quarter's capex and Meta's Q2 2024 operating cash flow): public from the
    # earlier. Only such strings: a figure the kit computes may equal any row's in billions.
    for text, day in tables:
        if text in first and day < first[text]:
            first[text] = pd.Timestamp(day)
    return first


def page_text(html: str) -> str:
    """What a reader sees: the page's text without scripts, styles and the footer (the
    build's parameters and digest), one space between words."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "footer"]):
        tag.decompose()
    return " ".join(soup.get_text(" ").split())


def leaks(page: Path, strings: dict[str, pd.Timestamp], as_of: pd.Timestamp) -> list[str]:
    """Each string in the page that was public only after `as_of`, with its date and
    the words around it."""
    text = page_text(page.read_text(encoding="utf-8"))
    found = []
    for s, day in strings.items():
        if day > as_of:
            for m in re.finditer(rf"(?<![\w.,]){re.escape(s)}(?![\w]|[.,]\d)", text):
                found.append(f"{page.name}: {s!r} (public {day:%Y-%m-%d}) in "
                             f"…{text[max(0, m.start() - 80):m.end() + 40]}…")
    return found


def as_of_of(page: Path) -> pd.Timestamp:
    """A briefing's date, from its file name (<TICKER>-<YYYY-MM-DD>[.<lang>].html)."""
    return pd.Timestamp(re.search(r"-(\d{4}-\d{2}-\d{2})(?:\.\w+)?\.html$", page.name)[1])
