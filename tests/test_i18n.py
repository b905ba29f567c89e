"""Languages: the catalogs (gettext, Babel's tooling), the formats, and German briefings as a
German reader meets them."""

import datetime
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from babel.dates import format_date
from babel.messages.pofile import read_po
from babel.numbers import format_compact_currency, format_percent
from bs4 import BeautifulSoup

from kit import data, i18n, metrics
from kit.schema import METRICS

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "kit" / "locale" / "de" / "LC_MESSAGES" / "kit.po"
# Words a German text never has; any of them outside a quoted English source is untranslated.
ENGLISH = {"the", "and", "of", "from", "with", "which", "where", "when", "is", "are", "were",
           "by", "for", "this", "that", "these", "quarter", "quarters", "billion", "outlook",
           "source", "sources", "reported", "comparable", "growth", "revenue", "missing",
           "public", "release", "given", "raised", "computed", "not", "capex",
           "company", "companies", "share", "move", "stock", "close", "year",
           "guidance", "latest", "earlier", "trailing", "purchases", "payments", "leases",
           "derived", "millions"}
# The kit's own notation, which a German page writes in German: a metric's field name, a
# figure in millions ("6,400M"), a file's unit, "Mrd. USD" where the tables write "Mrd. $".
NOTATION = re.compile(r"\b(" + "|".join(m for m in METRICS if "_" in m) + r")\b"
                      r"|\b\d{1,3}(,\d{3})+M\b|USD millions|Mrd\. USD")


@pytest.fixture
def german():
    i18n.use_language("de")
    yield
    i18n.use_language("en")


def _extract(tmp_path) -> list:
    """What `pybabel extract -F babel.cfg` finds in the kit today."""
    pot = tmp_path / "kit.pot"
    res = subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F",
                          "babel.cfg", "-c", "L10N", "-o", str(pot), "."],
                         cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-2000:]
    with pot.open("rb") as f:
        return [m for m in read_po(f) if m.id]


def test_every_user_facing_string_has_a_german_entry(tmp_path):
    with CATALOG.open("rb") as f:
        de = read_po(f)
    found = _extract(tmp_path)
    assert len(found) > 300  # the notebook's text, the sections, charts, index, explorer
    lacking = [m.id for m in found if not de.get(m.id) or not de[m.id].string
               or de[m.id].fuzzy]
    assert lacking == [], f"{len(lacking)} strings without a German entry: run `pybabel " \
                          f"update` and translate them (README, Languages): {lacking[:5]}"
    for m in found:  # a translation keeps every placeholder and tag of its English
        keep = re.findall(r"\{\w*\}|</?\w+>", m.id)
        assert sorted(keep) == sorted(re.findall(r"\{\w*\}|</?\w+>", de[m.id].string)), m.id


def test_the_notebook_and_the_data_wording_are_in_the_catalog(tmp_path):
    ids = {m.id for m in _extract(tmp_path)}
    assert any(i.startswith("## Headline figures") for i in ids)  # a text cell
    meta = data.load_companies().set_index("ticker").loc["META"]
    assert meta["capex_definition"] in ids  # the kit's wording in additions/companies.csv


def test_german_formats_are_babels_for_de_DE(german):
    assert i18n.usd_bn(6_715_000_000) == "6,72\xa0Mrd.\xa0$"  # no-break spaces, as Babel's
    assert i18n.usd_bn(6_715_000_000) == format_compact_currency(
        Decimal("6720000000"), "USD", locale="de_DE", fraction_digits=2)
    assert i18n.usd_bn_range(35e9, 40e9) == "35–40\xa0Mrd.\xa0$"
    assert i18n.pct(-10.6) == "−10,6\xa0%" and i18n.pct(5.23) == "+5,2\xa0%"
    assert format_percent(Decimal("-0.106"), "#,##0.0\xa0%", locale="de_DE").endswith("10,6\xa0%")
    assert i18n.usd_m(4_303_000_000) == "4.303\xa0Mio.\xa0$"
    day = datetime.date(2024, 4, 25)
    assert i18n.date(day) == "25.04.2024" == format_date(day, "medium", locale="de_DE")
    locale = i18n.d3_locale()  # the charts write numbers and dates as the tables do
    assert locale["number"]["decimal"] == "," and locale["number"]["thousands"] == "."
    assert locale["number"]["minus"] == "−"
    assert i18n.d3_date_format() == "%d.%m.%Y" and locale["time"]["months"][3] == "April"


