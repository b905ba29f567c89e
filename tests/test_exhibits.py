"""Sentences of real earnings releases (EX-99.1), each as a public page quotes it (URL beside
it), read by kit.sources.exhibits."""

import pytest

from kit.sources import exhibits

# Meta, Q1 2024: the release's capex bullet (storyboard18.com reprints the press-release
# sentence: https://www.storyboard18.com/social-media/meta-q1-2024-results-ad-revenue-grows-to-over-35-billion-dollars-29865.htm)
META_Q1_2024_CAPEX = ("Capital expenditures – Capital expenditures, including principal payments "
                      "on finance leases, were $6.72 billion.")
# Meta, Q1 2024 outlook, new and prior range in one sentence (the call transcript,
# https://s21.q4cdn.com/399680738/files/doc_financials/2024/q1/META-Q1-2024-Earnings-Call-Transcript.pdf)
META_Q1_2024_OUTLOOK = (
    "We anticipate our full-year 2024 capital expenditures will be in the range of $35-40 "
    "billion, increased from our prior range of $30-37 billion as we continue to accelerate our "
    "infrastructure investments to support our AI roadmap.")
# Meta, Q4 2024: the quarter and the year in one sentence (menafn.com's copy of the release,
# https://menafn.com/1109145737/Meta-Reports-Fourth-Quarter-And-Full-Year-2024-Results)
META_Q4_2024_CAPEX = ("Capital expenditures, including principal payments on finance leases, were "
                      "$14.84 billion and $39.23 billion for the fourth quarter and full year "
                      "2024, respectively.")
# Meta, Q2 2026, "CFO Outlook Commentary": another measure's range just before the capex one
# (https://investor.atmeta.com/investor-news/press-release-details/2026/Meta-Reports-Second-Quarter-2026-Results/default.aspx)
META_Q2_2026_EXPENSES = ("We now expect full year 2026 total expenses to be in the range of "
                         "$165-169 billion.")
# Meta, Q1 2025: the chief executive's words (the release's opening paragraph, as a public
# copy of it gives it; the exhibit: https://www.sec.gov/Archives/edgar/data/1326801/000132680125000050/meta-03312025xexhibit991.htm)
META_Q1_2025_QUOTE = ("“We've had a strong start to an important year, our community continues "
                      "to grow and our business is performing very well,” said Mark Zuckerberg, "
                      "Meta founder and CEO. “We're making good progress on AI glasses and Meta "
                      "AI, which now has almost 1 billion monthly actives.”")
# Alphabet, Q4 2025 outlook as reported, a figure without its measure's words
# (https://siliconangle.com/2026/02/04/alphabet-jack-ai-spending-google-cloud-ad-business-revenues-shine)
GOOGL_2026 = ("Today, it forecast capex in the range of $175 billion to $185 billion, which is "
              "more than double its 2025 spending.")


def _release(*paragraphs: str) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f"<html><body><div>{body}<table><tr><td>{META_Q4_2024_CAPEX}</td></tr></table>" \
           "</div></body></html>"


@pytest.fixture(scope="module")
def found():
    return exhibits.extract(_release(
        "MENLO PARK, Calif. – April 24, 2024 – Meta Platforms, Inc. (Nasdaq: META) today "
        "reported financial results.", META_Q1_2025_QUOTE, META_Q1_2024_CAPEX,
        "CFO Outlook Commentary", META_Q2_2026_EXPENSES + " " + META_Q1_2024_OUTLOOK))


def test_the_headline_capex_sentence_is_a_figure_with_its_measure_and_rounding(found):
    q1, q4 = found["figures"]
    assert q1["metric"] == "capex_incl_finance_leases"
    assert q1["value_usd"] == pytest.approx(6.72e9) and q1["precision_usd"] == pytest.approx(5e6)
    assert q1["sentence"].startswith("Capital expenditures, including principal payments")
    # "... and $39.23 billion for the fourth quarter and full year 2024, respectively"
    assert q4["value_usd"] == pytest.approx(14.84e9)


def test_the_outlook_is_the_current_range_not_the_prior_one(found):
    (o,) = found["outlooks"]
    assert (o["fiscal_year"], o["low_usd"], o["high_usd"]) == (2024, 35e9, 40e9)
    assert (o["prior_low_usd"], o["prior_high_usd"]) == (30e9, 37e9)
    assert o["basis"] is None  # the sentence does not word the measure
    assert o["sentence"] == META_Q1_2024_OUTLOOK


def test_another_measure_nearby_is_not_taken_for_capex(found):
    # the total-expenses sentence has no "capital expenditures": neither outlook nor unsure
    assert all("total expenses" not in x["sentence"] for kind in found.values() for x in kind)


def test_a_sentence_with_another_measure_beside_capex_is_unsure_not_guessed():
    both = ("We expect full year 2026 total expenses to be in the range of $165-169 billion and "
            "capital expenditures to be in the range of $130-145 billion.")
    out = exhibits.extract(_release(both))
    assert out["outlooks"] == []
    assert [u["reason"] for u in out["unsure"]] == [
        "it states another measure beside capital expenditures"]


