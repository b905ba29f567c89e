"""The language of a briefing: gettext catalogs for the words, Babel for numbers and dates.

English is the source language: every user-facing string is written in English and marked
with `_()` (or `N_()` where a constant is defined, and translated with `_()` where it is
shown). `pybabel extract -F babel.cfg` collects them, with the notebook's text cells and the
kit's own wording in data files (`extract_notebook`, `extract_csv`), into `kit/locale/kit.pot`;
each language has `kit/locale/<lang>/LC_MESSAGES/kit.po`, compiled to `kit.mo` by
`pybabel compile` when the kit is installed or built. Adding a language is adding a catalog
(README, "Languages").

Amounts, percentages and dates are formatted by Babel for the language's locale; the
patterns that differ by language (the date, "$… billion") are themselves catalog entries, so
a translator sets them. Charts get the matching d3 locale (`d3_locale`).
"""

from __future__ import annotations

import csv
import gettext
import io
import json
import threading
from contextlib import contextmanager
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path

import pandas as pd
from babel import Locale
from babel.dates import format_date, get_day_names, get_month_names
from babel.numbers import format_decimal, get_decimal_symbol, get_group_symbol

from kit.errors import RequestError

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "kit"
SOURCE = "en"  # the language the kit is written in; its catalog is the strings themselves

_state = {"lang": SOURCE}  # the process's language (a notebook's kernel: use_language)
_thread = threading.local()  # a thread's own, while it exports a page (`language`)