def test_english_formats_stay_as_they_were():
    assert i18n.current() == "en"
    assert i18n.usd_bn(6_715_000_000) == "$6.72 billion"
    assert i18n.pct(-10.6) == "-10.6 %" and i18n.date("2024-04-25") == "2024-04-25"


def test_fiscal_labels_read_gj_and_kj_in_german(german):
    assert metrics.quarter_label(2025, 2, 2024, 4) == "GJ25 Q2 (KJ24 Q4)"
    assert metrics.fiscal_year_label(2024) == "GJ2024"


def test_an_unknown_language_is_one_clear_error_and_writes_nothing(tmp_path):
    res = subprocess.run([sys.executable, "-m", "kit.cli", "render", "META", "--lang", "xx",
                          "--out", str(tmp_path / "out")], capture_output=True, text=True)
    assert res.returncode != 0
    assert "'xx'" in res.stderr and "de" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def _visible_text(soup: BeautifulSoup) -> str:
    """What a German reader reads that is not a quoted English source: the page without
    elements marked lang="en" and links whose text is their address."""
    for el in soup.select('[lang="en"], script, style'):
        el.decompose()
    for a in soup.find_all("a"):
        if a.get_text().startswith(("http://", "https://")):
            a.decompose()
    return " ".join(soup.get_text(" ").split())


def _english_words(text: str) -> set:
    """English words of running text; paths, file names and identifiers are not words."""
    text = re.sub(r"\S*[/_]\S*|`[^`]*`", " ", text)
    return {w for w in re.findall(r"[A-Za-z]+", text) if w.lower() in ENGLISH}


@pytest.mark.slow
def test_german_seed_briefing_tells_the_story_as_german_readers_write_it(german_reports):
    page = (german_reports / "META-2024-04-25.de.html").read_text().replace("\xa0", " ")
    soup = BeautifulSoup(page, "html.parser")
    assert soup.html["lang"] == "de"
    rows = {tr.find("td").get_text(" ", strip=True): tr for tr in soup.select("table.headline tr")
            if tr.find("td")}
    latest = rows["Investitionsausgaben, jüngstes Quartal"].get_text(" ")
    earlier = rows["Investitionsausgaben, ein Jahr zuvor"].get_text(" ")
    outlook = next(tr for name, tr in rows.items() if name.startswith("Jahresprognose"))
    reaction = next(tr for name, tr in rows.items() if name.startswith("Kursbewegung"))
    assert "6,72 Mrd. $" in latest and "GJ24 Q1" in latest
    assert "7,09 Mrd. $" in earlier and "GJ23 Q1" in earlier
    text = " ".join(outlook.get_text(" ").split())
    assert "GJ2024" in text and "35–40 Mrd. $" in text and "angehoben von 30–37 Mrd. $" in text
    assert "−10,6 %" in reaction.get_text(" ") and "25.04.2024" in reaction.get_text(" ")
    for row in (rows["Investitionsausgaben, jüngstes Quartal"], outlook, reaction):
        assert any(a["href"].startswith("https://") for a in row.find_all("a")), row
    # the seed's German statements as they are, the English ones with the kit's translation
    statements = soup.select("li.statement")
    german = [s for s in statements if s.blockquote["lang"] == "de"]
    assert german and all(not s.select("p.translation") for s in german)
    english = [s for s in statements if s.blockquote["lang"] == "en"]
    assert english and all("Übersetzung des Kits" in s.select_one("p.translation").get_text()
                           for s in english)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["META-2024-04-25.de.html", "MSFT-2024-04-25.de.html",
                                  "index.de.html"])