def test_a_figure_without_its_measure_is_unsure():
    out = exhibits.extract("<p>Capital expenditures were $35.67 billion.</p>")
    assert out["figures"] == [] and "does not word" in out["unsure"][0]["reason"]
    assert exhibits.extract(f"<p>{GOOGL_2026}</p>")["outlooks"] == []  # says capex, not
    # capital expenditures: not a sentence of a known shape, so nothing is taken


def test_the_chief_executives_words_with_the_speaker(found):
    (q,) = found["quotes"]
    assert q["speaker"] == "Mark Zuckerberg, Meta founder and CEO"
    assert q["text"] == META_Q1_2025_QUOTE


def test_a_range_worded_with_its_measure_keeps_that_basis():
    # Meta, Q2 2026, the release's "CFO Outlook Commentary" (its exhibit:
    # https://www.sec.gov/Archives/edgar/data/1326801/000162828026050596/meta-06302026xexhibit991.htm)
    s = ("We anticipate 2026 capital expenditures, including principal payments on finance "
         "leases, to be in the range of $130-145 billion, narrowed from our prior outlook of "
         "$125-145 billion.")
    (o,) = exhibits.extract(f"<p>{META_Q2_2026_EXPENSES}</p><p>{s}</p>")["outlooks"]
    assert (o["fiscal_year"], o["low_usd"], o["high_usd"]) == (2026, 130e9, 145e9)
    assert (o["prior_low_usd"], o["prior_high_usd"]) == (125e9, 145e9)
    assert o["basis"] == "capex_incl_finance_leases"


def _meta_release(sentence: str, url: str, day, fiscal_year: int, quarter: int) -> dict:
    """The rows a Meta release holding `sentence` gives (a calendar-quarter fiscal year)."""
    from kit import periods

    start, end = periods.fiscal_quarter_bounds(fiscal_year, quarter, "12-31")
    return exhibits.release_rows(exhibits.extract(f"<p>{sentence}</p>"), dict(
        ticker="META", release_date=day, fiscal_year=fiscal_year, fiscal_quarter=quarter,
        period_start_date=start, period_end_date=end,
        guidance_basis="capex_incl_finance_leases"), url)


def _data_copy(tmp_path):
    import shutil

    from kit import data

    shutil.copytree(data.data_dir(), tmp_path / "data")
    return tmp_path / "data"


def test_kit_data_check_lists_a_sentence_it_did_not_read(tmp_path):
    """An unsure sentence is kept in release_sentences and named by `kit data check`. (The
    sentence joins the two of Meta's Q2 2026 outlook, so that one states two measures.)"""
    import os
    import subprocess
    import sys
    from datetime import date

    import pandas as pd


    both = ("We now expect full year 2026 total expenses to be in the range of $165-169 billion "
            "and 2026 capital expenditures to be in the range of $130-145 billion.")
    url = ("https://www.sec.gov/Archives/edgar/data/1326801/000162828026050596/"
           "meta-06302026xexhibit991.htm")
    rows = _meta_release(both, url, date(2026, 7, 29), 2026, 2)
    assert rows["capex_guidance"] == [] and len(rows["release_sentences"]) == 1
    folder = _data_copy(tmp_path)
    pd.DataFrame(rows["release_sentences"]).to_csv(folder / "release_sentences.csv",
                                                   index=False)
    res = subprocess.run([sys.executable, "-m", "kit.cli", "data", "check"], text=True,
                         capture_output=True, env={**os.environ, "KIT_DATA_DIR": str(folder)})
    assert res.returncode == 0, res.stderr
    line = next(x for x in res.stdout.splitlines() if "not read" in x)
    assert "it states another measure beside capital expenditures" in line and url in line


@pytest.mark.parametrize("sentence, conflict", [
    (META_Q1_2024_CAPEX, False),  # $6.72 billion: the XBRL parts add up to it, rounded
    (META_Q1_2024_CAPEX.replace("$6.72", "$6.92"), True),  # 200M off: beyond the rounding
])
def test_a_releases_figure_is_checked_against_the_filings_within_its_rounding(
        tmp_path, monkeypatch, sentence, conflict):
    from datetime import date

    import pandas as pd

    from kit import data, metrics
    from kit.schema import to_csv_frame
    from kit.sources import pipeline

    folder = _data_copy(tmp_path)
    url = ("https://www.sec.gov/Archives/edgar/data/1326801/000132680124000044/"
           "meta-03312024xexhibit991.htm")
    rows = _meta_release(sentence, url, date(2024, 4, 24), 2024, 1)
    company = dict(data.load_table("companies", folder).set_index("ticker").loc["META"],
                   ticker="META")
    releases = data.load_table("earnings_releases", folder)
    added = pipeline.financials(None, company, releases[releases["ticker"] == "META"], None,
                                rows["financials"])
    fin = pd.concat([data.load_table("financials", folder),
                     data.validate_frame(added, "financials")])
    to_csv_frame(fin, "financials").to_csv(folder / "financials.csv", index=False,
                                           lineterminator="\n")
    monkeypatch.setenv("KIT_DATA_DIR", str(folder))
    found = metrics.quality("META")
    said = found[found["detail"].str.contains("the release says", regex=False)]
    assert len(said) == conflict
    if conflict:
        assert said.iloc[0]["period"] == "FY24 Q1" and "6,920M" in said.iloc[0]["detail"]
        assert said.iloc[0]["quoted"].startswith("extracted from the release")