@cache
def languages() -> tuple[str, ...]:
    """English and every language with a catalog in kit/locale."""
    found = sorted(p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.[mp]o"))
    return (SOURCE, *dict.fromkeys(found))


def check_lang(lang) -> str:
    """`lang` as the kit names it ("en", "de"), or RequestError naming the ones it has."""
    name = str(lang or SOURCE).strip().lower().replace("-", "_")
    if name not in languages():
        raise RequestError(f"language {lang!r} has no catalog; use one of "
                         f"{', '.join(languages())} (a new one is a catalog in kit/locale, "
                         "see the README's Languages section)")
    return name


def use_language(lang: str = SOURCE) -> str:
    """Make `lang` the language of every string and format from now on; returns it."""
    _state["lang"] = check_lang(lang)
    return _state["lang"]


@contextmanager
def language(lang: str):
    """`lang` for this thread only, while the block runs (several pages are exported at
    once, each in its thread, in its own language)."""
    before = getattr(_thread, "lang", None)
    _thread.lang = check_lang(lang)
    try:
        yield
    finally:
        _thread.lang = before


def current() -> str:
    return getattr(_thread, "lang", None) or _state["lang"]


@cache
def _catalog(lang: str) -> gettext.NullTranslations:
    """The compiled catalog; in a checkout whose .po is newer than its .mo (or has no .mo),
    the .po compiled in memory, so an edited catalog is never silently ignored."""
    if lang == SOURCE:
        return gettext.NullTranslations()
    folder = LOCALE_DIR / lang / "LC_MESSAGES"
    mo, po = folder / f"{DOMAIN}.mo", folder / f"{DOMAIN}.po"
    if mo.is_file() and (not po.is_file() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as f:
            return gettext.GNUTranslations(f)
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    buffer = io.BytesIO()
    with po.open("rb") as f:
        write_mo(buffer, read_po(f, locale=lang))
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def _(message: str) -> str:
    """`message` in the current language (itself where the catalog has no entry)."""
    return _catalog(current()).gettext(message) if message else message


def in_sentence(name: str) -> str:
    """A name as it reads inside a sentence: English lowercases "Revenue"; German keeps
    the capital of its nouns. The catalog says which."""
    # L10N: "lowercase" if a name is lowercased inside a sentence; German: "keep"
    return name.lower() if _("lowercase") == "lowercase" else name


def N_(message: str) -> str:
    """Marks a constant for extraction; translate it with `_()` where it is shown."""
    return message


# --- formats --------------------------------------------------------------------------------

def _locale() -> Locale:
    return Locale.parse(current())


def _minus(text: str) -> str:
    # L10N: the sign of a negative number; German typesetting uses U+2212 MINUS SIGN
    return text.replace("-", _("-"))


def number(value, digits: int = 2, signed: bool = False) -> str:
    """`value` with `digits` decimals, grouped, in the locale (no unit)."""
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    text = format_decimal(Decimal(str(value)), f"+{pattern};-{pattern}" if signed else pattern,
                          locale=_locale())
    return _minus(text)


def usd_bn(value) -> str:
    """Dollars as billions with two decimals, rounded half up as company releases round:
    "$6.72 billion", "6,72 Mrd. $"."""
    bn = (Decimal(round(value)) / 10**9).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    # L10N: an amount in billions of US dollars; {amount} is the number
    return _("${amount} billion").format(amount=number(bn))


def usd_bn_short(value) -> str:
    """Dollars as billions without trailing zeros (an outlook's "$35 billion", "$26.3
    billion"), to at most three decimals."""
    return _("${amount} billion").format(amount=_short(value / 1e9))


def usd_bn_range(low, high) -> str:
    """"$35–40 billion", "35–40 Mrd. $"."""
    # L10N: a range of billions of US dollars
    return _("${low}–{high} billion").format(low=_short(low / 1e9), high=_short(high / 1e9))


def usd_m(value) -> str:
    """Dollars as whole millions: "4,303M", "4.303 Mio. $"."""
    # L10N: an amount in millions of US dollars
    return _("{amount}M").format(amount=number(round(value / 1e6), digits=0))


def _short(value: float) -> str:
    return _minus(format_decimal(Decimal(str(round(value, 3))), "#,##0.###", locale=_locale()))


def pct(value, signed: bool = True) -> str:
    """A percentage: "+5.2 %", "−10,6 %"."""
    # L10N: a percentage; German keeps number and sign together with a no-break space
    return _("{number} %").format(number=number(round(value, 1), digits=1, signed=signed))


def date_pattern() -> str:
    # L10N: how a date is written, as a Unicode (LDML) date pattern, e.g. dd.MM.y
    return _("yyyy-MM-dd")


def date(value) -> str:
    """A day as the locale writes it: "2024-04-25", "25.04.2024"."""
    return format_date(pd.Timestamp(value).date(), date_pattern(), locale=_locale())


_D3_FIELDS = {"yyyy": "%Y", "y": "%Y", "yy": "%y", "MM": "%m", "M": "%-m", "dd": "%d",
              "d": "%-d"}


def d3_date_format() -> str:
    """The date pattern as a d3 time format, for chart tooltips and axes."""
    import re

    return re.sub(r"y+|M+|d+", lambda m: _D3_FIELDS[m.group(0)], date_pattern())


def d3_locale() -> dict:
    """Vega's `config.locale`: the number and time formats of the current locale, so chart
    axes and tooltips write numbers and dates as the tables do."""
    loc = _locale()
    days = get_day_names("wide", locale=loc)
    short_days = get_day_names("abbreviated", locale=loc)
    months = get_month_names("wide", locale=loc)
    short_months = get_month_names("abbreviated", locale=loc)
    sunday_first = [6, 0, 1, 2, 3, 4, 5]  # d3 starts the week on Sunday; Babel on Monday
    return {"number": {"decimal": get_decimal_symbol(loc), "thousands": get_group_symbol(loc),
                       "grouping": [3], "currency": ["$", ""], "minus": _("-")},
            "time": {"dateTime": "%x %X", "date": d3_date_format(), "time": "%H:%M:%S",
                     "periods": ["AM", "PM"],
                     "days": [days[i] for i in sunday_first],
                     "shortDays": [short_days[i] for i in sunday_first],
                     "months": [months[i] for i in range(1, 13)],
                     "shortMonths": [short_months[i] for i in range(1, 13)]}}


# --- extraction (pybabel extract, see babel.cfg) --------------------------------------------

def extract_notebook(fileobj, keywords, comment_tags, options):
    """A notebook's text cells, one message per cell (`translate_notebook` looks them up)."""
    nb = json.load(fileobj)
    for cell in nb.get("cells", []):
        text = "".join(cell.get("source", []))
        if cell.get("cell_type") == "markdown" and text.strip():
            yield 0, None, text, []


def extract_csv(fileobj, keywords, comment_tags, options):
    """The kit's own wording in a data file: every value of the `columns` the mapping
    names (e.g. the companies' capex definitions), in rows matching `where` (column=value)."""
    columns = [c.strip() for c in options.get("columns", "").split(",") if c.strip()]
    key, _eq, wanted = options.get("where", "").partition("=")
    for line, row in enumerate(csv.DictReader(io.TextIOWrapper(fileobj, encoding="utf-8")),
                               start=2):
        if key and row.get(key.strip()) != wanted.strip():
            continue
        for column in columns:
            if row.get(column) and not row[column].startswith(("http://", "https://")):
                yield line, None, row[column], [column]


def translate_notebook(nb) -> None:
    """Put the current language's text in a notebook's markdown cells, in place."""
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.strip():
            cell.source = _(cell.source)