def test_a_german_reader_meets_no_english_in_the_briefing_or_the_index(german_reports, name):
    """Issue 29: text, chart titles, axes, legends, the drop-down and every tooltip value in
    German; quoted English sources (lang="en"), addresses and the sources' own identifiers
    (files, fields) apart; the kit's own notation (field names, "6,400M", units) German too."""
    import json

    page = (german_reports / name).read_text().replace("\xa0", " ")
    text = _visible_text(BeautifulSoup(page, "html.parser"))
    assert _english_words(text) == set()
    assert NOTATION.search(text) is None, NOTATION.search(text)
    for spec in re.findall(r'<script type="application/json" id="chart-\d+-spec">(.*?)</script>',
                           page, re.S):  # titles, axes, legends, tooltips, the drop-down
        spec = json.loads(spec.replace("<\\/", "</"))
        shown = " ".join(_spec_texts(spec))
        values = " ".join(re.sub(r"https?://\S+|'[^']*'", " ", v)  # tooltips: quotes apart
                          for rows in spec.get("datasets", {}).values() for row in rows
                          for v in row.values() if isinstance(v, str))
        assert _english_words(shown) == set() and _english_words(values) == set()
        assert NOTATION.search(shown + values) is None, NOTATION.search(shown + values)


def _spec_texts(node) -> list[str]:
    """The words a chart shows: titles, axis and legend titles, tooltip titles, options."""
    out = []
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, str) and (key in ("title", "text", "subtitle")
                                           or key == "name" and "input" in node):  # a control
                out.append(value)
            elif key == "options" and isinstance(value, list):
                out += [v for v in value if isinstance(v, str)]
            elif key not in ("data", "datasets", "expr", "calculate", "filter", "test"):
                out += _spec_texts(value)
    elif isinstance(node, list):
        for value in node:
            out += _spec_texts(value)
    return out


@pytest.mark.slow
def test_render_all_in_german_writes_beside_english_and_the_index_links_both(german_reports):
    for ticker in ("META", "MSFT"):
        assert (german_reports / f"{ticker}-2024-04-25.html").is_file()
        assert (german_reports / f"{ticker}-2024-04-25.de.html").is_file()
    index = BeautifulSoup((german_reports / "index.de.html").read_text(), "html.parser")
    links = {a["href"] for a in index.select("table.index a")}
    assert {"META-2024-04-25.de.html", "META-2024-04-25.html"} <= links
    assert index.html["lang"] == "de" and "25.04.2024" in index.get_text()
    assert "6,72\xa0Mrd.\xa0$" in index.get_text()
    english = BeautifulSoup((german_reports / "index.html").read_text(), "html.parser")
    links = {a["href"] for a in english.select("table.index a")}
    assert {"META-2024-04-25.html", "META-2024-04-25.de.html"} <= links


@pytest.mark.slow
def test_the_archive_in_german_has_its_time_lines_in_german(tmp_path):
    res = subprocess.run([sys.executable, "-m", "kit.cli", "render", "--every-release", "META",
                          "--since", "2025-09-01", "--lang", "de", "--out", str(tmp_path),
                          "--no-progress"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-3000:]
    pages = sorted(p.name for p in tmp_path.glob("META-*.de.html"))
    assert pages and not list(tmp_path.glob("META-????-??-??.html"))
    soup = BeautifulSoup((tmp_path / "index.de.html").read_text().replace("\xa0", " "),
                         "html.parser")
    assert {a["href"] for a in soup.select("table.timeline a")} == set(pages)
    assert soup.select_one("table.timeline th").get_text() == "Quartalsmitteilung"
    assert re.search(r"\d\d\.\d\d\.20\d\d", soup.select_one("table.timeline td").get_text())
    assert _english_words(_visible_text(soup)) == set()
